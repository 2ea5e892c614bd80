/* Latency of `SELECT 1` through libpq, the same source built natively (against the system's
 * libpq) and for wasm32-wasi (libpq built by build_c_library.sh, run under the shim host,
 * through the database proxy): benchmarks/c-libpq/run.sh builds and runs both in one go.
 *
 *   select1 [N]   (default 1000; connection from LIBPQ_CONNINFO / the PG* variables)
 *
 * Prints `n=<N> p50_us=<..> p90_us=<..> p99_us=<..> mean_us=<..>`: per-query wall time from
 * just before PQexec to after PQclear, with one untimed warm-up query. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int select1(PGconn *conn) {
    PGresult *res = PQexec(conn, "SELECT 1");
    int ok = PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "1") == 0;
    if (!ok)
        fprintf(stderr, "SELECT 1 failed: %s", PQerrorMessage(conn));
    PQclear(res);
    return ok;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    if (n < 1)
        n = 1;
    const char *conninfo = getenv("LIBPQ_CONNINFO") ? getenv("LIBPQ_CONNINFO") : "";
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "connect: %s", PQerrorMessage(conn));
        return 1;
    }
    if (!select1(conn))
        return 1;
    double *t = malloc(sizeof *t * n), sum = 0;
    for (int i = 0; i < n; i++) {
        double start = now_us();
        if (!select1(conn))
            return 1;
        t[i] = now_us() - start;
        sum += t[i];
    }
    qsort(t, n, sizeof *t, cmp);
    printf("n=%d p50_us=%.1f p90_us=%.1f p99_us=%.1f mean_us=%.1f\n", n, t[n / 2], t[n * 9 / 10],
           t[n * 99 / 100], sum / n);
    PQfinish(conn);
    return 0;
}

/* A C service that uses libpq, as real C services do: the PostgreSQL 15 client library built
 * for wasm32-wasi from the pinned Debian source against WarpGrid's wasi-libc. libpq's own
 * getaddrinfo/socket/connect/poll/recv reach the database through the patched libc and the
 * host's database proxy; this file contains no wire-protocol code.
 *
 * Connection parameters are libpq's: the conninfo below plus the usual PG* environment
 * variables (PGPORT when the server is not on 5432; WARPGRID_DB_PORTS then tells the libc
 * that port speaks postgres). The password is never the guest's: the host logs in.
 *
 * It prints one "ok <check>" line per step and exits non-zero on the first failure. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGconn *conn;

static void fail(const char *step, PGresult *res) {
    printf("FAIL %s: %s", step, res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
    exit(1);
}

/* A command without results (DDL, BEGIN/COMMIT, parameterless DML). */
static void command(const char *step, const char *sql) {
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        fail(step, res);
    PQclear(res);
}

/* A parameterised statement whose parameters travel separately from the SQL text. */
static PGresult *params(const char *step, const char *sql, int n, const char *const *values,
                        ExecStatusType want) {
    PGresult *res = PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(res) != want)
        fail(step, res);
    return res;
}

static void balances(const char *step, const char *expected) {
    PGresult *res = PQexec(conn, "SELECT string_agg(owner || '=' || balance, ',' ORDER BY id) FROM accounts");
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fail(step, res);
    if (strcmp(PQgetvalue(res, 0, 0), expected) != 0) {
        printf("FAIL %s: balances %s, expected %s\n", step, PQgetvalue(res, 0, 0), expected);
        exit(1);
    }
    printf("ok %s: %s\n", step, expected);
    PQclear(res);
}

int main(void) {
    const char *conninfo = getenv("LIBPQ_CONNINFO");
    if (conninfo == NULL)
        conninfo = "host=db.production.warp.local dbname=app user=app connect_timeout=10 application_name=c-libpq-client";
    conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK)
        fail("connect", NULL);
    printf("ok connect: server %d, encoding %s\n", PQserverVersion(conn),
           PQparameterStatus(conn, "server_encoding"));

    command("create table",
            "CREATE TEMP TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance int NOT NULL)");
    const char *alice[] = {"1", "alice", "100"}, *bob[] = {"2", "bob; DROP TABLE accounts", "50"};
    PQclear(params("insert", "INSERT INTO accounts VALUES ($1, $2, $3)", 3, alice, PGRES_COMMAND_OK));
    PQclear(params("insert", "INSERT INTO accounts VALUES ($1, $2, $3)", 3, bob, PGRES_COMMAND_OK));

    /* A parameter is data, never SQL: the owner named like an injection is stored verbatim. */
    const char *who[] = {"2"};
    PGresult *res = params("select by id", "SELECT owner, balance + 0 FROM accounts WHERE id = $1", 1, who,
                           PGRES_TUPLES_OK);
    if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), bob[1]) != 0)
        fail("select by id", NULL);
    printf("ok parameterised select: owner %s balance %s\n", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
    PQclear(res);
    command("rename", "UPDATE accounts SET owner = 'bob' WHERE id = 2");

    /* A committed transfer, then one rolled back after a failed check. */
    const char *debit[] = {"30", "1"}, *credit[] = {"30", "2"};
    command("begin", "BEGIN");
    PQclear(params("debit", "UPDATE accounts SET balance = balance - $1::int WHERE id = $2", 2, debit,
                   PGRES_COMMAND_OK));
    PQclear(params("credit", "UPDATE accounts SET balance = balance + $1::int WHERE id = $2", 2, credit,
                   PGRES_COMMAND_OK));
    command("commit", "COMMIT");
    if (PQtransactionStatus(conn) != PQTRANS_IDLE)
        fail("commit", NULL);
    balances("transaction committed", "alice=70,bob=80");

    const char *overdraft[] = {"500", "1"};
    command("begin", "BEGIN");
    PQclear(params("overdraft", "UPDATE accounts SET balance = balance - $1::int WHERE id = $2", 2, overdraft,
                   PGRES_COMMAND_OK));
    res = PQexec(conn, "SELECT 1 / (SELECT count(*) FROM accounts WHERE balance < 0 AND false)");
    if (PQresultStatus(res) != PGRES_FATAL_ERROR || PQtransactionStatus(conn) != PQTRANS_INERROR)
        fail("failed statement aborts the transaction", res);
    printf("ok error inside transaction: %s", PQresultErrorField(res, PG_DIAG_SQLSTATE));
    printf("\n");
    PQclear(res);
    command("rollback", "ROLLBACK");
    balances("transaction rolled back", "alice=70,bob=80");

    /* A result far larger than one read: libpq reads until the socket would block. */
    res = PQexec(conn, "SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 5000 ||
        strcmp(PQgetvalue(res, 4999, 0), "5000") != 0)
        fail("large result", res);
    printf("ok large result: %d rows\n", PQntuples(res));
    PQclear(res);

    PQfinish(conn);
    printf("PASSED\n");
    return 0;
}

/*
 * c-shims: an ordinary C program that needs three things WASI preview 1 does
 * not give it, each served by a WarpGrid shim through the patched wasi-libc:
 *   1. /etc/resolv.conf             (filesystem shim: fopen of a virtual path)
 *   2. db.production.warp.local     (dns shim: getaddrinfo, service registry)
 *   3. local time in a named zone   (TZ + zoneinfo read through the filesystem shim)
 * Nothing here is WarpGrid-specific: the same source builds and runs natively.
 * Exit status is non-zero when any of the three fails, naming the step.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static int print_resolv_conf(void) {
    const char *path = "/etc/resolv.conf";
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror("c-shims: fopen /etc/resolv.conf");
        return 1;
    }
    printf("--- %s ---\n", path);
    char line[512];
    while (fgets(line, sizeof line, f) != NULL)
        fputs(line, stdout);
    fclose(f);
    printf("--- end ---\n");
    return 0;
}

static int resolve(const char *name) {
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int err = getaddrinfo(name, "5432", &hints, &res);
    if (err != 0) {
        fprintf(stderr, "c-shims: getaddrinfo(%s): %s\n", name, gai_strerror(err));
        return 1;
    }
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        char text[INET6_ADDRSTRLEN];
        const void *addr = ai->ai_family == AF_INET
            ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
            : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
        inet_ntop(ai->ai_family, addr, text, sizeof text);
        printf("%s -> %s\n", name, text);
    }
    freeaddrinfo(res);
    return 0;
}

static int print_zone_time(void) {
    /* The zone comes from TZ (warp.toml [env]); Europe/Paris when unset. */
    if (getenv("TZ") == NULL)
        setenv("TZ", "Europe/Paris", 1);
    tzset();
    time_t now = time(NULL);
    struct tm local;
    if (localtime_r(&now, &local) == NULL) {
        perror("c-shims: localtime_r");
        return 1;
    }
    char text[64];
    strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %Z (UTC%z)", &local);
    printf("local time in %s: %s\n", getenv("TZ"), text);
    if (strcmp(getenv("TZ"), "UTC") != 0 && local.tm_gmtoff == 0 &&
        strcmp(local.tm_zone, "UTC") == 0) {
        fprintf(stderr, "c-shims: no zoneinfo for %s (fell back to UTC)\n", getenv("TZ"));
        return 1;
    }
    return 0;
}

int main(void) {
    int failed = 0;
    failed |= print_resolv_conf();
    failed |= resolve("db.production.warp.local");
    failed |= print_zone_time();
    return failed;
}

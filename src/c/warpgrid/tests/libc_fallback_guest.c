/*
 * Self-checking guest for the weak-import fallback: build it against the
 * patched sysroot WITHOUT -Wl,-u,__warpgrid_shims and it must import nothing
 * from warpgrid:*, run on any WASI host, and behave like stock wasi-libc
 * (the stock 2022 sysroot has no netdb.h, so it cannot build this at all):
 *   - a registry-only NAME does not resolve (EAI_NONAME), numeric hosts do;
 *   - socket() has no network (EACCES on the patched sysroot);
 *   - virtual files are not served by libc (they may still exist through a
 *     host preopen, so that outcome is only reported).
 * Prints "ok <check>" / "FAIL <check>: ..." and exits 1 on any failure.
 *
 *   libc_fallback_guest NAME
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "selfcheck.h"

int main(int argc, char **argv) {
    need_args(argc, argv, 1, "NAME");
    char detail[160];
    struct addrinfo *res;
    int rc = getaddrinfo(argv[1], "80", NULL, &res);
    snprintf(detail, sizeof detail, "rc=%d (%s)", rc, gai_strerror(rc));
    check(rc == EAI_NONAME, "getaddrinfo(registry name) is EAI_NONAME without the dns shim", "%s", detail);
    if (rc == 0)
        freeaddrinfo(res);
    rc = getaddrinfo("10.0.0.5", "80", NULL, &res);
    snprintf(detail, sizeof detail, "rc=%d (%s)", rc, gai_strerror(rc));
    check(rc == 0, "getaddrinfo(numeric) still works", "%s", detail);
    if (rc == 0)
        freeaddrinfo(res);

#ifdef __WARPGRID_LIBC
    int s = socket(AF_INET, SOCK_STREAM, 0);
    snprintf(detail, sizeof detail, "s=%d errno=%s", s, strerror(errno));
    check(s < 0 && errno == EACCES, "socket() is EACCES without the database proxy", "%s", detail);
#endif

    FILE *f = fopen("/etc/resolv.conf", "r");
    printf("note: fopen(/etc/resolv.conf) %s\n",
           f ? "succeeded (host preopen)" : strerror(errno));
    if (f)
        fclose(f);
    return summary();
}

/*
 * Self-checking guest for the WarpGrid wasi-libc patch series: calls every
 * patched libc function under the shim host and prints "ok <check>" or
 * "FAIL <check>: <details>"; exits 1 when any check fails.
 *
 * Build against the patched sysroot WITH the shims (-Wl,-u,__warpgrid_shims),
 * run under the host with a warp.toml whose [dns.registry] maps NAME to ADDR
 * and (optionally) whose [database.endpoints] allow DBHOST:DBPORT (postgres).
 *
 *   libc_shims_guest NAME ADDR [DBHOST DBPORT]
 *
 * With TZ unset the zone checks use Europe/Paris. DBPORT other than 5432
 * needs WARPGRID_DB_PORTS="<port>=postgres" in the guest environment.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "selfcheck.h"

static void test_dns(const char *name, const char *want) {
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(name, "5432", &hints, &res);
    char got[INET6_ADDRSTRLEN] = "";
    if (rc == 0 && res->ai_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, got, sizeof got);
    check(rc == 0 && strcmp(got, want) == 0, "getaddrinfo(registry name)",
          "rc=%d (%s) got '%s', want '%s'", rc, gai_strerror(rc), got, want);
    check(rc == 0 && ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port) == 5432,
          "getaddrinfo(service port)", "rc=%d", rc);
    if (rc == 0) {
        char host[NI_MAXHOST], serv[NI_MAXSERV];
        int r2 = getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof host, serv, sizeof serv, 0);
        check(r2 == 0 && strcmp(host, name) == 0 && strcmp(serv, "5432") == 0,
              "getnameinfo(resolved address)", "rc=%d host='%s' serv='%s'", r2, host, serv);
        r2 = getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof host, NULL, 0, NI_NUMERICHOST);
        check(r2 == 0 && strcmp(host, want) == 0, "getnameinfo(NI_NUMERICHOST)",
              "rc=%d host='%s'", r2, host);
        freeaddrinfo(res);
    }

    rc = getaddrinfo("192.0.2.7", "80", &hints, &res);
    check(rc == 0 && res->ai_family == AF_INET, "getaddrinfo(numeric v4)", "rc=%d", rc);
    if (rc == 0) freeaddrinfo(res);
    rc = getaddrinfo("2001:db8::1", "80", &hints, &res);
    check(rc == 0 && res->ai_family == AF_INET6, "getaddrinfo(numeric v6)", "rc=%d", rc);
    if (rc == 0) freeaddrinfo(res);
    rc = getaddrinfo("localhost", NULL, &hints, &res);
    check(rc == 0, "getaddrinfo(localhost)", "rc=%d (%s)", rc, gai_strerror(rc));
    if (rc == 0) freeaddrinfo(res);
    rc = getaddrinfo("no-such-service.nowhere.invalid", NULL, &hints, &res);
    check(rc == EAI_NONAME || rc == EAI_AGAIN || rc == EAI_FAIL, "getaddrinfo(unknown name)",
          "rc=%d (%s)", rc, gai_strerror(rc));
    check(strcmp(gai_strerror(EAI_NONAME), "Name does not resolve") == 0, "gai_strerror", "");

    struct hostent *he = gethostbyname(name);
    char got2[INET_ADDRSTRLEN] = "";
    if (he && he->h_addr_list[0])
        inet_ntop(AF_INET, he->h_addr_list[0], got2, sizeof got2);
    check(he && he->h_addrtype == AF_INET && strcmp(got2, want) == 0, "gethostbyname",
          "he=%p got '%s' h_errno=%d", (void *)he, got2, h_errno);
}

static void test_files(void) {
    FILE *f = fopen("/etc/resolv.conf", "r");
    char line[256] = "";
    int found = 0;
    while (f && fgets(line, sizeof line, f))
        found |= strncmp(line, "nameserver", 10) == 0;
    check(f && found, "fopen+fgets(/etc/resolv.conf)", "f=%p errno=%s", (void *)f, strerror(errno));
    if (f) fclose(f);

    int fd = open("/etc/hosts", O_RDONLY);
    struct stat st;
    check(fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0,
          "open+fstat(/etc/hosts)", "fd=%d errno=%s", fd, strerror(errno));
    if (fd < 0)
        return;
    char all[4096];
    ssize_t n = read(fd, all, sizeof all);
    check(n == st.st_size, "read(whole virtual file)", "n=%zd size=%lld", n, (long long)st.st_size);
    off_t pos = lseek(fd, 1, SEEK_SET);
    char c;
    check(pos == 1 && read(fd, &c, 1) == 1 && c == all[1], "lseek+read", "pos=%lld", (long long)pos);
    check(pread(fd, &c, 1, 0) == 1 && c == all[0], "pread", "");
    check(lseek(fd, 0, SEEK_END) == st.st_size && read(fd, &c, 1) == 0, "read at EOF", "");
    struct pollfd p = {fd, POLLIN, 0};
    check(poll(&p, 1, 0) == 1 && (p.revents & POLLIN), "poll(virtual fd)", "revents=%d", p.revents);
    check(write(fd, "x", 1) < 0 && errno == EBADF, "write(virtual fd) is EBADF", "errno=%s", strerror(errno));
    check(close(fd) == 0, "close(virtual fd)", "errno=%s", strerror(errno));
    check(read(fd, &c, 1) < 0 && errno == EBADF, "read after close is EBADF", "errno=%s", strerror(errno));
}

static void test_time(void) {
    if (getenv("TZ") == NULL)
        setenv("TZ", "Europe/Paris", 1);
    tzset();
    time_t winter = 1700000000; /* 2023-11-14T22:13:20Z */
    time_t summer = 1690000000; /* 2023-07-22T04:26:40Z */
    struct tm w, s;
    localtime_r(&winter, &w);
    localtime_r(&summer, &s);
    if (strcmp(getenv("TZ"), "Europe/Paris") == 0) {
        check(w.tm_gmtoff == 3600 && strcmp(w.tm_zone, "CET") == 0 && w.tm_hour == 23,
              "localtime(Europe/Paris, winter)", "gmtoff=%ld zone=%s hour=%d",
              (long)w.tm_gmtoff, w.tm_zone, w.tm_hour);
        check(s.tm_gmtoff == 7200 && strcmp(s.tm_zone, "CEST") == 0 && s.tm_isdst == 1,
              "localtime(Europe/Paris, summer)", "gmtoff=%ld zone=%s isdst=%d",
              (long)s.tm_gmtoff, s.tm_zone, s.tm_isdst);
        check(strcmp(tzname[0], "CET") == 0 && strcmp(tzname[1], "CEST") == 0, "tzname",
              "%s/%s", tzname[0], tzname[1]);
    } else {
        printf("note: TZ=%s, zone-specific checks skipped\n", getenv("TZ"));
    }
    struct tm copy = w;
    check(mktime(&copy) == winter, "mktime(localtime(t)) == t", "");
}

static void test_socket(const char *host, const char *port) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    check(s < 0 && errno == EPROTONOSUPPORT, "socket(UDP) is EPROTONOSUPPORT", "s=%d errno=%s", s, strerror(errno));
    s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in web = {0};
    web.sin_family = AF_INET;
    web.sin_port = htons(80);
    inet_pton(AF_INET, "192.0.2.1", &web.sin_addr);
    int rc = connect(s, (struct sockaddr *)&web, sizeof web);
    check(rc < 0 && errno == EACCES, "connect(non-database port) is EACCES", "rc=%d errno=%s", rc, strerror(errno));
    close(s);
    if (host == NULL)
        return;

    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &res);
    check(rc == 0, "getaddrinfo(database host)", "rc=%d (%s)", rc, gai_strerror(rc));
    if (rc != 0)
        return;
    s = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    rc = connect(s, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    check(s >= 0 && rc == 0, "socket+connect(database endpoint)", "s=%d rc=%d errno=%s", s, rc, strerror(errno));
    if (rc != 0)
        return;
    int err = -1;
    socklen_t len = sizeof err;
    check(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0, "getsockopt(SO_ERROR)", "err=%d", err);
    int one = 1;
    check(setsockopt(s, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one) == 0, "setsockopt", "");
    struct sockaddr_storage peer;
    len = sizeof peer;
    check(getpeername(s, (struct sockaddr *)&peer, &len) == 0, "getpeername", "errno=%s", strerror(errno));

    /* Postgres StartupMessage (protocol 3.0, user postgres); expect an 'R' or 'E' reply. */
    static const char startup[] =
        "\0\0\0\x29" "\0\x03\0\0" "user\0postgres\0" "database\0postgres\0" "\0";
    ssize_t n = send(s, startup, 41, 0);
    check(n == 41, "send(startup)", "n=%zd errno=%s", n, strerror(errno));
    char reply[1];
    n = recv(s, reply, 1, 0);
    check(n == 1 && (reply[0] == 'R' || reply[0] == 'E'), "recv(reply)", "n=%zd first=%d", n, n > 0 ? reply[0] : -1);
    check(close(s) == 0, "close(proxied socket)", "errno=%s", strerror(errno));
}

int main(int argc, char **argv) {
    need_args(argc, argv, 2, "NAME ADDR [DBHOST DBPORT]");
    test_dns(argv[1], argv[2]);
    test_files();
    test_time();
    test_socket(argc > 4 ? argv[3] : NULL, argc > 4 ? argv[4] : NULL);
    return summary();
}

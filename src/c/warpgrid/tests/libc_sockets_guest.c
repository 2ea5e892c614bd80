/*
 * Self-checking guest for patches 0008-0010 of the wasi-libc series: what real client
 * libraries (libpq, hiredis) need of a proxied socket beyond connect/send/recv.
 *
 *   0008 non-blocking reads (EAGAIN instead of waiting in the host), poll()/select() readiness
 *        (a zero timeout never waits, a longer one waits for the database), MSG_PEEK,
 *        MSG_WAITALL, send(MSG_NOSIGNAL);
 *   0009 getuid/geteuid, getpwuid/getpwuid_r finding no user;
 *   0010 bind() refused, SO_RCVTIMEO/SO_SNDTIMEO accepted, sockaddr_un.sun_path.
 *
 * Prints "ok <check>" or "FAIL <check>: <details>"; exits 1 when any check fails.
 *
 *   libc_sockets_guest DBHOST DBPORT
 *
 * DBHOST:DBPORT must be an allowed postgres endpoint whose database is "app"; a DBPORT other
 * than 5432 needs WARPGRID_DB_PORTS="<port>=postgres" in the guest environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "selfcheck.h"

/* A PostgreSQL StartupMessage (protocol 3.0) for database "app", and a simple Query. */
static const char STARTUP[] = "\0\0\0\x1f" "\0\x03\0\0" "user\0app\0" "database\0app\0" "\0";
#define STARTUP_LEN 31
static const char SELECT1[] = "Q\0\0\0\x0d" "SELECT 1\0";
#define SELECT1_LEN 14
/* RowDescription(34) + DataRow(12) + CommandComplete(14) + ReadyForQuery(6) for SELECT 1. */
#define SELECT1_REPLY_LEN 66

/* Reads a non-blocking socket until it would block, as libpq's pqReadData does after a long
 * message; returns the byte count, the last byte in *last and the final errno in *err. */
static long drain(int s, char *last, int *err) {
    char buf[256];
    long total = 0;
    for (;;) {
        ssize_t n = recv(s, buf, sizeof buf, 0);
        if (n > 0) {
            total += n;
            *last = buf[n - 1];
            continue;
        }
        *err = n == 0 ? 0 : errno;
        return total;
    }
}

static void test_nonblocking(const char *host, const char *port) {
    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    check(rc == 0, "getaddrinfo(database host)", "rc=%d (%s)", rc, gai_strerror(rc));
    if (rc != 0)
        return;
    int s = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    rc = connect(s, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    check(s >= 0 && rc == 0, "non-blocking connect completes at once", "s=%d rc=%d errno=%s", s, rc,
          strerror(errno));
    if (rc != 0)
        return;

    char c;
    errno = 0;
    ssize_t n = recv(s, &c, 1, 0);
    check(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "recv(O_NONBLOCK, nothing sent) is EAGAIN",
          "n=%zd errno=%s", n, strerror(errno));
    struct pollfd p = {.fd = s, .events = POLLIN};
    rc = poll(&p, 1, 0);
    check(rc == 0 && p.revents == 0, "poll(POLLIN, 0 ms) with nothing pending is 0", "rc=%d revents=%d", rc,
          p.revents);
    p.events = POLLOUT;
    rc = poll(&p, 1, 0);
    check(rc == 1 && (p.revents & POLLOUT), "poll(POLLOUT) is ready", "rc=%d revents=%d", rc, p.revents);

    n = send(s, STARTUP, STARTUP_LEN, MSG_NOSIGNAL);
    check(n == STARTUP_LEN, "send(MSG_NOSIGNAL)", "n=%zd errno=%s", n, strerror(errno));
    p.events = POLLIN;
    p.revents = 0;
    rc = poll(&p, 1, 10000);
    check(rc == 1 && (p.revents & POLLIN), "poll(POLLIN) waits for the reply", "rc=%d revents=%d", rc,
          p.revents);
    n = recv(s, &c, 1, MSG_PEEK);
    char again = 0;
    ssize_t n2 = recv(s, &again, 1, 0);
    check(n == 1 && c == 'R' && n2 == 1 && again == 'R', "recv(MSG_PEEK) leaves the byte to read",
          "n=%zd c=%d n2=%zd again=%d", n, c, n2, again);
    char last = 0;
    int err = 0;
    long got = drain(s, &last, &err);
    /* The startup reply ends with ReadyForQuery('Z', len 5, 'I'): last byte 'I'. */
    check(got > 0 && last == 'I' && (err == EAGAIN || err == EWOULDBLOCK),
          "read until EAGAIN after the whole startup reply", "got=%ld last=%d errno=%s", got, last, strerror(err));

    /* select() sees the query's reply the same way. */
    n = send(s, SELECT1, SELECT1_LEN, 0);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(s, &rd);
    struct timeval tv = {.tv_sec = 10};
    rc = select(s + 1, &rd, NULL, NULL, &tv);
    check(n == SELECT1_LEN && rc == 1 && FD_ISSET(s, &rd), "select() waits for readability", "n=%zd rc=%d", n,
          rc);
    got = drain(s, &last, &err);
    check(got == SELECT1_REPLY_LEN && last == 'I' && (err == EAGAIN || err == EWOULDBLOCK),
          "drain the SELECT 1 reply to EAGAIN", "got=%ld last=%d errno=%s", got, last, strerror(err));

    /* MSG_WAITALL on a blocking descriptor: the whole reply, however the host chunks it. */
    int flags = fcntl(s, F_GETFL);
    check(fcntl(s, F_SETFL, flags & ~O_NONBLOCK) == 0, "fcntl(clear O_NONBLOCK)", "errno=%s", strerror(errno));
    n = send(s, SELECT1, SELECT1_LEN, 0);
    char reply[SELECT1_REPLY_LEN];
    n2 = recv(s, reply, sizeof reply, MSG_WAITALL);
    check(n == SELECT1_LEN && n2 == SELECT1_REPLY_LEN && reply[0] == 'T' && reply[SELECT1_REPLY_LEN - 6] == 'Z',
          "recv(MSG_WAITALL) returns the whole reply", "n2=%zd first=%d", n2, n2 > 0 ? reply[0] : -1);

    /* 0010: options hiredis sets, and bind(). */
    struct timeval timeout = {.tv_sec = 5};
    check(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) == 0 &&
              setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) == 0,
          "setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)", "errno=%s", strerror(errno));
    int other = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in local = {.sin_family = AF_INET};
    rc = bind(other, (struct sockaddr *)&local, sizeof local);
    check(rc < 0 && errno == EADDRNOTAVAIL, "bind(proxied socket) is EADDRNOTAVAIL", "rc=%d errno=%s", rc,
          strerror(errno));
    close(other);
    check(close(s) == 0, "close(proxied socket)", "errno=%s", strerror(errno));
}

static void test_unix_and_users(void) {
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    strncpy(un.sun_path, "/run/redis.sock", sizeof un.sun_path - 1);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    check(s < 0 && errno == EAFNOSUPPORT && un.sun_path[0] == '/', "socket(AF_UNIX) is EAFNOSUPPORT",
          "s=%d errno=%s", s, strerror(errno));

    check(getuid() == 0 && geteuid() == 0 && getgid() == 0 && getegid() == 0, "getuid/geteuid/getgid/getegid",
          "");
    errno = 0;
    check(getpwuid(geteuid()) == NULL && errno == 0, "getpwuid finds no user", "errno=%s", strerror(errno));
    struct passwd pw, *result = &pw;
    char buf[256];
    int rc = getpwuid_r(0, &pw, buf, sizeof buf, &result);
    check(rc == 0 && result == NULL, "getpwuid_r finds no user", "rc=%d", rc);
    check(getpwnam("root") == NULL, "getpwnam finds no user", "");
}

int main(int argc, char **argv) {
    need_args(argc, argv, 2, "DBHOST DBPORT");
    test_nonblocking(argv[1], argv[2]);
    test_unix_and_users();
    return summary();
}

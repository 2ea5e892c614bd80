/*
 * c-postgres-client: a small PostgreSQL client written against plain POSIX
 * sockets (getaddrinfo, socket, connect, send, recv, close) that speaks the
 * v3 wire protocol itself. Under WarpGrid the patched wasi-libc turns the
 * connect() to port 5432 into a warpgrid:shim/database-proxy connection, so
 * the same source runs natively and as a component.
 *
 * Settings (libpq's names): PGHOST (default db.production.warp.local),
 * PGPORT (5432), PGUSER (postgres), PGDATABASE (= PGUSER), PGPASSWORD
 * (cleartext or md5 auth when the server asks; the WarpGrid proxy normally
 * answers authentication itself). The query is argv[1] or a default.
 * Rows are printed as "row N: col=value, ...". Exit status 1 names the
 * failing step.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_QUERY "SELECT 1 + 1 AS two, current_database() AS db, version() AS version"

static int fail(const char *step, const char *detail) {
    fprintf(stderr, "c-postgres-client: %s: %s\n", step, detail);
    return 1;
}

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

/* ---- socket I/O ---- */

static int send_all(int fd, const unsigned char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, buf, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int recv_all(int fd, unsigned char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = recv(fd, buf, len, 0);
        if (n == 0) {
            errno = ECONNRESET;
            return -1;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static uint32_t get32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(unsigned char *p, uint32_t v) {
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

/* A backend message: type byte, then a body of `len` bytes (malloc'd). */
struct message {
    char type;
    uint32_t len;
    unsigned char *body;
};

static int read_message(int fd, struct message *m) {
    unsigned char header[5];
    if (recv_all(fd, header, 5) < 0)
        return -1;
    m->type = (char)header[0];
    uint32_t len = get32(header + 1);
    if (len < 4 || len > (64u << 20)) {
        errno = EPROTO;
        return -1;
    }
    m->len = len - 4;
    m->body = malloc(m->len + 1);
    if (m->body == NULL)
        return -1;
    if (recv_all(fd, m->body, m->len) < 0) {
        free(m->body);
        return -1;
    }
    m->body[m->len] = 0;
    return 0;
}

/* Builds a frontend message: type (0 for the startup message) + body. */
static int send_message(int fd, char type, const unsigned char *body, size_t len) {
    unsigned char *buf = malloc(len + 5);
    if (buf == NULL)
        return -1;
    size_t off = 0;
    if (type)
        buf[off++] = (unsigned char)type;
    put32(buf + off, (uint32_t)(len + 4));
    memcpy(buf + off + 4, body, len);
    int rc = send_all(fd, buf, off + 4 + len);
    free(buf);
    return rc;
}

/* ErrorResponse / NoticeResponse fields: prints severity and message. */
static void print_error_fields(const struct message *m, const char *prefix) {
    const unsigned char *p = m->body;
    const char *severity = "", *text = "";
    while (p < m->body + m->len && *p) {
        char code = (char)*p++;
        const char *value = (const char *)p;
        p += strlen(value) + 1;
        if (code == 'S') severity = value;
        if (code == 'M') text = value;
    }
    fprintf(stderr, "%s: %s %s\n", prefix, severity, text);
}

/* ---- md5 for md5 password auth (RFC 1321, compact) ---- */

static void md5(const unsigned char *msg, size_t len, unsigned char out[16]) {
    static const uint32_t k[64] = {
        0xd76aa478,0xe8c7b756,0x242070db,0xc1bdceee,0xf57c0faf,0x4787c62a,0xa8304613,0xfd469501,
        0x698098d8,0x8b44f7af,0xffff5bb1,0x895cd7be,0x6b901122,0xfd987193,0xa679438e,0x49b40821,
        0xf61e2562,0xc040b340,0x265e5a51,0xe9b6c7aa,0xd62f105d,0x02441453,0xd8a1e681,0xe7d3fbc8,
        0x21e1cde6,0xc33707d6,0xf4d50d87,0x455a14ed,0xa9e3e905,0xfcefa3f8,0x676f02d9,0x8d2a4c8a,
        0xfffa3942,0x8771f681,0x6d9d6122,0xfde5380c,0xa4beea44,0x4bdecfa9,0xf6bb4b60,0xbebfbc70,
        0x289b7ec6,0xeaa127fa,0xd4ef3085,0x04881d05,0xd9d4d039,0xe6db99e5,0x1fa27cf8,0xc4ac5665,
        0xf4292244,0x432aff97,0xab9423a7,0xfc93a039,0x655b59c3,0x8f0ccc92,0xffeff47d,0x85845dd1,
        0x6fa87e4f,0xfe2ce6e0,0xa3014314,0x4e0811a1,0xf7537e82,0xbd3af235,0x2ad7d2bb,0xeb86d391};
    static const unsigned char r[64] = {
        7,12,17,22,7,12,17,22,7,12,17,22,7,12,17,22,5,9,14,20,5,9,14,20,5,9,14,20,5,9,14,20,
        4,11,16,23,4,11,16,23,4,11,16,23,4,11,16,23,6,10,15,21,6,10,15,21,6,10,15,21,6,10,15,21};
    uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    size_t padded = ((len + 8) / 64 + 1) * 64;
    unsigned char *buf = calloc(padded, 1);
    if (buf == NULL)
        abort();
    memcpy(buf, msg, len);
    buf[len] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        buf[padded - 8 + i] = (unsigned char)(bits >> (8 * i));
    for (size_t off = 0; off < padded; off += 64) {
        uint32_t w[16];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)buf[off + 4*i] | (uint32_t)buf[off + 4*i + 1] << 8 |
                   (uint32_t)buf[off + 4*i + 2] << 16 | (uint32_t)buf[off + 4*i + 3] << 24;
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
        for (int i = 0; i < 64; i++) {
            uint32_t f; int g;
            if (i < 16) { f = (b & c) | (~b & d); g = i; }
            else if (i < 32) { f = (d & b) | (~d & c); g = (5*i + 1) % 16; }
            else if (i < 48) { f = b ^ c ^ d; g = (3*i + 5) % 16; }
            else { f = c ^ (b | ~d); g = (7*i) % 16; }
            uint32_t t = d; d = c; c = b;
            uint32_t x = a + f + k[i] + w[g];
            b = b + (x << r[i] | x >> (32 - r[i]));
            a = t;
        }
        h[0] += a; h[1] += b; h[2] += c; h[3] += d;
    }
    free(buf);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            out[4*i + j] = (unsigned char)(h[i] >> (8 * j));
}

static void md5_hex(const unsigned char *msg, size_t len, char out[33]) {
    unsigned char d[16];
    md5(msg, len, d);
    for (int i = 0; i < 16; i++)
        sprintf(out + 2*i, "%02x", d[i]);
}

/* ---- protocol steps ---- */

static int connect_to(const char *host, const char *port) {
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int err = getaddrinfo(host, port, &hints, &res);
    if (err != 0) {
        fprintf(stderr, "c-postgres-client: resolve %s: %s\n", host, gai_strerror(err));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            fprintf(stderr, "c-postgres-client: connect %s:%s: %s\n", host, port, strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

static int startup(int fd, const char *user, const char *database, const char *password) {
    unsigned char body[512];
    size_t off = 0;
    put32(body, 196608); /* protocol 3.0 */
    off = 4;
    const char *params[] = {"user", user, "database", database,
                            "application_name", "warpgrid-c-postgres-client", NULL};
    for (int i = 0; params[i]; i++) {
        size_t n = strlen(params[i]) + 1;
        if (off + n + 1 > sizeof body)
            return fail("startup", "parameters too long");
        memcpy(body + off, params[i], n);
        off += n;
    }
    body[off++] = 0;
    if (send_message(fd, 0, body, off) < 0)
        return fail("send startup", strerror(errno));

    for (;;) {
        struct message m;
        if (read_message(fd, &m) < 0)
            return fail("read startup reply", strerror(errno));
        int rc = 0;
        if (m.type == 'E') {
            print_error_fields(&m, "c-postgres-client: startup error");
            rc = 1;
        } else if (m.type == 'R' && m.len >= 4) {
            uint32_t code = get32(m.body);
            if (code == 3 || code == 5) {
                if (password == NULL) {
                    rc = fail("authentication", "server asks for a password: set PGPASSWORD");
                } else if (code == 3) {
                    rc = send_message(fd, 'p', (const unsigned char *)password, strlen(password) + 1) < 0;
                } else {
                    /* md5(md5(password + user) + salt) */
                    char inner[33], outer[36] = "md5";
                    size_t pl = strlen(password), ul = strlen(user);
                    unsigned char *tmp = malloc(pl + ul + 33);
                    memcpy(tmp, password, pl);
                    memcpy(tmp + pl, user, ul);
                    md5_hex(tmp, pl + ul, inner);
                    memcpy(tmp, inner, 32);
                    memcpy(tmp + 32, m.body + 4, 4);
                    md5_hex(tmp, 36, outer + 3);
                    free(tmp);
                    rc = send_message(fd, 'p', (const unsigned char *)outer, strlen(outer) + 1) < 0;
                }
            } else if (code != 0) {
                char why[64];
                snprintf(why, sizeof why, "unsupported authentication method %u", (unsigned)code);
                rc = fail("authentication", why);
            }
        } else if (m.type == 'Z') {
            free(m.body);
            return 0;
        }
        /* 'S' ParameterStatus, 'K' BackendKeyData, 'N' notices: ignored */
        free(m.body);
        if (rc)
            return 1;
    }
}

static int run_query(int fd, const char *sql) {
    if (send_message(fd, 'Q', (const unsigned char *)sql, strlen(sql) + 1) < 0)
        return fail("send query", strerror(errno));
    char **names = NULL;
    int ncols = 0, rows = 0, failed = 0;
    for (;;) {
        struct message m;
        if (read_message(fd, &m) < 0)
            return fail("read query reply", strerror(errno));
        const unsigned char *p = m.body;
        switch (m.type) {
        case 'T': { /* RowDescription */
            ncols = (p[0] << 8) | p[1];
            p += 2;
            names = calloc((size_t)ncols, sizeof *names);
            for (int i = 0; i < ncols; i++) {
                names[i] = strdup((const char *)p);
                p += strlen((const char *)p) + 1 + 18;
            }
            break;
        }
        case 'D': { /* DataRow */
            int n = (p[0] << 8) | p[1];
            p += 2;
            printf("row %d:", ++rows);
            for (int i = 0; i < n; i++) {
                int32_t len = (int32_t)get32(p);
                p += 4;
                printf("%s %s=", i ? "," : "", names && i < ncols ? names[i] : "?");
                if (len < 0)
                    printf("NULL");
                else
                    printf("%.*s", (int)len, (const char *)p), p += len;
            }
            printf("\n");
            break;
        }
        case 'C':
            printf("command: %s\n", (const char *)m.body);
            break;
        case 'E':
            print_error_fields(&m, "c-postgres-client: query error");
            failed = 1;
            break;
        case 'Z':
            free(m.body);
            for (int i = 0; i < ncols; i++)
                free(names[i]);
            free(names);
            return failed;
        }
        free(m.body);
    }
}

int main(int argc, char **argv) {
    const char *host = env_or("PGHOST", "db.production.warp.local");
    const char *port = env_or("PGPORT", "5432");
    const char *user = env_or("PGUSER", "postgres");
    const char *database = env_or("PGDATABASE", user);
    const char *password = getenv("PGPASSWORD");
    const char *sql = argc > 1 ? argv[1] : DEFAULT_QUERY;

    int fd = connect_to(host, port);
    if (fd < 0)
        return 1;
    printf("connected to %s:%s as %s (database %s)\n", host, port, user, database);
    int failed = startup(fd, user, database, password);
    if (!failed)
        failed = run_query(fd, sql);
    static const unsigned char nothing[1];
    send_message(fd, 'X', nothing, 0); /* Terminate */
    close(fd);
    return failed;
}

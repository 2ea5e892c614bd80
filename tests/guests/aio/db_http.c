/* Test guest for the async host (world warpgrid:shim/http-service): an HTTP handler whose work
 * is a Postgres round trip through warpgrid:shim/database-proxy, so the host can overlap the
 * guests that wait on the database. Endpoint from the environment: WG_DB_HOST, WG_DB_PORT,
 * WG_DB_NAME.
 *   GET  /sleep/<ms>        SELECT pg_sleep(<ms>/1000.0); body "slept <ms>"
 *   POST /sql               body = one SQL statement; body out = first column of each row
 *   POST /sql-then-trap     runs the statement, then traps while holding the connection
 *   GET  /trap              executes `unreachable` before touching the database
 * Errors answer 502 with "<step> error <db-error>" or 500 with the server's error text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#define WG_IMPORT(iface, fn) __attribute__((import_module("warpgrid:shim/" iface "@0.1.0"), import_name(fn)))

typedef struct { uint8_t *ptr; size_t len; } wg_bytes;
typedef struct { char *ptr; size_t len; } wg_string;
typedef struct { wg_string name; wg_string value; } wg_header;
typedef struct { uint16_t status; struct { wg_header *ptr; size_t len; } headers; wg_bytes body; } wg_response;
typedef struct { uint8_t is_err; union { uint64_t ok; uint8_t err; } u; } db_conn_result;
typedef struct { uint8_t is_err; union { uint32_t ok; uint8_t err; } u; } db_u32_result;
typedef struct { uint8_t is_err; union { wg_bytes ok; uint8_t err; } u; } db_bytes_result;

WG_IMPORT("database-proxy", "connect") extern void db_connect(int32_t protocol, const char *host, size_t host_len,
    int32_t port, int32_t db_is_some, const char *db, size_t db_len, int32_t pool_size, db_conn_result *ret);
WG_IMPORT("database-proxy", "send") extern void db_send(uint64_t conn, const uint8_t *data, size_t len, db_u32_result *ret);
WG_IMPORT("database-proxy", "recv") extern void db_recv(uint64_t conn, uint32_t max_bytes, db_bytes_result *ret);
WG_IMPORT("database-proxy", "close") extern void db_close(uint64_t conn);

static const char *const DB_ERRORS[] = {"connection-refused", "timeout", "protocol-error", "pool-exhausted", "closed"};

/* The host allocates returned lists in guest memory through this export (no imports inside). */
__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (new_size == 0) return (void *)align;
  void *p = realloc(old, new_size);
  if (!p) abort();
  return p;
}

static wg_response RESPONSE;
static uint64_t conn;
static uint8_t inbuf[1 << 16];
static size_t have;
static char out[1 << 14];
static size_t out_len;
static char failure[256];

static wg_response *respond(uint16_t status, const char *body, size_t len) {
  RESPONSE.status = status;
  RESPONSE.headers.ptr = malloc(sizeof(wg_header));
  RESPONSE.headers.len = 1;
  RESPONSE.headers.ptr[0].name = (wg_string){strdup("content-type"), 12};
  RESPONSE.headers.ptr[0].value = (wg_string){strdup("text/plain"), 10};
  RESPONSE.body.ptr = malloc(len ? len : 1);
  memcpy(RESPONSE.body.ptr, body, len);
  RESPONSE.body.len = len;
  return &RESPONSE;
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

static int send_all(const uint8_t *p, size_t n) {
  db_u32_result r;
  db_send(conn, p, n, &r);
  if (r.is_err) { snprintf(failure, sizeof failure, "send error %s", DB_ERRORS[r.u.err]); return -1; }
  return 0;
}

static int fill(size_t need) {
  while (have < need) {
    db_bytes_result r;
    db_recv(conn, (uint32_t)(sizeof inbuf - have), &r);
    if (r.is_err) { snprintf(failure, sizeof failure, "recv error %s", DB_ERRORS[r.u.err]); return -1; }
    memcpy(inbuf + have, r.u.ok.ptr, r.u.ok.len);
    have += r.u.ok.len;
    free(r.u.ok.ptr);
  }
  return 0;
}

/* Messages until ReadyForQuery: DataRow first columns go to `out`, an ErrorResponse to `failure`. */
static int until_ready(void) {
  int error = 0;
  for (;;) {
    if (fill(5) < 0) return -1;
    uint32_t len = be32(inbuf + 1);
    if (len + 1 > sizeof inbuf) { snprintf(failure, sizeof failure, "message too large"); return -1; }
    if (fill(1 + len) < 0) return -1;
    uint8_t kind = inbuf[0];
    if (kind == 'D') {
      int32_t clen = (int32_t)be32(inbuf + 7);
      if (clen < 0) clen = 0;
      if (out_len + (size_t)clen + 1 < sizeof out) {
        memcpy(out + out_len, inbuf + 11, (size_t)clen);
        out_len += (size_t)clen;
        out[out_len++] = '\n';
      }
    } else if (kind == 'E') {
      for (uint8_t *f = inbuf + 5; *f; f += strlen((char *)f) + 1)
        if (*f == 'M') snprintf(failure, sizeof failure, "error %s", (char *)f + 1);
      error = 1;
    }
    have -= 1 + len;
    memmove(inbuf, inbuf + 1 + len, have);
    if (kind == 'Z') return error ? -2 : 0;
  }
}

static int query(const char *sql, size_t sql_len) {
  const char *host = getenv("WG_DB_HOST"), *port = getenv("WG_DB_PORT"), *db = getenv("WG_DB_NAME");
  if (!host || !port || !db) { snprintf(failure, sizeof failure, "WG_DB_HOST/WG_DB_PORT/WG_DB_NAME unset"); return -1; }
  db_conn_result c;
  db_connect(0 /* postgres */, host, strlen(host), atoi(port), 1, db, strlen(db), 4, &c);
  if (c.is_err) { snprintf(failure, sizeof failure, "connect error %s", DB_ERRORS[c.u.err]); return -1; }
  conn = c.u.ok;
  have = 0;
  uint8_t msg[512];
  size_t n = 8;
  n += (size_t)snprintf((char *)msg + n, sizeof msg - n, "user%cguest%cdatabase%c%s%c", 0, 0, 0, db, 0);
  msg[n++] = 0;
  put32(msg, (uint32_t)n);
  put32(msg + 4, 196608);
  if (send_all(msg, n) < 0 || until_ready() != 0) return -1;
  uint8_t *q = malloc(5 + sql_len + 1);
  q[0] = 'Q';
  put32(q + 1, (uint32_t)(4 + sql_len + 1));
  memcpy(q + 5, sql, sql_len);
  q[5 + sql_len] = 0;
  int rc = send_all(q, 6 + sql_len);
  free(q);
  if (rc < 0) return -1;
  return until_ready();
}

static void finish(void) {
  const uint8_t terminate[5] = {'X', 0, 0, 0, 4};
  send_all(terminate, 5);
  db_close(conn);
}

static int starts(const char *uri, size_t len, const char *prefix) {
  size_t n = strlen(prefix);
  return len >= n && memcmp(uri, prefix, n) == 0;
}

__attribute__((export_name("warpgrid:shim/http-handler@0.1.0#handle")))
wg_response *wg_handle(char *method, size_t method_len, char *uri, size_t uri_len,
                       wg_header *headers, size_t headers_len, uint8_t *body, size_t body_len) {
  (void)method; (void)method_len; (void)headers; (void)headers_len;
  out_len = 0;
  failure[0] = 0;
  if (starts(uri, uri_len, "/trap")) __builtin_trap();
  int rc;
  if (starts(uri, uri_len, "/sleep/")) {
    char ms[16] = {0}, sql[64];
    size_t n = uri_len - 7 < sizeof ms - 1 ? uri_len - 7 : sizeof ms - 1;
    memcpy(ms, uri + 7, n);
    int len = snprintf(sql, sizeof sql, "SELECT pg_sleep(%d / 1000.0)", atoi(ms));
    rc = query(sql, (size_t)len);
    if (rc == 0) { out_len = (size_t)snprintf(out, sizeof out, "slept %d", atoi(ms)); }
  } else if (starts(uri, uri_len, "/sql")) {
    rc = query((const char *)body, body_len);
    if (starts(uri, uri_len, "/sql-then-trap")) __builtin_trap();
  } else {
    return respond(404, "not found", 9);
  }
  if (rc == -1) return respond(502, failure, strlen(failure));
  finish();
  if (rc == -2) return respond(500, failure, strlen(failure));
  return respond(200, out, out_len);
}

/* Test guest (world warpgrid:shim/cli-service) that speaks the PostgreSQL wire protocol
 * through warpgrid:shim/database-proxy, with hand-written canonical-ABI bindings:
 *   dbproxy_guest <host> <port> <database> <sql> [hold]
 * prints "connect ok", "row <first column>" per DataRow, "status <I|T|E>" and "closed";
 * or "<step> error <db-error>". `hold` leaves the connection open (no Terminate/close),
 * like a guest that dies mid-session. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "warpgrid_abi.h"

#define DB_IMPORT(fn) WG_IMPORT("database-proxy", fn)
static const char *const DB_ERRORS[] = {"connection-refused", "timeout", "protocol-error", "pool-exhausted", "closed"};

/* result<u64, db-error>: discriminant at 0, payload at 8 */
typedef struct { uint8_t is_err; union { uint64_t ok; uint8_t err; } u; } db_conn_result;
/* result<u32, db-error>: payload at 4 */
typedef struct { uint8_t is_err; union { uint32_t ok; uint8_t err; } u; } db_u32_result;
/* result<list<u8>, db-error>: payload at 4 */
typedef struct { uint8_t is_err; union { wg_bytes ok; uint8_t err; } u; } db_bytes_result;

/* connect(db-config{protocol, host, port, database: option<string>, pool-size}) flattened */
DB_IMPORT("connect") extern void db_connect(int32_t protocol, const char *host, size_t host_len, int32_t port,
                                           int32_t db_is_some, const char *db, size_t db_len, int32_t pool_size,
                                           db_conn_result *ret);
DB_IMPORT("send") extern void db_send(uint64_t conn, const uint8_t *data, size_t len, db_u32_result *ret);
DB_IMPORT("recv") extern void db_recv(uint64_t conn, uint32_t max_bytes, db_bytes_result *ret);
DB_IMPORT("close") extern void db_close(uint64_t conn);

static uint64_t conn;
static uint8_t inbuf[1 << 16];
static size_t have;

static int send_all(const uint8_t *p, size_t n) {
  db_u32_result r;
  db_send(conn, p, n, &r);
  if (r.is_err) { printf("send error %s\n", DB_ERRORS[r.u.err]); return -1; }
  return 0;
}

static int fill(size_t need) {
  while (have < need) {
    db_bytes_result r;
    db_recv(conn, (uint32_t)(sizeof inbuf - have), &r);
    if (r.is_err) { printf("recv error %s\n", DB_ERRORS[r.u.err]); return -1; }
    memcpy(inbuf + have, r.u.ok.ptr, r.u.ok.len);
    have += r.u.ok.len;
    free(r.u.ok.ptr);
  }
  return 0;
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

/* Reads messages until ReadyForQuery; prints DataRow first columns and errors. */
static int until_ready(void) {
  for (;;) {
    if (fill(5) < 0) return -1;
    uint32_t len = be32(inbuf + 1);
    if (fill(1 + len) < 0) return -1;
    uint8_t kind = inbuf[0];
    if (kind == 'D') {
      int32_t clen = (int32_t)be32(inbuf + 7);
      if (clen < 0) printf("row NULL\n"); else printf("row %.*s\n", clen, (char *)inbuf + 11);
    } else if (kind == 'E') {
      for (uint8_t *f = inbuf + 5; *f; f += strlen((char *)f) + 1)
        if (*f == 'M') printf("error %s\n", (char *)f + 1);
    } else if (kind == 'Z') {
      printf("status %c\n", inbuf[5]);
      have -= 1 + len;
      memmove(inbuf, inbuf + 1 + len, have);
      return 0;
    }
    have -= 1 + len;
    memmove(inbuf, inbuf + 1 + len, have);
  }
}

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: %s host port database sql [hold]\n", argv[0]); return 2; }
  const char *host = argv[1], *db = argv[3], *sql = argv[4];
  int hold = argc > 5 && strcmp(argv[5], "hold") == 0;
  db_conn_result c;
  db_connect(0 /* postgres */, host, strlen(host), atoi(argv[2]), 1, db, strlen(db), 4, &c);
  if (c.is_err) { printf("connect error %s\n", DB_ERRORS[c.u.err]); return 0; }
  conn = c.u.ok;
  printf("connect ok\n");

  uint8_t msg[512];
  size_t n = 8;
  n += (size_t)sprintf((char *)msg + n, "user%cguest%cdatabase%c%s%c", 0, 0, 0, db, 0);
  msg[n++] = 0;
  put32(msg, (uint32_t)n);
  put32(msg + 4, 196608);
  if (send_all(msg, n) < 0 || until_ready() < 0) return 0;

  size_t qlen = strlen(sql) + 1;
  msg[0] = 'Q';
  put32(msg + 1, (uint32_t)(4 + qlen));
  memcpy(msg + 5, sql, qlen);
  if (send_all(msg, 5 + qlen) < 0 || until_ready() < 0) return 0;
  if (hold) { printf("held\n"); return 0; }

  const uint8_t terminate[5] = {'X', 0, 0, 0, 4};
  if (send_all(terminate, 5) < 0) return 0;
  db_close(conn);
  printf("closed\n");
  return 0;
}

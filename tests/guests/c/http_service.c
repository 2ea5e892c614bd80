/* Test guest (world warpgrid:shim/http-service): exports http-handler#handle.
 *   /trap                 executes `unreachable`
 *   /loop                 never returns (the host's epoch deadline stops it)
 *   /alloc                allocates until the memory limit, then aborts
 *   /signals/register     on-signal for terminate, hangup, interrupt
 *   /signals/poll         drains poll-signal; body: the signals in order, space separated
 *   /threading/<model>    declare-threading-model
 *   anything else         echo: "METHOD URI\n" + request body, headers echoed as x-echo-*
 */
#include <stdio.h>
#include <string.h>
#include "warpgrid_abi.h"

typedef struct { wg_string name; wg_string value; } wg_header;
typedef struct {
  uint16_t status;
  struct { wg_header *ptr; size_t len; } headers;
  wg_bytes body;
} wg_response;

static wg_response RESPONSE;

static wg_string str_copy(const char *s, size_t n) {
  wg_string out = {malloc(n ? n : 1), n};
  memcpy(out.ptr, s, n);
  return out;
}

static wg_response *respond(uint16_t status, const char *body, size_t body_len) {
  RESPONSE.status = status;
  RESPONSE.headers.ptr = malloc(sizeof(wg_header));
  RESPONSE.headers.len = 1;
  RESPONSE.headers.ptr[0].name = str_copy("content-type", 12);
  RESPONSE.headers.ptr[0].value = str_copy("text/plain", 10);
  RESPONSE.body.ptr = malloc(body_len ? body_len : 1);
  memcpy(RESPONSE.body.ptr, body, body_len);
  RESPONSE.body.len = body_len;
  return &RESPONSE;
}

static int starts(const char *uri, size_t len, const char *prefix) {
  size_t n = strlen(prefix);
  return len >= n && memcmp(uri, prefix, n) == 0;
}

/* Allocations are chained through a global so the compiler cannot elide them (LLVM may drop
 * an unused malloc and assume it never fails, turning this into an endless loop). */
static void *volatile HOARD;

static wg_response *alloc_until_oom(void) {
  for (size_t total = 0;; total += 1 << 20) {
    void **p = malloc(1 << 20);
    if (!p) {
      fprintf(stderr, "out of memory after %zu MiB\n", total >> 20);
      abort();
    }
    memset(p, 1, 1 << 20);
    *p = HOARD;
    HOARD = p;
  }
}

static wg_response *poll_all(void) {
  char body[512];
  size_t n = 0;
  for (;;) {
    wg_opt_signal s;
    wg_poll_signal(&s);
    if (!s.is_some) break;
    n += snprintf(body + n, sizeof body - n, "%s%s", n ? " " : "", WG_SIGNAL_NAMES[s.sig]);
  }
  return respond(200, body, n);
}

__attribute__((export_name("warpgrid:shim/http-handler@0.1.0#handle")))
wg_response *wg_handle(char *method, size_t method_len, char *uri, size_t uri_len,
                       wg_header *headers, size_t headers_len, uint8_t *body, size_t body_len) {
  if (starts(uri, uri_len, "/trap")) __builtin_trap();
  if (starts(uri, uri_len, "/loop")) { volatile int spin = 1; while (spin) {} }
  if (starts(uri, uri_len, "/alloc")) return alloc_until_oom();
  if (starts(uri, uri_len, "/signals/register")) {
    for (int i = 0; i < 3; i++) wg_on_signal(i);
    return respond(200, "registered", 10);
  }
  if (starts(uri, uri_len, "/signals/poll")) return poll_all();
  if (starts(uri, uri_len, "/threading/")) {
    const char *model = uri + 11;
    size_t n = uri_len - 11;
    int m = (n == 11 && memcmp(model, "cooperative", 11) == 0) ? 1
          : (n == 17 && memcmp(model, "parallel-required", 17) == 0) ? 2 : 0;
    wg_declare_threading_model(m);
    return respond(200, model, n);
  }
  size_t cap = method_len + uri_len + body_len + 2;
  char *out = malloc(cap);
  size_t n = 0;
  memcpy(out + n, method, method_len); n += method_len;
  out[n++] = ' ';
  memcpy(out + n, uri, uri_len); n += uri_len;
  out[n++] = '\n';
  memcpy(out + n, body, body_len); n += body_len;
  wg_response *r = respond(200, out, n);
  free(out);
  /* echo request headers back as x-echo-<name> */
  r->headers.ptr = realloc(r->headers.ptr, sizeof(wg_header) * (1 + headers_len));
  for (size_t i = 0; i < headers_len; i++) {
    wg_string name = {malloc(headers[i].name.len + 7), headers[i].name.len + 7};
    memcpy(name.ptr, "x-echo-", 7);
    memcpy(name.ptr + 7, headers[i].name.ptr, headers[i].name.len);
    r->headers.ptr[1 + i].name = name;
    r->headers.ptr[1 + i].value = str_copy(headers[i].value.ptr, headers[i].value.len);
  }
  r->headers.len = 1 + headers_len;
  return r;
}

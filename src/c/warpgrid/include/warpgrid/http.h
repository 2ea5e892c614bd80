/*
 * Canonical-ABI glue for the `warpgrid:shim/http-handler@0.1.0` export, written by hand
 * because no wit-bindgen C generator is available here (see docs/domains/01-host-functions.md).
 *
 * A program defines `wg_handle(request, response)`; this header exports `handle`, its
 * post-return (which frees the response) and `cabi_realloc` (which the host uses to copy the
 * request into guest memory). Layouts follow the component model's canonical ABI:
 *   string / list<T>          { ptr: i32, len: i32 }
 *   tuple<string, string>     16 bytes
 *   response record           { status: u16 @0, headers @4, body @12 }, 20 bytes
 */
#ifndef WARPGRID_HTTP_H
#define WARPGRID_HTTP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct wg_bytes { const uint8_t *ptr; size_t len; };
struct wg_str { const char *ptr; size_t len; };
struct wg_header { struct wg_str name; struct wg_str value; };
struct wg_headers { struct wg_header *ptr; size_t len; };

struct wg_request {
    struct wg_str method;
    struct wg_str uri;
    struct wg_headers headers;
    struct wg_bytes body;
};

struct wg_response {
    uint16_t status;
    struct wg_headers headers;
    struct wg_bytes body;
};

_Static_assert(sizeof(struct wg_response) == 20, "canonical ABI layout of response");

void wg_handle(const struct wg_request *req, struct wg_response *res);

static inline int wg_str_eq(struct wg_str s, const char *lit) {
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

static inline struct wg_str wg_str_dup(const char *s) {
    size_t n = strlen(s);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, s, n);
    return (struct wg_str){copy, n};
}

/* Sets status, one Content-Type header and a copy of the body. */
static inline void wg_response_set(struct wg_response *res, uint16_t status,
                                   const char *content_type, const uint8_t *body, size_t len) {
    res->status = status;
    res->headers.ptr = malloc(sizeof(struct wg_header));
    res->headers.len = 1;
    res->headers.ptr[0].name = wg_str_dup("content-type");
    res->headers.ptr[0].value = wg_str_dup(content_type);
    uint8_t *copy = malloc(len ? len : 1);
    if (len) memcpy(copy, body, len);
    res->body = (struct wg_bytes){copy, len};
}

static inline void wg_free_list(void *ptr, size_t len) {
    if (len) free(ptr);
}

/*
 * Outgoing calls to another service of the deployment: `warpgrid:shim/http-client@0.1.0#send`,
 *   send(request: outgoing-request) -> result<incoming-response, string>
 * The request flattens to 8 i32 parameters; the result (24 bytes: u8 discriminant, payload at 4)
 * comes back through a return pointer. The host allocates the response's lists in our memory
 * with cabi_realloc; wg_http_response_free releases them.
 */
struct wg_http_result {
    uint8_t is_err;
    union {
        struct wg_response ok;
        struct wg_str err;
    } val;
};

_Static_assert(sizeof(struct wg_http_result) == 24, "canonical ABI layout of result<incoming-response, string>");

__attribute__((import_module("warpgrid:shim/http-client@0.1.0"), import_name("send")))
extern void wg__http_client_send(const char *method, size_t method_len, const char *url, size_t url_len,
                                 const struct wg_header *headers, size_t headers_len,
                                 const uint8_t *body, size_t body_len, struct wg_http_result *ret);

/* Calls `url` (http://<name>.<namespace>.warp.local/path) with `method`, `headers` and `body`.
 * Returns 0 and fills `response` (the called service's answer, including its 5xx), or -1 and
 * fills `error` with "<code>: <explanation>" (invalid-url, not-found, not-allowed, loop,
 * unavailable). Free either with wg_http_response_free / free(error->ptr). */
static inline int wg_http_send(const char *method, const char *url, const struct wg_header *headers,
                               size_t headers_len, const uint8_t *body, size_t body_len,
                               struct wg_response *response, struct wg_str *error) {
    struct wg_http_result result;
    wg__http_client_send(method, strlen(method), url, strlen(url), headers, headers_len,
                         body, body_len, &result);
    if (result.is_err) {
        *error = result.val.err;
        return -1;
    }
    *response = result.val.ok;
    return 0;
}

static inline void wg_http_response_free(struct wg_response *res) {
    for (size_t i = 0; i < res->headers.len; i++) {
        wg_free_list((void *)res->headers.ptr[i].name.ptr, res->headers.ptr[i].name.len);
        wg_free_list((void *)res->headers.ptr[i].value.ptr, res->headers.ptr[i].value.len);
    }
    wg_free_list(res->headers.ptr, res->headers.len);
    wg_free_list((void *)res->body.ptr, res->body.len);
}

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
    (void)old_size;
    (void)align; /* malloc's alignment (16) covers every canonical-ABI alignment */
    if (new_size == 0) return (void *)align;
    void *out = realloc(ptr, new_size);
    if (!out) abort();
    return out;
}

/*
 * Bodies beyond the record: `warpgrid:shim/http-body@0.1.0` (see wit/shim.wit). The host puts at
 * most WG_INLINE_BODY_BYTES of a request body in the record; the glue reads the rest, so
 * wg_handle always sees the whole body. A response body above that size is written in pieces and
 * returned with an empty record body. Pieces cross as base64 text (a WIT string is one copy for
 * the host, where a list<u8> is one value per byte). A build for a host without the interface
 * (e.g. the wasi:http adapter in benchmarks/) defines WARPGRID_HTTP_INLINE_BODIES_ONLY.
 */
#define WG_INLINE_BODY_BYTES ((size_t)4096)
#define WG_BODY_PIECE_BYTES ((size_t)1 << 20)

#ifndef WARPGRID_HTTP_INLINE_BODIES_ONLY
struct wg_write_result {
    uint8_t is_err;
    struct wg_str err;
};

_Static_assert(sizeof(struct wg_write_result) == 12, "canonical ABI layout of result<_, string>");

__attribute__((import_module("warpgrid:shim/http-body@0.1.0"), import_name("read-request-body")))
extern void wg__read_request_body(uint64_t offset, uint32_t max_bytes, struct wg_str *ret);

__attribute__((import_module("warpgrid:shim/http-body@0.1.0"), import_name("write-response-body")))
extern void wg__write_response_body(const char *piece, size_t len, struct wg_write_result *ret);

static const char wg_base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 4648 base64 with padding; `out` holds 4 * ceil(len / 3) bytes. */
static size_t wg_base64_encode(const uint8_t *in, size_t len, char *out) {
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = wg_base64_alphabet[v >> 18];
        out[o++] = wg_base64_alphabet[(v >> 12) & 63];
        out[o++] = wg_base64_alphabet[(v >> 6) & 63];
        out[o++] = wg_base64_alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = wg_base64_alphabet[v >> 18];
        out[o++] = wg_base64_alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? wg_base64_alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    return o;
}

/* Decodes the host's padded base64 (whole 4-character groups) into `out` (3 * len / 4 bytes at
 * most); returns the length. */
static size_t wg_base64_decode(const char *in, size_t len, uint8_t *out) {
    static int8_t value[256];
    if (!value['B']) {
        memset(value, -1, sizeof value);
        for (int k = 0; k < 64; k++) value[(uint8_t)wg_base64_alphabet[k]] = (int8_t)k;
        value['='] = 0;
    }
    if (len % 4) abort(); /* the host sends padded RFC 4648 base64 only */
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int8_t a = value[(uint8_t)in[i]], b = value[(uint8_t)in[i + 1]];
        int8_t c = value[(uint8_t)in[i + 2]], d = value[(uint8_t)in[i + 3]];
        if ((a | b | c | d) < 0) abort();
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
        out[o++] = (uint8_t)(v >> 16);
        if (in[i + 2] != '=') out[o++] = (uint8_t)(v >> 8);
        if (in[i + 3] != '=') out[o++] = (uint8_t)v;
    }
    return o;
}

/* Takes ownership of the inline `body` and returns the whole request body. */
static struct wg_bytes wg_read_whole_body(const uint8_t *body, size_t len) {
    if (len != WG_INLINE_BODY_BYTES) return (struct wg_bytes){body, len};
    size_t cap = len + WG_BODY_PIECE_BYTES;
    uint8_t *whole = realloc((void *)body, cap);
    if (!whole) abort();
    for (;;) {
        struct wg_str piece;
        wg__read_request_body(len, (uint32_t)WG_BODY_PIECE_BYTES, &piece);
        if (piece.len == 0) break;
        if (len + piece.len / 4 * 3 > cap) {
            cap = 2 * (len + piece.len / 4 * 3);
            whole = realloc(whole, cap);
            if (!whole) abort();
        }
        len += wg_base64_decode(piece.ptr, piece.len, whole + len);
        free((void *)piece.ptr);
    }
    return (struct wg_bytes){whole, len};
}

/* Sends a response body above WG_INLINE_BODY_BYTES through the host and empties the record's.
 * A refusal (over [http] max_body_bytes) needs no handling here: the host answers 502. */
static void wg_write_large_body(struct wg_response *res) {
    if (res->body.len <= WG_INLINE_BODY_BYTES) return;
    size_t most = res->body.len < WG_BODY_PIECE_BYTES ? res->body.len : WG_BODY_PIECE_BYTES;
    char *text = malloc((most + 2) / 3 * 4);
    if (!text) abort();
    for (size_t off = 0; off < res->body.len; off += WG_BODY_PIECE_BYTES) {
        size_t n = res->body.len - off < WG_BODY_PIECE_BYTES ? res->body.len - off : WG_BODY_PIECE_BYTES;
        struct wg_write_result result;
        wg__write_response_body(text, wg_base64_encode(res->body.ptr + off, n, text), &result);
        if (result.is_err) {
            wg_free_list((void *)result.err.ptr, result.err.len);
            break;
        }
    }
    free(text);
    free((void *)res->body.ptr);
    res->body = (struct wg_bytes){NULL, 0};
}
#else
static struct wg_bytes wg_read_whole_body(const uint8_t *body, size_t len) { return (struct wg_bytes){body, len}; }
static void wg_write_large_body(struct wg_response *res) { (void)res; }
#endif

static struct wg_response wg_response_slot;

__attribute__((export_name("warpgrid:shim/http-handler@0.1.0#handle")))
struct wg_response *wg_export_handle(const char *method, size_t method_len, const char *uri,
                                     size_t uri_len, struct wg_header *headers, size_t headers_len,
                                     const uint8_t *body, size_t body_len) {
    struct wg_bytes whole = wg_read_whole_body(body, body_len);
    body = whole.ptr;
    body_len = whole.len;
    struct wg_request req = {
        {method, method_len}, {uri, uri_len}, {headers, headers_len}, {body, body_len}};
    memset(&wg_response_slot, 0, sizeof wg_response_slot);
    wg_handle(&req, &wg_response_slot);
    wg_write_large_body(&wg_response_slot);
    /* The request was copied in with cabi_realloc and is ours to free (an empty list's pointer
     * is only its alignment, never an allocation). */
    for (size_t i = 0; i < headers_len; i++) {
        wg_free_list((void *)headers[i].name.ptr, headers[i].name.len);
        wg_free_list((void *)headers[i].value.ptr, headers[i].value.len);
    }
    wg_free_list(headers, headers_len);
    wg_free_list((void *)method, method_len);
    wg_free_list((void *)uri, uri_len);
    wg_free_list((void *)body, body_len);
    return &wg_response_slot;
}

__attribute__((export_name("cabi_post_warpgrid:shim/http-handler@0.1.0#handle")))
void wg_export_handle_post_return(struct wg_response *res) {
    for (size_t i = 0; i < res->headers.len; i++) {
        free((void *)res->headers.ptr[i].name.ptr);
        free((void *)res->headers.ptr[i].value.ptr);
    }
    free(res->headers.ptr);
    free((void *)res->body.ptr);
}

#endif

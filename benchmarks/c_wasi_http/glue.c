/*
 * test-apps/c-http-hello's handler served through `wasi:http/incoming-handler` (for
 * `wasmtime serve`), so benchmarks/side_by_side.py compares hosts, not programs.
 *
 * main.c is included unchanged (one translation unit, so <warpgrid/http.h>'s definitions exist
 * once); this file turns the wasi:http request into the arguments of `wg_export_handle` (the
 * function the WarpGrid host calls through the canonical ABI; it takes malloc'ed copies and frees
 * them), then writes the `wg_response` it returns as the wasi:http response and frees it with
 * `wg_export_handle_post_return`, as the host's post-return does. The wasi:http side uses the
 * bindings wit-bindgen generates (`proxy.h`).
 */
/* wasmtime serve offers no warpgrid:shim/http-body: bodies stay in the records. */
#define WARPGRID_HTTP_INLINE_BODIES_ONLY
#include "main.c" /* test-apps/c-http-hello/main.c, on the include path */

#include "proxy.h"

static char *copy_bytes(const void *src, size_t len) {
    char *out = malloc(len ? len : 1);
    if (len) memcpy(out, src, len);
    return out;
}

static const char *method_name(const wasi_http_types_method_t *m, size_t *len) {
    static const char *names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    if (m->tag == WASI_HTTP_TYPES_METHOD_OTHER) {
        *len = m->val.other.len;
        return (const char *)m->val.other.ptr;
    }
    *len = strlen(names[m->tag]);
    return names[m->tag];
}

/* The whole request body (empty when there is none). */
static uint8_t *read_body(wasi_http_types_borrow_incoming_request_t req, size_t *len) {
    *len = 0;
    uint8_t *buf = NULL;
    wasi_http_types_own_incoming_body_t body;
    if (!wasi_http_types_method_incoming_request_consume(req, &body)) return NULL;
    wasi_http_types_own_input_stream_t stream;
    if (wasi_http_types_method_incoming_body_stream(wasi_http_types_borrow_incoming_body(body), &stream)) {
        for (;;) {
            proxy_list_u8_t chunk;
            wasi_io_streams_stream_error_t err;
            if (!wasi_io_streams_method_input_stream_blocking_read(wasi_io_streams_borrow_input_stream(stream), 65536,
                                                                   &chunk, &err)) {
                if (err.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
                    wasi_io_error_error_drop_own(err.val.last_operation_failed);
                break; /* closed: the body is complete */
            }
            buf = realloc(buf, *len + chunk.len + 1);
            memcpy(buf + *len, chunk.ptr, chunk.len);
            *len += chunk.len;
            proxy_list_u8_free(&chunk);
        }
        wasi_io_streams_input_stream_drop_own(stream);
    }
    wasi_http_types_incoming_body_drop_own(body);
    return buf;
}

void exports_wasi_http_incoming_handler_handle(exports_wasi_http_incoming_handler_own_incoming_request_t request,
                                               exports_wasi_http_incoming_handler_own_response_outparam_t response_out) {
    wasi_http_types_borrow_incoming_request_t req = wasi_http_types_borrow_incoming_request(request);

    wasi_http_types_method_t method;
    wasi_http_types_method_incoming_request_method(req, &method);
    size_t method_len;
    const char *method_ptr = method_name(&method, &method_len);
    char *method_copy = copy_bytes(method_ptr, method_len);
    wasi_http_types_method_free(&method);

    proxy_string_t path;
    if (!wasi_http_types_method_incoming_request_path_with_query(req, &path)) {
        path.ptr = (uint8_t *)copy_bytes("/", 1);
        path.len = 1;
    }

    wasi_http_types_own_headers_t fields = wasi_http_types_method_incoming_request_headers(req);
    wasi_http_types_list_tuple2_field_name_field_value_t entries;
    wasi_http_types_method_fields_entries(wasi_http_types_borrow_fields(fields), &entries);
    struct wg_header *headers = malloc((entries.len ? entries.len : 1) * sizeof *headers);
    for (size_t i = 0; i < entries.len; i++) {
        headers[i].name = (struct wg_str){copy_bytes(entries.ptr[i].f0.ptr, entries.ptr[i].f0.len), entries.ptr[i].f0.len};
        headers[i].value = (struct wg_str){copy_bytes(entries.ptr[i].f1.ptr, entries.ptr[i].f1.len), entries.ptr[i].f1.len};
    }
    size_t headers_len = entries.len;
    wasi_http_types_list_tuple2_field_name_field_value_free(&entries);
    wasi_http_types_fields_drop_own(fields);

    size_t body_len;
    uint8_t *body = read_body(req, &body_len);
    wasi_http_types_incoming_request_drop_own(request);

    /* wg_export_handle frees what it is given, as after the host's cabi_realloc copies. */
    struct wg_response *res = wg_export_handle(method_copy, method_len, (const char *)path.ptr, path.len, headers,
                                               headers_len, body, body_len);

    wasi_http_types_own_fields_t out_headers = wasi_http_types_constructor_fields();
    for (size_t i = 0; i < res->headers.len; i++) {
        wasi_http_types_field_name_t name = {(uint8_t *)res->headers.ptr[i].name.ptr, res->headers.ptr[i].name.len};
        wasi_http_types_field_value_t value = {(uint8_t *)res->headers.ptr[i].value.ptr, res->headers.ptr[i].value.len};
        wasi_http_types_header_error_t herr;
        wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(out_headers), &name, &value, &herr);
    }
    wasi_http_types_own_outgoing_response_t response = wasi_http_types_constructor_outgoing_response(out_headers);
    wasi_http_types_method_outgoing_response_set_status_code(wasi_http_types_borrow_outgoing_response(response),
                                                             res->status);
    wasi_http_types_own_outgoing_body_t out_body;
    wasi_http_types_method_outgoing_response_body(wasi_http_types_borrow_outgoing_response(response), &out_body);

    wasi_http_types_result_own_outgoing_response_error_code_t result = {.is_err = false, .val.ok = response};
    wasi_http_types_static_response_outparam_set(response_out, &result);

    wasi_http_types_own_output_stream_t stream;
    if (wasi_http_types_method_outgoing_body_write(wasi_http_types_borrow_outgoing_body(out_body), &stream)) {
        /* blocking-write-and-flush takes at most 4096 bytes per call. */
        for (size_t off = 0; off < res->body.len;) {
            size_t n = res->body.len - off < 4096 ? res->body.len - off : 4096;
            proxy_list_u8_t chunk = {(uint8_t *)res->body.ptr + off, n};
            wasi_io_streams_stream_error_t err;
            if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(
                    wasi_io_streams_borrow_output_stream(stream), &chunk, &err)) {
                if (err.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
                    wasi_io_error_error_drop_own(err.val.last_operation_failed);
                break;
            }
            off += n;
        }
        wasi_io_streams_output_stream_drop_own(stream);
    }
    wasi_http_types_error_code_t ferr;
    wasi_http_types_static_outgoing_body_finish(out_body, NULL, &ferr);
    wg_export_handle_post_return(res);
}

/* Test guest for deployments (world warpgrid:shim/http-service), written against the C SDK
 * (<warpgrid/http.h>): it calls other services through warpgrid:shim/http-client.
 *   /relay/<host>/<path>   sends the request's method and body to http://<host>/<path>;
 *                          answers 200 "status=<callee status>\n<callee body>" followed by
 *                          "\n--headers--\n" and the callee's headers ("name: value" lines), or 502
 *                          "error: <the host's error string>" when the call cannot be made
 *   /hello                 "hello from relay\n"
 */
#include <stdio.h>
#include <warpgrid/http.h>

static void text(struct wg_response *res, uint16_t status, const char *s, size_t n) {
    wg_response_set(res, status, "text/plain", (const uint8_t *)s, n);
}

void wg_handle(const struct wg_request *req, struct wg_response *res) {
    const char *prefix = "/relay/";
    size_t plen = strlen(prefix);
    if (req->uri.len < plen || memcmp(req->uri.ptr, prefix, plen) != 0) {
        const char *hello = "hello from relay\n";
        text(res, 200, hello, strlen(hello));
        return;
    }
    /* url = "http://" + uri[plen..] */
    size_t rest = req->uri.len - plen;
    char *url = malloc(rest + 8);
    memcpy(url, "http://", 7);
    memcpy(url + 7, req->uri.ptr + plen, rest);
    url[rest + 7] = 0;
    char *method = malloc(req->method.len + 1);
    memcpy(method, req->method.ptr, req->method.len);
    method[req->method.len] = 0;

    struct wg_response callee;
    struct wg_str error;
    if (wg_http_send(method, url, NULL, 0, req->body.ptr, req->body.len, &callee, &error) != 0) {
        char *msg = malloc(error.len + 8);
        memcpy(msg, "error: ", 7);
        memcpy(msg + 7, error.ptr, error.len);
        text(res, 502, msg, error.len + 7);
        free(msg);
        wg_free_list((void *)error.ptr, error.len);
    } else {
        char head[32];
        int n = snprintf(head, sizeof head, "status=%u\n", callee.status);
        size_t size = n + callee.body.len + 16;
        for (size_t i = 0; i < callee.headers.len; i++)
            size += callee.headers.ptr[i].name.len + callee.headers.ptr[i].value.len + 3;
        char *out = malloc(size), *at = out;
        memcpy(at, head, n), at += n;
        memcpy(at, callee.body.ptr, callee.body.len), at += callee.body.len;
        memcpy(at, "\n--headers--\n", 13), at += 13;
        for (size_t i = 0; i < callee.headers.len; i++) {
            const struct wg_header *h = &callee.headers.ptr[i];
            memcpy(at, h->name.ptr, h->name.len), at += h->name.len;
            memcpy(at, ": ", 2), at += 2;
            memcpy(at, h->value.ptr, h->value.len), at += h->value.len;
            *at++ = '\n';
        }
        text(res, 200, out, at - out);
        free(out);
        wg_http_response_free(&callee);
    }
    free(url);
    free(method);
}

/*
 * c-http-hello: a small HTTP service in plain C, served by the WarpGrid HTTP trigger.
 *
 * It exports `warpgrid:shim/http-handler@0.1.0#handle` through the hand-written canonical-ABI
 * glue in <warpgrid/http.h> (src/c/warpgrid/include, on every c_component's include path) and answers:
 *   GET /        an HTML page that shows what the host gives a C program (time, env, files)
 *   GET /health  "ok"
 *   POST /echo   the request body, unchanged
 *   anything else 404
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <warpgrid/http.h>

static void page(struct wg_response *res, const struct wg_request *req) {
    char when[64];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));

    char resolv[512] = "(unavailable)";
    FILE *f = fopen("/etc/resolv.conf", "r");
    if (f) {
        size_t n = fread(resolv, 1, sizeof resolv - 1, f);
        resolv[n] = '\0';
        fclose(f);
    }
    const char *greeting = getenv("GREETING");
    char *body = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&body, &len);
    fprintf(out,
            "<!doctype html>\n<html><head><title>WarpGrid</title></head><body>\n"
            "<h1>%s</h1>\n<p>A C component served by the WarpGrid shim host.</p>\n"
            "<ul><li>method: %.*s</li><li>path: %.*s</li><li>time: %s</li></ul>\n"
            "<h2>/etc/resolv.conf</h2><pre>%s</pre>\n</body></html>\n",
            greeting ? greeting : "Hello from WarpGrid", (int)req->method.len, req->method.ptr,
            (int)req->uri.len, req->uri.ptr, when, resolv);
    fclose(out);
    wg_response_set(res, 200, "text/html; charset=utf-8", (const uint8_t *)body, len);
    free(body);
}

void wg_handle(const struct wg_request *req, struct wg_response *res) {
    if (wg_str_eq(req->uri, "/") && wg_str_eq(req->method, "GET")) {
        page(res, req);
    } else if (wg_str_eq(req->uri, "/health")) {
        wg_response_set(res, 200, "text/plain", (const uint8_t *)"ok\n", 3);
    } else if (wg_str_eq(req->uri, "/echo") && wg_str_eq(req->method, "POST")) {
        wg_response_set(res, 200, "application/octet-stream", req->body.ptr, req->body.len);
    } else {
        wg_response_set(res, 404, "text/plain", (const uint8_t *)"not found\n", 10);
    }
}

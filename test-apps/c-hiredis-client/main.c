/* A C service that uses hiredis, the Redis C client, built for wasm32-wasi from the pinned
 * Debian source against WarpGrid's wasi-libc: redisConnect's getaddrinfo/socket/connect/poll
 * and its read/write reach Redis through the patched libc and the host's database proxy (the
 * host holds the password and logs in). No RESP code of its own.
 *
 * REDIS_HOST (default cache.production.warp.local) and REDIS_PORT (default 6379; another port
 * also needs WARPGRID_DB_PORTS="<port>=redis" for the libc) say where to connect.
 * It prints one "ok <check>" line per step and exits non-zero on the first failure. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static redisContext *ctx;

static void fail(const char *step, const char *why) {
    printf("FAIL %s: %s\n", step, why);
    if (ctx)
        redisFree(ctx);
    exit(1);
}

static redisReply *expect(const char *step, redisReply *r, int type) {
    if (r == NULL)
        fail(step, ctx->errstr);
    if (r->type != type)
        fail(step, r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply type");
    return r;
}

int main(void) {
    const char *host = getenv("REDIS_HOST") ? getenv("REDIS_HOST") : "cache.production.warp.local";
    int port = getenv("REDIS_PORT") ? atoi(getenv("REDIS_PORT")) : 6379;
    ctx = redisConnect(host, port);
    if (ctx == NULL)
        fail("connect", "out of memory");
    if (ctx->err)
        fail("connect", ctx->errstr);
    printf("ok connect: %s:%d\n", host, port);

    redisReply *r = expect("SET", redisCommand(ctx, "SET %s %s", "greeting", "hello from hiredis in wasm"),
                           REDIS_REPLY_STATUS);
    printf("ok SET: %s\n", r->str);
    freeReplyObject(r);

    r = expect("GET", redisCommand(ctx, "GET %s", "greeting"), REDIS_REPLY_STRING);
    if (strcmp(r->str, "hello from hiredis in wasm") != 0)
        fail("GET", r->str);
    printf("ok GET: %s\n", r->str);
    freeReplyObject(r);

    freeReplyObject(redisCommand(ctx, "DEL %s", "visits"));
    long long last = 0;
    for (int i = 0; i < 3; i++) {
        r = expect("INCR", redisCommand(ctx, "INCR %s", "visits"), REDIS_REPLY_INTEGER);
        last = r->integer;
        freeReplyObject(r);
    }
    if (last != 3)
        fail("INCR", "counter is not 3");
    printf("ok INCR: %lld\n", last);

    /* A binary-safe value: %b sends the bytes with their length. */
    const char blob[] = {'a', 0, 'b', '\n', 'c'};
    freeReplyObject(expect("SET binary", redisCommand(ctx, "SET %s %b", "blob", blob, sizeof blob),
                           REDIS_REPLY_STATUS));
    r = expect("GET binary", redisCommand(ctx, "GET %s", "blob"), REDIS_REPLY_STRING);
    if (r->len != sizeof blob || memcmp(r->str, blob, sizeof blob) != 0)
        fail("GET binary", "value differs");
    printf("ok binary value: %zu bytes\n", (size_t)r->len);
    freeReplyObject(r);

    /* A pipeline: 100 commands written at once, then 100 replies read back in order. */
    enum { N = 100 };
    freeReplyObject(redisCommand(ctx, "DEL %s", "queue"));
    for (int i = 0; i < N; i++)
        redisAppendCommand(ctx, "RPUSH %s item-%d", "queue", i);
    redisAppendCommand(ctx, "LRANGE %s %d %d", "queue", 0, -1);
    for (int i = 0; i < N; i++) {
        void *reply;
        if (redisGetReply(ctx, &reply) != REDIS_OK)
            fail("pipeline", ctx->errstr);
        r = expect("pipeline RPUSH", reply, REDIS_REPLY_INTEGER);
        if (r->integer != i + 1)
            fail("pipeline", "RPUSH replies out of order");
        freeReplyObject(r);
    }
    void *reply;
    if (redisGetReply(ctx, &reply) != REDIS_OK)
        fail("pipeline", ctx->errstr);
    r = expect("pipeline LRANGE", reply, REDIS_REPLY_ARRAY);
    if (r->elements != N || strcmp(r->element[N - 1]->str, "item-99") != 0)
        fail("pipeline", "LRANGE does not hold the 100 items");
    printf("ok pipeline: %d RPUSH + LRANGE of %zu items\n", N, (size_t)r->elements);
    freeReplyObject(r);

    /* A server-side error comes back as an error reply, and the connection stays usable. */
    r = expect("error reply", redisCommand(ctx, "INCR %s", "greeting"), REDIS_REPLY_ERROR);
    printf("ok error reply: %s\n", r->str);
    freeReplyObject(r);
    r = expect("after error", redisCommand(ctx, "PING"), REDIS_REPLY_STATUS);
    freeReplyObject(r);

    redisFree(ctx);
    printf("PASSED\n");
    return 0;
}

/*
 * The reporting every self-checking guest shares: one line per check, "ok <check>"
 * or "FAIL <check>: <detail>", then a summary line; the exit status is 1 when any
 * check failed (tests/python/warpgrid/test_libc_patches.py reads both).
 */
#ifndef WARPGRID_TESTS_SELFCHECK_H
#define WARPGRID_TESTS_SELFCHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int failures;

static void check(int ok, const char *name, const char *fmt, ...) {
    if (ok) {
        printf("ok %s\n", name);
        return;
    }
    failures++;
    printf("FAIL %s: ", name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* Exits with status 2 and a usage line unless the guest got `wanted` arguments. */
static void need_args(int argc, char **argv, int wanted, const char *usage) {
    if (argc < wanted + 1) {
        fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        exit(2);
    }
}

/* The summary line; returns the exit status for main. */
static int summary(void) {
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
    return failures != 0;
}

#endif

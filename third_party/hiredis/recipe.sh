# hiredis 0.14.1 (Debian's hiredis source package): libhiredis as upstream's Makefile builds it
# (OBJ=net.o hiredis.o sds.o async.o read.o alloc.o), headers under hiredis/ as the Debian
# libhiredis-dev package installs them. -std=c11 instead of upstream's -std=c99: this wasi-libc's
# socket headers align with `_Alignas(max_align_t)`, and clang's <stddef.h> declares max_align_t
# only from C11 on (hiredis is C99 code, which C11 compiles unchanged).
LIBNAME=hiredis
CFLAGS="-std=c11 -Wall -W -Wstrict-prototypes -Wwrite-strings"
SOURCES="net.c hiredis.c sds.c async.c read.c alloc.c"
HEADERS="hiredis.h:hiredis/hiredis.h read.h:hiredis/read.h sds.h:hiredis/sds.h alloc.h:hiredis/alloc.h async.h:hiredis/async.h"

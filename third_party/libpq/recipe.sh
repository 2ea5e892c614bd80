# libpq from PostgreSQL 15 (pin `postgresql`, Debian bookworm's source package) for wasm32-wasi,
# read by pants-plugins/warpgrid_pants/toolchains/scripts/build_c_library.sh.
#
# configure runs as a cross build (it only compiles and links test programs) to write
# pg_config.h; the overlay supplies pg_config_paths.h, which PostgreSQL's make would write from
# the install prefix. WASI has no Unix-domain sockets (sockaddr_un is only declared), so
# configure is told so and libpq never defaults to a socket directory. --with-system-tzdata
# spares configure looking for a host `zic` (time zones are the server's business, not libpq's).
LIBNAME=pq
CONFIGURE_ARGS="--with-template=linux --without-readline --without-zlib --without-icu --without-openssl --without-ldap --without-gssapi --without-llvm --disable-spinlocks --disable-thread-safety --with-system-tzdata=/usr/share/zoneinfo ac_cv_type_struct_sockaddr_un=no"

# As src/interfaces/libpq/Makefile compiles; _WASI_EMULATED_SIGNAL only makes <signal.h>
# usable (SIG* constants); nothing calls signal() once patch 0002 drops SIGPIPE handling.
CFLAGS="-D_GNU_SOURCE -D_WASI_EMULATED_SIGNAL -DFRONTEND -DUNSAFE_STAT_OK -Isrc/interfaces/libpq -Isrc/include -Isrc/port"

# libpq's OBJS (src/interfaces/libpq/Makefile) without fe-print.c (PQprint: terminal and pager
# handling through termios and SIGPIPE) and legacy-pqsignal.c (the exported pqsignal() for old
# programs: sigaction), which WASI cannot provide; no SSL/GSSAPI files (built without them).
LIBPQ="fe-auth-scram fe-auth fe-connect fe-exec fe-lobj fe-misc fe-protocol3 fe-secure fe-trace libpq-events pqexpbuffer"
# The members of libpgcommon_shlib / libpgport_shlib that libpq reaches (found with
# `wasm-ld --trace` on a client linked against all of them).
COMMON="base64 cryptohash encnames hmac ip link-canary md5 md5_common saslprep scram-common sha1 sha2 string unicode_norm wchar"
PORT="chklocale getpeereid inet_net_ntop noblock pg_strong_random pgstrcasecmp snprintf strerror thread timingsafe_bcmp"
SOURCES="$(for f in $LIBPQ; do printf 'src/interfaces/libpq/%s.c ' "$f"; done)$(for f in $COMMON; do printf 'src/common/%s.c ' "$f"; done)$(for f in $PORT; do printf 'src/port/%s.c ' "$f"; done)"

# What libpq-dev installs for clients of libpq-fe.h.
HEADERS="src/interfaces/libpq/libpq-fe.h src/interfaces/libpq/libpq-events.h src/include/postgres_ext.h src/include/pg_config_ext.h"

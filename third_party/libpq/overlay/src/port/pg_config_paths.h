/* WarpGrid: install paths for libpq built for wasm32-wasi (PostgreSQL's make writes this file
 * from its configure prefix; a WASI guest has no PostgreSQL installation, so these only name
 * where libpq looks for pg_service.conf (SYSCONFDIR, overridable with PGSYSCONFDIR) and
 * locale data; none of them is opened unless the program asks for it). */
#define PGBINDIR "/usr/lib/postgresql/15/bin"
#define PGSHAREDIR "/usr/share/postgresql/15"
#define SYSCONFDIR "/etc/postgresql-common"
#define INCLUDEDIR "/usr/include/postgresql"
#define PKGINCLUDEDIR "/usr/include/postgresql"
#define INCLUDEDIRSERVER "/usr/include/postgresql/15/server"
#define LIBDIR "/usr/lib"
#define PKGLIBDIR "/usr/lib/postgresql/15/lib"
#define LOCALEDIR "/usr/share/locale"
#define DOCDIR "/usr/share/doc/postgresql"
#define HTMLDIR "/usr/share/doc/postgresql"
#define MANDIR "/usr/share/man"

/* Test guest built against stock wasi-libc with no WarpGrid imports: it sees the host's
 * virtual files only through the read-only preopens. Prints the size and first line of each
 * path given (default: /etc/resolv.conf and Europe/Paris). */
#include <stdio.h>
#include <string.h>

static int show(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { printf("%s: cannot open\n", path); return 1; }
  static char buf[65536];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  size_t line = 0;
  while (line < n && line < 60 && buf[line] != '\n') line++;
  for (size_t i = 0; i < line; i++) if ((unsigned char)buf[i] < 32 || (unsigned char)buf[i] > 126) buf[i] = '.';
  printf("%s: %zu bytes: %.*s\n", path, n, (int)line, buf);
  return 0;
}

int main(int argc, char **argv) {
  int failed = 0;
  if (argc < 2) {
    failed |= show("/etc/resolv.conf");
    failed |= show("/usr/share/zoneinfo/Europe/Paris");
  }
  for (int i = 1; i < argc; i++) failed |= show(argv[i]);
  return failed;
}

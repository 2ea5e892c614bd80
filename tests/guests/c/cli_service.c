/* Test guest (world warpgrid:shim/cli-service): runs the shim commands given as arguments
 * and prints one line per result, e.g. `dns api.prod.warp.local read /etc/hosts`.
 * A plain `main`: c_component links it as a reactor and generates the wasi:cli/run export. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "warpgrid_abi.h"

static int sig_index(const char *name) {
  for (int i = 0; i < 3; i++) if (strcmp(name, WG_SIGNAL_NAMES[i]) == 0) return i;
  return -1;
}

static void cmd_dns(const char *name) {
  wg_dns_result r;
  wg_dns_resolve(name, strlen(name), &r);
  if (r.is_err) { printf("dns %s error %s\n", name, WG_DNS_ERRORS[r.u.err]); return; }
  printf("dns %s", name);
  for (size_t i = 0; i < r.u.ok.len; i++) {
    wg_ip *ip = &r.u.ok.ptr[i];
    if (ip->is_v6) {
      printf(" v6:");
      for (size_t j = 0; j < ip->octets.len; j++) printf("%02x", ip->octets.ptr[j]);
    } else {
      printf(" %u.%u.%u.%u", ip->octets.ptr[0], ip->octets.ptr[1], ip->octets.ptr[2], ip->octets.ptr[3]);
    }
  }
  printf("\n");
}

static void cmd_read(const char *path) {
  wg_opt_bytes r;
  wg_fs_read_virtual(path, strlen(path), &r);
  if (!r.is_some) { printf("read %s none\n", path); return; }
  printf("read %s %zu bytes:", path, r.val.len);
  size_t shown = r.val.len < 24 ? r.val.len : 24;
  for (size_t i = 0; i < shown; i++) printf(" %02x", r.val.ptr[i]);
  printf("\n");
}

static int cmd_wait_signal(void) {
  /* Registers for all three signals, then polls until one arrives. */
  for (int i = 0; i < 3; i++) wg_on_signal(i);
  printf("waiting for signals\n");
  fflush(stdout);
  struct timespec ts = {0, 10 * 1000 * 1000};
  for (;;) {
    wg_opt_signal s;
    wg_poll_signal(&s);
    if (s.is_some) { printf("got %s\n", WG_SIGNAL_NAMES[s.sig]); return 0; }
    nanosleep(&ts, NULL);
  }
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *cmd = argv[i];
    const char *arg = i + 1 < argc ? argv[i + 1] : "";
    if (strcmp(cmd, "dns") == 0) { cmd_dns(arg); i++; }
    else if (strcmp(cmd, "read") == 0) { cmd_read(arg); i++; }
    else if (strcmp(cmd, "is-virtual") == 0) { printf("is-virtual %s %d\n", arg, wg_fs_is_virtual(arg, strlen(arg))); i++; }
    else if (strcmp(cmd, "list") == 0) {
      wg_string_list l;
      wg_fs_list_virtual_paths(&l);
      for (size_t j = 0; j < l.len; j++) printf("list %.*s\n", (int)l.ptr[j].len, l.ptr[j].ptr);
    }
    else if (strcmp(cmd, "on-signal") == 0) { printf("on-signal %s %d\n", arg, wg_on_signal(sig_index(arg))); i++; }
    else if (strcmp(cmd, "poll-signal") == 0) {
      wg_opt_signal s;
      wg_poll_signal(&s);
      printf("poll-signal %s\n", s.is_some ? WG_SIGNAL_NAMES[s.sig] : "none");
    }
    else if (strcmp(cmd, "wait-signal") == 0) { if (cmd_wait_signal() != 0) return 1; }
    else if (strcmp(cmd, "threading") == 0) {
      int model = strcmp(arg, "cooperative") == 0 ? 1 : strcmp(arg, "parallel-required") == 0 ? 2 : 0;
      wg_declare_threading_model(model);
      printf("threading %s\n", arg);
      i++;
    }
    else if (strcmp(cmd, "exit") == 0) { fflush(stdout); exit(atoi(arg)); }
    else { fprintf(stderr, "unknown command %s\n", cmd); return 2; }
  }
  return 0;
}

/* Hand-written canonical-ABI bindings for the warpgrid:shim@0.1.0 imports used by the test
 * guests (no wit-bindgen C generator is available here). Layouts follow the component model
 * canonical ABI for wasm32: see wit/shim.wit for the source types. */
#ifndef WARPGRID_ABI_H
#define WARPGRID_ABI_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define WG_IMPORT(iface, fn) __attribute__((import_module("warpgrid:shim/" iface "@0.1.0"), import_name(fn)))

typedef struct { uint8_t *ptr; size_t len; } wg_bytes;
typedef struct { char *ptr; size_t len; } wg_string;

/* dns: result<list<ip-address>, dns-error>; ip-address = {octets: list<u8>, is-v6: bool} */
typedef struct { wg_bytes octets; uint8_t is_v6; } wg_ip;
typedef struct { uint8_t is_err; union { struct { wg_ip *ptr; size_t len; } ok; uint8_t err; } u; } wg_dns_result;
WG_IMPORT("dns", "resolve") extern void wg_dns_resolve(const char *name, size_t len, wg_dns_result *ret);

/* filesystem */
typedef struct { uint8_t is_some; wg_bytes val; } wg_opt_bytes;
WG_IMPORT("filesystem", "read-virtual") extern void wg_fs_read_virtual(const char *p, size_t n, wg_opt_bytes *ret);
WG_IMPORT("filesystem", "is-virtual") extern int32_t wg_fs_is_virtual(const char *p, size_t n);
typedef struct { wg_string *ptr; size_t len; } wg_string_list;
WG_IMPORT("filesystem", "list-virtual-paths") extern void wg_fs_list_virtual_paths(wg_string_list *ret);

/* signals: signal-type enum terminate=0 hangup=1 interrupt=2 */
WG_IMPORT("signals", "on-signal") extern int32_t wg_on_signal(int32_t sig);
typedef struct { uint8_t is_some; uint8_t sig; } wg_opt_signal;
WG_IMPORT("signals", "poll-signal") extern void wg_poll_signal(wg_opt_signal *ret);

/* threading: single-threaded=0 cooperative=1 parallel-required=2 */
WG_IMPORT("threading", "declare-threading-model") extern void wg_declare_threading_model(int32_t model);

static const char *const WG_SIGNAL_NAMES[] = {"terminate", "hangup", "interrupt"};
static const char *const WG_DNS_ERRORS[] = {"not-found", "timeout", "internal"};

/* The host allocates returned lists in guest memory through this export. It must not call
 * any import (the canonical ABI forbids leaving the instance during realloc). */
__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (new_size == 0) return (void *)align;
  void *p = realloc(old, new_size);
  if (!p) abort();
  return p;
}
#endif

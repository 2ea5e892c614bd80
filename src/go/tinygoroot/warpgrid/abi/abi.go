// Package abi is WarpGrid's canonical-ABI glue for TinyGo guests: the `cabi_realloc` export the
// component host uses to copy lists and strings into guest memory, and helpers to read and
// write canonical-ABI values (strings and lists as {ptr: i32, len: i32}).
//
// Why pinning: memory handed out by cabi_realloc is referenced only from host-written integers
// until Go code copies it, so the GC cannot see it. Every such block stays in `pinned` until the
// code that received it calls Release (after copying what it needs).
package abi

import "unsafe"

var pinned []unsafe.Pointer

// cabiRealloc is exported with TinyGo's //export (not //go:wasmexport) on purpose: the host calls
// it while lowering an import's result or an export's arguments, in the middle of a goroutine,
// where the goroutine wrapper of //go:wasmexport would re-enter the scheduler.
//
//export cabi_realloc
func cabiRealloc(ptr unsafe.Pointer, oldSize, align, newSize uintptr) unsafe.Pointer {
	if newSize == 0 {
		return unsafe.Pointer(align) // an empty list's pointer is only its alignment
	}
	// []uint64 blocks are 8-byte aligned (the widest canonical-ABI alignment) and hold no
	// Go pointers, so the GC neither scans nor moves them.
	block := make([]uint64, (newSize+7)/8)
	p := unsafe.Pointer(&block[0])
	if ptr != nil && oldSize > 0 {
		n := oldSize
		if newSize < n {
			n = newSize
		}
		copy(unsafe.Slice((*byte)(p), n), unsafe.Slice((*byte)(ptr), n))
	}
	pinned = append(pinned, p)
	return p
}

// Release lets the GC reclaim every block cabi_realloc handed out so far.
func Release() {
	for i := range pinned {
		pinned[i] = nil
	}
	pinned = pinned[:0]
}

// Bytes copies the canonical-ABI list<u8> at (ptr, n) into a new Go slice.
func Bytes(ptr, n uint32) []byte {
	if n == 0 {
		return nil
	}
	out := make([]byte, n)
	copy(out, unsafe.Slice((*byte)(unsafe.Pointer(uintptr(ptr))), n))
	return out
}

// String copies the canonical-ABI string at (ptr, n).
func String(ptr, n uint32) string {
	if n == 0 {
		return ""
	}
	return string(unsafe.Slice((*byte)(unsafe.Pointer(uintptr(ptr))), n))
}

// U32 reads a little-endian u32 at addr.
func U32(addr uintptr) uint32 { return *(*uint32)(unsafe.Pointer(addr)) }

// U64 reads a little-endian u64 at addr.
func U64(addr uintptr) uint64 { return *(*uint64)(unsafe.Pointer(addr)) }

// U8 reads a byte at addr.
func U8(addr uintptr) uint8 { return *(*uint8)(unsafe.Pointer(addr)) }

// StringPtr returns the (ptr, len) of s for passing to an import; the caller keeps s alive.
func StringPtr(s string) (uint32, uint32) {
	if len(s) == 0 {
		return 1, 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.StringData(s)))), uint32(len(s))
}

// BytesPtr returns the (ptr, len) of b for passing to an import; the caller keeps b alive.
func BytesPtr(b []byte) (uint32, uint32) {
	if len(b) == 0 {
		return 1, 0
	}
	return uint32(uintptr(unsafe.Pointer(&b[0]))), uint32(len(b))
}

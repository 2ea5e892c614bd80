// Package shim calls the warpgrid:shim@0.1.0 imports of the WarpGrid host from TinyGo guests,
// lowering and lifting canonical-ABI values by hand (no wit-bindgen for TinyGo is reachable).
package shim

import (
	"errors"
	"unsafe"
	"warpgrid/abi"
)

//go:wasmimport warpgrid:shim/dns@0.1.0 resolve
func dnsResolve(namePtr, nameLen uint32, ret unsafe.Pointer)

// Address is one resolved address: 4 bytes (IPv4) or 16 bytes (IPv6), network order.
type Address struct {
	Octets []byte
	IsV6   bool
}

// DNS errors, named as in the WIT enum dns-error.
var (
	ErrNotFound = errors.New("warpgrid dns: not found")
	ErrTimeout  = errors.New("warpgrid dns: timeout")
	ErrInternal = errors.New("warpgrid dns: internal error")
)

// Resolve asks the host's resolver (service registry, hosts overrides, system DNS) for name.
func Resolve(name string) ([]Address, error) {
	var ret [3]uint32 // result<list<ip-address>, dns-error>: disc @0, payload @4
	p, n := abi.StringPtr(name)
	dnsResolve(p, n, unsafe.Pointer(&ret[0]))
	defer abi.Release()
	base := uintptr(unsafe.Pointer(&ret[0]))
	if abi.U8(base) != 0 {
		switch abi.U8(base + 4) {
		case 0:
			return nil, ErrNotFound
		case 1:
			return nil, ErrTimeout
		default:
			return nil, ErrInternal
		}
	}
	list, count := uintptr(ret[1]), ret[2]
	out := make([]Address, 0, count)
	for i := uint32(0); i < count; i++ {
		rec := list + uintptr(i)*12 // record ip-address { octets: list<u8>, is-v6: bool }: 12 bytes
		out = append(out, Address{
			Octets: abi.Bytes(abi.U32(rec), abi.U32(rec+4)),
			IsV6:   abi.U8(rec+8) != 0,
		})
	}
	return out, nil
}

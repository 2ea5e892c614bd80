package shim

import (
	"errors"
	"unsafe"
	"warpgrid/abi"
)

// Protocol is the WIT enum database-proxy.protocol.
type Protocol uint32

const (
	Postgres Protocol = 0
	MySQL    Protocol = 1
	Redis    Protocol = 2
)

// DB errors, named as in the WIT enum db-error.
var (
	ErrConnectionRefused = errors.New("warpgrid database-proxy: connection refused")
	ErrDBTimeout         = errors.New("warpgrid database-proxy: timeout")
	ErrProtocol          = errors.New("warpgrid database-proxy: protocol error")
	ErrPoolExhausted     = errors.New("warpgrid database-proxy: pool exhausted")
	ErrClosed            = errors.New("warpgrid database-proxy: connection closed")
)

func dbError(code uint8) error {
	switch code {
	case 0:
		return ErrConnectionRefused
	case 1:
		return ErrDBTimeout
	case 2:
		return ErrProtocol
	case 3:
		return ErrPoolExhausted
	default:
		return ErrClosed
	}
}

//go:wasmimport warpgrid:shim/database-proxy@0.1.0 connect
func dbConnect(protocol, hostPtr, hostLen, port, dbSome, dbPtr, dbLen, poolSize uint32, ret unsafe.Pointer)

//go:wasmimport warpgrid:shim/database-proxy@0.1.0 send
func dbSend(conn uint64, dataPtr, dataLen uint32, ret unsafe.Pointer)

//go:wasmimport warpgrid:shim/database-proxy@0.1.0 recv
func dbRecv(conn uint64, maxBytes uint32, ret unsafe.Pointer)

//go:wasmimport warpgrid:shim/database-proxy@0.1.0 close
func dbClose(conn uint64)

// Connect opens a pooled host connection to host:port speaking protocol.
func Connect(protocol Protocol, host string, port uint16, poolSize uint32) (uint64, error) {
	var ret [2]uint64 // result<u64, db-error>: disc @0, payload @8
	hp, hn := abi.StringPtr(host)
	dbConnect(uint32(protocol), hp, hn, uint32(port), 0, 0, 0, poolSize, unsafe.Pointer(&ret[0]))
	base := uintptr(unsafe.Pointer(&ret[0]))
	if abi.U8(base) != 0 {
		return 0, dbError(abi.U8(base + 8))
	}
	return ret[1], nil
}

// Send hands data to the host; it returns how many bytes were accepted.
func Send(conn uint64, data []byte) (int, error) {
	var ret [2]uint32 // result<u32, db-error>: disc @0, payload @4
	p, n := abi.BytesPtr(data)
	dbSend(conn, p, n, unsafe.Pointer(&ret[0]))
	base := uintptr(unsafe.Pointer(&ret[0]))
	if abi.U8(base) != 0 {
		return 0, dbError(abi.U8(base + 4))
	}
	return int(ret[1]), nil
}

// Recv copies at most len(buf) received bytes into buf, blocking until at least one arrives.
func Recv(conn uint64, buf []byte) (int, error) {
	var ret [3]uint32 // result<list<u8>, db-error>: disc @0, list @4/@8 or error @4
	dbRecv(conn, uint32(len(buf)), unsafe.Pointer(&ret[0]))
	defer abi.Release()
	base := uintptr(unsafe.Pointer(&ret[0]))
	if abi.U8(base) != 0 {
		return 0, dbError(abi.U8(base + 4))
	}
	n := ret[2]
	if n == 0 {
		return 0, nil
	}
	return copy(buf, unsafe.Slice((*byte)(unsafe.Pointer(uintptr(ret[1]))), n)), nil
}

// Close returns the connection to the host's pool.
func Close(conn uint64) { dbClose(conn) }

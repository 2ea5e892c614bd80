package shim

import (
	"runtime"
	"unsafe"
	"warpgrid/abi"
)

// Bodies larger than one WIT record carries (warpgrid:shim/http-body, see wit/shim.wit). The
// Python host can only call a component through wasmtime's C API, which lifts a list<u8> byte by
// byte against a fixed per-call budget (one list above ~2.6 MiB traps), so the host puts at most
// the first InlineBodyBytes of a request body in the record; the rest, like a response body
// above that size, crosses in pieces of at most that size.

//go:wasmimport warpgrid:shim/http-body@0.1.0 read-request-body
func httpBodyRead(offset uint64, maxBytes uint32, ret unsafe.Pointer)

//go:wasmimport warpgrid:shim/http-body@0.1.0 write-response-body
func httpBodyWrite(piecePtr, pieceLen uint32, ret unsafe.Pointer)

// InlineBodyBytes is the most body bytes one record or one call carries (1 MiB).
const InlineBodyBytes = 1 << 20

// WholeRequestBody returns the whole request body: inline plus what the host holds beyond it.
// It releases abi's pinned blocks, so call it after the request record is copied.
func WholeRequestBody(inline []byte) []byte {
	body := inline
	if len(body) != InlineBodyBytes {
		return body
	}
	for {
		var ret [2]uint32 // list<u8>: {ptr, len}
		httpBodyRead(uint64(len(body)), InlineBodyBytes, unsafe.Pointer(&ret))
		piece := abi.Bytes(ret[0], ret[1])
		abi.Release()
		if len(piece) == 0 {
			return body
		}
		body = append(body, piece...)
	}
}

// SendResponseBody sends a response body above InlineBodyBytes to the host in pieces and
// returns what stays in the record (nil then; body itself when it fits). A refusal (over the
// host's max_body_bytes) ends the sending: the host answers 502 for this response.
func SendResponseBody(body []byte) []byte {
	if len(body) <= InlineBodyBytes {
		return body
	}
	for off := 0; off < len(body); off += InlineBodyBytes {
		piece := body[off:min(off+InlineBodyBytes, len(body))]
		var ret [3]uint32 // result<_, string>: discriminant @0, error string @4
		ptr, n := abi.BytesPtr(piece)
		httpBodyWrite(ptr, n, unsafe.Pointer(&ret))
		runtime.KeepAlive(piece)
		abi.Release() // the error string, if any
		if uint8(ret[0]) != 0 {
			break
		}
	}
	return nil
}

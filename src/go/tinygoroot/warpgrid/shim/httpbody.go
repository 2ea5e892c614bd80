package shim

import (
	"encoding/base64"
	"runtime"
	"slices"
	"unsafe"
	"warpgrid/abi"
)

// Bodies beyond the record (warpgrid:shim/http-body, see wit/shim.wit). The Python host can only
// call a component through wasmtime's C API, which lifts a list<u8> as one value per byte (and
// traps above ~2.6 MiB in one call), while a string is one copy. So the host puts at most the
// first InlineBodyBytes of a request body in the record, and the rest, like a response body
// above that size, crosses as base64 pieces of at most PieceBytes decoded.

//go:wasmimport warpgrid:shim/http-body@0.1.0 read-request-body
func httpBodyRead(offset uint64, maxBytes uint32, ret unsafe.Pointer)

//go:wasmimport warpgrid:shim/http-body@0.1.0 write-response-body
func httpBodyWrite(piecePtr, pieceLen uint32, ret unsafe.Pointer)

const (
	// InlineBodyBytes is the most body bytes the http-handler records carry (4 KiB).
	InlineBodyBytes = 4 << 10
	// PieceBytes is the most body bytes one http-body call carries (1 MiB).
	PieceBytes = 1 << 20
)

// WholeRequestBody returns the whole request body: inline plus what the host holds beyond it.
// It releases abi's pinned blocks, so call it after the request record is copied.
func WholeRequestBody(inline []byte) []byte {
	body := inline
	if len(body) != InlineBodyBytes {
		return body
	}
	for {
		var ret [2]uint32 // string: {ptr, len}
		httpBodyRead(uint64(len(body)), PieceBytes, unsafe.Pointer(&ret))
		text := unsafe.Slice((*byte)(unsafe.Pointer(uintptr(ret[0]))), ret[1])
		start, most := len(body), base64.StdEncoding.DecodedLen(len(text))
		body = slices.Grow(body, most)[:start+most]
		n, err := base64.StdEncoding.Decode(body[start:], text)
		abi.Release()
		if err != nil {
			panic("warpgrid http-body: the host sent a piece that is not base64: " + err.Error())
		}
		body = body[:start+n]
		if n == 0 {
			return body
		}
	}
}

// SendResponseBody sends a response body above InlineBodyBytes to the host in pieces and
// returns what stays in the record (nil then; body itself when it fits). A refusal (over the
// host's max_body_bytes) ends the sending: the host answers 502 for this response.
func SendResponseBody(body []byte) []byte {
	if len(body) <= InlineBodyBytes {
		return body
	}
	text := make([]byte, base64.StdEncoding.EncodedLen(min(len(body), PieceBytes)))
	for off := 0; off < len(body); off += PieceBytes {
		piece := body[off:min(off+PieceBytes, len(body))]
		n := base64.StdEncoding.EncodedLen(len(piece))
		base64.StdEncoding.Encode(text, piece)
		var ret [3]uint32 // result<_, string>: discriminant @0, error string @4
		ptr, _ := abi.BytesPtr(text[:n])
		httpBodyWrite(ptr, uint32(n), unsafe.Pointer(&ret))
		runtime.KeepAlive(text)
		abi.Release() // the error string, if any
		if uint8(ret[0]) != 0 {
			break
		}
	}
	return nil
}

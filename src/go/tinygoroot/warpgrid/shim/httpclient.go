package shim

import (
	"runtime"
	"strings"
	"unsafe"
	"warpgrid/abi"
)

//go:wasmimport warpgrid:shim/http-client@0.1.0 send
func httpClientSend(methodPtr, methodLen, urlPtr, urlLen, headersPtr, headersLen, bodyPtr, bodyLen uint32, ret unsafe.Pointer)

// Header is one request or response header.
type Header struct {
	Name, Value string
}

// HTTPResponse is another service's answer (its 500 when it trapped, 504 past its deadline).
type HTTPResponse struct {
	Status  int
	Headers []Header
	Body    []byte
}

// CallError is the host's refusal: "<code>: <explanation>" (invalid-url, not-found,
// not-allowed, loop, unavailable).
type CallError struct {
	Message string
}

func (e *CallError) Error() string { return "warpgrid http-client: " + e.Message }

// Code is the first word of the host's message, e.g. "not-allowed".
func (e *CallError) Code() string {
	code, _, _ := strings.Cut(e.Message, ":")
	return code
}

// SendHTTP calls another service of the deployment by its registry name
// (http://<name>.<namespace>.warp.local/path) through warpgrid:shim/http-client.
func SendHTTP(method, url string, headers []Header, body []byte) (*HTTPResponse, error) {
	// result<incoming-response, string>: disc u8 @0, payload @4; response {status u16 @4,
	// headers list @8, body list @16}, error string @4: 24 bytes.
	var ret [6]uint32
	mp, ml := abi.StringPtr(method)
	up, ul := abi.StringPtr(url)
	flat := make([]uint32, 0, 4*len(headers)) // tuple<string, string>: 16 bytes each
	for _, h := range headers {
		np, nl := abi.StringPtr(h.Name)
		vp, vl := abi.StringPtr(h.Value)
		flat = append(flat, np, nl, vp, vl)
	}
	hp := uint32(4) // an empty list's pointer is only its alignment
	if len(flat) > 0 {
		hp = uint32(uintptr(unsafe.Pointer(&flat[0])))
	}
	bp := uint32(1)
	if len(body) > 0 {
		bp = uint32(uintptr(unsafe.Pointer(&body[0])))
	}
	httpClientSend(mp, ml, up, ul, hp, uint32(len(headers)), bp, uint32(len(body)), unsafe.Pointer(&ret[0]))
	runtime.KeepAlive(method)
	runtime.KeepAlive(url)
	runtime.KeepAlive(headers)
	runtime.KeepAlive(flat)
	runtime.KeepAlive(body)
	defer abi.Release()
	base := uintptr(unsafe.Pointer(&ret[0]))
	if abi.U8(base) != 0 {
		return nil, &CallError{Message: abi.String(abi.U32(base+4), abi.U32(base+8))}
	}
	out := &HTTPResponse{Status: int(*(*uint16)(unsafe.Pointer(base + 4)))}
	list, count := uintptr(abi.U32(base+8)), abi.U32(base+12)
	out.Headers = make([]Header, 0, count)
	for i := uint32(0); i < count; i++ {
		rec := list + uintptr(i)*16
		out.Headers = append(out.Headers, Header{
			Name:  abi.String(abi.U32(rec), abi.U32(rec+4)),
			Value: abi.String(abi.U32(rec+8), abi.U32(rec+12)),
		})
	}
	out.Body = abi.Bytes(abi.U32(base+16), abi.U32(base+20))
	return out, nil
}

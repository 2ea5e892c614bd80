package http

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"unsafe"
	"warpgrid/abi"
	"warpgrid/shim"
)

// How a request reaches a handler:
//  1. the host lowers the request record into guest memory (cabi_realloc, package warpgrid/abi)
//     and calls the export below;
//  2. on the instance's first request, main.main runs in a goroutine until it calls
//     ListenAndServe, which records the handler and parks that goroutine for good;
//  3. the handler runs on the export's goroutine (so it may block on channels, timers, other
//     goroutines), and the response record is returned in canonical-ABI layout; its memory is
//     kept alive until the host calls the post-return export.

//go:linkname userMain main.main
func userMain()

var (
	served    Handler       // set by ListenAndServe
	ready     chan struct{} // closed when main reached ListenAndServe or returned
	mainEnded bool
	started   bool
)

func serveTrigger(srv *Server) error {
	h := srv.Handler
	if h == nil {
		h = DefaultServeMux
	}
	served = h
	if ready != nil {
		close(ready)
	}
	select {} // serve until the instance ends: requests arrive through the export
}

func startMain() {
	started = true
	ready = make(chan struct{})
	go func() {
		defer func() {
			if served == nil {
				mainEnded = true
				close(ready)
			}
		}()
		userMain()
	}()
	<-ready
}

// responseRecord is the canonical-ABI layout of http-handler.response (20 bytes).
type responseRecord struct {
	status     uint16
	_          uint16
	headersPtr uint32
	headersLen uint32
	bodyPtr    uint32
	bodyLen    uint32
}

var (
	retArea  responseRecord
	keepBody []byte
	keepHdrs []uint32
	keepStrs []string
)

//go:wasmexport warpgrid:shim/http-handler@0.1.0#handle
func exportHandle(methodPtr, methodLen, uriPtr, uriLen, headersPtr, headersLen, bodyPtr, bodyLen uint32) uint32 {
	method := abi.String(methodPtr, methodLen)
	uri := abi.String(uriPtr, uriLen)
	header := make(Header, headersLen)
	for i := uint32(0); i < headersLen; i++ {
		rec := uintptr(headersPtr) + uintptr(i)*16 // tuple<string, string>: 16 bytes
		name := abi.String(abi.U32(rec), abi.U32(rec+4))
		value := abi.String(abi.U32(rec+8), abi.U32(rec+12))
		header.Add(name, value)
	}
	body := abi.Bytes(bodyPtr, bodyLen)
	abi.Release() // everything is copied: the request blocks may go
	body = shim.WholeRequestBody(body)

	status, respHeader, respBody := serveOne(method, uri, header, body)
	writeResponse(status, respHeader, shim.SendResponseBody(respBody))
	return uint32(uintptr(unsafe.Pointer(&retArea)))
}

//go:wasmexport cabi_post_warpgrid:shim/http-handler@0.1.0#handle
func exportHandlePostReturn(ret uint32) {
	keepBody, keepHdrs, keepStrs = nil, nil, nil
}

func serveOne(method, uri string, header Header, body []byte) (int, Header, []byte) {
	if !started {
		startMain()
	}
	w := &responseWriter{header: make(Header)}
	if served == nil {
		msg := "WarpGrid: main() returned without calling http.ListenAndServe, so no handler is registered"
		if mainEnded {
			os.Stderr.WriteString(msg + "\n")
		}
		Error(w, msg, StatusInternalServerError)
		return w.finish()
	}
	r, err := newIncomingRequest(method, uri, header, body)
	if err != nil {
		Error(w, "bad request: "+err.Error(), StatusBadRequest)
		return w.finish()
	}
	func() {
		defer func() {
			if v := recover(); v != nil {
				os.Stderr.WriteString("http: panic serving " + method + " " + uri + "\n")
				if !w.wroteHeader {
					w.header = make(Header)
					w.buf.Reset()
					Error(w, StatusText(StatusInternalServerError), StatusInternalServerError)
				}
			}
		}()
		served.ServeHTTP(w, r)
	}()
	return w.finish()
}

func newIncomingRequest(method, uri string, header Header, body []byte) (*Request, error) {
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, err
	}
	host := header.Get("Host")
	u.Host = host
	r := &Request{
		Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: header, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		Host: host, RequestURI: uri, RemoteAddr: header.Get("X-Forwarded-For"),
		ctx: context.WithValue(context.Background(), ServerContextKey, (*Server)(nil)),
	}
	if len(body) == 0 {
		r.Body = NoBody
	}
	if cl := header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil {
			r.ContentLength = n
		}
	}
	return r, nil
}

// responseWriter buffers the whole response: the trigger returns it as one record.
type responseWriter struct {
	header      Header
	status      int
	wroteHeader bool
	buf         bytes.Buffer
}

func (w *responseWriter) Header() Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		panic("invalid WriteHeader code " + strconv.Itoa(code))
	}
	w.wroteHeader = true
	w.status = code
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(StatusOK)
	}
	return w.buf.Write(b)
}

func (w *responseWriter) WriteString(s string) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(StatusOK)
	}
	return w.buf.WriteString(s)
}

// Flush is a no-op: the response is returned whole.
func (w *responseWriter) Flush() {}

func (w *responseWriter) finish() (int, Header, []byte) {
	if !w.wroteHeader {
		w.WriteHeader(StatusOK)
	}
	body := w.buf.Bytes()
	if w.header.Get("Content-Type") == "" && len(body) > 0 && w.header.Get("Transfer-Encoding") == "" {
		w.header.Set("Content-Type", DetectContentType(body))
	}
	return w.status, w.header, body
}

func writeResponse(status int, header Header, body []byte) {
	var strs []string
	var words []uint32
	names := make([]string, 0, len(header))
	for name := range header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		lname := strings.ToLower(name)
		for _, v := range header[name] {
			strs = append(strs, lname, v)
			np, nl := abi.StringPtr(lname)
			vp, vl := abi.StringPtr(v)
			words = append(words, np, nl, vp, vl)
		}
	}
	keepStrs, keepHdrs, keepBody = strs, words, body
	retArea = responseRecord{status: uint16(status)}
	if len(words) > 0 {
		retArea.headersPtr = uint32(uintptr(unsafe.Pointer(&words[0])))
		retArea.headersLen = uint32(len(words) / 4)
	} else {
		retArea.headersPtr = 4
	}
	retArea.bodyPtr, retArea.bodyLen = abi.BytesPtr(body)
}

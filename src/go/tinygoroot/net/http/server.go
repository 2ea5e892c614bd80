package http

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"path"
	"strings"
	"time"
)

// A Handler responds to an HTTP request.
type Handler interface {
	ServeHTTP(ResponseWriter, *Request)
}

// HandlerFunc lets an ordinary function be a Handler.
type HandlerFunc func(ResponseWriter, *Request)

// ServeHTTP calls f(w, r).
func (f HandlerFunc) ServeHTTP(w ResponseWriter, r *Request) { f(w, r) }

// A ResponseWriter is used by a handler to construct the HTTP response.
type ResponseWriter interface {
	Header() Header
	Write([]byte) (int, error)
	WriteHeader(statusCode int)
}

// Flusher is implemented by ResponseWriters that can flush (a no-op here: responses are whole).
type Flusher interface{ Flush() }

// ErrServerClosed is returned by ListenAndServe after Shutdown or Close.
var ErrServerClosed = errors.New("http: Server closed")

// ErrAbortHandler is a sentinel panic value to abort a handler.
var ErrAbortHandler = errors.New("net/http: abort Handler")

// ErrHandlerTimeout, ErrBodyNotAllowed: as in the standard library.
var (
	ErrHandlerTimeout = errors.New("http: Handler timeout")
	ErrBodyNotAllowed = errors.New("http: request method or response status code does not allow body")
)

// Context keys of the standard library; WarpGrid sets ServerContextKey.
type contextKey struct{ name string }

var (
	ServerContextKey    = &contextKey{"http-server"}
	LocalAddrContextKey = &contextKey{"local-addr"}
)

// A Server defines parameters for running an HTTP server; under WarpGrid only Handler matters.
type Server struct {
	Addr              string
	Handler           Handler
	ReadTimeout       time.Duration
	ReadHeaderTimeout time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	ErrorLog          interface{ Printf(string, ...any) }
	BaseContext       func(net.Listener) context.Context
}

// ListenAndServe registers the server's handler with the WarpGrid HTTP trigger and serves
// requests until the instance ends; it does not return while serving.
func (srv *Server) ListenAndServe() error { return serveTrigger(srv) }

// ListenAndServeTLS is ListenAndServe: TLS ends at the WarpGrid host.
func (srv *Server) ListenAndServeTLS(certFile, keyFile string) error { return serveTrigger(srv) }

// Serve is ListenAndServe (the listener is not used: requests come from the trigger).
func (srv *Server) Serve(l net.Listener) error { return serveTrigger(srv) }

// Shutdown and Close have nothing to stop: the host owns the listener.
func (srv *Server) Shutdown(ctx context.Context) error { return nil }
func (srv *Server) Close() error                       { return nil }

// SetKeepAlivesEnabled has no effect under WarpGrid.
func (srv *Server) SetKeepAlivesEnabled(v bool) {}

// ListenAndServe registers handler (DefaultServeMux when nil) with the WarpGrid HTTP trigger.
func ListenAndServe(addr string, handler Handler) error {
	return (&Server{Addr: addr, Handler: handler}).ListenAndServe()
}

// ListenAndServeTLS is ListenAndServe (TLS ends at the WarpGrid host).
func ListenAndServeTLS(addr, certFile, keyFile string, handler Handler) error {
	return ListenAndServe(addr, handler)
}

// Serve registers handler with the WarpGrid HTTP trigger.
func Serve(l net.Listener, handler Handler) error { return ListenAndServe("", handler) }

// Error replies with the message and code as plain text.
func Error(w ResponseWriter, error string, code int) {
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	io.WriteString(w, error+"\n")
}

// NotFound replies with a 404 error.
func NotFound(w ResponseWriter, r *Request) { Error(w, "404 page not found", StatusNotFound) }

// NotFoundHandler returns a handler that replies 404.
func NotFoundHandler() Handler { return HandlerFunc(NotFound) }

// Redirect replies with a redirect to url (relative paths resolve against the request path).
func Redirect(w ResponseWriter, r *Request, target string, code int) {
	if u, err := url.Parse(target); err == nil && u.Scheme == "" && u.Host == "" && !strings.HasPrefix(target, "/") && r.URL != nil {
		dir, _ := path.Split(r.URL.Path)
		target = path.Join(dir, target)
	}
	h := w.Header()
	h.Set("Location", target)
	if r.Method == MethodGet || r.Method == MethodHead {
		h.Set("Content-Type", "text/html; charset=utf-8")
	}
	w.WriteHeader(code)
	if r.Method == MethodGet {
		io.WriteString(w, "<a href=\""+target+"\">"+StatusText(code)+"</a>.\n")
	}
}

// RedirectHandler returns a handler that redirects to url with code.
func RedirectHandler(target string, code int) Handler {
	return HandlerFunc(func(w ResponseWriter, r *Request) { Redirect(w, r, target, code) })
}

// StripPrefix serves requests with prefix removed from the path, 404 otherwise.
func StripPrefix(prefix string, h Handler) Handler {
	if prefix == "" {
		return h
	}
	return HandlerFunc(func(w ResponseWriter, r *Request) {
		p := strings.TrimPrefix(r.URL.Path, prefix)
		rp := strings.TrimPrefix(r.URL.RawPath, prefix)
		if len(p) < len(r.URL.Path) && (r.URL.RawPath == "" || len(rp) < len(r.URL.RawPath)) {
			r2 := r.WithContext(r.Context())
			u := *r.URL
			u.Path, u.RawPath = p, rp
			r2.URL = &u
			h.ServeHTTP(w, r2)
		} else {
			NotFound(w, r)
		}
	})
}

// TimeoutHandler runs h; responses are produced synchronously, so dt is not enforced here.
func TimeoutHandler(h Handler, dt time.Duration, msg string) Handler { return h }

// AllowQuerySemicolons returns h (the query is passed as received).
func AllowQuerySemicolons(h Handler) Handler { return h }

// DetectContentType returns a MIME type for data: a small subset of the WHATWG sniffing rules.
func DetectContentType(data []byte) string {
	s := strings.TrimLeft(string(data[:min(len(data), 512)]), "\t\n\x0c\r ")
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "<!doctype html"), strings.HasPrefix(lower, "<html"),
		strings.HasPrefix(lower, "<head"), strings.HasPrefix(lower, "<body"), strings.HasPrefix(lower, "<p"),
		strings.HasPrefix(lower, "<div"), strings.HasPrefix(lower, "<h1"), strings.HasPrefix(lower, "<a "):
		return "text/html; charset=utf-8"
	case strings.HasPrefix(s, "<?xml"):
		return "text/xml; charset=utf-8"
	case strings.HasPrefix(s, "%PDF-"):
		return "application/pdf"
	case strings.HasPrefix(s, "\x89PNG\x0D\x0A\x1A\x0A"):
		return "image/png"
	case strings.HasPrefix(s, "\xFF\xD8\xFF"):
		return "image/jpeg"
	case strings.HasPrefix(s, "GIF87a"), strings.HasPrefix(s, "GIF89a"):
		return "image/gif"
	case strings.HasPrefix(s, "\x1F\x8B\x08"):
		return "application/x-gzip"
	}
	for _, c := range []byte(data[:min(len(data), 512)]) {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != 0x0c && c != 0x1b {
			return "application/octet-stream"
		}
	}
	return "text/plain; charset=utf-8"
}

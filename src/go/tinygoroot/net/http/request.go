package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// A Request is an HTTP request received by the service (or built by NewRequest).
type Request struct {
	Method           string
	URL              *url.URL
	Proto            string
	ProtoMajor       int
	ProtoMinor       int
	Header           Header
	Body             io.ReadCloser
	GetBody          func() (io.ReadCloser, error)
	ContentLength    int64
	TransferEncoding []string
	Close            bool
	Host             string
	Form             url.Values
	PostForm         url.Values
	Trailer          Header
	RemoteAddr       string
	RequestURI       string
	TLS              *tls.ConnectionState
	Cancel           <-chan struct{}
	Response         *Response
	// Pattern is the ServeMux pattern that matched the request.
	Pattern string

	ctx        context.Context
	pathValues map[string]string
}

// ErrNoCookie is returned by Request.Cookie when no cookie has the name.
var ErrNoCookie = errors.New("http: named cookie not present")

// ErrMissingFile is returned by FormFile (multipart forms are not supported here).
var ErrMissingFile = errors.New("http: no such file")

// ErrNotMultipart is returned for multipart requests: WarpGrid's net/http parses url-encoded forms only.
var ErrNotMultipart = errors.New("request Content-Type isn't multipart/form-data")

// NoBody is an io.ReadCloser with no bytes.
var NoBody = noBody{}

type noBody struct{}

func (noBody) Read([]byte) (int, error)         { return 0, io.EOF }
func (noBody) Close() error                     { return nil }
func (noBody) WriteTo(io.Writer) (int64, error) { return 0, nil }

// NewRequest returns a new Request for method, URL and body.
func NewRequest(method, target string, body io.Reader) (*Request, error) {
	return NewRequestWithContext(context.Background(), method, target, body)
}

// NewRequestWithContext returns a new Request with a context.
func NewRequestWithContext(ctx context.Context, method, target string, body io.Reader) (*Request, error) {
	if method == "" {
		method = MethodGet
	}
	if ctx == nil {
		return nil, errors.New("net/http: nil Context")
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	r := &Request{
		Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: make(Header), Host: u.Host, ctx: ctx, Body: NoBody,
	}
	if body != nil {
		rc, ok := body.(io.ReadCloser)
		if !ok {
			rc = io.NopCloser(body)
		}
		r.Body = rc
		switch v := body.(type) {
		case *bytes.Buffer:
			r.ContentLength = int64(v.Len())
		case *bytes.Reader:
			r.ContentLength = int64(v.Len())
		case *strings.Reader:
			r.ContentLength = int64(v.Len())
		}
	}
	return r, nil
}

// Context returns the request's context (never nil).
func (r *Request) Context() context.Context {
	if r.ctx != nil {
		return r.ctx
	}
	return context.Background()
}

// WithContext returns a shallow copy of r with its context changed to ctx.
func (r *Request) WithContext(ctx context.Context) *Request {
	if ctx == nil {
		panic("nil context")
	}
	r2 := new(Request)
	*r2 = *r
	r2.ctx = ctx
	return r2
}

// Clone returns a deep copy of r with its context changed to ctx.
func (r *Request) Clone(ctx context.Context) *Request {
	r2 := r.WithContext(ctx)
	if r.URL != nil {
		u := *r.URL
		r2.URL = &u
	}
	r2.Header = r.Header.Clone()
	r2.Trailer = r.Trailer.Clone()
	if r.pathValues != nil {
		r2.pathValues = make(map[string]string, len(r.pathValues))
		for k, v := range r.pathValues {
			r2.pathValues[k] = v
		}
	}
	return r2
}

// ProtoAtLeast reports whether the request's protocol is at least major.minor.
func (r *Request) ProtoAtLeast(major, minor int) bool {
	return r.ProtoMajor > major || r.ProtoMajor == major && r.ProtoMinor >= minor
}

// UserAgent returns the User-Agent header.
func (r *Request) UserAgent() string { return r.Header.Get("User-Agent") }

// Referer returns the Referer header.
func (r *Request) Referer() string { return r.Header.Get("Referer") }

// PathValue returns the value of the named wildcard of the ServeMux pattern that matched.
func (r *Request) PathValue(name string) string { return r.pathValues[name] }

// SetPathValue sets name to value, so later PathValue calls return it.
func (r *Request) SetPathValue(name, value string) {
	if r.pathValues == nil {
		r.pathValues = map[string]string{}
	}
	r.pathValues[name] = value
}

// ParseForm fills r.Form from the query string and, for url-encoded POST/PUT/PATCH bodies, r.PostForm.
func (r *Request) ParseForm() error {
	var err error
	if r.PostForm == nil {
		r.PostForm = make(url.Values)
		if (r.Method == MethodPost || r.Method == MethodPut || r.Method == MethodPatch) && r.Body != nil {
			ct := r.Header.Get("Content-Type")
			if i := strings.IndexByte(ct, ';'); i >= 0 {
				ct = ct[:i]
			}
			if strings.TrimSpace(strings.ToLower(ct)) == "application/x-www-form-urlencoded" {
				b, rerr := io.ReadAll(r.Body)
				if rerr != nil {
					err = rerr
				} else if vs, perr := url.ParseQuery(string(b)); perr != nil {
					err = perr
				} else {
					r.PostForm = vs
				}
			}
		}
	}
	if r.Form == nil {
		r.Form = make(url.Values)
		for k, v := range r.PostForm {
			r.Form[k] = append(r.Form[k], v...)
		}
		if r.URL != nil {
			q, qerr := url.ParseQuery(r.URL.RawQuery)
			if qerr != nil && err == nil {
				err = qerr
			}
			for k, v := range q {
				r.Form[k] = append(r.Form[k], v...)
			}
		}
	}
	return err
}

// ParseMultipartForm parses url-encoded forms; multipart bodies are not supported.
func (r *Request) ParseMultipartForm(maxMemory int64) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		return ErrNotMultipart
	}
	return nil
}

// FormValue returns the first value for key from the query string or a url-encoded body.
func (r *Request) FormValue(key string) string {
	if r.Form == nil {
		r.ParseForm()
	}
	return r.Form.Get(key)
}

// PostFormValue returns the first value for key from a url-encoded body.
func (r *Request) PostFormValue(key string) string {
	if r.PostForm == nil {
		r.ParseForm()
	}
	return r.PostForm.Get(key)
}

// BasicAuth returns the credentials of an Authorization: Basic header.
func (r *Request) BasicAuth() (username, password string, ok bool) {
	auth := r.Header.Get("Authorization")
	const prefix = "Basic "
	if len(auth) < len(prefix) || !strings.EqualFold(auth[:len(prefix)], prefix) {
		return "", "", false
	}
	c, err := base64.StdEncoding.DecodeString(auth[len(prefix):])
	if err != nil {
		return "", "", false
	}
	username, password, ok = strings.Cut(string(c), ":")
	return username, password, ok
}

// SetBasicAuth sets an Authorization: Basic header.
func (r *Request) SetBasicAuth(username, password string) {
	r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(username+":"+password)))
}

// Cookies parses and returns the cookies sent with the request.
func (r *Request) Cookies() []*Cookie {
	var out []*Cookie
	for _, line := range r.Header.Values("Cookie") {
		for _, part := range strings.Split(line, ";") {
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			if name != "" {
				out = append(out, &Cookie{Name: name, Value: strings.Trim(value, `"`)})
			}
		}
	}
	return out
}

// Cookie returns the named cookie, or ErrNoCookie.
func (r *Request) Cookie(name string) (*Cookie, error) {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c, nil
		}
	}
	return nil, ErrNoCookie
}

// AddCookie adds a cookie to the request's Cookie header.
func (r *Request) AddCookie(c *Cookie) {
	s := c.Name + "=" + c.Value
	if old := r.Header.Get("Cookie"); old != "" {
		r.Header.Set("Cookie", old+"; "+s)
	} else {
		r.Header.Set("Cookie", s)
	}
}

// MaxBytesError is returned by a MaxBytesReader past its limit.
type MaxBytesError struct{ Limit int64 }

func (e *MaxBytesError) Error() string { return "http: request body too large" }

// MaxBytesReader limits the bytes read from r.
func MaxBytesReader(w ResponseWriter, r io.ReadCloser, n int64) io.ReadCloser {
	return &maxBytesReader{r: r, n: n, limit: n}
}

type maxBytesReader struct {
	r        io.ReadCloser
	n, limit int64
}

func (l *maxBytesReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, &MaxBytesError{Limit: l.limit}
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	if int64(n) > l.n {
		n = int(l.n)
		l.n = 0
		return n, &MaxBytesError{Limit: l.limit}
	}
	l.n -= int64(n)
	return n, err
}

func (l *maxBytesReader) Close() error { return l.r.Close() }

// Cookie is an HTTP cookie.
type Cookie struct {
	Name     string
	Value    string
	Path     string
	Domain   string
	MaxAge   int
	Secure   bool
	HttpOnly bool
	SameSite SameSite
}

// SameSite values of a cookie.
type SameSite int

const (
	SameSiteDefaultMode SameSite = iota + 1
	SameSiteLaxMode
	SameSiteStrictMode
	SameSiteNoneMode
)

// String returns the Set-Cookie form of the cookie.
func (c *Cookie) String() string {
	s := c.Name + "=" + c.Value
	if c.Path != "" {
		s += "; Path=" + c.Path
	}
	if c.Domain != "" {
		s += "; Domain=" + c.Domain
	}
	if c.MaxAge > 0 {
		s += "; Max-Age=" + strconv.Itoa(c.MaxAge)
	} else if c.MaxAge < 0 {
		s += "; Max-Age=0"
	}
	if c.HttpOnly {
		s += "; HttpOnly"
	}
	if c.Secure {
		s += "; Secure"
	}
	switch c.SameSite {
	case SameSiteLaxMode:
		s += "; SameSite=Lax"
	case SameSiteStrictMode:
		s += "; SameSite=Strict"
	case SameSiteNoneMode:
		s += "; SameSite=None"
	}
	return s
}

// SetCookie adds a Set-Cookie header to w.
func SetCookie(w ResponseWriter, c *Cookie) {
	if c != nil && c.Name != "" {
		w.Header().Add("Set-Cookie", c.String())
	}
}

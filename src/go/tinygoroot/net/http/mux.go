package http

import (
	"net/url"
	"path"
	"sort"
	"strings"
)

// ServeMux is an HTTP request multiplexer with the Go 1.22 pattern syntax:
// "[METHOD ][HOST]/[PATH]", where path segments may be {name} (one segment), {name...} (the
// rest of the path) or end in {$} (exact match); a trailing slash matches the whole subtree.
// The most specific matching pattern wins; a path that matches only other methods gets 405
// with an Allow header; "/dir" is redirected to "/dir/" when only the subtree matches.
type ServeMux struct {
	patterns []*pattern
}

type segKind int

const (
	segLiteral segKind = iota
	segWild            // {name}
	segMulti           // {name...} or a trailing slash
)

type segment struct {
	kind segKind
	text string // literal text or wildcard name ("" for a trailing slash)
}

type pattern struct {
	text    string
	method  string
	host    string
	segs    []segment
	exact   bool // ends with {$} or has no trailing slash
	handler Handler
	order   int
}

// NewServeMux allocates and returns a new ServeMux.
func NewServeMux() *ServeMux { return new(ServeMux) }

// DefaultServeMux is the ServeMux used by Handle, HandleFunc and ListenAndServe(addr, nil).
var DefaultServeMux = &defaultServeMux

var defaultServeMux ServeMux

// Handle registers handler for pattern on DefaultServeMux.
func Handle(pattern string, handler Handler) { DefaultServeMux.Handle(pattern, handler) }

// HandleFunc registers handler for pattern on DefaultServeMux.
func HandleFunc(pattern string, handler func(ResponseWriter, *Request)) {
	DefaultServeMux.HandleFunc(pattern, handler)
}

// HandleFunc registers handler for pattern.
func (mux *ServeMux) HandleFunc(pattern string, handler func(ResponseWriter, *Request)) {
	if handler == nil {
		panic("http: nil handler")
	}
	mux.Handle(pattern, HandlerFunc(handler))
}

// Handle registers handler for pattern; it panics on a malformed or duplicate pattern.
func (mux *ServeMux) Handle(text string, handler Handler) {
	if handler == nil {
		panic("http: nil handler")
	}
	p, err := parsePattern(text)
	if err != nil {
		panic("http: parsing " + `"` + text + `": ` + err.Error())
	}
	for _, q := range mux.patterns {
		if q.method == p.method && q.host == p.host && q.exact == p.exact && sameShape(q.segs, p.segs) {
			panic("http: pattern " + text + " conflicts with pattern " + q.text)
		}
	}
	p.handler = handler
	p.order = len(mux.patterns)
	mux.patterns = append(mux.patterns, p)
}

func sameShape(a, b []segment) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].kind != b[i].kind || a[i].kind == segLiteral && a[i].text != b[i].text {
			return false
		}
	}
	return true
}

type patternError string

func (e patternError) Error() string { return string(e) }

func parsePattern(s string) (*pattern, error) {
	p := &pattern{text: s, exact: true}
	rest := strings.TrimSpace(s)
	if i := strings.IndexAny(rest, " \t"); i >= 0 {
		p.method, rest = rest[:i], strings.TrimLeft(rest[i:], " \t")
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return nil, patternError("host/path missing /")
	}
	p.host, rest = rest[:i], rest[i+1:]
	parts := strings.Split(rest, "/")
	names := map[string]bool{}
	for k, part := range parts {
		last := k == len(parts)-1
		switch {
		case last && part == "":
			// A trailing slash (or the root "/"): the whole subtree below.
			p.segs = append(p.segs, segment{kind: segMulti})
			p.exact = false
		case part == "{$}":
			if !last {
				return nil, patternError("{$} not at end")
			}
			p.segs = append(p.segs, segment{kind: segLiteral, text: ""})
		default:
			if err := segErr(part, names); err != nil {
				return nil, err
			}
			sg := mustSeg(part, names)
			if sg.kind == segMulti {
				if !last {
					return nil, patternError("{...} wildcard not at end")
				}
				p.exact = false
			}
			p.segs = append(p.segs, sg)
		}
	}
	return p, nil
}

func segErr(seg string, names map[string]bool) error {
	if !strings.Contains(seg, "{") && !strings.Contains(seg, "}") {
		return nil
	}
	if !strings.HasPrefix(seg, "{") || !strings.HasSuffix(seg, "}") {
		return patternError("bad wildcard segment (must be a whole segment)")
	}
	name := strings.TrimSuffix(seg[1:len(seg)-1], "...")
	if name == "" || strings.ContainsAny(name, "{}/") {
		return patternError("bad wildcard name " + seg)
	}
	if names[name] {
		return patternError("duplicate wildcard name " + name)
	}
	names[name] = true
	return nil
}

func mustSeg(seg string, _ map[string]bool) segment {
	if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") && len(seg) > 2 {
		name := seg[1 : len(seg)-1]
		if strings.HasSuffix(name, "...") {
			return segment{kind: segMulti, text: strings.TrimSuffix(name, "...")}
		}
		return segment{kind: segWild, text: name}
	}
	text, err := url.PathUnescape(seg)
	if err != nil {
		text = seg
	}
	return segment{kind: segLiteral, text: text}
}

// match returns the wildcard values when the path segments match p. A trailing slash or
// {name...} needs at least the segment after the slash ("/a/" matches "/a/" and "/a/b", not "/a");
// {name} needs one non-empty segment.
func (p *pattern) match(segs []string) (map[string]string, bool) {
	values := map[string]string{}
	for i, s := range p.segs {
		switch s.kind {
		case segMulti:
			if i >= len(segs) {
				return nil, false
			}
			if s.text != "" {
				values[s.text] = strings.Join(segs[i:], "/")
			}
			return values, true
		case segWild:
			if i >= len(segs) || segs[i] == "" {
				return nil, false
			}
			values[s.text] = segs[i]
		case segLiteral:
			if i >= len(segs) || segs[i] != s.text {
				return nil, false
			}
		}
	}
	return values, len(segs) == len(p.segs)
}

// moreSpecific reports whether a should win over b when both match.
func moreSpecific(a, b *pattern) bool {
	if (a.host != "") != (b.host != "") {
		return a.host != ""
	}
	for i := 0; i < len(a.segs) && i < len(b.segs); i++ {
		if a.segs[i].kind != b.segs[i].kind {
			return a.segs[i].kind < b.segs[i].kind
		}
	}
	if len(a.segs) != len(b.segs) {
		return len(a.segs) > len(b.segs)
	}
	if a.exact != b.exact {
		return a.exact
	}
	if (a.method != "") != (b.method != "") {
		return a.method != ""
	}
	return a.order < b.order
}

func methodMatches(patternMethod, method string) bool {
	return patternMethod == "" || patternMethod == method || patternMethod == MethodGet && method == MethodHead
}

func splitPath(p string) []string {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range parts {
		if u, err := url.PathUnescape(s); err == nil {
			parts[i] = u
		}
	}
	return parts
}

func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// findHandler returns the handler for r, the matched pattern and its wildcard values; the
// handler is a 404, 405 or redirect handler when no pattern serves the request.
func (mux *ServeMux) findHandler(r *Request) (Handler, *pattern, map[string]string) {
	escaped := r.URL.EscapedPath()
	if escaped == "" {
		escaped = "/"
	}
	if r.Method != MethodConnect {
		if clean := cleanPath(r.URL.Path); clean != r.URL.Path {
			u := *r.URL
			u.Path, u.RawPath = clean, ""
			return RedirectHandler(u.String(), StatusMovedPermanently), nil, nil
		}
	}
	host := r.Host
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	segs := splitPath(escaped)
	var best *pattern
	var bestValues map[string]string
	allowed := map[string]bool{}
	for _, p := range mux.patterns {
		if p.host != "" && p.host != host {
			continue
		}
		values, ok := p.match(segs)
		if !ok {
			continue
		}
		if !methodMatches(p.method, r.Method) {
			allowed[p.method] = true
			if p.method == MethodGet {
				allowed[MethodHead] = true
			}
			continue
		}
		if best == nil || moreSpecific(p, best) {
			best, bestValues = p, values
		}
	}
	if best != nil {
		return best.handler, best, bestValues
	}
	if len(allowed) > 0 {
		methods := make([]string, 0, len(allowed))
		for m := range allowed {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		return HandlerFunc(func(w ResponseWriter, r *Request) {
			w.Header().Set("Allow", strings.Join(methods, ", "))
			Error(w, StatusText(StatusMethodNotAllowed), StatusMethodNotAllowed)
		}), nil, nil
	}
	// "/dir" where only the subtree "/dir/" is registered: redirect.
	if !strings.HasSuffix(escaped, "/") {
		withSlash := append(append([]string(nil), segs...), "")
		for _, p := range mux.patterns {
			if _, ok := p.match(withSlash); ok && !p.exact && methodMatches(p.method, r.Method) {
				u := *r.URL
				u.Path, u.RawPath = r.URL.Path+"/", ""
				return RedirectHandler(u.String(), StatusMovedPermanently), nil, nil
			}
		}
	}
	return NotFoundHandler(), nil, nil
}

// Handler returns the handler to use for r and the pattern that matched ("" if none).
func (mux *ServeMux) Handler(r *Request) (Handler, string) {
	h, p, _ := mux.findHandler(r)
	if p == nil {
		return h, ""
	}
	return h, p.text
}

// ServeHTTP dispatches the request to the handler whose pattern most closely matches it.
func (mux *ServeMux) ServeHTTP(w ResponseWriter, r *Request) {
	h, p, values := mux.findHandler(r)
	if p != nil {
		r.Pattern = p.text
		for k, v := range values {
			r.SetPathValue(k, v)
		}
	}
	h.ServeHTTP(w, r)
}

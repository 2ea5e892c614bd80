package http

import (
	"io"
	"sort"
	"strings"
)

// A Header represents the key-value pairs in an HTTP header; keys are canonical
// (see CanonicalHeaderKey).
type Header map[string][]string

// Add adds the key, value pair to the header.
func (h Header) Add(key, value string) {
	key = CanonicalHeaderKey(key)
	h[key] = append(h[key], value)
}

// Set sets the header entries associated with key to the single element value.
func (h Header) Set(key, value string) { h[CanonicalHeaderKey(key)] = []string{value} }

// Get gets the first value associated with the given key.
func (h Header) Get(key string) string {
	if v := h[CanonicalHeaderKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns all values associated with the given key.
func (h Header) Values(key string) []string { return h[CanonicalHeaderKey(key)] }

// Del deletes the values associated with key.
func (h Header) Del(key string) { delete(h, CanonicalHeaderKey(key)) }

// Clone returns a copy of h.
func (h Header) Clone() Header {
	if h == nil {
		return nil
	}
	out := make(Header, len(h))
	for k, v := range h {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// Write writes the header in wire format, keys sorted.
func (h Header) Write(w io.Writer) error { return h.WriteSubset(w, nil) }

// WriteSubset writes the header in wire format, skipping keys in exclude.
func (h Header) WriteSubset(w io.Writer, exclude map[string]bool) error {
	keys := make([]string, 0, len(h))
	for k := range h {
		if !exclude[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
			if _, err := io.WriteString(w, k+": "+strings.TrimSpace(v)+"\r\n"); err != nil {
				return err
			}
		}
	}
	return nil
}

// CanonicalHeaderKey returns the canonical form of a header key: the first letter and each
// letter after a hyphen upper case, the rest lower case ("content-type" -> "Content-Type").
// Keys holding a space or a non-token byte are returned unchanged, as the standard library does.
func CanonicalHeaderKey(s string) string {
	upper := true
	b := []byte(s)
	for i, c := range b {
		if !isTokenByte(c) {
			return s
		}
		if upper && 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		} else if !upper && 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
		upper = c == '-'
	}
	return string(b)
}

func isTokenByte(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

package http

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"time"
)

// errNoClient explains why outgoing HTTP fails in a WarpGrid TinyGo guest.
var errNoClient = errors.New("net/http: outgoing HTTP requests are not available in WarpGrid TinyGo guests (no general egress; only database endpoints are reachable, through net.Dial)")

// Response is an HTTP response (only produced by RoundTrippers a program supplies itself).
type Response struct {
	Status        string
	StatusCode    int
	Proto         string
	ProtoMajor    int
	ProtoMinor    int
	Header        Header
	Body          io.ReadCloser
	ContentLength int64
	Request       *Request
}

// RoundTripper executes a single HTTP transaction.
type RoundTripper interface {
	RoundTrip(*Request) (*Response, error)
}

// Transport refuses every request (see errNoClient).
type Transport struct{}

func (t *Transport) RoundTrip(*Request) (*Response, error) { return nil, errNoClient }

// DefaultTransport is the refusing Transport.
var DefaultTransport RoundTripper = &Transport{}

// Client sends requests through its Transport (DefaultTransport refuses them).
type Client struct {
	Transport RoundTripper
	Timeout   time.Duration
}

// DefaultClient is the Client used by Get, Post and friends.
var DefaultClient = &Client{}

// Do sends req through the client's Transport.
func (c *Client) Do(req *Request) (*Response, error) {
	t := c.Transport
	if t == nil {
		t = DefaultTransport
	}
	resp, err := t.RoundTrip(req)
	if err != nil {
		return nil, &url.Error{Op: req.Method, URL: req.URL.String(), Err: err}
	}
	return resp, nil
}

func (c *Client) Get(target string) (*Response, error) {
	req, err := NewRequestWithContext(context.Background(), MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	return c.Do(req)
}

func (c *Client) Post(target, contentType string, body io.Reader) (*Response, error) {
	req, err := NewRequest(MethodPost, target, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	return c.Do(req)
}

func (c *Client) PostForm(target string, data url.Values) (*Response, error) {
	return c.Post(target, "application/x-www-form-urlencoded", strings.NewReader(data.Encode()))
}

func (c *Client) Head(target string) (*Response, error) {
	req, err := NewRequest(MethodHead, target, nil)
	if err != nil {
		return nil, err
	}
	return c.Do(req)
}

func Get(target string) (*Response, error)  { return DefaultClient.Get(target) }
func Head(target string) (*Response, error) { return DefaultClient.Head(target) }
func Post(target, contentType string, body io.Reader) (*Response, error) {
	return DefaultClient.Post(target, contentType, body)
}
func PostForm(target string, data url.Values) (*Response, error) {
	return DefaultClient.PostForm(target, data)
}

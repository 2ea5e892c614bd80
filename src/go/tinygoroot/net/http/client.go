package http

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"warpgrid/shim"
)

// Response is an HTTP response.
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

// Transport sends a request to another service of the WarpGrid deployment, addressed by its
// registry name (http://<name>.<namespace>.warp.local/path), through warpgrid:shim/http-client.
// The host refuses other names, and names outside the service's [http_client] allow, at once
// (the error carries its reason); there is no general egress.
type Transport struct{}

func (t *Transport) RoundTrip(req *Request) (*Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	headers := make([]shim.Header, 0, len(req.Header))
	for name, values := range req.Header {
		for _, v := range values {
			headers = append(headers, shim.Header{Name: strings.ToLower(name), Value: v})
		}
	}
	method := req.Method
	if method == "" {
		method = MethodGet
	}
	answer, err := shim.SendHTTP(method, req.URL.String(), headers, body)
	if err != nil {
		return nil, err
	}
	header := make(Header, len(answer.Headers))
	for _, h := range answer.Headers {
		header.Add(h.Name, h.Value)
	}
	return &Response{
		Status:        strconv.Itoa(answer.Status) + " " + StatusText(answer.Status),
		StatusCode:    answer.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          io.NopCloser(bytes.NewReader(answer.Body)),
		ContentLength: int64(len(answer.Body)),
		Request:       req,
	}, nil
}

// DefaultTransport routes through the host (see Transport).
var DefaultTransport RoundTripper = &Transport{}

// Client sends requests through its Transport (DefaultTransport: the host's http-client).
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

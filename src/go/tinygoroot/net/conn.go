package net

import (
	"context"
	"io"
	"time"
	"warpgrid/shim"
)

// endpoint holds the methods every connection has, stream- or packet-oriented: the method
// sets of Conn and PacketConn are the standard library's.
type endpoint interface {
	Close() error
	LocalAddr() Addr
	SetDeadline(t time.Time) error
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
}

// Conn is a generic stream-oriented network connection.
type Conn interface {
	Read(b []byte) (n int, err error)
	Write(b []byte) (n int, err error)
	RemoteAddr() Addr
	endpoint
}

// PacketConn is a generic packet-oriented network connection.
type PacketConn interface {
	ReadFrom(p []byte) (n int, addr Addr, err error)
	WriteTo(p []byte, addr Addr) (n int, err error)
	endpoint
}

// Listener is a generic network listener for stream-oriented protocols.
type Listener interface {
	Accept() (Conn, error)
	Close() error
	Addr() Addr
}

// Buffers contains zero or more runs of bytes to write.
type Buffers [][]byte

// WriteTo writes the buffers to w.
func (v *Buffers) WriteTo(w io.Writer) (n int64, err error) {
	for _, b := range *v {
		nb, err := w.Write(b)
		n += int64(nb)
		if err != nil {
			return n, err
		}
	}
	*v = nil
	return n, nil
}

// Read reads from the buffers.
func (v *Buffers) Read(p []byte) (n int, err error) {
	for len(p) > 0 && len(*v) > 0 {
		n0 := copy(p, (*v)[0])
		(*v)[0] = (*v)[0][n0:]
		if len((*v)[0]) == 0 {
			*v = (*v)[1:]
		}
		n += n0
		p = p[n0:]
	}
	if len(*v) == 0 {
		err = io.EOF
	}
	return
}

// proxyConn is a TCP connection carried by the host's database proxy. Reads and writes are
// synchronous host calls; deadlines are honoured when they have already passed (the way
// libraries interrupt a blocked call), while the host bounds each call with its own timeout.
type proxyConn struct {
	handle        uint64
	closed        bool
	local, remote *TCPAddr
	readDeadline  time.Time
	writeDeadline time.Time
}

func (c *proxyConn) opErr(op string, err error) error {
	return &OpError{Op: op, Net: "tcp", Source: c.local, Addr: c.remote, Err: err}
}

func (c *proxyConn) Read(b []byte) (int, error) {
	if c.closed {
		return 0, c.opErr("read", ErrClosed)
	}
	if len(b) == 0 {
		return 0, nil
	}
	if !c.readDeadline.IsZero() && !time.Now().Before(c.readDeadline) {
		return 0, c.opErr("read", errTimeout)
	}
	n, err := shim.Recv(c.handle, b)
	if err == shim.ErrClosed {
		return n, io.EOF
	}
	if err != nil {
		return n, c.opErr("read", err)
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (c *proxyConn) Write(b []byte) (int, error) {
	if c.closed {
		return 0, c.opErr("write", ErrClosed)
	}
	if !c.writeDeadline.IsZero() && !time.Now().Before(c.writeDeadline) {
		return 0, c.opErr("write", errTimeout)
	}
	written := 0
	for written < len(b) {
		n, err := shim.Send(c.handle, b[written:])
		written += n
		if err != nil {
			return written, c.opErr("write", err)
		}
		if n == 0 {
			return written, c.opErr("write", io.ErrShortWrite)
		}
	}
	return written, nil
}

func (c *proxyConn) Close() error {
	if c.closed {
		return c.opErr("close", ErrClosed)
	}
	c.closed = true
	shim.Close(c.handle)
	return nil
}

func (c *proxyConn) LocalAddr() Addr  { return c.local }
func (c *proxyConn) RemoteAddr() Addr { return c.remote }
func (c *proxyConn) SetDeadline(t time.Time) error {
	c.readDeadline, c.writeDeadline = t, t
	return nil
}
func (c *proxyConn) SetReadDeadline(t time.Time) error  { c.readDeadline = t; return nil }
func (c *proxyConn) SetWriteDeadline(t time.Time) error { c.writeDeadline = t; return nil }

// The TCP-specific knobs some drivers call; they have no effect on a proxied stream.
func (c *proxyConn) SetKeepAlive(bool) error                { return nil }
func (c *proxyConn) SetKeepAlivePeriod(time.Duration) error { return nil }
func (c *proxyConn) SetNoDelay(bool) error                  { return nil }
func (c *proxyConn) SetLinger(int) error                    { return nil }
func (c *proxyConn) CloseWrite() error                      { return nil }

// TCPConn is the type of TCP connections; WarpGrid's are proxied (see Dial).
type TCPConn struct{ proxyConn }

// TLSConn exists for TinyGo's crypto/tls; TLS to databases is the host's job.
type TLSConn struct{ proxyConn }

// Handshake fails: guests never hold a TLS stream (the database proxy does TLS on the host
// side). Drivers configured for TLS (e.g. go-sql-driver/mysql with tls=true) call it and report
// this error; with TLS off in the DSN they never do.
func (c *TLSConn) Handshake() error { return &OpError{Op: "handshake", Net: "tcp", Err: errNoTLS} }

// HandshakeContext is Handshake (see there).
func (c *TLSConn) HandshakeContext(context.Context) error { return c.Handshake() }

// DialTLS is not available: the database proxy does TLS on the host side.
func DialTLS(addr string) (*TLSConn, error) {
	return nil, &OpError{Op: "dial", Net: "tcp", Err: errNoTLS}
}

package net

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"warpgrid/shim"
)

var errNoTLS = errors.New("TLS from WarpGrid guests is not available: the host's database proxy does TLS (set sslmode=disable / tls=false in the guest)")

// Dialer contains options for connecting to an address. Only TCP to database endpoints works.
type Dialer struct {
	Timeout        time.Duration
	Deadline       time.Time
	LocalAddr      Addr
	DualStack      bool
	FallbackDelay  time.Duration
	KeepAlive      time.Duration
	Resolver       *Resolver
	Cancel         <-chan struct{}
	Control        func(network, address string, c syscall.RawConn) error
	ControlContext func(ctx context.Context, network, address string, c syscall.RawConn) error
}

// Dial connects to address on network (see Dialer.DialContext).
func Dial(network, address string) (Conn, error) {
	var d Dialer
	return d.DialContext(context.Background(), network, address)
}

// DialTimeout is Dial with a timeout.
func DialTimeout(network, address string, timeout time.Duration) (Conn, error) {
	d := Dialer{Timeout: timeout}
	return d.DialContext(context.Background(), network, address)
}

// Dial connects to address on network.
func (d *Dialer) Dial(network, address string) (Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialContext connects to "host:port" over "tcp", "tcp4" or "tcp6". The host name is resolved
// through warpgrid:shim/dns (so service names like db.production.warp.local work) and the
// connection is opened by warpgrid:shim/database-proxy for the protocol the port speaks:
// 5432 postgres, 3306 mysql, 6379 redis, or WARPGRID_DB_PORTS="15432=postgres,16379=redis".
// Any other network or port fails at once with an *OpError explaining why.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (Conn, error) {
	fail := func(addr Addr, err error) (Conn, error) {
		return nil, &OpError{Op: "dial", Net: network, Addr: addr, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return fail(nil, err)
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
	case "udp", "udp4", "udp6", "ip", "ip4", "ip6", "unix", "unixgram", "unixpacket":
		return fail(nil, errNoEgress)
	default:
		return fail(nil, UnknownNetworkError(network))
	}
	host, portText, err := SplitHostPort(address)
	if err != nil {
		return fail(nil, err)
	}
	port, err := LookupPort(network, portText)
	if err != nil {
		return fail(nil, err)
	}
	ips, err := d.resolver().LookupIPAddr(ctx, host)
	if err != nil {
		return fail(nil, err)
	}
	remote := &TCPAddr{IP: ips[0].IP, Port: port}
	protocol, ok := protocolForPort(port)
	if !ok {
		return fail(remote, errNoEgress)
	}
	// The host matches endpoints by the name the program used, so pass it through.
	name := host
	if name == "" {
		name = "localhost"
	}
	handle, err := shim.Connect(protocol, name, uint16(port), poolSize())
	if err != nil {
		return fail(remote, err)
	}
	c := &TCPConn{proxyConn{handle: handle, local: &TCPAddr{IP: IPv4(127, 0, 0, 1)}, remote: remote}}
	return c, nil
}

func (d *Dialer) resolver() *Resolver {
	if d != nil && d.Resolver != nil {
		return d.Resolver
	}
	return DefaultResolver
}

func protocolForPort(port int) (shim.Protocol, bool) {
	for _, item := range strings.Split(os.Getenv("WARPGRID_DB_PORTS"), ",") {
		p, name, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || p != strconv.Itoa(port) {
			continue
		}
		switch name {
		case "postgres":
			return shim.Postgres, true
		case "mysql":
			return shim.MySQL, true
		case "redis":
			return shim.Redis, true
		}
	}
	switch port {
	case 5432:
		return shim.Postgres, true
	case 3306:
		return shim.MySQL, true
	case 6379:
		return shim.Redis, true
	}
	return 0, false
}

func poolSize() uint32 {
	if v, err := strconv.Atoi(os.Getenv("WARPGRID_DB_POOL_SIZE")); err == nil && v > 0 {
		return uint32(v)
	}
	return 10
}

// DialTCP connects to raddr (see Dialer.DialContext).
func DialTCP(network string, laddr, raddr *TCPAddr) (*TCPConn, error) {
	c, err := Dial(network, raddr.String())
	if err != nil {
		return nil, err
	}
	return c.(*TCPConn), nil
}

// Listen is refused: WarpGrid guests receive HTTP requests through net/http's handler export.
func Listen(network, address string) (Listener, error) {
	return nil, &OpError{Op: "listen", Net: network, Err: errNoListen}
}

// ListenPacket is refused (see Listen).
func ListenPacket(network, address string) (PacketConn, error) {
	return nil, &OpError{Op: "listen", Net: network, Err: errNoListen}
}

// ListenConfig contains options for listening; listening is refused (see Listen).
type ListenConfig struct {
	Control   func(network, address string, c syscall.RawConn) error
	KeepAlive time.Duration
}

func (lc *ListenConfig) Listen(ctx context.Context, network, address string) (Listener, error) {
	return Listen(network, address)
}

func (lc *ListenConfig) ListenPacket(ctx context.Context, network, address string) (PacketConn, error) {
	return ListenPacket(network, address)
}

// Pipe creates a synchronous, in-memory, full duplex network connection.
func Pipe() (Conn, Conn) {
	a2b, b2a := make(chan []byte), make(chan []byte)
	done := make(chan struct{})
	return &pipeConn{rd: b2a, wr: a2b, done: done}, &pipeConn{rd: a2b, wr: b2a, done: done}
}

type pipeConn struct {
	rd      chan []byte
	wr      chan []byte
	pending []byte
	done    chan struct{}
	closed  bool
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

func (p *pipeConn) Read(b []byte) (int, error) {
	if len(p.pending) == 0 {
		select {
		case data := <-p.rd:
			p.pending = data
		case <-p.done:
			return 0, errors.New("io: read/write on closed pipe")
		}
	}
	n := copy(b, p.pending)
	p.pending = p.pending[n:]
	return n, nil
}

func (p *pipeConn) Write(b []byte) (int, error) {
	data := append([]byte(nil), b...)
	select {
	case p.wr <- data:
		return len(b), nil
	case <-p.done:
		return 0, errors.New("io: read/write on closed pipe")
	}
}

func (p *pipeConn) Close() error {
	if !p.closed {
		p.closed = true
		select {
		case <-p.done:
		default:
			close(p.done)
		}
	}
	return nil
}
func (p *pipeConn) LocalAddr() Addr                    { return pipeAddr{} }
func (p *pipeConn) RemoteAddr() Addr                   { return pipeAddr{} }
func (p *pipeConn) SetDeadline(t time.Time) error      { return nil }
func (p *pipeConn) SetReadDeadline(t time.Time) error  { return nil }
func (p *pipeConn) SetWriteDeadline(t time.Time) error { return nil }

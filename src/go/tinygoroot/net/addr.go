package net

import (
	"net/netip"
	"strconv"
)

// Addr is a network end point address.
type Addr interface {
	Network() string
	String() string
}

// TCPAddr is the address of a TCP end point.
type TCPAddr struct {
	IP   IP
	Port int
	Zone string
}

func (a *TCPAddr) Network() string { return "tcp" }
func (a *TCPAddr) String() string {
	if a == nil {
		return "<nil>"
	}
	return JoinHostPort(ipString(a.IP, a.Zone), strconv.Itoa(a.Port))
}

// AddrPort returns a as a netip.AddrPort.
func (a *TCPAddr) AddrPort() netip.AddrPort {
	if a == nil {
		return netip.AddrPort{}
	}
	ip, _ := a.IP.addr()
	return netip.AddrPortFrom(ip.WithZone(a.Zone), uint16(a.Port))
}

// TCPAddrFromAddrPort returns addr as a *TCPAddr.
func TCPAddrFromAddrPort(addr netip.AddrPort) *TCPAddr {
	return &TCPAddr{IP: ipFromAddr(addr.Addr()), Zone: addr.Addr().Zone(), Port: int(addr.Port())}
}

// UDPAddr is the address of a UDP end point.
type UDPAddr struct {
	IP   IP
	Port int
	Zone string
}

func (a *UDPAddr) Network() string { return "udp" }

// String has TCPAddr's form: the two structs have the same fields.
func (a *UDPAddr) String() string { return (*TCPAddr)(a).String() }

// IPAddr is the address of an IP end point.
type IPAddr struct {
	IP   IP
	Zone string
}

func (a *IPAddr) Network() string { return "ip" }
func (a *IPAddr) String() string {
	if a == nil {
		return "<nil>"
	}
	return ipString(a.IP, a.Zone)
}

// UnixAddr is the address of a Unix domain socket end point.
type UnixAddr struct {
	Name string
	Net  string
}

func (a *UnixAddr) Network() string { return a.Net }
func (a *UnixAddr) String() string {
	if a == nil {
		return "<nil>"
	}
	return a.Name
}

func ipString(ip IP, zone string) string {
	if len(ip) == 0 {
		return ""
	}
	if zone != "" {
		return ip.String() + "%" + zone
	}
	return ip.String()
}

// JoinHostPort combines host and port into "host:port" ("[host]:port" for IPv6 literals).
func JoinHostPort(host, port string) string {
	for i := 0; i < len(host); i++ {
		if host[i] == ':' {
			return "[" + host + "]:" + port
		}
	}
	return host + ":" + port
}

// SplitHostPort splits "host:port", "[host]:port" or "[host%zone]:port".
func SplitHostPort(hostport string) (host, port string, err error) {
	const (
		missingPort   = "missing port in address"
		tooManyColons = "too many colons in address"
	)
	addrErr := func(why string) (string, string, error) {
		return "", "", &AddrError{Err: why, Addr: hostport}
	}
	i := last(hostport, ':')
	if i < 0 {
		return addrErr(missingPort)
	}
	if hostport[0] == '[' {
		end := byteIndex(hostport, ']')
		if end < 0 {
			return addrErr("missing ']' in address")
		}
		switch end + 1 {
		case len(hostport):
			return addrErr(missingPort)
		case i:
		default:
			if hostport[end+1] == ':' {
				return addrErr(tooManyColons)
			}
			return addrErr(missingPort)
		}
		host = hostport[1:end]
		if byteIndex(hostport[:end], '[') > 0 || byteIndex(hostport[end+1:], '[') >= 0 || byteIndex(hostport[end+1:], ']') >= 0 {
			return addrErr("unexpected '[' or ']' in address")
		}
	} else {
		host = hostport[:i]
		if byteIndex(host, ':') >= 0 {
			return addrErr(tooManyColons)
		}
		if byteIndex(host, '[') >= 0 || byteIndex(host, ']') >= 0 {
			return addrErr("unexpected '[' or ']' in address")
		}
	}
	return host, hostport[i+1:], nil
}

func last(s string, b byte) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == b {
			return i
		}
	}
	return -1
}

func byteIndex(s string, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return i
		}
	}
	return -1
}

// ResolveTCPAddr resolves "host:port" through the dns shim.
func ResolveTCPAddr(network, address string) (*TCPAddr, error) {
	switch network {
	case "tcp", "tcp4", "tcp6", "":
	default:
		return nil, UnknownNetworkError(network)
	}
	host, port, err := SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	p, err := LookupPort(network, port)
	if err != nil {
		return nil, err
	}
	if host == "" {
		return &TCPAddr{Port: p}, nil
	}
	ips, err := LookupIP(host)
	if err != nil {
		return nil, err
	}
	return &TCPAddr{IP: ips[0], Port: p}, nil
}

// ResolveIPAddr resolves a host name or literal through the dns shim.
func ResolveIPAddr(network, address string) (*IPAddr, error) {
	ips, err := LookupIP(address)
	if err != nil {
		return nil, err
	}
	return &IPAddr{IP: ips[0]}, nil
}

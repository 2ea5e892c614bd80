package net

import (
	"net/netip"
)

// Lengths of IP addresses in bytes.
const (
	IPv4len = 4
	IPv6len = 16
)

// An IP is a single IP address: 4 or 16 bytes.
type IP []byte

// An IPMask is a bitmask for an IP address.
type IPMask []byte

// An IPNet is an IP network.
type IPNet struct {
	IP   IP
	Mask IPMask
}

var v4InV6Prefix = []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}

// Well-known addresses.
var (
	IPv4bcast     = IPv4(255, 255, 255, 255)
	IPv4allsys    = IPv4(224, 0, 0, 1)
	IPv4allrouter = IPv4(224, 0, 0, 2)
	IPv4zero      = IPv4(0, 0, 0, 0)

	IPv6zero                   = IP{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	IPv6unspecified            = IP{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	IPv6loopback               = IP{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	IPv6interfacelocalallnodes = IP{0xff, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}
	IPv6linklocalallnodes      = IP{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}
	IPv6linklocalallrouters    = IP{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}
)

// IPv4 returns the 16-byte form of the IPv4 address a.b.c.d.
func IPv4(a, b, c, d byte) IP {
	p := make(IP, IPv6len)
	copy(p, v4InV6Prefix)
	p[12], p[13], p[14], p[15] = a, b, c, d
	return p
}

// IPv4Mask returns the 4-byte mask a.b.c.d.
func IPv4Mask(a, b, c, d byte) IPMask { return IPMask{a, b, c, d} }

// CIDRMask returns a mask of ones leading bits out of bits.
func CIDRMask(ones, bits int) IPMask {
	if bits != 8*IPv4len && bits != 8*IPv6len || ones < 0 || ones > bits {
		return nil
	}
	m := make(IPMask, bits/8)
	for i := range m {
		switch {
		case ones >= 8:
			m[i] = 0xff
			ones -= 8
		default:
			m[i] = ^byte(0xff >> uint(ones))
			ones = 0
		}
	}
	return m
}

func ipFromAddr(a netip.Addr) IP {
	if a.Is4() {
		b := a.As4()
		return IPv4(b[0], b[1], b[2], b[3])
	}
	b := a.As16()
	return IP(b[:])
}

func (ip IP) addr() (netip.Addr, bool) {
	switch len(ip) {
	case IPv4len:
		return netip.AddrFrom4([4]byte(ip)), true
	case IPv6len:
		a := netip.AddrFrom16([16]byte(ip))
		if a.Is4In6() {
			return a.Unmap(), true
		}
		return a, true
	}
	return netip.Addr{}, false
}

// ParseIP parses an IPv4 or IPv6 literal; it returns nil when s is not one.
func ParseIP(s string) IP {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return nil
	}
	return ipFromAddr(a)
}

// ParseCIDR parses "ip/prefix" into the address and its network.
func ParseCIDR(s string) (IP, *IPNet, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return nil, nil, &ParseError{Type: "CIDR address", Text: s}
	}
	ip := ipFromAddr(p.Addr())
	bits := 8 * IPv6len
	if p.Addr().Is4() {
		bits = 8 * IPv4len
	}
	m := CIDRMask(p.Bits(), bits)
	return ip, &IPNet{IP: ip.Mask(m), Mask: m}, nil
}

// To4 returns the 4-byte form of an IPv4 address, else nil.
func (ip IP) To4() IP {
	if len(ip) == IPv4len {
		return ip
	}
	if len(ip) == IPv6len && string(ip[:12]) == string(v4InV6Prefix) {
		return ip[12:16]
	}
	return nil
}

// To16 returns the 16-byte form of ip.
func (ip IP) To16() IP {
	if len(ip) == IPv4len {
		return IPv4(ip[0], ip[1], ip[2], ip[3])
	}
	if len(ip) == IPv6len {
		return ip
	}
	return nil
}

// String returns the text form of ip ("<nil>" for an empty IP).
func (ip IP) String() string {
	if len(ip) == 0 {
		return "<nil>"
	}
	a, ok := ip.addr()
	if !ok {
		return "?" + hexString(ip)
	}
	return a.String()
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	s := make([]byte, 0, 2*len(b))
	for _, c := range b {
		s = append(s, digits[c>>4], digits[c&0xf])
	}
	return string(s)
}

// Equal reports whether ip and x are the same address (IPv4 and its IPv6 form are equal).
func (ip IP) Equal(x IP) bool {
	a, b := ip.To16(), x.To16()
	return a != nil && b != nil && string(a) == string(b)
}

func (ip IP) is(f func(netip.Addr) bool) bool {
	a, ok := ip.addr()
	return ok && f(a)
}

func (ip IP) IsUnspecified() bool { return ip.is(netip.Addr.IsUnspecified) }
func (ip IP) IsLoopback() bool    { return ip.is(netip.Addr.IsLoopback) }
func (ip IP) IsPrivate() bool     { return ip.is(netip.Addr.IsPrivate) }
func (ip IP) IsMulticast() bool   { return ip.is(netip.Addr.IsMulticast) }
func (ip IP) IsGlobalUnicast() bool {
	return ip.is(netip.Addr.IsGlobalUnicast)
}
func (ip IP) IsLinkLocalUnicast() bool   { return ip.is(netip.Addr.IsLinkLocalUnicast) }
func (ip IP) IsLinkLocalMulticast() bool { return ip.is(netip.Addr.IsLinkLocalMulticast) }
func (ip IP) IsInterfaceLocalMulticast() bool {
	return ip.is(netip.Addr.IsInterfaceLocalMulticast)
}

// DefaultMask returns the classful mask of an IPv4 address (nil for IPv6).
func (ip IP) DefaultMask() IPMask {
	if ip = ip.To4(); ip == nil {
		return nil
	}
	switch {
	case ip[0] < 0x80:
		return CIDRMask(8, 32)
	case ip[0] < 0xC0:
		return CIDRMask(16, 32)
	default:
		return CIDRMask(24, 32)
	}
}

// Mask returns ip masked with mask, or nil when their sizes do not fit.
func (ip IP) Mask(mask IPMask) IP {
	if len(mask) == IPv6len && len(ip) == IPv4len && allFF(mask[:12]) {
		mask = mask[12:]
	}
	if len(mask) == IPv4len && len(ip) == IPv6len && string(ip[:12]) == string(v4InV6Prefix) {
		ip = ip[12:]
	}
	if len(ip) != len(mask) {
		return nil
	}
	out := make(IP, len(ip))
	for i := range ip {
		out[i] = ip[i] & mask[i]
	}
	return out
}

func allFF(b []byte) bool {
	for _, c := range b {
		if c != 0xff {
			return false
		}
	}
	return true
}

// MarshalText implements encoding.TextMarshaler.
func (ip IP) MarshalText() ([]byte, error) {
	if len(ip) == 0 {
		return []byte(""), nil
	}
	if len(ip) != IPv4len && len(ip) != IPv6len {
		return nil, &AddrError{Err: "invalid IP address", Addr: hexString(ip)}
	}
	return []byte(ip.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (ip *IP) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*ip = nil
		return nil
	}
	x := ParseIP(string(text))
	if x == nil {
		return &ParseError{Type: "IP address", Text: string(text)}
	}
	*ip = x
	return nil
}

// Size returns the number of leading ones and the total bits of the mask (0, 0 if not canonical).
func (m IPMask) Size() (ones, bits int) {
	bits = len(m) * 8
	seenZero := false
	for _, c := range m {
		for i := 7; i >= 0; i-- {
			if c&(1<<uint(i)) != 0 {
				if seenZero {
					return 0, 0
				}
				ones++
			} else {
				seenZero = true
			}
		}
	}
	return ones, bits
}

// String returns the mask in hexadecimal form.
func (m IPMask) String() string {
	if len(m) == 0 {
		return "<nil>"
	}
	return hexString(m)
}

// Contains reports whether the network includes ip.
func (n *IPNet) Contains(ip IP) bool {
	nn, m := n.IP.To4(), n.Mask
	if nn == nil {
		nn = n.IP
	} else if len(m) == IPv6len {
		m = m[12:]
	}
	if x := ip.To4(); x != nil && len(nn) == IPv4len {
		ip = x
	}
	if len(ip) != len(nn) || len(m) != len(nn) {
		return false
	}
	for i := range nn {
		if nn[i]&m[i] != ip[i]&m[i] {
			return false
		}
	}
	return true
}

// Network returns "ip+net".
func (n *IPNet) Network() string { return "ip+net" }

// String returns the CIDR form of the network.
func (n *IPNet) String() string {
	if n == nil {
		return "<nil>"
	}
	ones, _ := n.Mask.Size()
	return n.IP.String() + "/" + itoa(ones)
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

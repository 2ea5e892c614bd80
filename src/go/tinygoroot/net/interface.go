package net

import "errors"

// Flags of a network interface.
type Flags uint

const (
	FlagUp Flags = 1 << iota
	FlagBroadcast
	FlagLoopback
	FlagPointToPoint
	FlagMulticast
	FlagRunning
)

// HardwareAddr is a physical hardware address.
type HardwareAddr []byte

func (a HardwareAddr) String() string {
	if len(a) == 0 {
		return ""
	}
	const digits = "0123456789abcdef"
	buf := make([]byte, 0, len(a)*3-1)
	for i, b := range a {
		if i > 0 {
			buf = append(buf, ':')
		}
		buf = append(buf, digits[b>>4], digits[b&0xF])
	}
	return string(buf)
}

// ParseMAC parses a colon- or dash-separated hardware address.
func ParseMAC(s string) (HardwareAddr, error) {
	var out HardwareAddr
	for i := 0; i < len(s); {
		if i+2 > len(s) {
			return nil, &AddrError{Err: "invalid MAC address", Addr: s}
		}
		hi, ok1 := fromHex(s[i])
		lo, ok2 := fromHex(s[i+1])
		if !ok1 || !ok2 {
			return nil, &AddrError{Err: "invalid MAC address", Addr: s}
		}
		out = append(out, hi<<4|lo)
		i += 2
		if i < len(s) {
			if s[i] != ':' && s[i] != '-' {
				return nil, &AddrError{Err: "invalid MAC address", Addr: s}
			}
			i++
		}
	}
	return out, nil
}

func fromHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Interface is a network interface; WarpGrid guests see none.
type Interface struct {
	Index        int
	MTU          int
	Name         string
	HardwareAddr HardwareAddr
	Flags        Flags
}

func (ifi *Interface) Addrs() ([]Addr, error) { return nil, nil }

// Interfaces returns no interfaces: a guest has no network devices of its own.
func Interfaces() ([]Interface, error) { return nil, nil }

// InterfaceAddrs returns no addresses (see Interfaces).
func InterfaceAddrs() ([]Addr, error) { return nil, nil }

// InterfaceByName reports that no interface exists.
func InterfaceByName(name string) (*Interface, error) {
	return nil, errors.New("net: no such network interface: " + name)
}

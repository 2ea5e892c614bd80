package net

import (
	"context"
	"strconv"
	"warpgrid/shim"
)

// Resolver looks names up through warpgrid:shim/dns: the service registry
// (<name>.<namespace>.warp.local), hosts overrides, then the host's system resolver.
type Resolver struct {
	PreferGo     bool
	StrictErrors bool
	Dial         func(ctx context.Context, network, address string) (Conn, error)
}

// DefaultResolver is the resolver used by the package-level Lookup functions and by Dialers.
var DefaultResolver = &Resolver{}

// LookupIPAddr returns the addresses of host (a literal is returned as is).
func (r *Resolver) LookupIPAddr(ctx context.Context, host string) ([]IPAddr, error) {
	if ip := ParseIP(host); ip != nil {
		return []IPAddr{{IP: ip}}, nil
	}
	if host == "" || host == "localhost" {
		return []IPAddr{{IP: IPv4(127, 0, 0, 1)}}, nil
	}
	addrs, err := shim.Resolve(host)
	if err != nil {
		return nil, &DNSError{
			UnwrapErr: err, Err: err.Error(), Name: host, Server: "warpgrid:shim/dns",
			IsNotFound: err == shim.ErrNotFound, IsTimeout: err == shim.ErrTimeout,
		}
	}
	out := make([]IPAddr, 0, len(addrs))
	for _, a := range addrs {
		if len(a.Octets) == IPv4len || len(a.Octets) == IPv6len {
			out = append(out, IPAddr{IP: IP(a.Octets).To16()})
		}
	}
	if len(out) == 0 {
		return nil, &DNSError{Err: "no such host", Name: host, Server: "warpgrid:shim/dns", IsNotFound: true}
	}
	return out, nil
}

// LookupHost returns the addresses of host as text.
func (r *Resolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	ips, err := r.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.IP.String()
	}
	return out, nil
}

// LookupIP returns the addresses of host for network "ip", "ip4" or "ip6".
func (r *Resolver) LookupIP(ctx context.Context, network, host string) ([]IP, error) {
	ips, err := r.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	var out []IP
	for _, ip := range ips {
		is4 := ip.IP.To4() != nil
		if network == "ip" || network == "ip4" && is4 || network == "ip6" && !is4 {
			out = append(out, ip.IP)
		}
	}
	if len(out) == 0 {
		return nil, &DNSError{Err: "no suitable address", Name: host, IsNotFound: true}
	}
	return out, nil
}

// LookupPort returns the port for a service name or number.
func (r *Resolver) LookupPort(ctx context.Context, network, service string) (int, error) {
	return LookupPort(network, service)
}

// LookupAddr (reverse lookup) has no shim: it reports not found.
func (r *Resolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	return nil, &DNSError{Err: "reverse lookups are not available", Name: addr, IsNotFound: true}
}

// LookupCNAME returns host itself (the dns shim resolves addresses only).
func (r *Resolver) LookupCNAME(ctx context.Context, host string) (string, error) {
	if _, err := r.LookupIPAddr(ctx, host); err != nil {
		return "", err
	}
	return host + ".", nil
}

// LookupTXT has no shim: it reports not found.
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return nil, &DNSError{Err: "TXT lookups are not available", Name: name, IsNotFound: true}
}

// LookupHost returns the addresses of host as text.
func LookupHost(host string) ([]string, error) {
	return DefaultResolver.LookupHost(context.Background(), host)
}

// LookupIP returns the addresses of host.
func LookupIP(host string) ([]IP, error) {
	return DefaultResolver.LookupIP(context.Background(), "ip", host)
}

// LookupAddr performs a reverse lookup (not available).
func LookupAddr(addr string) ([]string, error) {
	return DefaultResolver.LookupAddr(context.Background(), addr)
}

// LookupCNAME returns the canonical name of host.
func LookupCNAME(host string) (string, error) {
	return DefaultResolver.LookupCNAME(context.Background(), host)
}

// LookupTXT returns TXT records (not available).
func LookupTXT(name string) ([]string, error) {
	return DefaultResolver.LookupTXT(context.Background(), name)
}

var services = map[string]int{
	"http": 80, "https": 443, "postgres": 5432, "postgresql": 5432, "mysql": 3306, "redis": 6379,
}

// LookupPort returns the port number of a numeric or well-known service.
func LookupPort(network, service string) (int, error) {
	if service == "" {
		return 0, nil
	}
	if p, err := strconv.Atoi(service); err == nil {
		if p < 0 || p > 65535 {
			return 0, &AddrError{Err: "invalid port", Addr: service}
		}
		return p, nil
	}
	if p, ok := services[service]; ok {
		return p, nil
	}
	return 0, &DNSError{Err: "unknown port", Name: network + "/" + service, IsNotFound: true}
}

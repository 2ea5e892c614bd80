// Package net is WarpGrid's replacement of the standard net package for TinyGo guests.
//
// TinyGo 0.37 takes the files of package net from TINYGOROOT/src/net (its own copy lives in a
// git submodule that no registry serves), so WarpGrid provides the package: addresses and
// parsing (on top of net/netip), errors, and a Dialer whose TCP connections to database ports
// travel through the host's warpgrid:shim/database-proxy, with names resolved by
// warpgrid:shim/dns. There is no other egress: every other destination fails at once with an
// *OpError that says so, and listeners are refused (HTTP services receive requests through
// net/http's handler export instead).
package net

//! Name resolution through `warpgrid:shim/dns`: the host's service registry
//! (`<name>.<namespace>.warp.local`), then hosts overrides, then the system resolver.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::bindings::warpgrid::shim::dns as wit;

/// Why a name did not resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsError {
    NotFound,
    Timeout,
    Internal,
    /// The host sent an address that is neither 4 nor 16 bytes.
    BadAddress,
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DnsError::NotFound => "name not found",
            DnsError::Timeout => "name resolution timed out",
            DnsError::Internal => "name resolution failed inside the host",
            DnsError::BadAddress => "the host returned a malformed address",
        })
    }
}

impl std::error::Error for DnsError {}

/// Converts one WIT address (network-order octets) into a std address.
pub fn to_ip_addr(octets: &[u8], is_v6: bool) -> Result<IpAddr, DnsError> {
    match (is_v6, octets.len()) {
        (false, 4) => Ok(IpAddr::V4(Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]))),
        (true, 16) => {
            let mut b = [0u8; 16];
            b.copy_from_slice(octets);
            Ok(IpAddr::V6(Ipv6Addr::from(b)))
        }
        _ => Err(DnsError::BadAddress),
    }
}

/// All addresses of `hostname` (the host rotates them round-robin between calls).
pub fn resolve(hostname: &str) -> Result<Vec<IpAddr>, DnsError> {
    match wit::resolve(hostname) {
        Ok(addrs) => addrs.iter().map(|a| to_ip_addr(&a.octets, a.is_v6)).collect(),
        Err(wit::DnsError::NotFound) => Err(DnsError::NotFound),
        Err(wit::DnsError::Timeout) => Err(DnsError::Timeout),
        Err(wit::DnsError::Internal) => Err(DnsError::Internal),
    }
}

/// The first address of `hostname`, for clients that connect to one address.
pub fn resolve_one(hostname: &str) -> Result<IpAddr, DnsError> {
    resolve(hostname)?.into_iter().next().ok_or(DnsError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_v4_and_v6() {
        assert_eq!(to_ip_addr(&[10, 0, 0, 7], false), Ok("10.0.0.7".parse().unwrap()));
        let v6: Ipv6Addr = "fd00::1".parse().unwrap();
        assert_eq!(to_ip_addr(&v6.octets(), true), Ok(IpAddr::V6(v6)));
    }

    #[test]
    fn rejects_malformed_lengths() {
        assert_eq!(to_ip_addr(&[1, 2, 3], false), Err(DnsError::BadAddress));
        assert_eq!(to_ip_addr(&[1, 2, 3, 4], true), Err(DnsError::BadAddress));
    }
}

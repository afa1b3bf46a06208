//! The client address a request is limited by: the TCP peer, or the address a trusted proxy
//! forwarded.
//!
//! Forwarding headers are believed only when the peer is inside `TRUSTED_PROXIES`: anyone else
//! could write any address there and get a fresh quota per request. The chain is read from the
//! right, skipping our own proxies, so a client cannot spoof by prepending entries either.

use std::net::IpAddr;

use http::HeaderMap;

/// An address block such as `10.0.0.0/8` or `::1/128` (a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// A `TRUSTED_PROXIES` entry that is not an address block.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("TRUSTED_PROXIES: `{0}` is not an address or CIDR block")]
pub struct BadCidr(pub String);

impl std::str::FromStr for Cidr {
    type Err = BadCidr;

    fn from_str(text: &str) -> Result<Self, BadCidr> {
        let bad = || BadCidr(text.to_owned());
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text.trim(), None),
        };
        let network: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Self { network, prefix })
    }
}

impl Cidr {
    /// Whether `ip` lies in the block (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                same_prefix(n.to_bits().into(), a.to_bits().into(), 32, self.prefix)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                same_prefix(n.to_bits(), a.to_bits(), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn same_prefix(a: u128, b: u128, width: u8, prefix: u8) -> bool {
    let host_bits = u32::from(width - prefix);
    a.checked_shr(host_bits).unwrap_or(0) == b.checked_shr(host_bits).unwrap_or(0)
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Parses a comma-separated `TRUSTED_PROXIES` list.
pub fn parse_trusted(list: &str) -> Result<Vec<Cidr>, BadCidr> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect()
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the right-most
/// forwarded address that is not itself a trusted proxy.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return canonical(peer);
    }
    let chain = forwarded_chain(headers);
    chain
        .iter()
        .rev()
        .find(|ip| !is_trusted(**ip))
        .or_else(|| chain.first())
        .map_or(canonical(peer), |ip| canonical(*ip))
}

/// The addresses of `Forwarded` (RFC 7239 `for=`) or, without it, `X-Forwarded-For`, in order.
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let forwarded: Vec<IpAddr> = header_values(headers, "forwarded")
        .flat_map(|v| v.split([',', ';']).map(str::trim).collect::<Vec<_>>())
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("for")
                .then(|| parse_node(v))?
        })
        .collect();
    if !forwarded.is_empty() {
        return forwarded;
    }
    header_values(headers, "x-forwarded-for")
        .flat_map(|v| v.split(',').map(str::trim).collect::<Vec<_>>())
        .filter_map(parse_node)
        .collect()
}

fn header_values<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
}

/// Parses `1.2.3.4`, `1.2.3.4:5678`, `"[2001:db8::1]:443"` or `2001:db8::1`.
fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    text.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, v.parse().unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
        let trusted = parse_trusted("10.0.0.0/8").unwrap();
        let h = headers(&[("x-forwarded-for", "1.1.1.1")]);
        assert_eq!(
            client_ip(ip("203.0.113.9"), &h, &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_trusted_proxy_chain_yields_the_rightmost_untrusted_address() {
        let trusted = parse_trusted("10.0.0.0/8, 192.168.1.1").unwrap();
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 192.168.1.1")]);
        assert_eq!(client_ip(ip("10.1.2.3"), &h, &trusted), ip("198.51.100.7"));
    }

    #[test]
    fn the_forwarded_header_is_preferred_and_may_carry_ports_and_ipv6() {
        let trusted = parse_trusted("::1/128").unwrap();
        let h = headers(&[
            (
                "forwarded",
                "for=\"[2001:db8::5]:4711\";proto=https, for=10.0.0.1",
            ),
            ("x-forwarded-for", "9.9.9.9"),
        ]);
        assert_eq!(client_ip(ip("::1"), &h, &trusted), ip("10.0.0.1"));
    }

    #[test]
    fn cidr_blocks_match_by_prefix_and_reject_nonsense() {
        let block: Cidr = "172.16.0.0/12".parse().unwrap();
        assert!(block.contains(ip("172.31.255.1")));
        assert!(!block.contains(ip("172.32.0.1")));
        assert!(block.contains(ip("::ffff:172.16.0.1")));
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains(ip("8.8.8.8")));
        assert_eq!(
            parse_trusted("10.0.0.0/33"),
            Err(BadCidr("10.0.0.0/33".into()))
        );
    }
}

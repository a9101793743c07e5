//! The address a request is metered by. The socket's peer, unless that peer
//! is a proxy named in `TRUSTED_PROXIES`: then the nearest address in
//! `X-Forwarded-For` that is not one of those proxies. A client cannot pick
//! its own address by sending the header, since an untrusted peer's header
//! is never read.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::http::HeaderMap;

use crate::config::Cidr;

pub fn client_ip(peer: Option<SocketAddr>, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let peer = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.ip());
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    // Read from the right: each trusted hop appended the address it saw.
    for value in headers.get_all("x-forwarded-for").iter().rev() {
        let Ok(value) = value.to_str() else {
            return client;
        };
        for hop in value.rsplit(',') {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                return client;
            };
            client = ip;
            if !is_trusted(ip) {
                return ip;
            }
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_str(xff).expect("header"),
        );
        h
    }

    #[test]
    fn forwarded_for_is_believed_from_trusted_proxies_only() {
        let proxy: SocketAddr = "10.0.0.2:4000".parse().expect("addr");
        let stranger: SocketAddr = "198.51.100.7:4000".parse().expect("addr");
        let trusted = ["10.0.0.0/8".parse::<Cidr>().expect("cidr")];
        let h = headers("203.0.113.9, 10.0.0.5");
        assert_eq!(
            client_ip(Some(proxy), &h, &trusted).to_string(),
            "203.0.113.9"
        );
        // A client's own spoofed first entry is left of the real one.
        let h = headers("1.2.3.4, 203.0.113.9");
        assert_eq!(
            client_ip(Some(proxy), &h, &trusted).to_string(),
            "203.0.113.9"
        );
        assert_eq!(
            client_ip(Some(stranger), &h, &trusted).to_string(),
            "198.51.100.7"
        );
        assert_eq!(client_ip(Some(proxy), &h, &[]).to_string(), "10.0.0.2");
        let h = headers("garbage");
        assert_eq!(client_ip(Some(proxy), &h, &trusted).to_string(), "10.0.0.2");
    }
}

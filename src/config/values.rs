//! The configuration's values: the secret wrapper that never prints, and
//! the choices a flag can take.

use std::fmt;

use clap::ValueEnum;

/// Signing secret used only when no `JWT_SECRET` is set in development mode.
/// Its value says what it is, and production mode refuses it.
pub const DEVELOPMENT_JWT_SECRET: &str =
    "ocop-gateway-DEVELOPMENT-ONLY-secret-never-use-in-production";

/// The shortest HS256 secret accepted (RFC 7518 §3.2: at least the hash size).
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum JwtAlgorithm {
    #[value(name = "HS256")]
    Hs256,
    #[value(name = "RS256")]
    Rs256,
    #[value(name = "ES256")]
    Es256,
    #[value(name = "EdDSA")]
    EdDsa,
}

/// How SQLite syncs its write-ahead log (`PRAGMA synchronous`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SqliteSync {
    /// Every commit is on disk when acknowledged (survives power loss).
    Full,
    /// Commits survive a killed process, not an OS crash or power loss:
    /// the last acknowledged orders can be lost. Faster.
    Normal,
}

/// Who may introspect the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Introspection {
    /// Anyone, without a token (metered by client address).
    Public,
    /// Partners with a valid token; requests without one are refused.
    Authenticated,
    /// Nobody (GraphiQL's docs and autocomplete stop working).
    Off,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// An address or a CIDR block (`10.0.0.0/8`, `::1`), for `TRUSTED_PROXIES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub net: std::net::IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::{V4, V6};
        // An IPv4 peer reached over a dual-stack socket arrives mapped.
        let ip = match ip {
            V6(v6) => v6.to_ipv4_mapped().map_or(V6(v6), V4),
            v4 => v4,
        };
        match (self.net, ip) {
            (V4(net), V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (V6(net), V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (addr, prefix) = s.split_once('/').unwrap_or((s, ""));
        let net: std::net::IpAddr = addr
            .parse()
            .map_err(|_| format!("`{s}` is not an IP address or CIDR block"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            "" => max,
            p => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{s}`: the prefix must be 0 to {max}"))?,
        };
        Ok(Self { net, prefix })
    }
}

#[cfg(test)]
mod tests {
    use super::Cidr;

    #[test]
    fn cidr_blocks_hold_their_addresses_only() {
        let lan: Cidr = "10.0.0.0/8".parse().expect("cidr");
        assert!(lan.contains("10.1.2.3".parse().expect("ip")));
        assert!(lan.contains("::ffff:10.1.2.3".parse().expect("ip")));
        assert!(!lan.contains("11.0.0.1".parse().expect("ip")));
        let one: Cidr = "::1".parse().expect("cidr");
        assert!(one.contains("::1".parse().expect("ip")));
        assert!(!one.contains("::2".parse().expect("ip")));
        let all: Cidr = "0.0.0.0/0".parse().expect("cidr");
        assert!(all.contains("203.0.113.9".parse().expect("ip")));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("proxy".parse::<Cidr>().is_err());
    }
}

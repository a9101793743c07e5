//! The HTTP client that calls partners' receivers, and its SSRF guard, in
//! one file so that no request leaves without passing it.
//!
//! A target is checked three times: its URL when an endpoint is created or
//! changed (`check_url`: https outside development, no userinfo, a host),
//! its addresses when it is created (`check_resolves`), and its addresses
//! again at every attempt, inside the client's resolver (`Guard`): the
//! connection goes to an address that was just checked, so a name that
//! resolved to a public address yesterday and to 127.0.0.1 today is not
//! reached. Redirects are not followed, proxies from the environment are
//! not used, and the response body is never read beyond its status.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

/// What a target may be.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// `http://` allowed (development only).
    pub allow_http: bool,
    /// Loopback, private and link-local addresses allowed
    /// (`WEBHOOK_ALLOW_PRIVATE_TARGETS`: tests and private networks).
    pub allow_private: bool,
}

/// Why a target is refused, in words for the partner (and the log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// The URL's shape: scheme, no credentials, a host, at most 2,000 bytes.
pub fn check_url(text: &str, policy: Policy) -> Result<Url, Refused> {
    let refuse = |why: &str| Err(Refused(why.to_owned()));
    if text.len() > 2_000 {
        return refuse("a webhook URL is at most 2,000 characters");
    }
    let Ok(url) = Url::parse(text.trim()) else {
        return refuse("not a URL");
    };
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_http => {}
        "http" => return refuse("must be https://"),
        _ => return refuse("must be an https:// URL"),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("must not carry a user name or password");
    }
    if url.fragment().is_some() {
        return refuse("must not carry a #fragment");
    }
    match url.host() {
        None => refuse("must name a host"),
        Some(url::Host::Ipv4(ip)) => public(IpAddr::V4(ip), policy).map(|_| url),
        Some(url::Host::Ipv6(ip)) => public(IpAddr::V6(ip), policy).map(|_| url),
        Some(url::Host::Domain(_)) => Ok(url),
    }
}

/// Resolves the URL's host now and refuses it unless every address is
/// public (at creation: the partner learns at once that it cannot work).
pub async fn check_resolves(url: &Url, policy: Policy) -> Result<(), Refused> {
    let Some(url::Host::Domain(host)) = url.host() else {
        return Ok(());
    };
    let port = url.port_or_known_default().unwrap_or(443);
    resolve_checked(host, port, policy).await.map(|_| ())
}

async fn resolve_checked(
    host: &str,
    port: u16,
    policy: Policy,
) -> Result<Vec<SocketAddr>, Refused> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| Refused(format!("{host} does not resolve")))?
        .collect();
    if addrs.is_empty() {
        return Err(Refused(format!("{host} does not resolve")));
    }
    // Every address, not just one: a name with a public and a private
    // address could be steered to the private one.
    for a in &addrs {
        public(a.ip(), policy).map_err(|Refused(why)| Refused(format!("{host}: {why}")))?;
    }
    Ok(addrs)
}

/// Refuses what is not a public unicast address, IPv4-mapped IPv6 seen as
/// the IPv4 address it carries.
pub fn public(ip: IpAddr, policy: Policy) -> Result<(), Refused> {
    if policy.allow_private {
        return Ok(());
    }
    let what = match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_class(v4),
            None => v6_class(v6),
        },
    };
    match what {
        None => Ok(()),
        Some(class) => Err(Refused(format!(
            "resolves to a {class} address ({ip}), which is not allowed"
        ))),
    }
}

fn v4_class(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        // 169.254/16, the cloud metadata address among them.
        Some("link-local")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared (carrier-grade NAT)")
    } else if ip.is_broadcast()
        || ip.is_multicast()
        || a >= 240
        || ip.is_documentation()
        || (a == 198 && (b == 18 || b == 19))
    {
        Some("reserved")
    } else {
        None
    }
}

fn v6_class(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_unspecified() {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if first & 0xfe00 == 0xfc00 {
        Some("unique-local")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("reserved")
    } else if ip.to_ipv4().is_some() && first == 0 {
        // ::a.b.c.d (IPv4-compatible, deprecated): never a real target.
        Some("reserved")
    } else if first == 0x2001 && ip.segments()[1] == 0x0db8 {
        Some("reserved")
    } else if first == 0x0064 && ip.segments()[1] == 0xff9b {
        // NAT64 would reach any IPv4 address, private ones included.
        Some("NAT64")
    } else {
        None
    }
}

/// The client's resolver: resolves, checks every address, and gives the
/// connector only checked addresses.
struct Guard {
    policy: Policy,
}

impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        Box::pin(async move {
            // The port is the connector's; 0 here is replaced by it.
            let addrs = resolve_checked(name.as_str(), 0, policy).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The one client every attempt is made with.
pub fn build(policy: Policy, timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    crate::outbound::install_crypto();
    reqwest::Client::builder()
        .dns_resolver(Arc::new(Guard { policy }))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(concat!("ocop-gateway-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Checks an IP-literal URL's address before an attempt (the resolver is
/// not asked for a literal).
pub fn check_literal(url: &Url, policy: Policy) -> Result<(), Refused> {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => public(IpAddr::V4(ip), policy),
        Some(url::Host::Ipv6(ip)) => public(IpAddr::V6(ip), policy),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: Policy = Policy {
        allow_http: false,
        allow_private: false,
    };

    #[test]
    fn every_non_public_class_is_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ] {
            let ip: IpAddr = ip.parse().expect("an address");
            assert!(public(ip, STRICT).is_err(), "{ip} should be refused");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700:4700::1111",
            "172.32.0.1",
        ] {
            let ip: IpAddr = ip.parse().expect("an address");
            assert!(public(ip, STRICT).is_ok(), "{ip} is public");
        }
    }

    #[test]
    fn urls_need_https_a_host_and_no_credentials() {
        assert!(check_url("https://erp.example.vn/hooks", STRICT).is_ok());
        for bad in [
            "http://erp.example.vn/hooks",
            "ftp://erp.example.vn/",
            "https://user:pw@erp.example.vn/",
            "https://127.0.0.1/",
            "https://[::ffff:7f00:1]/",
            "https://10.0.0.5:8443/x",
            "not a url",
        ] {
            assert!(check_url(bad, STRICT).is_err(), "{bad}");
        }
        let dev = Policy {
            allow_http: true,
            allow_private: true,
        };
        assert!(check_url("http://127.0.0.1:9000/", dev).is_ok());
    }
}

//! A webhook endpoint's URL as typed on the settings page: `https://` on a public address. Plain `http://`
//! only to this machine (loopback) and only while the sandbox processor runs (development and tests).
//! The sender checks the addresses a host name resolves to again before every request
//! (`server/src/workers/webhook_sender.rs`), so a name that later points inside the network is refused too.

use std::net::IpAddr;
use tollgate_domain::error::AppError;

/// The longest URL kept.
const MAX_CHARS: usize = 2048;

/// A checked endpoint URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointUrl(String);

impl EndpointUrl {
    pub fn parse(raw: &str, sandbox: bool) -> Result<EndpointUrl, AppError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.chars().count() > MAX_CHARS {
            return Err(AppError::WebhookUrlInvalid);
        }
        let url = url::Url::parse(raw).map_err(|_| AppError::WebhookUrlInvalid)?;
        if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
            return Err(AppError::WebhookUrlInvalid);
        }
        let host = url.host().ok_or(AppError::WebhookUrlInvalid)?;
        let loopback = match host {
            url::Host::Domain(name) => {
                let name = name.trim_end_matches('.');
                name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost")
            }
            url::Host::Ipv4(ip) => ip.is_loopback(),
            url::Host::Ipv6(ip) => ip.is_loopback(),
        };
        let literal = match host {
            url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            url::Host::Domain(_) => None,
        };
        if loopback && !sandbox {
            return Err(AppError::WebhookUrlPrivate);
        }
        if let Some(ip) = literal.filter(|ip| !ip.is_loopback()) {
            if !is_public(ip) {
                return Err(AppError::WebhookUrlPrivate);
            }
        }
        match url.scheme() {
            "https" => {}
            "http" if loopback && sandbox => {}
            _ => return Err(AppError::WebhookUrlInvalid),
        }
        Ok(EndpointUrl(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether an address is on the public internet: not loopback, private (RFC 1918, unique-local),
/// link-local (cloud metadata at 169.254.169.254), shared (100.64/10), documentation, benchmarking,
/// multicast, broadcast or unspecified — and an IPv4-mapped IPv6 address is judged as its IPv4 one.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            // Global unicast (2000::/3) only, less the ranges that lead elsewhere: documentation, 6to4
            // (2002::/16) and Teredo (2001::/32) embed IPv4 addresses that could be private. NAT64
            // (64:ff9b::/96), IPv4-compatible (::/96), site-local (fec0::/10), unique-local, link-local,
            // loopback and multicast are all outside 2000::/3.
            let [first, second, ..] = v6.segments();
            (first & 0xe000) == 0x2000
                && !(first == 0x2001 && second == 0x0db8)
                && first != 0x2002
                && !(first == 0x2001 && second == 0x0000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_on_public_hosts_only_and_http_to_this_machine_in_the_sandbox() {
        assert!(EndpointUrl::parse("https://hooks.example.com/tollgate", false).is_ok());
        assert!(EndpointUrl::parse("https://93.184.216.34:8443/x", false).is_ok());
        assert!(EndpointUrl::parse("https://[2606:2800:220:1::1]/x", false).is_ok());
        assert_eq!(EndpointUrl::parse("http://hooks.example.com/", false), Err(AppError::WebhookUrlInvalid));
        assert_eq!(EndpointUrl::parse("ftp://hooks.example.com/", false), Err(AppError::WebhookUrlInvalid));
        assert_eq!(
            EndpointUrl::parse("https://user:pw@example.com/", false),
            Err(AppError::WebhookUrlInvalid)
        );
        assert_eq!(EndpointUrl::parse("not a url", false), Err(AppError::WebhookUrlInvalid));
        assert_eq!(
            EndpointUrl::parse(&format!("https://e.com/{}", "a".repeat(2100)), false),
            Err(AppError::WebhookUrlInvalid)
        );
        for private in [
            "https://10.0.0.1/",
            "https://192.168.1.1/",
            "https://172.16.0.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://[64:ff9b::a9fe:a9fe]/",
            "https://[2002:a9fe:a9fe::1]/",
            "https://[::a9fe:a9fe]/",
            "https://[fec0::1]/",
            "https://[2001:0:a9fe::1]/",
            "https://0.0.0.0/",
        ] {
            assert_eq!(EndpointUrl::parse(private, true), Err(AppError::WebhookUrlPrivate), "{private}");
        }
        for local in [
            "https://127.0.0.1/",
            "https://2130706433/",
            "https://0x7f.1/",
            "https://localhost./",
            "https://[::1]/",
        ] {
            assert_eq!(EndpointUrl::parse(local, false), Err(AppError::WebhookUrlPrivate), "{local}");
        }
        assert_eq!(EndpointUrl::parse("http://localhost:9/", false), Err(AppError::WebhookUrlPrivate));
        assert!(EndpointUrl::parse("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(EndpointUrl::parse("http://localhost:9000/hook", true).is_ok());
        assert!(EndpointUrl::parse("http://[::1]:9000/hook", true).is_ok());
    }
}

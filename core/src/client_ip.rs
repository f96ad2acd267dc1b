//! The address a request came from, as the abuse limits count it (docs/CONTRACT.md "Limits and account
//! security"). The server works it out once per request (`server/src/http/client_ip.rs`: the socket's peer,
//! or `X-Forwarded-For` only from a trusted proxy) and puts it in the request's extensions.

use std::net::IpAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(IpAddr);

impl ClientIp {
    /// The client at `ip`; an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is its IPv4 address.
    pub const fn new(ip: IpAddr) -> ClientIp {
        match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientIp(IpAddr::V4(v4)),
                None => ClientIp(ip),
            },
            IpAddr::V4(_) => ClientIp(ip),
        }
    }

    pub fn ip(self) -> IpAddr {
        self.0
    }

    /// What a per-IP limit counts: an IPv4 address as it is; an IPv6 address by its /64, since one
    /// subscriber is usually handed a whole /64 and could otherwise step through it.
    pub fn limit_subject(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        }
    }

    /// A wider subject for limits on what one network may make at all (chat app registrations): an IPv4
    /// address as it is; an IPv6 address by its /48, the block a site is usually given, so stepping through
    /// its 65,536 /64s doesn't multiply the limit.
    pub fn network_subject(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_of_one_network_are_one_subject() {
        let client = |s: &str| ClientIp::new(s.parse().unwrap());
        let (a, b, c) =
            (client("2001:db8:1:2:aaaa::1"), client("2001:db8:1:2:bbbb::9"), client("2001:db8:1:3::1"));
        assert_eq!(a.limit_subject(), b.limit_subject());
        assert_ne!(a.limit_subject(), c.limit_subject());
        assert_eq!(client("::ffff:10.0.0.7").limit_subject(), "10.0.0.7");
        assert_eq!(client("10.0.0.7").limit_subject(), "10.0.0.7");
    }

    #[test]
    fn a_network_subject_is_the_ipv6_48() {
        let client = |s: &str| ClientIp::new(s.parse().unwrap());
        assert_eq!(
            client("2001:db8:1:2::1").network_subject(),
            client("2001:db8:1:ffff::9").network_subject()
        );
        assert_ne!(client("2001:db8:1::1").network_subject(), client("2001:db8:2::1").network_subject());
        assert_eq!(client("::ffff:10.0.0.7").network_subject(), "10.0.0.7");
        assert_eq!(client("10.0.0.7").network_subject(), "10.0.0.7");
    }
}

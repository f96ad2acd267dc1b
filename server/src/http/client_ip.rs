//! Works out each request's client address once, for the abuse limits (docs/CONTRACT.md "Limits and
//! account security"), and puts it into the request's extensions as `tollgate_core::client_ip::ClientIp`.
//!
//! The socket's peer address is the client, unless the peer is a proxy listed in
//! `TOLLGATE_TRUSTED_PROXIES`: then `X-Forwarded-For` is read from the right (the entry the nearest proxy
//! added) past every trusted proxy, and the first address that isn't one is the client. Anyone can send an
//! `X-Forwarded-For` header, so it is never believed from an untrusted peer.

use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use tollgate_core::client_ip::ClientIp;

/// `TOLLGATE_TRUSTED_PROXIES`: addresses or networks (`10.0.0.0/8`) whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Arc<Vec<IpNet>>);

impl TrustedProxies {
    fn trusts(&self, client: ClientIp) -> bool {
        self.0.iter().any(|net| net.contains(&client.ip()))
    }

    /// The client behind `peer`, given the request's `X-Forwarded-For` values in order.
    pub fn client_of(&self, peer: IpAddr, forwarded_for: &[&str]) -> ClientIp {
        let peer = ClientIp::new(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>().map(ClientIp::new) else {
                // An entry that isn't an address: stop at the last one we could trust.
                return client;
            };
            client = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        client
    }
}

/// The middleware: every request leaves with a `ClientIp`.
pub async fn attach_client_ip(
    State(trusted): State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = match request.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(addr)) => addr.ip(),
        None => {
            // Only when served without connect info (see `build_router`); such requests share one subject.
            tracing::warn!("request without a peer address; counted as 0.0.0.0");
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        }
    };
    let forwarded: Vec<&str> =
        request.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    let client = trusted.client_of(peer, &forwarded);
    request.extensions_mut().insert(client);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies(Arc::new(list.iter().map(|n| n.parse().unwrap()).collect()))
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn client(s: &str) -> ClientIp {
        ClientIp::new(ip(s))
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let none = proxies(&[]);
        assert_eq!(none.client_of(ip("203.0.113.9"), &["198.51.100.1"]), client("203.0.113.9"));
        let lb = proxies(&["10.0.0.0/8"]);
        assert_eq!(lb.client_of(ip("10.1.2.3"), &["198.51.100.1"]), client("198.51.100.1"));
        // A client that forges the header: the forged entry is left of the one our proxy added.
        assert_eq!(lb.client_of(ip("10.1.2.3"), &["6.6.6.6, 198.51.100.1"]), client("198.51.100.1"));
        // Two trusted hops, several header lines.
        assert_eq!(lb.client_of(ip("10.1.2.3"), &["198.51.100.1", "10.9.9.9"]), client("198.51.100.1"));
        // Nothing but proxies: the leftmost one.
        assert_eq!(lb.client_of(ip("10.1.2.3"), &["10.4.4.4"]), client("10.4.4.4"));
        // Garbage in the header: stop at the last trusted hop.
        assert_eq!(lb.client_of(ip("10.1.2.3"), &["not-an-ip"]), client("10.1.2.3"));
        // No header from a trusted proxy: the proxy itself.
        assert_eq!(lb.client_of(ip("10.1.2.3"), &[]), client("10.1.2.3"));
        // IPv4-mapped IPv6 peers are their IPv4 address.
        assert_eq!(lb.client_of(ip("::ffff:10.1.2.3"), &["198.51.100.1"]), client("198.51.100.1"));
    }
}

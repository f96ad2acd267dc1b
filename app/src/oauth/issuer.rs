//! Who Tollgate is as an authorization server: the `issuer` of its metadata (RFC 8414) and the `iss` it
//! adds to every answer it sends an app back with (RFC 9207), so an app talking to several servers can
//! tell which one answered (a mix-up attack sends it another server's code).

/// `TOLLGATE_PUBLIC_URL`, which the server puts into every request's context.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublicUrl(pub Option<String>);

/// The site's own address: the public URL when set, else `http://` and the request's `Host`.
pub fn site_base(public_url: Option<&str>, host: Option<&str>) -> String {
    match public_url {
        Some(url) => url.to_string(),
        None => format!("http://{}", host.unwrap_or("127.0.0.1:3000")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_url_wins_over_the_host() {
        assert_eq!(
            site_base(Some("https://tollgate.example"), Some("evil.example")),
            "https://tollgate.example"
        );
        assert_eq!(site_base(None, Some("127.0.0.1:4000")), "http://127.0.0.1:4000");
        assert_eq!(site_base(None, None), "http://127.0.0.1:3000");
    }
}

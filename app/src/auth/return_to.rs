//! Sending a person back where they were going after logging in, without ever sending them off-site.

/// Where to go after logging in: only a path on this site, so `?next=` can't send anyone elsewhere.
pub fn safe_next_path(next: Option<&str>) -> String {
    const HOME: &str = "/dashboard/wallet";
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(|c| c.is_control())
                && path.len() <= 2048 =>
        {
            path.to_string()
        }
        _ => HOME.to_string(),
    }
}

/// `/login?next=<path>`: the page a signed-out visitor is sent to.
pub fn login_path(return_to: &str) -> String {
    with_next("/login", return_to)
}

/// `page?next=<path>` with the path percent-encoded (or just `page` when there is nowhere to return to).
pub fn with_next(page: &str, return_to: &str) -> String {
    if return_to.is_empty() {
        return page.to_string();
    }
    format!("{page}?next={}", tollgate_domain::url_query::encode_value(return_to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn next_path_stays_on_this_site() {
        assert_eq!(safe_next_path(Some("/dashboard/usage?x=1")), "/dashboard/usage?x=1");
        for bad in [
            None,
            Some(""),
            Some("https://evil.test/"),
            Some("//evil.test"),
            Some("/\\evil.test"),
            Some("javascript:alert(1)"),
        ] {
            assert_eq!(safe_next_path(bad), "/dashboard/wallet", "{bad:?}");
        }
    }

    #[test]
    fn login_path_encodes_the_query_of_the_return_path() {
        assert_eq!(
            login_path("/dashboard/usage?since=2026-04-01&x=1"),
            "/login?next=%2Fdashboard%2Fusage%3Fsince%3D2026-04-01%26x%3D1"
        );
        assert_eq!(with_next("/signup", ""), "/signup");
    }

    proptest! {
        #[test]
        fn next_is_always_a_local_path(s in "\\PC*") {
            let next = safe_next_path(Some(&s));
            prop_assert!(next.starts_with('/') && !next.starts_with("//"));
        }
    }
}

//! The addresses of the site's own static files, versioned by their content, so a browser may keep them
//! for a year and still never runs an old script after a release (docs/ARCHITECTURE.md "Static files and
//! caching").
//!
//! Two kinds of names:
//! - the wasm bundle, its loader and the stylesheet (`/pkg/`) get the content hash in the file name from
//!   the build (cargo-leptos `hash-files`); Leptos' `HydrationScripts` and `HashedStylesheet` name them;
//! - the files copied from `public/` (`enhance.js`, `charts.js`, ECharts, the icon) keep their names and
//!   get `?v=<hash of the content>`, computed once when the server starts ([`register_site`]).
//!
//! The server answers a versioned address with `Cache-Control: public, max-age=31536000, immutable`
//! ([`is_immutable`]); anything else static is `no-cache` (revalidated), and pages stay `no-store`.

#[cfg(feature = "ssr")]
use std::collections::HashMap;
#[cfg(feature = "ssr")]
use std::sync::OnceLock;

/// The files from `public/` that pages name, each served at `/<name>`.
pub const VERSIONED: [&str; 5] =
    ["enhance.js", "charts.js", "card-entry.js", "echarts.min.js", "favicon.svg"];

#[cfg(feature = "ssr")]
static VERSIONS: OnceLock<HashMap<&'static str, String>> = OnceLock::new();

/// Reads each of [`VERSIONED`] under `site_root` once and keeps a short hash of its content. A file
/// missing (tests without a built site) just goes unversioned. The first call wins: the files don't change
/// while the server runs (a new release is a new process).
#[cfg(feature = "ssr")]
pub fn register_site(site_root: &std::path::Path) {
    use sha2::{Digest, Sha256};
    VERSIONS.get_or_init(|| {
        VERSIONED
            .iter()
            .filter_map(|name| {
                let content = std::fs::read(site_root.join(name)).ok()?;
                let digest = Sha256::digest(&content);
                let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
                Some((*name, short))
            })
            .collect()
    });
}

/// `/enhance.js?v=3f2a…` for one of [`VERSIONED`]; the bare `/enhance.js` when its version isn't known.
pub fn url(name: &'static str) -> String {
    match version_of(name) {
        Some(version) => format!("/{name}?v={version}"),
        None => format!("/{name}"),
    }
}

#[cfg(feature = "ssr")]
fn version_of(name: &str) -> Option<&'static str> {
    VERSIONS.get()?.get(name).map(String::as_str)
}

#[cfg(not(feature = "ssr"))]
fn version_of(_name: &str) -> Option<&'static str> {
    None
}

/// Where the release build writes the site's content hashes: `hash.txt` (the options' `hash_file`) beside
/// the server's binary.
pub fn hash_file(options: &leptos::config::LeptosOptions) -> Option<std::path::PathBuf> {
    Some(std::env::current_exe().ok()?.with_file_name(options.hash_file.as_ref()))
}

/// The stylesheet's address, `/pkg/<name>.<hash>.css` as the build named it (the `css:` line of its hash
/// file, beside the server's binary), or `/pkg/<name>.css` when files aren't hashed. Read once per process:
/// Leptos' `HashedStylesheet` read the hash file on every page, a few percent of rendering one
/// (docs/BENCHMARKS.md, P2).
pub fn stylesheet_href(options: &leptos::config::LeptosOptions) -> &'static str {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HREF.get_or_init(|| {
        let hash = options
            .hash_files
            .then(|| {
                let hashes = std::fs::read_to_string(hash_file(options)?).ok()?;
                hashes.lines().find_map(|line| Some(line.trim().strip_prefix("css:")?.trim().to_string()))
            })
            .flatten();
        let name = &options.output_name;
        let pkg = &options.site_pkg_dir;
        match hash {
            Some(hash) => format!("/{pkg}/{name}.{hash}.css"),
            None => format!("/{pkg}/{name}.css"),
        }
    })
}

/// Whether a static file's address names one exact content, so it may be cached for good: a build-hashed
/// `/pkg/<name>.<hash>.<ext>`, or one of [`VERSIONED`] with the `?v=` of the file being served (an old
/// page's old version is answered, but not cached as if it were that version).
pub fn is_immutable(path: &str, query: Option<&str>) -> bool {
    if let Some(file) = path.strip_prefix("/pkg/") {
        return !file.contains('/') && file.split('.').count() >= 3;
    }
    let Some(name) = path.strip_prefix('/') else { return false };
    let asked = query.and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("v=")));
    matches!((asked, version_of(name)), (Some(asked), Some(current)) if asked == current)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn build_hashed_bundle_files_are_immutable_and_plain_ones_are_not() {
        assert!(is_immutable("/pkg/tollgate.Xk3_9aQ.js", None));
        assert!(is_immutable("/pkg/tollgate_bg.Xk3_9aQ.wasm", None));
        assert!(!is_immutable("/pkg/tollgate.css", None));
        assert!(!is_immutable("/pkg/a/b.c.d", None));
        assert!(!is_immutable("/dashboard/wallet", Some("v=1")));
    }

    #[test]
    fn public_files_are_immutable_only_at_their_current_version() {
        let site = std::env::temp_dir().join(format!("tollgate-assets-{}", std::process::id()));
        std::fs::create_dir_all(&site).unwrap();
        std::fs::write(site.join("enhance.js"), "// v1").unwrap();
        register_site(&site);
        let current = url("enhance.js");
        let (path, query) = current.split_once('?').unwrap();
        assert_eq!(path, "/enhance.js");
        assert!(is_immutable(path, Some(query)));
        assert!(!is_immutable(path, Some("v=000000000000")), "another version");
        assert!(!is_immutable(path, None), "unversioned");
        assert_eq!(url("charts.js"), "/charts.js", "a file the site doesn't have goes unversioned");
        std::fs::remove_dir_all(&site).unwrap();
    }
}

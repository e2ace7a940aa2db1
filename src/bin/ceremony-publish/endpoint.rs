//! The server address and the repository path, checked before any
//! connection: `https://`, or plain `http://` only to this machine (or with
//! `--allow-http`), no credentials or other tricks in the address, and a GUN
//! that cannot step out of its own path on the server.
//!
//! The URL is parsed by the same parser the HTTP client connects with
//! (`http::Uri`), and the address handed to the client is rebuilt from the
//! parts checked here, so the two cannot read it differently.

use std::net::{Ipv4Addr, Ipv6Addr};

use ceremony::error::{Error, Result};
use ureq::http::Uri;

/// A checked server address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `scheme://host[:port][/prefix]`, without a trailing `/`.
    pub base: String,
    /// Whether the connection is TLS.
    pub tls: bool,
    /// The host as written (IPv6 in brackets).
    pub host: String,
    /// Whether the host is this machine (127.0.0.0/8, ::1, `localhost`).
    pub loopback: bool,
}

fn bad(url: &str, why: impl std::fmt::Display) -> Error {
    Error::input(format!("--server {}: {why}", crate::printable(url, 200)))
}

/// Checks `url` and returns the address to use. Plain `http://` is refused
/// unless the host is a loopback address or `allow_http` is set.
pub fn parse(url: &str, allow_http: bool) -> Result<Endpoint> {
    let hint_form = "write it as https://HOST[:PORT], e.g. https://notary.example.com";
    if url.is_empty() {
        return Err(bad(url, "empty").hint(hint_form));
    }
    // Characters some URL parsers read differently from others (a
    // backslash is a `/` to browsers, `@` moves the host, `?`/`#` end it).
    if let Some(c) = url
        .chars()
        .find(|c| !c.is_ascii_graphic() || matches!(c, '\\' | '?' | '#' | '%'))
    {
        return Err(bad(
            url,
            format!("the character {c:?} has no place in a server address"),
        )
        .hint(hint_form));
    }
    let uri: Uri = url
        .parse()
        .map_err(|e| bad(url, format!("not a URL ({e})")).hint(hint_form))?;
    let tls = match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("https") => true,
        Some("http") => false,
        Some(other) => {
            return Err(bad(
                url,
                format!("scheme {other}: only https:// is used (http:// to this machine)"),
            )
            .hint(hint_form));
        }
        None => return Err(bad(url, "no scheme").hint(hint_form)),
    };
    let authority = uri
        .authority()
        .ok_or_else(|| bad(url, "no host").hint(hint_form))?;
    if authority.as_str().contains('@') {
        return Err(bad(
            url,
            format!(
                "user information before '@': the host would be {}, not what comes first",
                crate::printable(authority.host(), 100)
            ),
        )
        .hint("give the server's address alone; the online tool sends no credentials"));
    }
    let host = authority.host().to_string();
    if host.is_empty() {
        return Err(bad(url, "no host").hint(hint_form));
    }
    // A port, when written, must be a number the client reads the same way.
    let port = match authority.as_str().strip_prefix(host.as_str()) {
        Some("") => None,
        Some(p) => match p
            .strip_prefix(':')
            .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
            .map(str::parse::<u16>)
        {
            Some(Ok(n)) if n > 0 => Some(n),
            _ => return Err(bad(url, format!("bad port {p:?}")).hint(hint_form)),
        },
        None => return Err(bad(url, "cannot tell the host").hint(hint_form)),
    };
    let path = uri.path().trim_end_matches('/');
    if path
        .split('/')
        .skip(1)
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Err(bad(url, format!("path {path:?}")).hint(hint_form));
    }
    let loopback = is_loopback(&host);
    if !tls && !loopback && !allow_http {
        return Err(bad(
            url,
            format!(
                "plain http:// to {host}, which is not this machine: anyone on the way could read and change what is sent and answered"
            ),
        )
        .hint("use https://, or pass --allow-http if the network in between is trusted"));
    }
    let scheme = if tls { "https" } else { "http" };
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    Ok(Endpoint {
        base: format!("{scheme}://{host}{port}{path}"),
        tls,
        host,
        loopback,
    })
}

/// 127.0.0.0/8, ::1 or `localhost`, written plainly. Other spellings that
/// a resolver might also map to this machine (`127.1`, `2130706433`,
/// `::ffff:127.0.0.1`, `localhost.`) count as remote: the safe side.
fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner
            .parse::<Ipv6Addr>()
            .is_ok_and(|a| a == Ipv6Addr::LOCALHOST);
    }
    host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback())
}

/// The server path of `file` for `gun`. The GUN becomes part of a URL
/// path, so it must be a plain name (`registry.example.com/org/app`):
/// no `..`, empty or `.` segments, no characters that would end or
/// escape the path.
pub fn tuf_path(gun: &str, file: &str) -> Result<String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '/');
    if gun.is_empty()
        || gun.len() > 255
        || !gun.chars().all(ok_char)
        || gun
            .split('/')
            .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Err(Error::input(format!(
            "GUN {} cannot be a repository name on the server",
            crate::printable(gun, 100)
        ))
        .hint("a GUN looks like registry.example.com/org/app"));
    }
    Ok(format!("/v2/{gun}/_trust/tuf/{file}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn base(url: &str) -> String {
        parse(url, false).unwrap().base
    }

    fn refused(url: &str, allow_http: bool) -> String {
        match parse(url, allow_http) {
            Ok(e) => panic!("{url} was accepted as {e:?}"),
            Err(e) => e.reason().to_string(),
        }
    }

    #[test]
    fn https_anywhere_and_http_to_this_machine() {
        assert_eq!(
            base("https://notary.example.com/"),
            "https://notary.example.com"
        );
        assert_eq!(
            base("https://notary.example.com:4443"),
            "https://notary.example.com:4443"
        );
        assert_eq!(base("http://127.0.0.1:4443"), "http://127.0.0.1:4443");
        assert_eq!(base("http://127.8.9.10:4443/"), "http://127.8.9.10:4443");
        assert_eq!(base("http://localhost:4443"), "http://localhost:4443");
        assert_eq!(base("http://LocalHost:4443"), "http://LocalHost:4443");
        assert_eq!(base("http://[::1]:4443"), "http://[::1]:4443");
        assert_eq!(
            base("http://[0:0:0:0:0:0:0:1]:4443"),
            "http://[0:0:0:0:0:0:0:1]:4443"
        );
        // Schemes are case-insensitive; the address handed on is lower-case.
        assert_eq!(
            base("HTTPS://notary.example.com"),
            "https://notary.example.com"
        );
        assert_eq!(base("hTtP://127.0.0.1:1"), "http://127.0.0.1:1");
        assert_eq!(
            base("https://n.example.com/notary/"),
            "https://n.example.com/notary"
        );
    }

    #[test]
    fn plain_http_elsewhere_needs_allow_http() {
        for url in [
            "http://192.0.2.1:4443",
            "HTTP://192.0.2.1:4443",
            "http://notary.example.com",
            "http://127.0.0.1.evil.example/",
            "http://localhost.evil.example/",
            "http://localhost./",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f.0.0.1/",
            "http://0177.0.0.1/",
            "http://127.000.000.001/",
            "http://0.0.0.0:4443/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::]/",
            "http://[fe80::1]/",
        ] {
            let why = refused(url, false);
            assert!(why.contains("not this machine"), "{url}: {why}");
            let e = parse(url, true).unwrap();
            assert!(!e.tls && !e.loopback, "{url}");
        }
    }

    #[test]
    fn tricks_are_refused_even_with_allow_http() {
        let mut wrong = Vec::new();
        for (url, want) in [
            ("http://127.0.0.1@evil.example/", "user information"),
            ("http://127.0.0.1:4443@evil.example:80/", "user information"),
            ("https://user:pass@notary.example.com/", "user information"),
            ("http://@127.0.0.1/", "user information"),
            ("http://127.0.0.1\\@evil.example/", "'\\\\'"),
            ("http://evil.example#@127.0.0.1/", "'#'"),
            ("http://evil.example?@127.0.0.1/", "'?'"),
            ("http://127.0.0.1%2f@evil.example/", "'%'"),
            ("http://127.0.0.1 /", "' '"),
            (" http://127.0.0.1/", "' '"),
            ("http://127.0.0.1\n.evil.example/", "'\\n'"),
            ("http://127.0.0.1\u{0}/", "'\\0'"),
            ("http://bü.example/", "'ü'"),
            ("ftp://127.0.0.1/", "scheme ftp"),
            ("file:///etc/passwd", "not a URL"),
            ("ws://127.0.0.1/", "scheme ws"),
            ("127.0.0.1:4443", "no scheme"),
            ("//127.0.0.1:4443", "no scheme"),
            ("/v2/", "no scheme"),
            ("http://", "not a URL"),
            ("http://127.0.0.1:0/", "bad port"),
            ("http://127.0.0.1:99999/", "bad port"),
            ("http://127.0.0.1:44x3/", "bad port"),
            ("http://127.0.0.1:/", "bad port"),
            ("http://127.0.0.1:+80/", "bad port"),
            ("http://127.0.0.1:80:80/", "not a URL"),
            ("http://[::1/", "not a URL"),
            ("http://[::1]evil.example/", "bad port"),
            ("http://[::1]:4443:evil.example/", "not a URL"),
            ("http://127.0.0.1/../v2/", "path"),
            ("http://127.0.0.1/a//b", "path"),
            ("", "empty"),
        ] {
            let why = refused(url, true);
            if !why.contains(want) {
                wrong.push(format!("{url:?}: {why}"));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn gun_stays_in_its_path() {
        assert_eq!(
            tuf_path("registry.example.com:5000/org/app", "root.json").unwrap(),
            "/v2/registry.example.com:5000/org/app/_trust/tuf/root.json"
        );
        for gun in [
            "",
            "a/../../other",
            "a/./b",
            "/a",
            "a/",
            "a//b",
            "a?x",
            "a#x",
            "a%2f..",
            "a b",
            "a\nb",
            "a\\b",
            "ü",
        ] {
            assert!(tuf_path(gun, "root.json").is_err(), "{gun:?}");
        }
        assert!(tuf_path(&"a".repeat(256), "root.json").is_err());
    }
}

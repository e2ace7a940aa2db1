//! The online tool against small hostile servers written here: the server
//! address is checked before any connection (plain HTTP only to this
//! machine, no tricks), a bundle changed on the way is refused before any
//! connection, redirects are not followed, a server root that does not
//! carry its own signatures stops a push, and no answer floods, hangs or
//! panics the tool, or rewrites the terminal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod online;
use common::*;
use online::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const GUN: &str = "registry.example.com/ceremony/hostile";

#[test]
fn plain_http_to_another_machine_is_refused_before_any_connection() {
    // Every address below reaches the listener if it is ever contacted
    // (127.1, 2130706433 and 0.0.0.0 are this machine to the resolver).
    let l = Fake::not_found();
    let p = l.port;
    for url in [
        "http://192.0.2.1:4443".to_string(),
        "HTTP://192.0.2.1:4443".to_string(),
        format!("http://127.1:{p}"),
        format!("http://2130706433:{p}"),
        format!("http://0.0.0.0:{p}"),
        format!("http://[::ffff:127.0.0.1]:{p}"),
        format!("http://127.0.0.1.evil.example:{p}"),
        format!("http://localhost.:{p}"),
    ] {
        let (r, took) = publish_within(QUICK * 5, &["--server", &url, "status", GUN]);
        assert_eq!(r.code, 2, "{url}: {}", r.stderr);
        assert!(
            r.stderr.contains("is not this machine") && r.stderr.contains("--allow-http"),
            "{url}: {}",
            r.stderr
        );
        assert!(took < QUICK, "{url}: {took:?}");
    }
    // The same through the environment.
    let out = Command::new(env!("CARGO_BIN_EXE_ceremony-publish"))
        .args(["status", GUN])
        .env("CEREMONY_NOTARY_SERVER", format!("http://127.1:{p}"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // Tricks are refused even with --allow-http.
    for (url, why) in [
        (
            format!("http://127.0.0.1:{p}@192.0.2.1:4443/"),
            "user information",
        ),
        (
            format!("http://192.0.2.1:4443@127.0.0.1:{p}/"),
            "user information",
        ),
        ("http://127.0.0.1\\@192.0.2.1/".to_string(), "'\\\\'"),
        (format!("http://192.0.2.1#@127.0.0.1:{p}/"), "'#'"),
        (format!("ftp://127.0.0.1:{p}/"), "scheme ftp"),
        ("file:///etc/passwd".to_string(), "not a URL"),
        (format!("127.0.0.1:{p}"), "no scheme"),
        (format!("http://[::1]evil.example:{p}/"), "bad port"),
    ] {
        let (r, took) = publish_within(
            QUICK * 5,
            &["--server", &url, "--allow-http", "status", GUN],
        );
        assert_eq!(r.code, 2, "{url}: {}", r.stderr);
        assert!(r.stderr.contains(why), "{url}: {}", r.stderr);
        assert!(took < QUICK, "{url}: {took:?}");
    }
    assert!(l.seen().is_empty(), "contacted: {:?}", l.seen());

    // This machine by name is fine without the flag.
    for url in [
        format!("http://127.0.0.1:{p}"),
        format!("http://LOCALHOST:{p}/"),
    ] {
        let (r, _) = publish_within(QUICK * 5, &["--server", &url, "status", GUN]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("no trust data"), "{}", r.stderr);
    }
    assert_eq!(l.seen().len(), 8, "{:?}", l.seen());
    // With --allow-http the other spellings are contacted, with a warning.
    let (r, _) = publish_within(
        QUICK * 5,
        &[
            "--server",
            &format!("http://127.1:{p}"),
            "--allow-http",
            "status",
            GUN,
        ],
    );
    assert!(
        r.stderr.starts_with("warning: plain http:// to 127.1")
            && r.stderr.contains("no trust data"),
        "{}",
        r.stderr
    );
    assert_eq!(l.seen().len(), 12);
    // And a remote address is tried, failing with another reason.
    let (r, _) = publish_within(
        Duration::from_secs(60),
        &[
            "--server",
            "http://192.0.2.1:4443",
            "--allow-http",
            "status",
            GUN,
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot reach http://192.0.2.1:4443/")
            && !r.stderr.contains("not this machine"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_bundle_changed_on_the_way_is_refused_before_any_connection() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let bundle = offline_bundle(t, GUN);
    let srv = Fake::not_found();
    let url = format!("http://127.0.0.1:{}", srv.port);
    let sums = |d: &Path| std::fs::read_to_string(d.join("SHA256SUMS")).unwrap();
    let cases: Vec<(PathBuf, i32, &str)> = vec![
        // UPLOAD is checked like every file: adding a file to send is caught.
        (
            edited(&bundle, &t.join("e1"), |d| {
                std::fs::write(
                    d.join("UPLOAD"),
                    "root.json\ntargets.json\nsnapshot.json\n1.root.json\n",
                )
                .unwrap()
            }),
            1,
            "UPLOAD: does not match SHA256SUMS",
        ),
        (
            edited(&bundle, &t.join("e2"), |d| drop_from_bundle(d, "UPLOAD")),
            2,
            "SHA256SUMS does not cover UPLOAD",
        ),
        (
            edited(&bundle, &t.join("e3"), |d| {
                let s = sums(d) + &format!("{}  ../c/keys.json\n", "0".repeat(64));
                std::fs::write(d.join("SHA256SUMS"), s).unwrap()
            }),
            2,
            "not a file an export writes",
        ),
        (
            edited(&bundle, &t.join("e4"), |d| {
                std::fs::copy(d.join("root.json"), d.join("root\".json")).unwrap();
                let s = sums(d).replace("  root.json", "  root\".json");
                std::fs::write(d.join("SHA256SUMS"), s).unwrap()
            }),
            2,
            "not a file an export writes",
        ),
        (
            edited(&bundle, &t.join("e5"), |d| {
                std::fs::rename(d.join("1.root.json"), d.join("01.root.json")).unwrap();
                let s = sums(d).replace("  1.root.json", "  01.root.json");
                std::fs::write(d.join("SHA256SUMS"), s).unwrap()
            }),
            2,
            "not a file an export writes",
        ),
        // A listed file that is a link out of the bundle is not followed.
        (
            edited(&bundle, &t.join("e6"), |d| {
                let outside = d.parent().unwrap().join("outside.json");
                std::fs::rename(d.join("targets.json"), &outside).unwrap();
                std::os::unix::fs::symlink(&outside, d.join("targets.json")).unwrap();
            }),
            2,
            "symbolic link",
        ),
    ];
    for (dir, code, want) in cases {
        let (r, _) = publish_within(QUICK * 5, &["--server", &url, "push", s(&dir)]);
        assert_eq!(r.code, code, "{}: {}", dir.display(), r.stderr);
        assert!(r.stderr.contains(want), "{}: {}", dir.display(), r.stderr);
    }
    assert!(srv.seen().is_empty(), "contacted: {:?}", srv.seen());
}

#[test]
fn redirects_are_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = offline_bundle(tmp.path(), GUN);
    let target = Fake::not_found();
    for code in [301u16, 302, 303, 307, 308] {
        let to = format!("http://127.0.0.1:{}/v2/elsewhere", target.port);
        let hop = Fake::start(move |_| response(code, &format!("Location: {to}\r\n"), b""));
        let url = format!("http://127.0.0.1:{}", hop.port);
        let keys = tmp.path().join(format!("keys-{code}"));
        for args in [
            vec!["status", GUN],
            vec!["fetch-keys", GUN, s(&keys)],
            vec!["push", s(&bundle)],
        ] {
            let mut all = vec!["--server", url.as_str()];
            all.extend_from_slice(&args);
            let (r, _) = publish_within(QUICK * 5, &all);
            assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
            assert!(
                r.stderr.contains(&format!(
                    "redirects (HTTP {code}) to http://127.0.0.1:{}/v2/elsewhere; redirects are not followed",
                    target.port
                )),
                "{args:?}: {}",
                r.stderr
            );
        }
        assert!(!keys.exists());
        // Three GETs, no POST.
        let seen = hop.seen();
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert!(seen.iter().all(|l| l.starts_with("GET ")), "{seen:?}");
    }
    assert!(target.seen().is_empty(), "followed: {:?}", target.seen());
}

#[test]
fn hostile_answers_neither_flood_nor_hang_nor_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = offline_bundle(tmp.path(), GUN);
    let other_dir = tmp.path().join("other");
    std::fs::create_dir(&other_dir).unwrap();
    let other = offline_bundle(&other_dir, GUN);
    let other_root = std::fs::read(other.join("1.root.json")).unwrap();
    let huge = vec![b' '; (16 << 20) + 1];
    let deep = "[".repeat(100_000).into_bytes();
    let cases: Vec<(&str, Vec<u8>, &str, i32, &str)> = vec![
        // (command, root.json answer, what, exit, expected text)
        (
            "status",
            response(200, "", &huge),
            "a flood",
            2,
            "larger than 16 MiB",
        ),
        (
            "push",
            response(200, "", &huge),
            "a flood",
            2,
            "larger than 16 MiB",
        ),
        (
            "status",
            response(200, "", &deep),
            "deep JSON",
            2,
            "root.json",
        ),
        (
            "push",
            response(200, "", &deep),
            "deep JSON",
            1,
            "not readable metadata",
        ),
        (
            "push",
            response(200, "", b"not json"),
            "garbage",
            1,
            "not readable metadata",
        ),
        (
            "push",
            response(200, "", &other_root),
            "someone else's root",
            1,
            "forked history",
        ),
        (
            "push",
            response(
                200,
                "",
                br#"{"signed":{"_type":"Root","version":18446744073709551615},"signatures":[]}"#,
            ),
            "the last version",
            1,
            "2^64-1",
        ),
        (
            "status",
            response(
                500,
                "",
                b"\x1b[2J\x1b[31mall good\nceremony-publish: published",
            ),
            "terminal escapes",
            2,
            "\\u{1b}[2J\\u{1b}[31mall good\\nceremony-publish: published",
        ),
        (
            "push",
            response(503, "", b"\x1b]0;owned\x07"),
            "terminal escapes",
            2,
            "\\u{1b}]0;owned\\u{7}",
        ),
        (
            "status",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort".to_vec(),
            "a cut answer",
            2,
            "cannot read the answer",
        ),
        (
            "status",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n"
                .to_vec(),
            "a bad chunk",
            2,
            "root.json",
        ),
        (
            "status",
            b"\x00\xff garbage".to_vec(),
            "not HTTP",
            2,
            "cannot reach",
        ),
    ];
    for (cmd, answer, what, code, want) in cases {
        let srv = Fake::start(move |_| answer.clone());
        let url = format!("http://127.0.0.1:{}", srv.port);
        let args: Vec<&str> = match cmd {
            "push" => vec!["--server", &url, "push", s(&bundle)],
            _ => vec!["--server", &url, "status", GUN],
        };
        let (r, took) = publish_within(Duration::from_secs(30), &args);
        assert_eq!(r.code, code, "{what} ({cmd}): {}", r.stderr);
        assert!(r.stderr.contains(want), "{what} ({cmd}): {}", r.stderr);
        assert!(!r.stderr.contains('\x1b'), "{what}: {:?}", r.stderr);
        assert!(took < Duration::from_secs(10), "{what}: {took:?}");
        assert!(
            srv.seen().iter().all(|l| l.starts_with("GET ")),
            "{what}: something was sent: {:?}",
            srv.seen()
        );
    }
    // A key that is not one, and a key for fetch-keys that floods: no
    // folder is written.
    for (answer, want) in [
        (
            response(200, "", b"{\"keytype\":\"ed25519\"}"),
            "timestamp.key",
        ),
        (response(200, "", &vec![b'{'; 1 << 20]), "timestamp.key"),
        (response(200, "", &huge), "larger than 16 MiB"),
    ] {
        let srv = Fake::start(move |_| answer.clone());
        let keys = tmp.path().join("keys");
        let url = format!("http://127.0.0.1:{}", srv.port);
        let (r, _) = publish_within(
            Duration::from_secs(30),
            &["--server", &url, "fetch-keys", GUN, s(&keys)],
        );
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(want), "{}", r.stderr);
        assert!(!keys.exists());
    }
}

#[test]
fn a_server_root_that_does_not_verify_stops_the_push() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    offline_bundle(t, GUN);
    // Version 2 of the same ceremony, to push onto a server holding 1.
    let dir = t.join("c");
    let d = s(&dir);
    ok(&["-C", d, "root", "rotate"]);
    ok(&["-C", d, "root", "sign", "--yes"]);
    ok(&["-C", d, "snapshot", "sign"]);
    let out = t.join("out2");
    ok(&["-C", d, "export", s(&out)]);
    let genuine = std::fs::read(out.join("1.root.json")).unwrap();
    // The same signed body without its signatures: the server's root is
    // the start of the chain, so it must carry its own threshold.
    let mut v: serde_json::Value = serde_json::from_slice(&genuine).unwrap();
    v["signatures"] = serde_json::json!([]);
    let unsigned = serde_json::to_vec(&v).unwrap();
    for (root, code, want) in [
        (
            unsigned,
            1,
            "the server's root version 1 for registry.example.com/ceremony/hostile does not verify",
        ),
        (
            genuine,
            0,
            "continues the server's root version 1 to version 2",
        ),
    ] {
        let srv = Fake::start(move |line| {
            if line.starts_with("GET ") {
                response(200, "", &root)
            } else {
                response(200, "", b"")
            }
        });
        let url = format!("http://127.0.0.1:{}", srv.port);
        let (r, _) = publish_within(QUICK * 5, &["--server", &url, "push", s(&out)]);
        assert_eq!(r.code, code, "{}", r.stderr);
        assert!(r.stderr.contains(want), "{}", r.stderr);
        let posts = srv.seen().iter().filter(|l| l.starts_with("POST ")).count();
        assert_eq!(posts, usize::from(code == 0), "{:?}", srv.seen());
    }
}

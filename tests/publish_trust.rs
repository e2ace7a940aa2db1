//! The online side cannot redirect trust. Against the real notary-server:
//! `ceremony-publish push` sends a bundle only when it continues the root
//! the server holds (a forked, older or version-skipping bundle is refused
//! and the server is left as it was), and `fetch-keys` and the offline
//! `import` show the same fingerprint words. Against small hostile servers
//! written here: the address is checked before any connection, redirects
//! are not followed, and no answer hangs, floods or panics the tool.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const GUN: &str = "registry.example.com/ceremony/trust";

/// Runs `ceremony-publish ARGS`, killed (and the test failed) after
/// `limit`; returns the run and how long it took.
fn publish_within(limit: Duration, args: &[&str]) -> (Run, Duration) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ceremony-publish"))
        .args(args)
        .env_remove("CEREMONY_NOTARY_SERVER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = r.read_to_end(&mut b);
            String::from_utf8_lossy(&b).to_string()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ceremony-publish {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = start.elapsed();
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "ceremony-publish {args:?} panicked:\n{}",
        run.stderr
    );
    (run, took)
}

/// `ceremony-publish --server URL ARGS` against the real server.
fn publish(srv: &NotaryServer, args: &[&str]) -> Run {
    let url = srv.url();
    let mut all = vec!["--server", url.as_str()];
    all.extend_from_slice(args);
    publish_within(Duration::from_secs(120), &all).0
}

/// The server's current root.json for GUN (status, bytes).
fn server_root(srv: &NotaryServer) -> (u16, Vec<u8>) {
    srv.get(&format!("/v2/{GUN}/_trust/tuf/root.json")).unwrap()
}

/// A Notary ceremony for GUN with its own root key, the server's
/// timestamp and snapshot keys taken in with `import`, root version 1
/// and targets signed.
fn ceremony(tmp: &Path, name: &str, srv: &NotaryServer) -> PathBuf {
    let keys = tmp.join(format!("{name}-keys"));
    let r = publish(srv, &["fetch-keys", GUN, s(&keys)]);
    assert_eq!(r.code, 0, "fetch-keys: {}", r.stderr);
    let dir = tmp.join(name);
    ok(&["init", s(&dir), "--dialect", "notary", "--gun", GUN]);
    let d = s(&dir);
    ok(&["-C", d, "key", "generate", "--role", "root", "--label", "a"]);
    ok(&[
        "-C", d, "key", "generate", "--role", "targets", "--label", "t",
    ]);
    ok(&["-C", d, "import", s(&keys)]);
    ok(&[
        "-C",
        d,
        "root",
        "init",
        "--root-key",
        "a",
        "--targets-key",
        "t",
        "--snapshot-key",
        "server-snapshot",
        "--timestamp-key",
        "server-timestamp",
    ]);
    ok(&["-C", d, "root", "sign", "--yes"]);
    ok(&["-C", d, "targets", "sign"]);
    dir
}

/// The next root version, signed.
fn rotate(dir: &Path, extra: &[&str]) {
    let mut args = vec!["-C", s(dir), "root", "rotate"];
    args.extend_from_slice(extra);
    ok(&args);
    ok(&["-C", s(dir), "root", "sign", "--yes"]);
}

fn export(dir: &Path, out: &Path) {
    ok(&["-C", s(dir), "export", s(out)]);
}

/// Removes `name` from a bundle and from its SHA256SUMS, as someone
/// editing the carried folder would.
fn drop_from_bundle(out: &Path, name: &str) {
    std::fs::remove_file(out.join(name)).unwrap();
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    let kept: String = sums
        .lines()
        .filter(|l| !l.ends_with(&format!("  {name}")))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(out.join("SHA256SUMS"), kept).unwrap();
}

/// Pushes `bundle`, which must be refused (exit 1) for `why`, with the
/// server's root as it was before.
fn refused(srv: &NotaryServer, bundle: &Path, why: &[&str]) -> Run {
    let before = server_root(srv);
    let r = publish(srv, &["push", s(bundle)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    for w in why {
        assert!(r.stderr.contains(w), "wanted {w:?} in:\n{}", r.stderr);
    }
    assert!(
        r.stderr.contains("nothing was sent") && !r.stdout.contains("published"),
        "{}",
        r.stderr
    );
    assert_eq!(server_root(srv), before, "the server's root changed");
    r
}

fn root_version(bytes: &[u8]) -> u64 {
    ceremony::metadata::Envelope::parse(bytes)
        .unwrap()
        .version()
        .unwrap()
}

#[test]
fn push_sends_only_a_bundle_that_continues_the_servers_root() {
    if !need_peer("notary-server", "Debian package notary (notary-server)") {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();

    // A new repository: nothing to check against, and the first line says so.
    let a = ceremony(t, "a", &srv);
    export(&a, &t.join("a1"));
    assert_eq!(server_root(&srv).0, 404);
    let r = publish(&srv, &["push", s(&t.join("a1"))]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("new repository: the server holds no root for"),
        "{}",
        r.stderr
    );

    // (a) Another ceremony for the same GUN: a forked history, refused at
    // the same version and at the next one.
    let b = ceremony(t, "b", &srv);
    export(&b, &t.join("b1"));
    refused(
        &srv,
        &t.join("b1"),
        &["forked history", "server's root version 1", GUN],
    );
    rotate(&b, &[]);
    export(&b, &t.join("b2"));
    refused(&srv, &t.join("b2"), &["forked history", "root version 1"]);
    // Without its version 1, the fork is caught by the chain itself: the
    // server's root never signed the bundle's version 2.
    drop_from_bundle(&t.join("b2"), "1.root.json");
    refused(
        &srv,
        &t.join("b2"),
        &[
            "does not continue the server's root version 1",
            "2.root.json",
        ],
    );

    // A proper rotation is sent, and the server then holds it.
    ok(&[
        "-C",
        s(&a),
        "key",
        "generate",
        "--role",
        "root",
        "--label",
        "a2",
    ]);
    rotate(&a, &["--add-key", "a2", "--remove-key", "a"]);
    export(&a, &t.join("a2"));
    let r = publish(&srv, &["push", s(&t.join("a2"))]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("continues the server's root version 1 to version 2")
            && r.stderr.contains("proves nothing by itself"),
        "{}",
        r.stderr
    );
    let (st, now) = server_root(&srv);
    assert_eq!((st, root_version(&now)), (200, 2));
    assert_eq!(now, std::fs::read(t.join("a2/2.root.json")).unwrap());

    // (b) An older bundle: the server would refuse it or roll clients back.
    refused(
        &srv,
        &t.join("a1"),
        &[
            "newest root is version 1",
            "older than the server's root version 2",
        ],
    );

    // Version 3 exported, then a targets-only export that carries version
    // 3 in its history but does not upload it.
    rotate(&a, &[]);
    export(&a, &t.join("a3"));
    ok(&["-C", s(&a), "targets", "sign"]);
    export(&a, &t.join("a3-targets"));
    assert_eq!(
        std::fs::read_to_string(t.join("a3-targets/UPLOAD")).unwrap(),
        "targets.json\n"
    );
    refused(
        &srv,
        &t.join("a3-targets"),
        &["holds root version 3 but does not upload root.json"],
    );

    // (c) Version 4 while the server holds 2: a skip, even though the
    // bundle's own history walks 2 → 3 → 4.
    rotate(&a, &[]);
    export(&a, &t.join("a4"));
    refused(
        &srv,
        &t.join("a4"),
        &[
            "version skip",
            "server holds root version 2",
            "newest root is version 4",
        ],
    );
    // The same with version 3 taken out: the bundle's own chain breaks.
    let gap = t.join("a4-gap");
    std::fs::create_dir(&gap).unwrap();
    for e in std::fs::read_dir(t.join("a4")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), gap.join(e.file_name())).unwrap();
    }
    drop_from_bundle(&gap, "3.root.json");
    refused(&srv, &gap, &["version gap", "3.root.json"]);

    // Pushed in turn, 3 then 4, both continue the server's root.
    for (out, from, to) in [("a3", 2, 3), ("a4", 3, 4)] {
        let r = publish(&srv, &["push", s(&t.join(out))]);
        assert_eq!(r.code, 0, "{out}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!(
                "continues the server's root version {from} to version {to}"
            )),
            "{}",
            r.stderr
        );
    }
    assert_eq!(root_version(&server_root(&srv).1), 4);
    // No rotation: a targets-only bundle keeps the server's root.
    ok(&["-C", s(&a), "targets", "sign"]);
    export(&a, &t.join("a4-targets"));
    let r = publish(&srv, &["push", s(&t.join("a4-targets"))]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("the bundle keeps the server's root version 4 (the same signed root)"),
        "{}",
        r.stderr
    );
    // The fork is still refused at the server's new version.
    refused(
        &srv,
        &t.join("b1"),
        &["older than the server's root version 4"],
    );
}

/// The `role key ID (type)` and words lines `fetch-keys` prints, as
/// (role, id, words).
fn fetched(stdout: &str) -> Vec<(String, String, String)> {
    let lines: Vec<&str> = stdout.lines().collect();
    lines
        .chunks(2)
        .map(|c| {
            let head: Vec<&str> = c[0].split(' ').collect();
            assert_eq!(head[1], "key", "{stdout}");
            let words = c[1]
                .strip_prefix("  fingerprint words: ")
                .unwrap_or_else(|| panic!("{stdout}"));
            (head[0].to_string(), head[2].to_string(), words.to_string())
        })
        .collect()
}

#[test]
fn fetch_keys_and_import_show_the_same_words() {
    if !need_peer("notary-server", "Debian package notary (notary-server)") {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    let r = publish(&srv, &["fetch-keys", GUN, s(&keys)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let online = fetched(&r.stdout);
    assert_eq!(
        online.iter().map(|k| k.0.as_str()).collect::<Vec<_>>(),
        ["timestamp", "snapshot"]
    );
    for (role, id, words) in &online {
        assert_eq!(words.split(' ').count(), 12, "{words}");
        // The ID is the one computed from the key itself, not the server's.
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(keys.join(format!("{role}.key"))).unwrap())
                .unwrap();
        let k =
            ceremony::metadata::keys::MetaKey::from_value(ceremony::metadata::Dialect::Notary, &v)
                .unwrap();
        assert_eq!(*id, k.id(ceremony::metadata::Dialect::Notary));
        assert_eq!(*words, ceremony::transfer::words::key_phrase(id));
    }
    assert_ne!(online[0].2, online[1].2);

    // Offline, across the gap: the same words for each key, on import and
    // on importing again.
    let dir = tmp.path().join("c");
    ok(&["init", s(&dir), "--dialect", "notary", "--gun", GUN]);
    for again in [false, true] {
        let r = ok(&["-C", s(&dir), "import", s(&keys)]);
        for (role, _, words) in &online {
            let shown = r
                .stdout
                .lines()
                .skip_while(|l| !l.starts_with(&format!("key server-{role} ")))
                .nth(1)
                .unwrap_or_else(|| panic!("no key server-{role} in:\n{}", r.stdout));
            assert_eq!(shown, format!("  fingerprint words: {words}"));
        }
        assert_eq!(r.stdout.contains("already known"), again, "{}", r.stdout);
    }
}

// ---- small hostile servers ------------------------------------------------

/// A server on 127.0.0.1 that answers each request with `answer(request
/// line)` (a whole HTTP response) and records the request lines.
struct Fake {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    fn start(answer: impl Fn(&str) -> Vec<u8> + Send + 'static) -> Fake {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(mut c) = conn else { continue };
                let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && c.read(&mut b).unwrap_or(0) == 1 {
                    head.push(b[0]);
                }
                let text = String::from_utf8_lossy(&head).to_string();
                let line = text.lines().next().unwrap_or("").to_string();
                log.lock().unwrap().push(line.clone());
                let _ = c.write_all(&answer(&line));
            }
        });
        Fake { port, seen }
    }

    /// Answers 404 to everything.
    fn not_found() -> Fake {
        Fake::start(|_| response(404, "", b"{}"))
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn response(status: u16, extra_headers: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

const QUICK: Duration = Duration::from_secs(2);

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

/// A ceremony exported without a server (generated snapshot key, a
/// server-like timestamp key), for pushes to the hostile servers.
fn offline_bundle(tmp: &Path) -> PathBuf {
    let dir = tmp.join("c");
    ok(&["init", s(&dir), "--dialect", "notary", "--gun", GUN]);
    let d = s(&dir);
    let ts = server_like_key(tmp, "ts.json");
    ok(&["-C", d, "key", "generate", "--role", "root", "--label", "a"]);
    for (role, label) in [("targets", "t"), ("snapshot", "sn")] {
        ok(&["-C", d, "key", "generate", "--role", role, "--label", label]);
    }
    ok(&[
        "-C",
        d,
        "key",
        "import",
        "--role",
        "timestamp",
        "--label",
        "ts",
        s(&ts),
    ]);
    ok(&[
        "-C",
        d,
        "root",
        "init",
        "--root-key",
        "a",
        "--targets-key",
        "t",
        "--snapshot-key",
        "sn",
        "--timestamp-key",
        "ts",
    ]);
    ok(&["-C", d, "root", "sign", "--yes"]);
    ok(&["-C", d, "targets", "sign"]);
    ok(&["-C", d, "snapshot", "sign"]);
    let out = tmp.join("out");
    ok(&["-C", d, "export", s(&out)]);
    out
}

/// A copy of the bundle `from` at `to`, changed by `edit`.
fn edited(from: &Path, to: &Path, edit: impl FnOnce(&Path)) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
    edit(to);
    to.to_path_buf()
}

#[test]
fn a_bundle_changed_on_the_way_is_refused_before_any_connection() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let bundle = offline_bundle(t);
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
    let bundle = offline_bundle(tmp.path());
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
    let bundle = offline_bundle(tmp.path());
    let other = offline_bundle(&{
        let p = tmp.path().join("other");
        std::fs::create_dir(&p).unwrap();
        p
    });
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

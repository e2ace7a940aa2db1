//! The online side cannot redirect trust. Against the real notary-server:
//! `ceremony-publish push` sends a bundle only when it continues the root
//! the server holds (a forked, older or version-skipping bundle is refused
//! and the server is left as it was), and `fetch-keys` and the offline
//! `import` show the same fingerprint words. (Hostile servers:
//! tests/publish_hostile.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod online;
use common::*;
use online::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

const GUN: &str = "registry.example.com/ceremony/trust";

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

/// A Notary ceremony (tests/online's) for GUN at `tmp/name`.
fn ceremony(tmp: &Path, name: &str, srv: &NotaryServer) -> PathBuf {
    notary_ceremony(
        &["--server", &srv.url()],
        GUN,
        &tmp.join(name),
        Setup::default(),
    )
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

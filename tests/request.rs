//! Keyholders at separate machines: a 2-of-3 root whose keys live in three
//! key directories; requests pass to holders in turn and are merged; the
//! real notary client holding the old root accepts the rotation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};

const GUN: &str = "registry.example.com/ceremony/multi";

/// A keyholder's own machine: a ceremony directory with one root key.
/// Returns (public key file, age key file).
fn holder(tmp: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (dir, id, public) = keyholder_machine(tmp, GUN, name);
    (public, dir.join(format!("keys/{id}.age")))
}

fn sign_in_turn(request: &Path, keys: &[&Path]) -> PathBuf {
    let mut current = request.to_path_buf();
    for (i, k) in keys.iter().enumerate() {
        let out = request.with_file_name(format!("signed-{i}.json"));
        ok(&[
            "request",
            "sign",
            "--yes",
            "--trust-on-first-use",
            s(&current),
            "--key-file",
            s(k),
            "--out",
            s(&out),
        ]);
        current = out;
    }
    current
}

#[test]
fn two_of_three_root_signed_at_three_machines_is_accepted_by_real_notary() {
    if !need_peer("notary-server", "Debian package notary (notary-server)")
        || !need_peer("notary", "Debian package notary (notary client)")
    {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (p1, k1) = holder(t, "h1");
    let (p2, k2) = holder(t, "h2");
    let (p3, _k3) = holder(t, "h3");
    let dir = t.join("coord");
    init_notary(&dir, GUN);
    let d = s(&dir);
    for (p, n) in [(&p1, "h1"), (&p2, "h2"), (&p3, "h3")] {
        import_key(d, "root", n, p);
    }
    let ts = server_key(&srv, GUN, "timestamp", &t.join("ts.json"));
    stage_notary_root(d, &["h1", "h2", "h3"], Some("2"), "sn", &ts);
    let req1 = t.join("req1.json");
    let r = ok(&["-C", d, "request", "create", s(&req1)]);
    assert!(r.stdout.contains("words:"), "{}", r.stdout);
    let signed = sign_in_turn(&req1, &[&k1, &k2]);
    let r = ok(&["-C", d, "request", "merge", s(&signed)]);
    assert!(r.stdout.contains("2 of 2 needed (met)"), "{}", r.stdout);
    assert!(dir.join("root/1.root.json").exists());
    ok(&["-C", d, "targets", "sign"]);
    ok(&["-C", d, "snapshot", "sign"]);
    let out1 = t.join("out1");
    ok(&["-C", d, "export", s(&out1)]);
    assert_eq!(srv.publish_export(GUN, &out1).0, 200);
    let cached = t.join("trust-cached");
    let (code, text) = notary(&["-s", &srv.url(), "-d", s(&cached), "list", GUN]);
    assert_eq!(code, 0, "{text}");

    // h3's key is lost: rotate to h4, signed by h1 and h2 (old 2-of-3, new 2-of-3).
    let (p4, _k4) = holder(t, "h4");
    ok(&[
        "-C",
        d,
        "key",
        "import",
        "--role",
        "root",
        "--label",
        "h4",
        s(&p4),
    ]);
    ok(&[
        "-C",
        d,
        "root",
        "rotate",
        "--remove-key",
        "h3",
        "--add-key",
        "h4",
    ]);
    let req2 = t.join("req2.json");
    ok(&["-C", d, "request", "create", s(&req2)]);
    // Parallel this time: each holder signs the same request; merged together.
    let a = t.join("req2-h1.json");
    let b = t.join("req2-h2.json");
    // Each holder checks the request against the root she trusts: the
    // version 1 that was published.
    let v1 = out1.join("root.json");
    ok(&[
        "request",
        "sign",
        "--yes",
        "--trusted-root",
        s(&v1),
        s(&req2),
        "--key-file",
        s(&k1),
        "--out",
        s(&a),
    ]);
    ok(&[
        "request",
        "sign",
        "--yes",
        "--trusted-root",
        s(&v1),
        s(&req2),
        "--key-file",
        s(&k2),
        "--out",
        s(&b),
    ]);
    // One merged alone is not enough.
    let r = ok(&["-C", d, "request", "merge", s(&a)]);
    assert!(
        r.stdout
            .contains("previous root (version 1) threshold: 1 of 2"),
        "{}",
        r.stdout
    );
    assert!(!dir.join("root/2.root.json").exists());
    ok(&["-C", d, "request", "merge", s(&b)]);
    assert!(dir.join("root/2.root.json").exists());
    ok(&["-C", d, "snapshot", "sign"]);
    let out2 = t.join("out2");
    ok(&["-C", d, "export", s(&out2)]);
    let (st, body) = srv.publish_export(GUN, &out2);
    assert_eq!(st, 200, "{body}");
    let (code, text) = notary(&["-s", &srv.url(), "-d", s(&cached), "list", GUN]);
    assert_eq!(code, 0, "the client holding root version 1 refused: {text}");
}

fn small_ceremony(t: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (p1, k1) = holder(t, "h1");
    let dir = t.join("coord");
    init_notary(&dir, GUN);
    let d = s(&dir);
    import_key(d, "root", "h1", &p1);
    let ts = server_like_key(t, "ts.json");
    stage_notary_root(d, &["h1"], None, "sn", &ts);
    (dir, k1, t.join("req.json"))
}

#[test]
fn merging_a_signature_by_an_unlisted_key_is_refused_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _k1, req) = small_ceremony(tmp.path());
    ok(&["-C", s(&dir), "request", "create", s(&req)]);
    // A stranger's key is refused when signing …
    let (_, stranger) = holder(tmp.path(), "stranger");
    let r = fails(
        2,
        &[
            "request",
            "sign",
            "--yes",
            "--trust-on-first-use",
            s(&req),
            "--key-file",
            s(&stranger),
        ],
    );
    assert!(
        r.stderr.contains("has no place in this request"),
        "{}",
        r.stderr
    );
    // … and a request carrying its signature is refused when merging.
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&req).unwrap()).unwrap();
    v["signatures"] =
        serde_json::json!([{"keyid": "ab".repeat(32), "method": "ecdsa", "sig": "AAAA"}]);
    let forged = tmp.path().join("forged.json");
    std::fs::write(&forged, serde_json::to_vec(&v).unwrap()).unwrap();
    let before = snapshot(&dir);
    let r = fails(1, &["-C", s(&dir), "request", "merge", s(&forged)]);
    assert!(
        r.stderr.contains("forged.json") && r.stderr.contains("not a root key"),
        "{}",
        r.stderr
    );
    assert_unchanged(&dir, &before);
}

#[test]
fn merging_a_request_for_another_staged_version_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, k1, req) = small_ceremony(tmp.path());
    let d = s(&dir);
    ok(&["-C", d, "request", "create", s(&req)]);
    let signed = tmp.path().join("signed.json");
    ok(&[
        "request",
        "sign",
        "--yes",
        "--trust-on-first-use",
        s(&req),
        "--key-file",
        s(&k1),
        "--out",
        s(&signed),
    ]);
    // The coordinator re-stages with another expiry meanwhile.
    ok(&["-C", d, "root", "discard"]);
    ok(&[
        "-C",
        d,
        "root",
        "init",
        "--root-key",
        "h1",
        "--targets-key",
        "t",
        "--snapshot-key",
        "sn",
        "--timestamp-key",
        "ts",
        "--expires",
        "5y",
    ]);
    let before = snapshot(&dir);
    let r = fails(1, &["-C", d, "request", "merge", s(&signed)]);
    assert!(
        r.stderr.contains("signed.json") && r.stderr.contains("another body"),
        "{}",
        r.stderr
    );
    assert_unchanged(&dir, &before);
    // A request whose body was altered on the way is refused on reading.
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&signed).unwrap()).unwrap();
    v["signed"]["version"] = 7.into();
    std::fs::write(&signed, serde_json::to_vec(&v).unwrap()).unwrap();
    let r = fails(1, &["request", "show", s(&signed)]);
    assert!(r.stderr.contains("digest"), "{}", r.stderr);
}

//! Each way a root can be wrong, refused twice: by `verify` with a reason
//! (exit 1), and by the signing commands before anything is written — the
//! ceremony directory is left byte for byte as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use ceremony::key::Algorithm;
use ceremony::key::cert;
use ceremony::key::private::PrivateKey;
use ceremony::metadata::keys::MetaKey;
use ceremony::metadata::root::{RoleKeys, Root};
use ceremony::metadata::{Dialect, Envelope};
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use time::{Duration, OffsetDateTime};

const GUN: &str = "registry.example.com/test/neg";

// ---- metadata built directly with the library, for `verify` -------------

struct Signer {
    key: PrivateKey,
    meta: MetaKey,
}

impl Signer {
    fn new(d: Dialect, alg: Algorithm) -> Signer {
        let key = PrivateKey::generate(alg);
        let meta = MetaKey::from_public(d, &key.public()).unwrap();
        Signer { key, meta }
    }
    fn notary_root(gun: &str) -> Signer {
        let key = PrivateKey::generate(Algorithm::EcdsaP256);
        let now = OffsetDateTime::now_utc();
        let c = cert::notary_root_certificate(
            key.as_p256().unwrap(),
            gun,
            now,
            now + Duration::days(3650),
        )
        .unwrap();
        Signer {
            meta: MetaKey::from_cert(c).unwrap(),
            key,
        }
    }
    fn id(&self, d: Dialect) -> String {
        self.meta.id(d)
    }
}

/// A root body: `roots` with `threshold`, `other` for the three other roles.
fn root_body(
    d: Dialect,
    version: u64,
    roots: &[&Signer],
    threshold: u64,
    other: &Signer,
    expires: OffsetDateTime,
) -> serde_json::Value {
    let mut keys = BTreeMap::new();
    let mut roles = BTreeMap::new();
    for s in roots.iter().chain(std::iter::once(&other)) {
        keys.insert(s.id(d), s.meta.clone());
    }
    roles.insert(
        "root".to_string(),
        RoleKeys {
            keyids: roots.iter().map(|s| s.id(d)).collect(),
            threshold,
        },
    );
    for r in ["targets", "snapshot", "timestamp"] {
        roles.insert(
            r.to_string(),
            RoleKeys {
                keyids: vec![other.id(d)],
                threshold: 1,
            },
        );
    }
    Root::build(d, version, expires, &keys, &roles)
}

fn signed(d: Dialect, body: serde_json::Value, by: &[&Signer]) -> Envelope {
    let mut env = Envelope {
        signed: body,
        signatures: Vec::new(),
    };
    for s in by {
        ceremony::signature::sign(d, &mut env, &s.id(d), &s.meta, &s.key).unwrap();
    }
    env
}

fn later() -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::days(365)
}

/// Writes files into a new directory and runs `verify` on it; wants exit 1
/// and `reason` in the output.
fn verify_refuses(files: &[(&str, &Envelope)], d: Dialect, extra: &[&str], reason: &str) {
    let tmp = tempfile::tempdir().unwrap();
    for (name, env) in files {
        std::fs::write(tmp.path().join(name), env.to_bytes(d)).unwrap();
    }
    let mut args = vec!["verify", s(tmp.path())];
    args.extend_from_slice(extra);
    let r = fails(1, &args);
    assert!(
        r.stdout.contains(reason) || r.stderr.contains(reason),
        "wanted {reason:?}:\n{}{}",
        r.stdout,
        r.stderr
    );
}

// ---- ceremonies driven through the binary --------------------------------

/// A TUF ceremony with root keys r1..rN, a staged (not signed) root v1 with
/// `threshold`.
fn tuf_staged(tmp: &Path, n: usize, threshold: u64) -> PathBuf {
    let dir = tmp.join("c");
    ok(&["init", s(&dir), "--dialect", "tuf"]);
    let d = s(&dir);
    let labels: Vec<String> = (1..=n).map(|i| format!("r{i}")).collect();
    for l in &labels {
        gen_key(d, "root", l);
    }
    gen_key(d, "targets", "t");
    // One online-style key for the three other roles is enough here.
    gen_key(d, "snapshot", "s");
    gen_key(d, "timestamp", "ts");
    let roots: Vec<&str> = labels.iter().map(String::as_str).collect();
    let threshold = threshold.to_string();
    root_init(d, &roots, Some(&threshold), "t", "s", "ts");
    dir
}

/// A TUF ceremony with a complete root v1 (r1..rN, threshold).
fn tuf_signed(tmp: &Path, n: usize, threshold: u64) -> PathBuf {
    let dir = tuf_staged(tmp, n, threshold);
    ok(&["-C", s(&dir), "root", "sign", "--yes"]);
    assert!(dir.join("root/1.root.json").exists());
    dir
}

fn edit_staged(dir: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let p = dir.join("staged/root.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    f(&mut v);
    let env = Envelope::parse(&serde_json::to_vec(&v).unwrap()).unwrap();
    std::fs::write(&p, env.to_bytes(Dialect::Tuf)).unwrap();
}

/// The staged root, written next to the history as `N.root.json`, for verify.
fn staged_as_history(dir: &Path, n: u64) -> PathBuf {
    let check = dir.parent().unwrap().join(format!("check{n}"));
    std::fs::create_dir(&check).unwrap();
    for e in std::fs::read_dir(dir.join("root")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, check.join(p.file_name().unwrap())).unwrap();
    }
    std::fs::copy(
        dir.join("staged/root.json"),
        check.join(format!("{n}.root.json")),
    )
    .unwrap();
    check
}

/// Rotation r1 → r2 on a one-key root, signed by `by` only.
fn rotation_signed_by(by: &str) -> (tempfile::TempDir, PathBuf, Run) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf_signed(tmp.path(), 1, 1);
    let d = s(&dir).to_string();
    ok(&[
        "-C", &d, "key", "generate", "--role", "root", "--label", "new",
    ]);
    ok(&[
        "-C",
        &d,
        "root",
        "rotate",
        "--add-key",
        "new",
        "--remove-key",
        "r1",
    ]);
    let r = ok(&["-C", &d, "root", "sign", "--yes", "--key", by]);
    assert!(
        !dir.join("root/2.root.json").exists(),
        "a half-signed rotation joined the history"
    );
    (tmp, dir, r)
}

#[test]
fn rotation_signed_only_by_the_old_keys_is_refused() {
    let (_tmp, dir, r) = rotation_signed_by("r1");
    assert!(
        r.stdout.contains("new root (version 2) threshold: 0 of 1"),
        "{}",
        r.stdout
    );
    let check = staged_as_history(&dir, 2);
    let v = fails(1, &["verify", s(&check)]);
    assert!(
        v.stdout.contains("not signed by its own root threshold"),
        "{}",
        v.stdout
    );
    // Nothing builds on it: a history that holds it is refused as a whole.
    std::fs::copy(dir.join("staged/root.json"), dir.join("root/2.root.json")).unwrap();
    let before = snapshot(&dir);
    let r = fails(1, &["-C", s(&dir), "root", "status"]);
    assert!(r.stderr.contains("does not verify"), "{}", r.stderr);
    fails(
        1,
        &[
            "-C",
            s(&dir),
            "export",
            s(&dir.parent().unwrap().join("out")),
        ],
    );
    assert_unchanged(&dir, &before);
}

#[test]
fn rotation_signed_only_by_the_new_keys_is_refused() {
    let (_tmp, dir, r) = rotation_signed_by("new");
    assert!(
        r.stdout
            .contains("previous root (version 1) threshold: 0 of 1"),
        "{}",
        r.stdout
    );
    let check = staged_as_history(&dir, 2);
    let v = fails(1, &["verify", s(&check)]);
    assert!(
        v.stdout.contains("previous root's threshold"),
        "{}",
        v.stdout
    );
    // The export carries only what verifies: version 1.
    let out = dir.parent().unwrap().join("out");
    ok(&["-C", s(&dir), "export", s(&out)]);
    assert!(out.join("1.root.json").exists() && !out.join("2.root.json").exists());
}

#[test]
fn threshold_not_met_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf_staged(tmp.path(), 3, 2);
    let r = ok(&["-C", s(&dir), "root", "sign", "--yes", "--key", "r1"]);
    assert!(r.stdout.contains("1 of 2 needed"), "{}", r.stdout);
    assert!(!dir.join("root/1.root.json").exists());
    let check = staged_as_history(&dir, 1);
    let v = fails(1, &["verify", s(&check)]);
    assert!(v.stdout.contains("1 valid of 2 needed"), "{}", v.stdout);
    // Nothing to export while no root is complete.
    let before = snapshot(&dir);
    fails(2, &["-C", s(&dir), "export", s(&tmp.path().join("out"))]);
    assert_unchanged(&dir, &before);

    let (a, b, t) = (
        Signer::new(Dialect::Tuf, Algorithm::Ed25519),
        Signer::new(Dialect::Tuf, Algorithm::Ed25519),
        Signer::new(Dialect::Tuf, Algorithm::Ed25519),
    );
    let env = signed(
        Dialect::Tuf,
        root_body(Dialect::Tuf, 1, &[&a, &b], 2, &t, later()),
        &[&a],
    );
    verify_refuses(
        &[("1.root.json", &env)],
        Dialect::Tuf,
        &[],
        "1 valid of 2 needed",
    );
}

#[test]
fn duplicate_signature_is_refused() {
    let (a, b, t) = (
        Signer::new(Dialect::Tuf, Algorithm::Ed25519),
        Signer::new(Dialect::Tuf, Algorithm::Ed25519),
        Signer::new(Dialect::Tuf, Algorithm::Ed25519),
    );
    let mut env = signed(
        Dialect::Tuf,
        root_body(Dialect::Tuf, 1, &[&a, &b], 2, &t, later()),
        &[&a],
    );
    env.signatures.push(env.signatures[0].clone());
    verify_refuses(
        &[("1.root.json", &env)],
        Dialect::Tuf,
        &[],
        "duplicate signature",
    );

    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf_staged(tmp.path(), 3, 2);
    ok(&["-C", s(&dir), "root", "sign", "--yes", "--key", "r1"]);
    edit_staged(&dir, |v| {
        let first = v["signatures"][0].clone();
        v["signatures"].as_array_mut().unwrap().push(first);
    });
    let before = snapshot(&dir);
    let r = fails(1, &["-C", s(&dir), "root", "sign", "--yes", "--key", "r2"]);
    assert!(r.stderr.contains("duplicate signature"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
}

#[test]
fn version_skip_is_refused() {
    let (a, t) = (
        Signer::new(Dialect::Tuf, Algorithm::Ed25519),
        Signer::new(Dialect::Tuf, Algorithm::Ed25519),
    );
    let v1 = signed(
        Dialect::Tuf,
        root_body(Dialect::Tuf, 1, &[&a], 1, &t, later()),
        &[&a],
    );
    let v3 = signed(
        Dialect::Tuf,
        root_body(Dialect::Tuf, 3, &[&a], 1, &t, later()),
        &[&a],
    );
    verify_refuses(
        &[("1.root.json", &v1), ("2.root.json", &v3)],
        Dialect::Tuf,
        &[],
        "version skip",
    );

    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf_signed(tmp.path(), 1, 1);
    ok(&["-C", s(&dir), "root", "rotate"]);
    edit_staged(&dir, |v| v["signed"]["version"] = 3.into());
    let before = snapshot(&dir);
    let r = fails(1, &["-C", s(&dir), "root", "sign", "--yes"]);
    assert!(r.stderr.contains("version skip"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
}

#[test]
fn version_gap_is_refused() {
    let (a, t) = (
        Signer::new(Dialect::Tuf, Algorithm::Ed25519),
        Signer::new(Dialect::Tuf, Algorithm::Ed25519),
    );
    let v: Vec<Envelope> = (1..=4)
        .map(|n| {
            signed(
                Dialect::Tuf,
                root_body(Dialect::Tuf, n, &[&a], 1, &t, later()),
                &[&a],
            )
        })
        .collect();
    verify_refuses(
        &[
            ("1.root.json", &v[0]),
            ("2.root.json", &v[1]),
            ("4.root.json", &v[3]),
        ],
        Dialect::Tuf,
        &[],
        "version gap",
    );

    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf_signed(tmp.path(), 1, 1);
    for _ in 0..2 {
        ok(&["-C", s(&dir), "root", "rotate"]);
        ok(&["-C", s(&dir), "root", "sign", "--yes"]);
    }
    std::fs::remove_file(dir.join("root/2.root.json")).unwrap();
    let before = snapshot(&dir);
    let r = fails(1, &["-C", s(&dir), "root", "rotate"]);
    assert!(r.stderr.contains("version gap"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
}

#[test]
fn expired_root_is_refused() {
    let (a, t) = (
        Signer::new(Dialect::Tuf, Algorithm::Ed25519),
        Signer::new(Dialect::Tuf, Algorithm::Ed25519),
    );
    let past = OffsetDateTime::now_utc() - Duration::days(1);
    let env = signed(
        Dialect::Tuf,
        root_body(Dialect::Tuf, 1, &[&a], 1, &t, past),
        &[&a],
    );
    verify_refuses(&[("1.root.json", &env)], Dialect::Tuf, &[], "expired");

    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf_signed(tmp.path(), 1, 1);
    // A valid repository, judged after its expiry.
    let r = fails(
        1,
        &[
            "verify",
            s(&dir.join("root")),
            "--at",
            "2099-01-01T00:00:00Z",
        ],
    );
    assert!(r.stdout.contains("expired"), "{}", r.stdout);
    let before = snapshot(&dir);
    let r = fails(
        2,
        &["-C", s(&dir), "root", "rotate", "--expires", "2020-01-01"],
    );
    assert!(r.stderr.contains("expired"), "{}", r.stderr);
    assert_unchanged(&dir, &before);

    let dir2 = tmp.path().join("c2");
    tuf_keys(&dir2);
    let before = snapshot(&dir2);
    fails(
        2,
        &[
            "-C",
            s(&dir2),
            "root",
            "init",
            "--root-key",
            "root",
            "--targets-key",
            "targets",
            "--snapshot-key",
            "snapshot",
            "--timestamp-key",
            "timestamp",
            "--expires",
            "2020-01-01T00:00:00Z",
        ],
    );
    assert_unchanged(&dir2, &before);
}

#[test]
fn tampered_signed_body_is_refused() {
    let (a, t) = (
        Signer::new(Dialect::Tuf, Algorithm::Ed25519),
        Signer::new(Dialect::Tuf, Algorithm::EcdsaP256),
    );
    let mut env = signed(
        Dialect::Tuf,
        root_body(Dialect::Tuf, 1, &[&a], 1, &t, later()),
        &[&a],
    );
    env.signed["expires"] = "2099-01-01T00:00:00Z".into();
    verify_refuses(&[("1.root.json", &env)], Dialect::Tuf, &[], "is not valid");

    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf_staged(tmp.path(), 3, 2);
    ok(&["-C", s(&dir), "root", "sign", "--yes", "--key", "r1"]);
    edit_staged(&dir, |v| {
        v["signed"]["roles"]["root"]["threshold"] = 1.into()
    });
    let before = snapshot(&dir);
    let r = fails(1, &["-C", s(&dir), "root", "sign", "--yes", "--key", "r2"]);
    assert!(
        r.stderr.contains("changed after it was signed"),
        "{}",
        r.stderr
    );
    assert_unchanged(&dir, &before);
}

#[test]
fn wrong_key_id_is_refused() {
    let (a, t) = (
        Signer::new(Dialect::Tuf, Algorithm::Ed25519),
        Signer::new(Dialect::Tuf, Algorithm::Ed25519),
    );
    let mut body = root_body(Dialect::Tuf, 1, &[&a], 1, &t, later());
    let (good, bad) = (a.id(Dialect::Tuf), "00".repeat(32));
    let obj = body["keys"].as_object_mut().unwrap().remove(&good).unwrap();
    body["keys"][&bad] = obj;
    body["roles"]["root"]["keyids"] = serde_json::json!([bad]);
    let mut env = Envelope {
        signed: body,
        signatures: Vec::new(),
    };
    ceremony::signature::sign(Dialect::Tuf, &mut env, &bad, &a.meta, &a.key).unwrap();
    verify_refuses(
        &[("1.root.json", &env)],
        Dialect::Tuf,
        &[],
        "does not match its key",
    );

    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf_staged(tmp.path(), 1, 1);
    edit_staged(&dir, |v| {
        let id = v["signed"]["roles"]["root"]["keyids"][0]
            .as_str()
            .unwrap()
            .to_string();
        let obj = v["signed"]["keys"]
            .as_object_mut()
            .unwrap()
            .remove(&id)
            .unwrap();
        v["signed"]["keys"][&bad] = obj;
        v["signed"]["roles"]["root"]["keyids"] = serde_json::json!([bad]);
    });
    let before = snapshot(&dir);
    let r = fails(1, &["-C", s(&dir), "root", "sign", "--yes"]);
    assert!(r.stderr.contains("does not match its key"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
}

/// A Notary ceremony with the other roles' keys ready.
fn notary_ceremony(tmp: &Path) -> PathBuf {
    let dir = tmp.join("n");
    ok(&["init", s(&dir), "--dialect", "notary", "--gun", GUN]);
    dir
}

/// `key import --role root FILE` in `dir` fails with exit 2, the reason
/// names `want`, and nothing changes.
fn root_import_refused(dir: &Path, file: &Path, want: &str) {
    let before = snapshot(dir);
    let r = fails(
        2,
        &["-C", s(dir), "key", "import", "--role", "root", s(file)],
    );
    assert!(r.stderr.contains(want), "{}", r.stderr);
    assert_unchanged(dir, &before);
}

fn notary_root_refused(root: &Signer, reason: &str) {
    let t = Signer::new(Dialect::Notary, Algorithm::Ed25519);
    let env = signed(
        Dialect::Notary,
        root_body(Dialect::Notary, 1, &[root], 1, &t, later()),
        &[root],
    );
    verify_refuses(
        &[("root.json", &env)],
        Dialect::Notary,
        &["--gun", GUN],
        reason,
    );
}

#[test]
fn ed25519_notary_root_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = notary_ceremony(tmp.path());
    let before = snapshot(&dir);
    let r = fails(
        2,
        &[
            "-C",
            s(&dir),
            "key",
            "generate",
            "--role",
            "root",
            "--algorithm",
            "ed25519",
        ],
    );
    assert!(r.stderr.contains("Ed25519"), "{}", r.stderr);
    let ed = Signer::new(Dialect::Notary, Algorithm::Ed25519);
    let file = tmp.path().join("ed.json");
    std::fs::write(&file, serde_json::to_vec(&ed.meta.object).unwrap()).unwrap();
    assert_unchanged(&dir, &before);
    root_import_refused(&dir, &file, "X.509");
    notary_root_refused(&ed, "must be an X.509 certificate");
}

#[test]
fn ca_root_certificate_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = notary_ceremony(tmp.path());
    root_import_refused(&dir, &data("notary-neg/ca-true.crt"), "CA");

    use p256::pkcs8::DecodePrivateKey;
    let pem = std::fs::read_to_string(data("notary-neg/ca-true-key.pem")).unwrap();
    let key = PrivateKey::EcdsaP256(p256::ecdsa::SigningKey::from_pkcs8_pem(&pem).unwrap());
    let leaf =
        cert::parse_single_pem(&std::fs::read_to_string(data("notary-neg/ca-true.crt")).unwrap())
            .unwrap();
    let ca = Signer {
        meta: MetaKey::from_cert(leaf).unwrap(),
        key,
    };
    notary_root_refused(&ca, "CA:TRUE");
}

#[test]
fn root_certificate_cn_other_than_gun_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = notary_ceremony(tmp.path());
    let other = Signer::notary_root("registry.example.com/other/app");
    let file = tmp.path().join("other.crt");
    std::fs::write(&file, other.meta.cert.as_ref().unwrap().pem()).unwrap();
    root_import_refused(&dir, &file, "CN");
    notary_root_refused(&other, "is not the GUN");
    // The same key with the right CN is trusted: the refusal is the CN's.
    let good = Signer::notary_root(GUN);
    let t = Signer::new(Dialect::Notary, Algorithm::Ed25519);
    let env = signed(
        Dialect::Notary,
        root_body(Dialect::Notary, 1, &[&good], 1, &t, later()),
        &[&good],
    );
    let ok_dir = tmp.path().join("ok");
    std::fs::create_dir(&ok_dir).unwrap();
    std::fs::write(ok_dir.join("root.json"), env.to_bytes(Dialect::Notary)).unwrap();
    ok(&["verify", s(&ok_dir), "--gun", GUN]);
}

//! A TUF repository made by python-tuf 7.0.1 with an RSA root key
//! (tests/data/rsa_rotation/make.py) is verified, adopted and rotated to
//! Ed25519 keys; the old RSA key signs outside the tool (`openssl dgst`
//! over `root payload`) and `root add-signature` brings the signature in.
//! The same for an ECDSA root key whose signature comes as `r‖s`, the form
//! a hardware token returns, which the tool turns into TUF's DER.
//! python-tuf's client (TrustedMetadataSet, via tuf_verify_chain.py) must
//! accept the new chain; wrong, broken and misnamed signatures are refused
//! with the ceremony directory unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The python-tuf repository in `t/repo`, its keys in `t/keys` (RSA).
fn python_repo(t: &Path) -> (PathBuf, PathBuf) {
    python_repo_of(t, "tuf")
}

/// The same, of the kind `make.py` names: `tuf` (RSA) or `tuf-ecdsa`.
fn python_repo_of(t: &Path, kind: &str) -> (PathBuf, PathBuf) {
    let (repo, keys) = (t.join("repo"), t.join("keys"));
    let out = Command::new("python3")
        .arg(data("rsa_rotation/make.py"))
        .args([kind, s(&repo), s(&keys)])
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "make.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (repo, keys)
}

/// The key ID(s) `role` names in `file`.
fn role_ids(file: &Path, role: &str) -> Vec<String> {
    let v: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    v["signed"]["roles"][role]["keyids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

/// `openssl dgst -sha256 -sign KEY [PSS options] -out OUT PAYLOAD`.
fn openssl_sign(key: &Path, payload: &Path, out: &Path, pss: bool) {
    let mut cmd = Command::new("openssl");
    cmd.args(["dgst", "-sha256", "-sign", s(key)]);
    if pss {
        cmd.args(["-sigopt", "rsa_padding_mode:pss"]);
        cmd.args(["-sigopt", "rsa_pss_saltlen:digest"]);
    }
    let o = cmd.args(["-out", s(out), s(payload)]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A ceremony that adopted `repo` and staged version 2: new Ed25519 keys
/// for every role, the RSA root key removed, signed by the new root key.
fn staged_rotation(t: &Path, repo: &Path) -> PathBuf {
    staged_rotation_from(t, repo, "rsa")
}

/// [`staged_rotation`] for a repository whose root key is of `keytype`.
fn staged_rotation_from(t: &Path, repo: &Path, keytype: &str) -> PathBuf {
    let c = t.join("c");
    ok(&["init", s(&c), "--dialect", "tuf"]);
    let d = s(&c);
    let r = ok(&["-C", d, "root", "adopt", s(repo)]);
    assert!(r.stdout.contains(&format!("({keytype})")), "{}", r.stdout);
    assert!(r.stderr.contains("trust on first use"), "{}", r.stderr);
    for role in ["root", "targets", "snapshot", "timestamp"] {
        ok(&["-C", d, "key", "generate", "--role", role]);
    }
    let old = &role_ids(&repo.join("1.root.json"), "root")[0];
    ok(&[
        "-C",
        d,
        "root",
        "rotate",
        "--add-key",
        "root-1",
        "--remove-key",
        &old[..12],
        "--targets-key",
        "targets-1",
        "--snapshot-key",
        "snapshot-1",
        "--timestamp-key",
        "timestamp-1",
    ]);
    ok(&["-C", d, "root", "sign", "--yes"]);
    c
}

fn python_tuf(dir: &Path, trusted: &Path) -> (bool, String) {
    let out = Command::new("python3")
        .arg(data("tuf_verify_chain.py"))
        .arg(dir)
        .args(["--trusted-root", s(trusted)])
        .output()
        .expect("run python3");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && text.contains("RESULT: PASS"), text)
}

#[test]
fn python_tuf_rsa_root_is_rotated_to_ed25519_and_python_tuf_accepts() {
    if !need_python_tuf() || !need_peer("openssl", "openssl") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (repo, keys) = python_repo(t);
    let r = ok(&["verify", s(&repo)]);
    assert!(r.stderr.contains("trusted"), "{}", r.stderr);

    let c = staged_rotation(t, &repo);
    let d = s(&c);
    let st = ok(&["-C", d, "root", "status"]);
    assert!(
        st.stdout
            .contains("previous root (version 1) threshold: 0 of 1"),
        "{}",
        st.stdout
    );
    let payload = t.join("payload.bin");
    let r = ok(&["-C", d, "root", "payload", s(&payload)]);
    assert!(r.stdout.starts_with("sha256 "), "{}", r.stdout);
    let sig = t.join("sig.bin");
    openssl_sign(&keys.join("root.pem"), &payload, &sig, true);
    let old = &role_ids(&repo.join("1.root.json"), "root")[0];
    let r = ok(&["-C", d, "root", "add-signature", "--key", old, s(&sig)]);
    assert!(r.stderr.contains("complete"), "{}", r.stderr);
    assert!(c.join("root/2.root.json").exists());
    // The adopted version is kept byte for byte.
    assert_eq!(
        std::fs::read(c.join("root/1.root.json")).unwrap(),
        std::fs::read(repo.join("1.root.json")).unwrap()
    );

    for role in ["targets", "snapshot", "timestamp"] {
        ok(&["-C", d, role, "sign"]);
    }
    let out = t.join("out");
    ok(&["-C", d, "export", s(&out)]);
    let trusted = repo.join("1.root.json");
    let (passed, text) = python_tuf(&out, &trusted);
    assert!(passed, "python-tuf refused the rotation:\n{text}");
    assert!(text.contains("v2: signed by 1/1 keys of v1"), "{text}");
    assert!(text.contains("1.targets.json"), "{text}");
    ok(&["verify", "--trusted-root", s(&trusted), s(&out)]);
    let v: Value =
        serde_json::from_slice(&std::fs::read(out.join("2.root.json")).unwrap()).unwrap();
    let keys = v["signed"]["keys"].as_object().unwrap();
    assert!(
        keys.values().all(|k| k["keytype"] == "ed25519"),
        "the new root names only ed25519 keys: {keys:?}"
    );

    // A history with a version missing is not adopted: 1 and 3, without 2.
    ok(&["-C", d, "root", "rotate", "--expires", "400d"]);
    ok(&["-C", d, "root", "sign", "--yes"]);
    let again = t.join("again");
    ok(&["init", s(&again), "--dialect", "tuf"]);
    let before = snapshot(&again);
    let r = fails(
        2,
        &[
            "-C",
            s(&again),
            "root",
            "adopt",
            s(&c.join("root/1.root.json")),
            s(&c.join("root/3.root.json")),
        ],
    );
    assert!(r.stderr.contains("version 2 is missing"), "{}", r.stderr);
    assert_unchanged(&again, &before);
    let r = ok(&["-C", s(&again), "root", "adopt", s(&c.join("root"))]);
    assert!(r.stderr.contains("1 to 3"), "{}", r.stderr);
}

/// `r‖s` (what a PKCS#11 token's CKM_ECDSA returns) in hex, by the
/// private key `key` over `payload`: keytypes/make.py's `sign-raw`.
fn raw_ecdsa_hex(key: &Path, payload: &Path) -> String {
    let out = Command::new("python3")
        .arg(data("keytypes/make.py"))
        .args(["sign-raw", s(key), "sha256", "ecdsa-raw", "0", s(payload)])
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn an_ecdsa_root_signing_in_r_s_form_is_rotated_and_python_tuf_accepts() {
    if !need_python_tuf() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (repo, keys) = python_repo_of(t, "tuf-ecdsa");
    ok(&["verify", s(&repo)]);
    let c = staged_rotation_from(t, &repo, "ecdsa");
    let d = s(&c);
    let payload = t.join("payload.bin");
    ok(&["-C", d, "root", "payload", s(&payload)]);
    let old = role_ids(&repo.join("1.root.json"), "root")[0].clone();
    let before = snapshot(&c);

    // Another ECDSA key's r‖s under the old root key's name.
    let other = t.join("other.hex");
    std::fs::write(&other, raw_ecdsa_hex(&keys.join("other.pem"), &payload)).unwrap();
    let r = fails(
        1,
        &["-C", d, "root", "add-signature", "--key", &old, s(&other)],
    );
    assert!(
        r.stderr.contains("not a signature by root key"),
        "{}",
        r.stderr
    );
    assert_unchanged(&c, &before);

    // The old key's r‖s over other bytes.
    let body = t.join("other-payload.bin");
    std::fs::write(&body, b"{\"_type\":\"root\"}").unwrap();
    let elsewhere = t.join("elsewhere.hex");
    std::fs::write(&elsewhere, raw_ecdsa_hex(&keys.join("root.pem"), &body)).unwrap();
    fails(
        1,
        &[
            "-C",
            d,
            "root",
            "add-signature",
            "--key",
            &old,
            s(&elsewhere),
        ],
    );
    assert_unchanged(&c, &before);

    // The old key's r‖s over the payload: kept in the DER form TUF uses.
    let sig = t.join("sig.hex");
    let raw = raw_ecdsa_hex(&keys.join("root.pem"), &payload);
    assert_eq!(raw.len(), 128, "r‖s of P-256 is 64 bytes");
    std::fs::write(&sig, &raw).unwrap();
    let r = ok(&["-C", d, "root", "add-signature", "--key", &old, s(&sig)]);
    assert!(r.stderr.contains("complete"), "{}", r.stderr);
    let v: Value =
        serde_json::from_slice(&std::fs::read(c.join("root/2.root.json")).unwrap()).unwrap();
    let kept = v["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["keyid"] == old.as_str())
        .expect("the old key's signature is in version 2");
    let kept = kept["sig"].as_str().unwrap();
    assert!(kept.starts_with("30"), "DER, not r‖s: {kept}");
    assert_ne!(kept, raw);

    for role in ["targets", "snapshot", "timestamp"] {
        ok(&["-C", d, role, "sign"]);
    }
    let out = t.join("out");
    ok(&["-C", d, "export", s(&out)]);
    let trusted = repo.join("1.root.json");
    let (passed, text) = python_tuf(&out, &trusted);
    assert!(passed, "python-tuf refused the rotation:\n{text}");
    assert!(text.contains("v2: signed by 1/1 keys of v1"), "{text}");
}

#[test]
fn detached_signatures_that_do_not_count_are_refused_and_change_nothing() {
    if !need_python_tuf() || !need_peer("openssl", "openssl") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (repo, keys) = python_repo(t);
    let c = staged_rotation(t, &repo);
    let d = s(&c);
    let payload = t.join("payload.bin");
    ok(&["-C", d, "root", "payload", s(&payload)]);
    let old = role_ids(&repo.join("1.root.json"), "root")[0].clone();
    let before = snapshot(&c);

    // Another RSA key's signature, under the old root key's name.
    let other = t.join("other.bin");
    openssl_sign(&keys.join("other.pem"), &payload, &other, true);
    let r = fails(
        1,
        &["-C", d, "root", "add-signature", "--key", &old, s(&other)],
    );
    assert!(
        r.stderr.contains("not a signature by root key"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("rsassa-pss-sha256"), "{}", r.stderr);
    assert_unchanged(&c, &before);

    // The right key, one bit changed.
    let good = t.join("sig.bin");
    openssl_sign(&keys.join("root.pem"), &payload, &good, true);
    let mut bytes = std::fs::read(&good).unwrap();
    bytes[10] ^= 1;
    let broken = t.join("broken.bin");
    std::fs::write(&broken, &bytes).unwrap();
    fails(
        1,
        &["-C", d, "root", "add-signature", "--key", &old, s(&broken)],
    );
    assert_unchanged(&c, &before);

    // The right key with PKCS#1 v1.5 padding: the key's scheme is PSS.
    let v15 = t.join("v15.bin");
    openssl_sign(&keys.join("root.pem"), &payload, &v15, false);
    fails(
        1,
        &["-C", d, "root", "add-signature", "--key", &old, s(&v15)],
    );
    assert_unchanged(&c, &before);

    // The right signature over other bytes (the old root's own body).
    let body = t.join("other-payload.bin");
    std::fs::write(&body, b"{\"_type\":\"root\"}").unwrap();
    let elsewhere = t.join("elsewhere.bin");
    openssl_sign(&keys.join("root.pem"), &body, &elsewhere, true);
    fails(
        1,
        &[
            "-C",
            d,
            "root",
            "add-signature",
            "--key",
            &old,
            s(&elsewhere),
        ],
    );
    assert_unchanged(&c, &before);

    // A key no root names (the old targets key), and a name matching nothing.
    let targets = &role_ids(&repo.join("1.root.json"), "targets")[0];
    let r = fails(
        2,
        &["-C", d, "root", "add-signature", "--key", targets, s(&good)],
    );
    assert!(r.stderr.contains("is not a root key"), "{}", r.stderr);
    fails(
        2,
        &[
            "-C",
            d,
            "root",
            "add-signature",
            "--key",
            "nobody",
            s(&good),
        ],
    );
    assert_unchanged(&c, &before);

    // The payload is not written over an existing file.
    fails(2, &["-C", d, "root", "payload", s(&payload)]);
    assert_unchanged(&c, &before);

    // The good signature, as hex text (what a python script prints), counts.
    let hex_sig = t.join("sig.hex");
    std::fs::write(&hex_sig, hex::encode(std::fs::read(&good).unwrap())).unwrap();
    let r = ok(&[
        "-C",
        d,
        "root",
        "add-signature",
        "--key",
        &old[..8],
        s(&hex_sig),
    ]);
    assert!(r.stderr.contains("complete"), "{}", r.stderr);
}

#[test]
fn adopt_takes_only_a_chain_that_verifies_into_an_empty_history() {
    if !need_python_tuf() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (repo, _) = python_repo(t);
    let c = t.join("c");
    ok(&["init", s(&c), "--dialect", "tuf"]);
    let d = s(&c);
    let before = snapshot(&c);

    // A root changed after it was signed.
    let bad = t.join("bad");
    std::fs::create_dir(&bad).unwrap();
    let text = std::fs::read_to_string(repo.join("1.root.json")).unwrap();
    let changed = text.replacen("2099-01-01", "2098-01-01", 1);
    assert_ne!(text, changed);
    std::fs::write(bad.join("1.root.json"), changed).unwrap();
    fails(1, &["-C", d, "root", "adopt", s(&bad)]);
    assert_unchanged(&c, &before);

    // A file whose name says another version than its body.
    let misnamed = t.join("misnamed");
    std::fs::create_dir(&misnamed).unwrap();
    std::fs::copy(repo.join("1.root.json"), misnamed.join("2.root.json")).unwrap();
    let r = fails(1, &["-C", d, "root", "adopt", s(&misnamed)]);
    assert!(r.stderr.contains("not 2"), "{}", r.stderr);
    assert_unchanged(&c, &before);

    // A folder with no root.
    let empty = t.join("empty");
    std::fs::create_dir(&empty).unwrap();
    fails(2, &["-C", d, "root", "adopt", s(&empty)]);
    assert_unchanged(&c, &before);

    // A chain that does not lead from the root the officer trusts.
    let stranger = t.join("stranger");
    std::fs::create_dir(&stranger).unwrap();
    let (other_repo, _) = python_repo(&stranger);
    let other_root = other_repo.join("1.root.json");
    let root1 = repo.join("1.root.json");
    let r = fails(
        1,
        &[
            "-C",
            d,
            "root",
            "adopt",
            "--trusted-root",
            s(&other_root),
            s(&root1),
        ],
    );
    assert!(
        r.stderr.contains("does not hold the trusted root"),
        "{}",
        r.stderr
    );
    assert_unchanged(&c, &before);

    let r = ok(&[
        "-C",
        d,
        "root",
        "adopt",
        "--trusted-root",
        s(&root1),
        s(&root1),
    ]);
    assert!(!r.stderr.contains("trust on first use"), "{}", r.stderr);
    let after = snapshot(&c);
    let r = fails(2, &["-C", d, "root", "adopt", s(&repo)]);
    assert!(r.stderr.contains("root history already"), "{}", r.stderr);
    assert_unchanged(&c, &after);
}

//! Keys in the ceremony: generation, import from the online side, lookup
//! by either Notary ID, passphrase handling, and no secret in clear on disk.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use base64::Engine;
use ceremony::key::private::PrivateKey;
use ceremony::secret::Passphrase;
use common::*;
use std::process::Command;

#[test]
fn tuf_key_objects_and_pem_keys_import_with_recomputed_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    ok(&["init", s(&dir), "--dialect", "tuf"]);
    // root-1 of the TUF fixtures, as a TUF key object.
    let f = tmp.path().join("k.json");
    std::fs::write(&f, r#"{"keyval":{"public":"aa9a7785bbacc0c2a977bd21d8ed97b493dc4aa262c7220a1036e6e4e9fa05ef"},"scheme":"ed25519","keytype":"ed25519"}"#).unwrap();
    let id = ok(&["-C", s(&dir), "key", "import", "--role", "root", s(&f)]).last_line();
    assert_eq!(
        id,
        "a931e0a051f15b155e9e791ed96ca34106f00aee09c97298627775eded1c91c1"
    );
    // The same key again is refused, by ID.
    fails(
        2,
        &["-C", s(&dir), "key", "import", "--role", "root", s(&f)],
    );
    // A PEM public key becomes a TUF ecdsa key.
    ok(&[
        "-C",
        s(&dir),
        "key",
        "import",
        "--role",
        "targets",
        "--label",
        "alice",
        s(&data("notary/keys/alice.pub")),
    ]);
    let list = ok(&["-C", s(&dir), "key", "list"]).stdout;
    assert!(
        list.lines().any(|l| l.contains("alice")
            && l.contains("ecdsa-p256")
            && l.trim_end().ends_with("elsewhere (public key only)")),
        "{list}"
    );
    // A private key is never taken in by `key import`.
    let before = snapshot(&dir);
    let r = fails(
        2,
        &[
            "-C",
            s(&dir),
            "key",
            "import",
            "--role",
            "targets",
            s(&data("notary/keys/alice-key.pem")),
        ],
    );
    assert!(r.stderr.contains("private key"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
}

#[test]
fn notary_server_key_json_in_any_field_order_gets_the_canonical_id() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    ok(&[
        "init",
        s(&dir),
        "--dialect",
        "notary",
        "--gun",
        "registry.example.com/ceremony/app",
    ]);
    // The fixture server's timestamp key, in the order the server's GET returns it.
    let f = tmp.path().join("timestamp.key");
    std::fs::write(&f, r#"{"keytype":"ed25519","keyval":{"public":"0eFa8e85BTMOUHyKT4fkfAnvdWJdju+oekYd8xKDWG0=","private":null}}"#).unwrap();
    let id = ok(&["-C", s(&dir), "key", "import", "--role", "timestamp", s(&f)]).last_line();
    assert_eq!(
        id,
        "2577fbb8354fa27f4c751492d2c1371517fc0b8448ce4fb6b109fe0b4f8936ce"
    );
}

#[test]
fn notary_root_key_is_a_certificate_and_answers_to_both_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let gun = "registry.example.com/ceremony/app";
    ok(&["init", s(&dir), "--dialect", "notary", "--gun", gun]);
    let d = s(&dir);
    let id = ok(&["-C", d, "key", "generate", "--role", "root"]).last_line();
    let rec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(format!("keys/{id}.json"))).unwrap())
            .unwrap();
    assert_eq!(rec["key"]["keytype"], "ecdsa-x509");
    let pem = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(rec["key"]["keyval"]["public"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    // Go's PEM: 64-column lines, LF, no headers.
    assert!(
        pem.starts_with("-----BEGIN CERTIFICATE-----\n")
            && pem.ends_with("-----END CERTIFICATE-----\n")
    );
    assert!(pem.lines().all(|l| l.len() <= 64 || l.starts_with("-----")));
    let c = ceremony::key::cert::parse_single_pem(&pem).unwrap();
    assert_eq!(c.common_name.as_deref(), Some(gun));
    assert!(!c.is_ca && !c.sha1_signature);
    let years = (c.not_after - c.not_before).whole_days();
    assert!((3649..=3651).contains(&years), "validity {years} days");
    // openssl reads it the same way.
    if need_peer("openssl", "openssl") {
        let f = tmp.path().join("c.pem");
        std::fs::write(&f, &pem).unwrap();
        let out = Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in", s(&f)])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("CA:FALSE")
                && text.contains("Code Signing")
                && text.contains("ecdsa-with-SHA256"),
            "{text}"
        );
    }
    let canonical = rec["canonical_id"].as_str().unwrap().to_string();
    assert_ne!(canonical, id);
    for r in ["targets", "snapshot"] {
        ok(&["-C", d, "key", "generate", "--role", r]);
    }
    let ts = tmp.path().join("ts.json");
    let tsk = ceremony::metadata::keys::MetaKey::from_public(
        ceremony::metadata::Dialect::Notary,
        &PrivateKey::generate(ceremony::key::Algorithm::Ed25519).public(),
    )
    .unwrap();
    std::fs::write(&ts, serde_json::to_vec(&tsk.object).unwrap()).unwrap();
    ok(&["-C", d, "key", "import", "--role", "timestamp", s(&ts)]);
    ok(&[
        "-C",
        d,
        "root",
        "init",
        "--root-key",
        &canonical,
        "--targets-key",
        "targets-1",
        "--snapshot-key",
        "snapshot-1",
        "--timestamp-key",
        "timestamp-1",
    ]);
    ok(&["-C", d, "root", "sign", "--yes", "--key", &canonical]);
    let root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("root/1.root.json")).unwrap()).unwrap();
    assert_eq!(
        root["signed"]["roles"]["root"]["keyids"][0],
        id.as_str(),
        "root.json must list the certificate ID"
    );
    assert_eq!(root["signatures"][0]["keyid"], id.as_str());
}

#[test]
fn wrong_passphrase_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    tuf_staged(&dir);
    let d = s(&dir);
    let wrong = tmp.path().join("wrong");
    std::fs::write(&wrong, "not the passphrase\n").unwrap();
    let before = snapshot(&dir);
    let r = fails(
        2,
        &[
            "-C",
            d,
            "--passphrase-file",
            s(&wrong),
            "root",
            "sign",
            "--yes",
        ],
    );
    assert!(r.stderr.contains("wrong passphrase"), "{}", r.stderr);
    assert_eq!(
        r.stderr
            .lines()
            .filter(|l| l.starts_with("ceremony: error"))
            .count(),
        1
    );
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
    // The right one from a file (first line only) works.
    let right = tmp.path().join("right");
    std::fs::write(&right, format!("{PASS}\nsecond line ignored\n")).unwrap();
    ok(&[
        "-C",
        d,
        "--passphrase-file",
        s(&right),
        "root",
        "sign",
        "--yes",
    ]);
}

#[test]
fn private_keys_are_never_on_disk_in_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    ok(&[
        "init",
        s(&dir),
        "--dialect",
        "notary",
        "--gun",
        "registry.example.com/a/b",
    ]);
    let mut secrets: Vec<Vec<u8>> = Vec::new();
    for (role, alg) in [
        ("root", "ecdsa-p256"),
        ("targets", "ed25519"),
        ("snapshot", "ecdsa-p256"),
    ] {
        let id = ok(&[
            "-C",
            s(&dir),
            "key",
            "generate",
            "--role",
            role,
            "--algorithm",
            alg,
        ])
        .last_line();
        let file = std::fs::read(dir.join(format!("keys/{id}.age"))).unwrap();
        assert!(file.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
        let key = PrivateKey::decrypt(&file, &Passphrase::from(PASS.to_string())).unwrap();
        let raw = match &key {
            PrivateKey::Ed25519(k) => k.to_bytes().to_vec(),
            PrivateKey::EcdsaP256(k) => k.to_bytes().to_vec(),
        };
        assert!(!format!("{key:?}").contains(&hex::encode(&raw)));
        secrets.push(raw);
    }
    let files = snapshot(&dir);
    for raw in &secrets {
        let forms = [
            raw.clone(),
            hex::encode(raw).into_bytes(),
            base64::engine::general_purpose::STANDARD
                .encode(raw)
                .into_bytes(),
        ];
        for (path, bytes) in &files {
            for f in &forms {
                assert!(
                    !bytes.windows(f.len()).any(|w| w == f.as_slice()),
                    "secret found in {}",
                    path.display()
                );
            }
        }
    }
}

/// A self-signed P-256 certificate made by openssl with `subject`.
fn openssl_cert(dir: &std::path::Path, name: &str, subject: &str) -> std::path::PathBuf {
    let cert = dir.join(format!("{name}.crt"));
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "365",
            "-subj",
            subject,
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-keyout",
        ])
        .arg(dir.join(format!("{name}.key")))
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    cert
}

#[test]
fn root_certificates_must_be_one_certificate_with_one_common_name() {
    if !need_peer("openssl", "Debian package openssl") {
        return;
    }
    let gun = "registry.example.com/org/app";
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("c");
    ok(&["init", s(&dir), "--dialect", "notary", "--gun", gun]);
    let before = snapshot(&dir);
    // Two CNs: Go reads the last (the GUN here), a first-CN reader "evil".
    // openssl's -subj separates with `/`: escape the GUN's.
    let subj = gun.replace('/', "\\/");
    let two_cn = openssl_cert(t, "two", &format!("/CN=evil.example/CN={subj}"));
    let r = fails(
        2,
        &["-C", s(&dir), "key", "import", "--role", "root", s(&two_cn)],
    );
    assert!(r.stderr.contains("2 common names"), "{}", r.stderr);
    // Two certificates in one file where one leaf is expected.
    let a = openssl_cert(t, "a", &format!("/CN={subj}"));
    let b = openssl_cert(t, "b", &format!("/CN={subj}"));
    let both = t.join("both.crt");
    let mut text = std::fs::read(&a).unwrap();
    text.extend(std::fs::read(&b).unwrap());
    std::fs::write(&both, &text).unwrap();
    let r = fails(
        2,
        &["-C", s(&dir), "key", "import", "--role", "root", s(&both)],
    );
    assert!(r.stderr.contains("2 PEM blocks"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
    // One good certificate imports.
    ok(&["-C", s(&dir), "key", "import", "--role", "root", s(&a)]);
    // In metadata, an ecdsa-x509 key holding two certificates, or a
    // two-CN certificate, is a key that cannot count.
    let b64 = base64::engine::general_purpose::STANDARD;
    for (what, pem) in [
        ("two certificates", text.clone()),
        ("two CNs", std::fs::read(&two_cn).unwrap()),
    ] {
        let v = serde_json::json!({"keytype": "ecdsa-x509", "keyval": {"private": null, "public": b64.encode(&pem)}});
        let err =
            ceremony::metadata::keys::MetaKey::from_value(ceremony::metadata::Dialect::Notary, &v)
                .err()
                .unwrap_or_else(|| panic!("{what} was accepted"));
        assert!(
            err.reason().contains("certificates where one leaf")
                || err.reason().contains("common names"),
            "{what}: {}",
            err.reason()
        );
    }
}

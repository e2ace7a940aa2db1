//! Key types the tool verifies but does not sign with (RSA, P-384), keys
//! read from the encodings peers write, and keys of unknown type: keys and
//! signatures made by openssl and python `cryptography` in the test, a
//! python-tuf 7.0.1 repository with RSA keys end to end through `verify`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ceremony::key::private::PrivateKey;
use ceremony::key::{Algorithm, KeyType};
use ceremony::metadata::Dialect;
use ceremony::metadata::keys::{MetaKey, is_unknown_type};
use common::{data, fails, need_peer, need_python_tuf, ok, s};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Command;

const MSG: &[u8] = b"{\"_type\":\"root\",\"version\":1}";

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn make_py(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg(data("keytypes/make.py"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "make.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A fresh private key (`genpkey` options) in `dir/name.pem`, its public
/// half in `dir/name.pub.pem`, and the message in `dir/msg`.
fn keypair(dir: &Path, name: &str, genpkey: &[&str]) {
    std::fs::write(dir.join("msg"), MSG).unwrap();
    let key = format!("{name}.pem");
    let mut args = vec!["genpkey", "-out", &key];
    args.extend(genpkey);
    openssl(dir, &args);
    openssl(
        dir,
        &[
            "pkey",
            "-in",
            &key,
            "-pubout",
            "-out",
            &format!("{name}.pub.pem"),
        ],
    );
}

/// `openssl dgst -HASH -sign KEY [-sigopt …] msg`, the signature's bytes.
fn dgst_sign(dir: &Path, key: &str, hash: &str, sigopts: &[&str]) -> Vec<u8> {
    let mut args = vec!["dgst", hash, "-sign", key, "-out", "sig"];
    for o in sigopts {
        args.extend(["-sigopt", o]);
    }
    args.push("msg");
    openssl(dir, &args);
    std::fs::read(dir.join("sig")).unwrap()
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

fn tuf_key(keytype: &str, scheme: &str, public: &str) -> Result<MetaKey, String> {
    let v = json!({"keytype": keytype, "keyval": {"public": public}, "scheme": scheme});
    MetaKey::from_value(Dialect::Tuf, &v).map_err(|e| e.reason().to_string())
}

fn tuf_ok(k: &MetaKey, sig: &[u8]) -> bool {
    k.verify(Dialect::Tuf, MSG, None, &hex::encode(sig))
}

fn flipped(sig: &[u8]) -> Vec<u8> {
    let mut s = sig.to_vec();
    let mid = s.len() / 2;
    s[mid] ^= 1;
    s
}

const PSS: &[&str] = &["rsa_padding_mode:pss", "rsa_pss_saltlen:digest"];

#[test]
fn tuf_rsa_pss_and_pkcs1v15_signatures_verify_and_others_are_refused() {
    if !need_peer("openssl", "openssl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    keypair(
        d,
        "k",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let pem = read(d, "k.pub.pem");
    let pss = tuf_key("rsa", "rsassa-pss-sha256", &pem).unwrap();
    let pkcs1 = tuf_key("rsa", "rsa-pkcs1v15-sha256", &pem).unwrap();
    assert_eq!(pss.public.key_type(), KeyType::Rsa);

    let pss_sig = dgst_sign(d, "k.pem", "-sha256", PSS);
    assert!(tuf_ok(&pss, &pss_sig), "openssl's RSA-PSS signature");
    assert!(!tuf_ok(&pss, &flipped(&pss_sig)), "a changed signature");
    assert!(!tuf_ok(&pkcs1, &pss_sig), "PSS under a PKCS#1 v1.5 key");
    let salt20 = dgst_sign(
        d,
        "k.pem",
        "-sha256",
        &["rsa_padding_mode:pss", "rsa_pss_saltlen:20"],
    );
    assert!(
        !tuf_ok(&pss, &salt20),
        "a 20-byte salt is not the strict 32"
    );

    let v15 = dgst_sign(d, "k.pem", "-sha256", &[]);
    assert!(tuf_ok(&pkcs1, &v15), "openssl's PKCS#1 v1.5 signature");
    assert!(!tuf_ok(&pss, &v15), "PKCS#1 v1.5 under a PSS key");
    assert!(!tuf_ok(&pkcs1, &flipped(&v15)));

    // The other hashes securesystemslib names.
    for (hash, name) in [
        ("-sha224", "sha224"),
        ("-sha384", "sha384"),
        ("-sha512", "sha512"),
    ] {
        let k = tuf_key("rsa", &format!("rsassa-pss-{name}"), &pem).unwrap();
        assert!(tuf_ok(&k, &dgst_sign(d, "k.pem", hash, PSS)), "{name} PSS");
        assert!(!tuf_ok(&k, &pss_sig), "{name} key, sha256 signature");
        let k = tuf_key("rsa", &format!("rsa-pkcs1v15-{name}"), &pem).unwrap();
        assert!(tuf_ok(&k, &dgst_sign(d, "k.pem", hash, &[])), "{name} v1.5");
    }
}

#[test]
fn pkcs1_pem_is_the_same_key_as_spki_and_small_keys_are_refused() {
    if !need_peer("openssl", "openssl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    keypair(
        d,
        "k",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
    );
    openssl(
        d,
        &[
            "rsa",
            "-in",
            "k.pem",
            "-RSAPublicKey_out",
            "-out",
            "k.pkcs1.pem",
        ],
    );
    let pkcs1_pem = read(d, "k.pkcs1.pem");
    assert!(pkcs1_pem.contains("BEGIN RSA PUBLIC KEY"));
    let a = tuf_key("rsa", "rsassa-pss-sha256", &read(d, "k.pub.pem")).unwrap();
    let b = tuf_key("rsa", "rsassa-pss-sha256", &pkcs1_pem).unwrap();
    assert_eq!(a.public.fingerprint(), b.public.fingerprint());
    assert!(tuf_ok(&b, &dgst_sign(d, "k.pem", "-sha256", PSS)));

    keypair(
        d,
        "small",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    );
    let why = tuf_key("rsa", "rsassa-pss-sha256", &read(d, "small.pub.pem")).unwrap_err();
    assert!(why.contains("1024 bits") && why.contains("2048"), "{why}");
    assert!(
        !is_unknown_type(&why),
        "a small key is a bad key, not an unknown one"
    );
}

#[test]
fn p384_verifies_under_its_own_scheme_only() {
    if !need_peer("openssl", "openssl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let ec = |curve: &str| ["-algorithm", "EC", "-pkeyopt", curve].map(String::from);
    let p384 = ec("ec_paramgen_curve:P-384");
    keypair(d, "k", &p384.iter().map(String::as_str).collect::<Vec<_>>());
    let pem = read(d, "k.pub.pem");
    let k = tuf_key("ecdsa", "ecdsa-sha2-nistp384", &pem).unwrap();
    assert_eq!(k.public.key_type(), KeyType::EcdsaP384);
    let sig = dgst_sign(d, "k.pem", "-sha384", &[]);
    assert!(tuf_ok(&k, &sig), "openssl's P-384/SHA-384 DER signature");
    assert!(!tuf_ok(&k, &flipped(&sig)));
    assert!(
        !tuf_ok(&k, &dgst_sign(d, "k.pem", "-sha256", &[])),
        "SHA-256"
    );
    // The older keytype spelling, when it equals the scheme.
    assert!(tuf_key("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", &pem).is_ok());

    let why = tuf_key("ecdsa", "ecdsa-sha2-nistp256", &pem).unwrap_err();
    assert!(why.contains("ecdsa-p384"), "{why}");
    let why = tuf_key("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", &pem).unwrap_err();
    assert!(why.contains("different curves"), "{why}");
    let why = tuf_key("rsa", "rsassa-pss-sha256", &pem).unwrap_err();
    assert!(why.contains("ecdsa-p384"), "{why}");

    let p256 = ec("ec_paramgen_curve:P-256");
    keypair(d, "p", &p256.iter().map(String::as_str).collect::<Vec<_>>());
    let why = tuf_key("ecdsa", "ecdsa-sha2-nistp384", &read(d, "p.pub.pem")).unwrap_err();
    assert!(why.contains("ecdsa-p256"), "{why}");
}

#[test]
fn unknown_types_and_schemes_are_named_as_unknown() {
    let why = tuf_key("sphincs", "sphincs-shake-256f", "ab").unwrap_err();
    assert!(is_unknown_type(&why), "{why}");
    assert!(why.contains("sphincs"), "{why}");
    let why = tuf_key("rsa", "rsassa-pss-sha1", "x").unwrap_err();
    assert!(is_unknown_type(&why), "{why}");
    let v = json!({"keytype": "sm2-x509", "keyval": {"private": null, "public": "AAAA"}});
    let why = MetaKey::from_value(Dialect::Notary, &v).unwrap_err();
    assert!(is_unknown_type(why.reason()), "{}", why.reason());
    // A known type with a broken value is a bad key, not an unknown one.
    let why = tuf_key("ed25519", "ed25519", "zz").unwrap_err();
    assert!(!is_unknown_type(&why), "{why}");
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn notary_ok(k: &MetaKey, method: &str, sig: &[u8]) -> bool {
    k.verify(Dialect::Notary, MSG, Some(method), &STANDARD.encode(sig))
}

/// `openssl req -x509` for `key.pem`, and the key's DER SubjectPublicKeyInfo.
fn cert_and_spki(d: &Path, key: &str) -> (String, Vec<u8>) {
    let cert = format!("{key}.crt");
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            &format!("{key}.pem"),
            "-subj",
            "/CN=example.com",
            "-days",
            "365",
            "-sha256",
            "-out",
            &cert,
        ],
    );
    let der = format!("{key}.spki");
    openssl(
        d,
        &[
            "pkey",
            "-in",
            &format!("{key}.pem"),
            "-pubout",
            "-outform",
            "DER",
            "-out",
            &der,
        ],
    );
    (read(d, &cert), std::fs::read(d.join(der)).unwrap())
}

#[test]
fn notary_rsa_x509_key_ids_and_methods() {
    if !need_peer("openssl", "openssl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    keypair(
        d,
        "k",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let (pem, spki) = cert_and_spki(d, "k");
    let public = STANDARD.encode(&pem);
    let v = json!({"keytype": "rsa-x509", "keyval": {"private": null, "public": public}});
    let k = MetaKey::from_value(Dialect::Notary, &v).unwrap();
    // Notary's IDs: the canonical {keytype, keyval{private, public}}; the
    // canonical ID is that of the bare `rsa` key inside the certificate.
    let id = sha256_hex(&format!(
        r#"{{"keytype":"rsa-x509","keyval":{{"private":null,"public":"{public}"}}}}"#
    ));
    assert_eq!(k.id(Dialect::Notary), id);
    let bare = sha256_hex(&format!(
        r#"{{"keytype":"rsa","keyval":{{"private":null,"public":"{}"}}}}"#,
        STANDARD.encode(&spki)
    ));
    assert_eq!(k.canonical_id(Dialect::Notary).unwrap(), bare);
    let bare_key =
        json!({"keytype": "rsa", "keyval": {"private": null, "public": STANDARD.encode(&spki)}});
    let b = MetaKey::from_value(Dialect::Notary, &bare_key).unwrap();
    assert_eq!(b.id(Dialect::Notary), bare);
    assert_eq!(b.public.fingerprint(), k.public.fingerprint());

    // notary's PSS: SHA-256, 32-byte salt; PKCS#1 v1.5 with SHA-256.
    let pss = dgst_sign(d, "k.pem", "-sha256", PSS);
    assert!(notary_ok(&k, "rsapss", &pss));
    assert!(!notary_ok(&k, "rsapss", &flipped(&pss)));
    assert!(!notary_ok(&k, "rsapkcs1v15", &pss));
    assert!(
        !notary_ok(&k, "ecdsa", &pss),
        "a method of another key type"
    );
    let v15 = dgst_sign(d, "k.pem", "-sha256", &[]);
    assert!(notary_ok(&k, "rsapkcs1v15", &v15));
    assert!(notary_ok(&b, "rsapkcs1v15", &v15));
    let why = k
        .sig_scheme(Dialect::Notary, Some("pycrypto-pkcs#1 pss"))
        .unwrap_err();
    assert!(is_unknown_type(&why), "{why}");

    // The keytype must name the certificate's key family.
    let v = json!({"keytype": "ecdsa-x509", "keyval": {"private": null, "public": public}});
    let why = MetaKey::from_value(Dialect::Notary, &v).unwrap_err();
    assert!(why.reason().contains("holds a rsa key"), "{}", why.reason());
}

#[test]
fn notary_p384_signs_over_sha256_as_fixed_width_r_s() {
    if !need_peer("openssl", "openssl") || !need_python_tuf() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    keypair(
        d,
        "k",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    );
    let (pem, _) = cert_and_spki(d, "k");
    let leaf = ceremony::key::cert::parse_single_pem(&pem).unwrap();
    let k = MetaKey::from_cert(leaf).unwrap();
    assert_eq!(k.keytype(), "ecdsa-x509");
    assert_eq!(k.public.key_type(), KeyType::EcdsaP384);
    let raw = |hash: &str| {
        hex::decode(make_py(
            d,
            &["sign-raw", "k.pem", hash, "ecdsa-raw", "0", "msg"],
        ))
        .unwrap()
    };
    let sig = raw("sha256");
    assert_eq!(sig.len(), 96);
    assert!(notary_ok(&k, "ecdsa", &sig));
    assert!(!notary_ok(&k, "ecdsa", &flipped(&sig)));
    assert!(
        !notary_ok(&k, "ecdsa", &raw("sha384")),
        "notary hashes with SHA-256"
    );
    // python's own PSS with a salt of 32 verifies, of 20 does not.
    keypair(
        d,
        "r",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let r = tuf_key("rsa", "rsassa-pss-sha256", &read(d, "r.pub.pem")).unwrap();
    let py = |salt: &str| {
        hex::decode(make_py(
            d,
            &["sign-raw", "r.pem", "sha256", "pss", salt, "msg"],
        ))
        .unwrap()
    };
    assert!(tuf_ok(&r, &py("32")));
    assert!(!tuf_ok(&r, &py("20")));
}

#[test]
fn signing_with_a_verify_only_key_is_refused() {
    if !need_peer("openssl", "openssl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    keypair(
        d,
        "k",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let k = tuf_key("rsa", "rsassa-pss-sha256", &read(d, "k.pub.pem")).unwrap();
    assert_eq!(k.public.algorithm(), None);
    let mut env =
        ceremony::metadata::Envelope::parse(br#"{"signed":{"_type":"root"},"signatures":[]}"#)
            .unwrap();
    let private = PrivateKey::generate(Algorithm::Ed25519);
    let e = ceremony::signature::sign(Dialect::Tuf, &mut env, "id", &k, &private).unwrap_err();
    assert!(e.reason().contains("signs only with"), "{}", e.reason());
    assert!(env.signatures.is_empty());
}

#[test]
fn python_tuf_repository_with_rsa_keys_verifies_end_to_end() {
    if !need_python_tuf() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let repo = t.path().join("repo");
    make_py(t.path(), &["tuf-rsa", s(&repo)]);
    let root = read(&repo, "1.root.json");
    assert!(
        root.contains("\"rsassa-pss-sha256\""),
        "python-tuf wrote RSA keys"
    );
    let r = ok(&["verify", s(&repo), "--dialect", "tuf"]);
    for f in [
        "1.root.json",
        "timestamp.json",
        "snapshot.json",
        "targets.json",
    ] {
        assert!(
            r.stdout
                .lines()
                .any(|l| l.starts_with("ok") && l.contains(f)),
            "{f}:\n{}",
            r.stdout
        );
    }
    // A changed body no longer matches the RSA signature: a failure (1).
    let mut targets: serde_json::Value =
        serde_json::from_str(&read(&repo, "targets.json")).unwrap();
    targets["signed"]["targets"]["a.txt"]["length"] = json!(2);
    std::fs::write(repo.join("targets.json"), targets.to_string()).unwrap();
    let r = fails(1, &["verify", s(&repo), "--dialect", "tuf"]);
    assert!(
        r.stdout.contains("targets.json") && r.stdout.contains("not valid"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_key_of_unknown_type_is_unusable_input_unless_a_failure_decides() {
    if !need_python_tuf() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    // (threshold, B's signature corrupted) → exit; A and B are ed25519, C
    // is of unknown type and signs too.
    for (threshold, bad, code) in [("2", "0", 0), ("3", "0", 2), ("2", "1", 2), ("3", "1", 1)] {
        let dir = t.path().join(format!("t{threshold}b{bad}"));
        make_py(t.path(), &["unknown", s(&dir), threshold, bad]);
        let r = fails(code, &["verify", s(&dir), "--dialect", "tuf"]);
        if code == 0 {
            continue;
        }
        assert!(
            r.stdout
                .contains("of a type this tool does not know (TUF keytype \"sphincs\")"),
            "threshold {threshold}, bad {bad}:\n{}",
            r.stdout
        );
        assert_eq!(
            r.stdout.contains("undecided"),
            code == 2,
            "threshold {threshold}, bad {bad}:\n{}",
            r.stdout
        );
    }
    // Expiry is a real failure: it decides over an undecided count.
    let dir = t.path().join("t3b0");
    let at = "2100-01-01T00:00:00Z";
    let r = fails(1, &["verify", s(&dir), "--dialect", "tuf", "--at", at]);
    assert!(r.stdout.contains("expired"), "{}", r.stdout);
}

/// notary's own v1 root (tests/data/notary/v1) with its root key replaced
/// by the certificate `dir/k.crt`, signed by `sign` over the canonical
/// body with `method`; written to `dir/repo/1.root.json`.
fn notary_root_with(dir: &Path, keytype: &str, method: &str, sign: &dyn Fn(&Path) -> Vec<u8>) {
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data("notary/v1/1.root.json")).unwrap()).unwrap();
    let key = json!({"keytype": keytype, "keyval": {"private": null,
        "public": STANDARD.encode(read(dir, "k.crt"))}});
    let id = MetaKey::from_value(Dialect::Notary, &key)
        .unwrap()
        .id(Dialect::Notary);
    let old = v["signed"]["roles"]["root"]["keyids"][0]
        .as_str()
        .unwrap()
        .to_string();
    let keys = v["signed"]["keys"].as_object_mut().unwrap();
    keys.remove(&old);
    keys.insert(id.clone(), key);
    v["signed"]["roles"]["root"]["keyids"] = json!([id]);
    v["signatures"] = json!([]);
    let env = ceremony::metadata::Envelope::parse(v.to_string().as_bytes()).unwrap();
    std::fs::write(dir.join("msg"), env.canonical_signed()).unwrap();
    let sig = STANDARD.encode(sign(dir));
    v["signatures"] = json!([{"keyid": id, "method": method, "sig": sig}]);
    std::fs::create_dir_all(dir.join("repo")).unwrap();
    std::fs::write(dir.join("repo/1.root.json"), v.to_string()).unwrap();
}

#[test]
fn notary_roots_with_rsa_x509_and_p384_keys_verify_end_to_end() {
    if !need_peer("openssl", "openssl") || !need_python_tuf() {
        return;
    }
    let cert = |d: &Path| {
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                "k.pem",
                "-subj",
                r"/CN=docker.io\/library\/x",
                "-days",
                "365",
                "-sha256",
                // notary's own template: not a CA, code signing.
                "-addext",
                "basicConstraints=critical,CA:FALSE",
                "-addext",
                "keyUsage=critical,digitalSignature,keyEncipherment",
                "-addext",
                "extendedKeyUsage=codeSigning",
                "-out",
                "k.crt",
            ],
        )
    };
    // RSA, PSS with SHA-256 and a 32-byte salt, as notary signs.
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    keypair(
        d,
        "k",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    cert(d);
    notary_root_with(d, "rsa-x509", "rsapss", &|d| {
        dgst_sign(d, "k.pem", "-sha256", PSS)
    });
    let repo = d.join("repo");
    let r = ok(&["verify", s(&repo)]);
    assert!(r.stdout.starts_with("ok"), "{}", r.stdout);
    assert!(r.stderr.contains("docker.io/library/x"), "{}", r.stderr);
    // The same signature named as PKCS#1 v1.5 does not verify.
    let text = read(&repo, "1.root.json").replace("\"rsapss\"", "\"rsapkcs1v15\"");
    std::fs::write(repo.join("1.root.json"), text).unwrap();
    fails(1, &["verify", s(&repo)]);

    // P-384, SHA-256, fixed-width r‖s.
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    keypair(
        d,
        "k",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    );
    cert(d);
    notary_root_with(d, "ecdsa-x509", "ecdsa", &|d| {
        hex::decode(make_py(
            d,
            &["sign-raw", "k.pem", "sha256", "ecdsa-raw", "0", "msg"],
        ))
        .unwrap()
    });
    let r = ok(&["verify", s(&d.join("repo"))]);
    assert!(r.stdout.starts_with("ok"), "{}", r.stdout);
}

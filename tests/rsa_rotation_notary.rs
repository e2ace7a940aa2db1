//! A Notary repository whose root key was made outside the tool, by
//! openssl, and imported by the real notary client (`notary init
//! --rootkey`): an `rsa-x509` root, and an `ecdsa-x509` root whose key
//! signs in DER (openssl's form, not Notary's `r‖s`). Each is verified,
//! adopted and rotated to a new ECDSA root; the old key signs the staged
//! root outside the tool (`openssl dgst` over `root payload`). The real
//! notary client that holds the old root moves to the new one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

const GUN: &str = "registry.example.com/ceremony/adopted";
const ROOT_PASS: &str = "notary-root-pass-5e1b";

/// Runs the real notary client against `srv` with trust dir `trust` and
/// passphrases in the environment; insists on success; its output.
fn notary_ok(srv: &NotaryServer, trust: &Path, args: &[&str]) -> String {
    let out = Command::new("notary")
        .args(["-s", &srv.url(), "-d", s(trust)])
        .args(args)
        .env("NOTARY_ROOT_PASSPHRASE", ROOT_PASS)
        .env("NOTARY_TARGETS_PASSPHRASE", "notary-targets-pass-5e1b")
        .env("NOTARY_SNAPSHOT_PASSPHRASE", "notary-snapshot-pass-5e1b")
        .stdin(Stdio::null())
        .output()
        .expect("run notary");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "notary {args:?}: {text}");
    text
}

fn openssl(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn cached_root(trust: &Path) -> Value {
    let p = trust.join(format!("tuf/{GUN}/metadata/root.json"));
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// The kind of root key the repository starts with: how openssl makes
/// one, how it signs with it, and what Notary calls it.
struct OldKey {
    genpkey: &'static [&'static str],
    sigopts: &'static [&'static str],
    keytype: &'static str,
    method: &'static str,
}

const RSA: OldKey = OldKey {
    genpkey: &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    sigopts: &[
        "-sigopt",
        "rsa_padding_mode:pss",
        "-sigopt",
        "rsa_pss_saltlen:digest",
    ],
    keytype: "rsa-x509",
    method: "rsapss",
};

const ECDSA: OldKey = OldKey {
    genpkey: &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    sigopts: &[],
    keytype: "ecdsa-x509",
    method: "ecdsa",
};

#[test]
fn notary_rsa_x509_root_is_rotated_to_ecdsa_and_the_real_client_follows() {
    rotate_away_from(&RSA);
}

#[test]
fn notary_ecdsa_root_signed_in_der_by_openssl_is_rotated_and_the_real_client_follows() {
    rotate_away_from(&ECDSA);
}

/// Each run starts a notary server of its own: one GUN serves both.
fn rotate_away_from(kind: &OldKey) {
    if !need_peer("notary-server", "Debian package notary (notary-server)")
        || !need_peer("notary", "Debian package notary (notary client)")
        || !need_peer("openssl", "openssl")
    {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // notary imports only an encrypted root key, PBES2 with HMAC-SHA1.
    openssl(
        t,
        &[&["genpkey"], kind.genpkey, &["-out", "old.pem"]].concat(),
    );
    let pass = format!("pass:{ROOT_PASS}");
    openssl(
        t,
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-v2prf",
            "hmacWithSHA1",
            "-in",
            "old.pem",
            "-out",
            "old.enc.pem",
            "-passout",
            &pass,
        ],
    );
    let trust = t.join("trust");
    let enc = t.join("old.enc.pem");
    notary_ok(&srv, &trust, &["init", GUN, "--rootkey", s(&enc), "-p"]);
    // The server keeps the snapshot key, as Docker's repositories do: a
    // root published alone is then enough.
    notary_ok(&srv, &trust, &["key", "rotate", GUN, "snapshot", "-r"]);
    std::fs::write(t.join("a.txt"), b"hello\n").unwrap();
    let a = t.join("a.txt");
    notary_ok(&srv, &trust, &["add", "-p", GUN, "v1", s(&a)]);
    notary_ok(&srv, &trust, &["list", GUN]);
    let old_root = cached_root(&trust);
    let old_version = old_root["signed"]["version"].as_u64().unwrap();
    let old_id = old_root["signed"]["roles"]["root"]["keyids"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        old_root["signed"]["keys"][&old_id]["keytype"], kind.keytype,
        "notary made an {} root",
        kind.keytype
    );

    let meta = trust.join(format!("tuf/{GUN}/metadata"));
    ok(&["verify", s(&meta)]);

    // Another GUN's ceremony refuses the root: its certificate names GUN.
    let elsewhere = t.join("elsewhere");
    ok(&[
        "init",
        s(&elsewhere),
        "--dialect",
        "notary",
        "--gun",
        "registry.example.com/other/app",
    ]);
    let before = snapshot(&elsewhere);
    let r = fails(1, &["-C", s(&elsewhere), "root", "adopt", s(&meta)]);
    assert!(r.stderr.contains("is not the GUN"), "{}", r.stderr);
    assert_unchanged(&elsewhere, &before);

    let c = t.join("c");
    ok(&["init", s(&c), "--dialect", "notary", "--gun", GUN]);
    let d = s(&c);
    let r = ok(&["-C", d, "root", "adopt", s(&meta)]);
    assert!(
        r.stdout.contains(&format!("({})", kind.keytype)),
        "{}",
        r.stdout
    );
    ok(&[
        "-C",
        d,
        "key",
        "generate",
        "--role",
        "root",
        "--algorithm",
        "ecdsa-p256",
        "--label",
        "new-root",
    ]);
    ok(&[
        "-C",
        d,
        "root",
        "rotate",
        "--add-key",
        "new-root",
        "--remove-key",
        &old_id[..12],
    ]);
    ok(&["-C", d, "root", "sign", "--yes"]);
    let payload = t.join("payload.bin");
    ok(&["-C", d, "root", "payload", s(&payload)]);
    let sign = |key: &str, out: &str| {
        let args = [
            &["dgst", "-sha256", "-sign", key][..],
            kind.sigopts,
            &["-out", out, "payload.bin"],
        ]
        .concat();
        openssl(t, &args);
    };
    sign("old.pem", "sig.bin");
    // Another key's signature, of the same kind, under the old root key's name.
    openssl(
        t,
        &[&["genpkey"], kind.genpkey, &["-out", "other.pem"]].concat(),
    );
    sign("other.pem", "other.bin");
    let before = snapshot(&c);
    let other = t.join("other.bin");
    fails(
        1,
        &[
            "-C",
            d,
            "root",
            "add-signature",
            "--key",
            &old_id,
            s(&other),
        ],
    );
    assert_unchanged(&c, &before);

    let r = ok(&[
        "-C",
        d,
        "root",
        "add-signature",
        "--key",
        &old_id,
        s(&t.join("sig.bin")),
    ]);
    assert!(r.stderr.contains("complete"), "{}", r.stderr);

    let out = t.join("out");
    ok(&["-C", d, "export", s(&out)]);
    assert_eq!(
        std::fs::read_to_string(out.join("UPLOAD")).unwrap(),
        "root.json\n"
    );
    let (status, body) = srv.publish_export(GUN, &out);
    assert_eq!(status, 200, "server refused the rotation: {body}");

    // The client holding the old root moves to the new ECDSA one.
    let listed = notary_ok(&srv, &trust, &["list", GUN]);
    assert!(listed.contains("v1"), "{listed}");
    let new_root = cached_root(&trust);
    assert_eq!(
        new_root["signed"]["version"].as_u64().unwrap(),
        old_version + 1
    );
    let new_id = new_root["signed"]["roles"]["root"]["keyids"][0]
        .as_str()
        .unwrap();
    assert_eq!(new_root["signed"]["keys"][new_id]["keytype"], "ecdsa-x509");
    let methods: Vec<&str> = new_root["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["method"].as_str().unwrap())
        .collect();
    assert!(
        methods.contains(&kind.method) && methods.contains(&"ecdsa"),
        "{methods:?}"
    );
    let fresh = notary_ok(&srv, &t.join("trust-fresh"), &["list", GUN]);
    assert!(fresh.contains("v1"), "{fresh}");
}

//! `ceremony-publish` against the real notary-server: fetch-keys, push of a
//! new repository and of a rotation, status, and a clear message for each
//! refusal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod online;
use common::*;
use online::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const GUN: &str = "registry.example.com/ceremony/publish";

fn publish(srv: &NotaryServer, tls_ca: Option<&Path>, args: &[&str]) -> Run {
    let url = match tls_ca {
        Some(_) => format!("https://127.0.0.1:{}", srv.port),
        None => srv.url(),
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ceremony-publish"));
    cmd.arg("--server").arg(url);
    if let Some(ca) = tls_ca {
        cmd.arg("--tls-ca").arg(ca);
    }
    let out = cmd.args(args).stdin(Stdio::null()).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// A Notary ceremony (tests/online's) on this server, over TLS with `tls`.
fn ceremony(tmp: &Path, srv: &NotaryServer, tls: Option<&Path>, server_snapshot: bool) -> PathBuf {
    let url = match tls {
        Some(_) => format!("https://127.0.0.1:{}", srv.port),
        None => srv.url(),
    };
    let mut server = vec!["--server", url.as_str()];
    if let Some(ca) = tls {
        server.extend_from_slice(&["--tls-ca", s(ca)]);
    }
    let setup = Setup {
        offline_snapshot: !server_snapshot,
        ..Setup::default()
    };
    notary_ceremony(&server, GUN, &tmp.join("c"), setup)
}

/// A TLS server whose certificate a fresh test CA issued (webpki, unlike
/// Go, refuses a self-signed CA:TRUE certificate as a server's).
fn tls_server(dir: &Path) -> (NotaryServer, PathBuf) {
    let sh = |cmd: &str| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    sh(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 30 -subj /CN=ceremony-test-ca 2>/dev/null",
    );
    sh(
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key -out tls.csr -subj /CN=127.0.0.1 2>/dev/null",
    );
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n").unwrap();
    sh(
        "openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out tls.crt -days 30 -extfile ext.cnf 2>/dev/null",
    );
    let srv = NotaryServer::start_with_tls(&dir.join("tls.crt"), &dir.join("tls.key"));
    (srv, dir.join("ca.crt"))
}

#[test]
fn fetch_push_rotate_and_status_over_tls() {
    if !need_peer("notary-server", "Debian package notary (notary-server)")
        || !need_peer("notary", "Debian package notary (notary client)")
        || !need_peer("openssl", "openssl")
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (srv, ca) = tls_server(tmp.path());
    let dir = ceremony(tmp.path(), &srv, Some(&ca), true);
    let d = s(&dir);
    let out1 = tmp.path().join("out1");
    ok(&["-C", d, "export", s(&out1)]);
    let r = publish(&srv, Some(&ca), &["push", s(&out1)]);
    assert_eq!(r.code, 0, "push: {}", r.stderr);
    let url = format!("https://127.0.0.1:{}", srv.port);
    let cached = tmp.path().join("trust");
    // The real client, trusting the server by its CA.
    let list = || {
        notary(&[
            "-s",
            &url,
            "--tlscacert",
            s(&ca),
            "-d",
            s(&cached),
            "list",
            GUN,
        ])
    };
    let (code, text) = list();
    assert_eq!(code, 0, "{text}");
    let r = publish(&srv, Some(&ca), &["status", GUN]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("root       version 1") && r.stdout.contains("timestamp"),
        "{}",
        r.stdout
    );
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);

    ok(&["-C", d, "key", "generate", "--role", "root", "--label", "b"]);
    // A root that expires within 6 months: the status warns about it.
    ok(&[
        "-C",
        d,
        "root",
        "rotate",
        "--add-key",
        "b",
        "--remove-key",
        "a",
        "--expires",
        "100d",
        "--allow-short-expiry",
    ]);
    ok(&["-C", d, "root", "sign", "--yes"]);
    let out2 = tmp.path().join("out2");
    ok(&["-C", d, "export", s(&out2)]);
    let r = publish(&srv, Some(&ca), &["push", s(&out2)]);
    assert_eq!(r.code, 0, "push rotation: {}", r.stderr);
    let (code, text) = list();
    assert_eq!(code, 0, "the cached client refused the rotation: {text}");
    let r = publish(&srv, Some(&ca), &["status", GUN]);
    assert!(r.stdout.contains("root       version 2"), "{}", r.stdout);
    assert!(r.stderr.contains("within 6 months"), "{}", r.stderr);
    // Without the CA the server is not trusted.
    let r = publish(&srv, None, &["status", GUN]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn refusals_come_with_the_servers_reason() {
    if !need_peer("notary-server", "Debian package notary (notary-server)") {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();

    // Missing snapshot: the snapshot key is offline and no snapshot was signed.
    let a = tmp.path().join("a");
    std::fs::create_dir(&a).unwrap();
    let dir = ceremony(&a, &srv, None, false);
    let out = a.join("out");
    ok(&["-C", s(&dir), "export", s(&out)]);
    let r = publish(&srv, None, &["push", s(&out)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("no snapshot was included"),
        "{}",
        r.stderr
    );
    ok(&["-C", s(&dir), "snapshot", "sign"]);
    let out = a.join("out-ok");
    ok(&["-C", s(&dir), "export", s(&out), "--all"]);
    let r = publish(&srv, None, &["push", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Version skip: versions 2 and 3 made offline, only 3 published.
    ok(&["-C", s(&dir), "root", "rotate"]);
    ok(&["-C", s(&dir), "root", "sign", "--yes"]);
    ok(&["-C", s(&dir), "root", "rotate"]);
    ok(&["-C", s(&dir), "root", "sign", "--yes"]);
    ok(&["-C", s(&dir), "snapshot", "sign"]);
    let skip = a.join("skip");
    ok(&["-C", s(&dir), "export", s(&skip)]);
    let r = publish(&srv, None, &["push", s(&skip)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("version skip"), "{}", r.stderr);
    // Caught before sending, for the reason the server itself gives.
    let (code, text) = srv.publish_export(GUN, &skip);
    assert_eq!(code, 400, "{text}");
    assert!(text.contains("increment the version"), "{text}");

    // Another ceremony's root for the same GUN: a fork.
    let b = tmp.path().join("b");
    std::fs::create_dir(&b).unwrap();
    let other = ceremony(&b, &srv, None, true);
    let out = b.join("out");
    ok(&["-C", s(&other), "export", s(&out)]);
    let r = publish(&srv, None, &["push", s(&out)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("forked history"), "{}", r.stderr);
    let (code, text) = srv.publish_export(GUN, &out);
    assert_eq!(code, 400, "{text}");
    assert!(text.contains("ErrBadRoot"), "{text}");

    // A bundle changed after export never leaves the machine.
    let changed = a.join("out-ok");
    let mut t = std::fs::read(changed.join("targets.json")).unwrap();
    t[20] ^= 1;
    std::fs::write(changed.join("targets.json"), t).unwrap();
    let r = publish(&srv, None, &["push", s(&changed)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("targets.json: does not match SHA256SUMS"),
        "{}",
        r.stderr
    );
}

const SIGNER_GUN: &str = "registry.example.com/ceremony/signers";

fn notary_with_env(args: &[&str], pass: &str) -> (i32, String) {
    let out = Command::new("notary")
        .args(args)
        .env("NOTARY_DELEGATION_PASSPHRASE", pass)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn docker_signer_key_exported_to_notary_adds_a_release() {
    if !need_peer("notary-server", "Debian package notary (notary-server)")
        || !need_peer("notary", "Debian package notary (notary client)")
    {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    init_notary(&dir, SIGNER_GUN);
    let d = s(&dir);
    gen_key(d, "root", "root");
    gen_key(d, "targets", "t");
    for role in ["timestamp", "snapshot"] {
        let f = server_key(
            &srv,
            SIGNER_GUN,
            role,
            &tmp.path().join(format!("{role}.json")),
        );
        import_key(d, role, role, &f);
    }
    ok(&[
        "-C",
        d,
        "key",
        "generate",
        "--role",
        "targets/alice",
        "--label",
        "alice",
    ]);
    ok(&[
        "-C",
        d,
        "key",
        "generate",
        "--role",
        "targets/bob",
        "--label",
        "bob",
        "--algorithm",
        "ed25519",
    ]);
    root_init(d, &["root"], None, "t", "snapshot", "timestamp");
    ok(&["-C", d, "root", "sign", "--yes"]);
    ok(&[
        "-C",
        d,
        "delegation",
        "add-signer",
        "alice",
        "--key",
        "alice",
    ]);
    ok(&["-C", d, "delegation", "add-signer", "bob", "--key", "bob"]);
    let list = ok(&["-C", d, "delegation", "list"]).stdout;
    assert!(
        list.contains("targets/releases")
            && list.contains("alice")
            && list.contains("bob")
            && list.contains("targets/alice"),
        "{list}"
    );
    ok(&["-C", d, "targets", "sign"]);
    let out = tmp.path().join("out");
    ok(&["-C", d, "export", s(&out)]);
    let r = publish(&srv, None, &["push", s(&out)]);
    assert_eq!(r.code, 0, "ceremony-publish push: {}", r.stderr);

    let pass = tmp.path().join("pass");
    std::fs::write(&pass, "notary-side-pass\n").unwrap();
    for (signer, role) in [("alice", "targets/releases"), ("bob", "targets/bob")] {
        let keyfile = tmp.path().join(format!("{signer}.key"));
        ok(&[
            "-C",
            d,
            "key",
            "export-notary",
            signer,
            s(&keyfile),
            "--export-passphrase-file",
            s(&pass),
        ]);
        let pem = std::fs::read_to_string(&keyfile).unwrap();
        assert!(
            pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\npath: ")
                && pem.contains(&format!("role: targets/{signer}\n\n")),
            "{pem}"
        );
        let trust = tmp.path().join(format!("trust-{signer}"));
        let (code, text) = notary_with_env(
            &[
                "-s",
                &srv.url(),
                "-d",
                s(&trust),
                "key",
                "import",
                s(&keyfile),
            ],
            "notary-side-pass",
        );
        assert_eq!(code, 0, "notary key import: {text}");
        let payload = tmp.path().join(format!("{signer}.txt"));
        std::fs::write(&payload, format!("release by {signer}\n")).unwrap();
        let target = format!("v-{signer}");
        let (code, text) = notary_with_env(
            &[
                "-s",
                &srv.url(),
                "-d",
                s(&trust),
                "add",
                SIGNER_GUN,
                &target,
                s(&payload),
                "--roles",
                role,
            ],
            "notary-side-pass",
        );
        assert_eq!(code, 0, "notary add: {text}");
        let (code, text) = notary_with_env(
            &["-s", &srv.url(), "-d", s(&trust), "publish", SIGNER_GUN],
            "notary-side-pass",
        );
        assert_eq!(code, 0, "notary publish as {signer}: {text}");
        let (code, text) = notary(&[
            "-s",
            &srv.url(),
            "-d",
            s(&tmp.path().join("reader")),
            "list",
            SIGNER_GUN,
            "--roles",
            role,
        ]);
        assert_eq!(code, 0, "{text}");
        assert!(
            text.contains(&target),
            "notary list --roles {role} does not show {target}:\n{text}"
        );
    }
    // A root key stays offline unless asked for explicitly.
    let before = snapshot(&dir);
    let r = fails(
        2,
        &[
            "-C",
            d,
            "key",
            "export-notary",
            "root",
            s(&tmp.path().join("root.key")),
            "--export-passphrase-file",
            s(&pass),
        ],
    );
    assert!(r.stderr.contains("--allow-root"), "{}", r.stderr);
    assert!(!tmp.path().join("root.key").exists());
    // An existing file is never overwritten.
    fails(
        2,
        &[
            "-C",
            d,
            "key",
            "export-notary",
            "alice",
            s(&tmp.path().join("alice.key")),
            "--export-passphrase-file",
            s(&pass),
        ],
    );
    assert_unchanged(&dir, &before);
}

#[test]
fn fetched_server_keys_import_as_a_checked_bundle() {
    if !need_peer("notary-server", "Debian package notary (notary-server)") {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    let r = publish(&srv, None, &["fetch-keys", GUN, s(&keys)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = tmp.path().join("c");
    ok(&["init", s(&dir), "--dialect", "notary", "--gun", GUN]);
    // A changed key file is caught by the manifest before anything is used.
    let good = std::fs::read(keys.join("snapshot.key")).unwrap();
    let mut bad = good.clone();
    let i = bad.len() / 2;
    bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
    std::fs::write(keys.join("snapshot.key"), &bad).unwrap();
    let before = snapshot(&dir);
    let r = fails(1, &["-C", s(&dir), "import", s(&keys)]);
    assert!(
        r.stderr.contains("snapshot.key: does not match SHA256SUMS"),
        "{}",
        r.stderr
    );
    assert_unchanged(&dir, &before);
    std::fs::write(keys.join("snapshot.key"), &good).unwrap();
    let r = ok(&["-C", s(&dir), "import", s(&keys)]);
    assert!(
        r.stdout.contains("server-timestamp") && r.stdout.contains("server-snapshot"),
        "{}",
        r.stdout
    );
    let list = ok(&["-C", s(&dir), "key", "list"]).stdout;
    assert!(
        list.lines()
            .any(|l| l.starts_with("timestamp") && l.contains("ed25519")),
        "{list}"
    );
    // Importing the same bundle again changes nothing.
    let r = ok(&["-C", s(&dir), "import", s(&keys)]);
    assert!(r.stdout.contains("already known"), "{}", r.stdout);
}

//! Delegations: Notary's targets/releases and Docker signers, with the
//! signer's key handed to the real notary client; TUF delegated roles walked
//! by python-tuf.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

const GUN: &str = "registry.example.com/ceremony/signers";

fn notary_with_env(args: &[&str], pass: &str) -> (i32, String) {
    let out = Command::new("notary")
        .args(args)
        .env("NOTARY_DELEGATION_PASSPHRASE", pass)
        .stdin(std::process::Stdio::null())
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
    ok(&["init", s(&dir), "--dialect", "notary", "--gun", GUN]);
    let d = s(&dir);
    ok(&[
        "-C", d, "key", "generate", "--role", "root", "--label", "root",
    ]);
    ok(&[
        "-C", d, "key", "generate", "--role", "targets", "--label", "t",
    ]);
    for role in ["timestamp", "snapshot"] {
        let (st, body) = srv
            .get(&format!("/v2/{GUN}/_trust/tuf/{role}.key"))
            .unwrap();
        assert_eq!(st, 200);
        let f = tmp.path().join(format!("{role}.json"));
        std::fs::write(&f, body).unwrap();
        ok(&[
            "-C",
            d,
            "key",
            "import",
            "--role",
            role,
            "--label",
            role,
            s(&f),
        ]);
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
    ok(&[
        "-C",
        d,
        "root",
        "init",
        "--root-key",
        "root",
        "--targets-key",
        "t",
        "--snapshot-key",
        "snapshot",
        "--timestamp-key",
        "timestamp",
    ]);
    ok(&["-C", d, "root", "sign"]);
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
    let (st, body) = srv.publish_export(GUN, &out);
    assert_eq!(st, 200, "{body}");

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
                GUN,
                &target,
                s(&payload),
                "--roles",
                role,
            ],
            "notary-side-pass",
        );
        assert_eq!(code, 0, "notary add: {text}");
        let (code, text) = notary_with_env(
            &["-s", &srv.url(), "-d", s(&trust), "publish", GUN],
            "notary-side-pass",
        );
        assert_eq!(code, 0, "notary publish as {signer}: {text}");
        let (code, text) = notary(&[
            "-s",
            &srv.url(),
            "-d",
            s(&tmp.path().join("reader")),
            "list",
            GUN,
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
fn tuf_delegated_roles_are_accepted_by_python_tuf() {
    if !need_python_tuf() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    ok(&["init", s(&dir), "--dialect", "tuf"]);
    let d = s(&dir);
    for r in ["root", "targets", "snapshot", "timestamp"] {
        ok(&["-C", d, "key", "generate", "--role", r, "--label", r]);
    }
    ok(&[
        "-C", d, "key", "generate", "--role", "project", "--label", "p1",
    ]);
    ok(&[
        "-C",
        d,
        "key",
        "generate",
        "--role",
        "project",
        "--label",
        "p2",
        "--algorithm",
        "ecdsa-p256",
    ]);
    ok(&[
        "-C", d, "key", "generate", "--role", "bins", "--label", "b1",
    ]);
    ok(&[
        "-C",
        d,
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
    ]);
    ok(&["-C", d, "root", "sign"]);
    ok(&[
        "-C",
        d,
        "delegation",
        "add",
        "project",
        "--key",
        "p1",
        "--key",
        "p2",
        "--threshold",
        "2",
        "--paths",
        "project/*",
        "--terminating",
    ]);
    ok(&[
        "-C",
        d,
        "delegation",
        "add",
        "bins-0",
        "--key",
        "b1",
        "--path-hash-prefix",
        "0",
        "--path-hash-prefix",
        "1",
    ]);
    ok(&["-C", d, "targets", "sign"]);
    ok(&["-C", d, "targets", "sign", "--role", "project"]);
    ok(&["-C", d, "targets", "sign", "--role", "bins-0"]);
    ok(&["-C", d, "snapshot", "sign"]);
    ok(&["-C", d, "timestamp", "sign"]);
    let out = tmp.path().join("out");
    ok(&["-C", d, "export", s(&out)]);
    let py = Command::new("python3")
        .arg(data("tuf_verify_chain.py"))
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&py.stdout);
    assert!(
        py.status.success() && text.contains("RESULT: PASS"),
        "{text}"
    );
    assert!(
        text.contains("'project' 2-of-2") && text.contains("bins-0"),
        "{text}"
    );
    ok(&["verify", s(&out)]);
}

fn refused(dir: &Path, args: &[&str]) {
    let before = snapshot(dir);
    let mut full = vec!["-C", s(dir)];
    full.extend_from_slice(args);
    let r = fails(2, &full);
    assert!(r.stderr.contains("error:"), "{}", r.stderr);
    assert_unchanged(dir, &before);
}

#[test]
fn bad_delegations_are_refused_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let n = tmp.path().join("n");
    ok(&["init", s(&n), "--dialect", "notary", "--gun", GUN]);
    ok(&[
        "-C",
        s(&n),
        "key",
        "generate",
        "--role",
        "targets/alice",
        "--label",
        "alice",
    ]);
    refused(
        &n,
        &["delegation", "add", "targets/Releases", "--key", "alice"],
    );
    refused(&n, &["delegation", "add", "targets/a/b", "--key", "alice"]);
    refused(&n, &["delegation", "add", "releases", "--key", "alice"]);
    refused(
        &n,
        &[
            "delegation",
            "add",
            "targets/releases",
            "--key",
            "alice",
            "--threshold",
            "2",
        ],
    );
    refused(&n, &["delegation", "remove", "targets/none"]);
    let t = tmp.path().join("t");
    ok(&["init", s(&t), "--dialect", "tuf"]);
    ok(&[
        "-C",
        s(&t),
        "key",
        "generate",
        "--role",
        "project",
        "--label",
        "p",
    ]);
    refused(&t, &["delegation", "add", "project", "--key", "p"]);
    refused(
        &t,
        &[
            "delegation",
            "add",
            "project",
            "--key",
            "p",
            "--paths",
            "a/*",
            "--path-hash-prefix",
            "0",
        ],
    );
    refused(
        &t,
        &[
            "delegation",
            "add",
            "project",
            "--key",
            "p",
            "--path-hash-prefix",
            "xyz",
        ],
    );
    // Remove takes the role and its keys out.
    ok(&[
        "-C",
        s(&t),
        "delegation",
        "add",
        "project",
        "--key",
        "p",
        "--paths",
        "a/*",
    ]);
    ok(&["-C", s(&t), "delegation", "remove", "project"]);
    let staged: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.join("staged/targets.json")).unwrap()).unwrap();
    assert_eq!(staged["delegations"]["keys"], serde_json::json!({}));
}

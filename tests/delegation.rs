//! Delegations: TUF delegated roles walked by python-tuf, and refusals.
//! (Notary signers with the real client are in tests/publish.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

const GUN: &str = "registry.example.com/ceremony/signers";

#[test]
fn tuf_delegated_roles_are_accepted_by_python_tuf() {
    if !need_python_tuf() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    tuf_root(&dir);
    let d = s(&dir);
    gen_key(d, "project", "p1");
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
    gen_key(d, "bins", "b1");
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
    init_notary(&n, GUN);
    gen_key(s(&n), "targets/alice", "alice");
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

//! Against python-tuf 7.0.1: a chain the tool makes (initial root, planned
//! rotation, rotation after losing one of three root keys, targets, snapshot,
//! timestamp) is walked by python-tuf's own client code
//! (`tuf.ngclient`'s TrustedMetadataSet, via tests/data/tuf_verify_chain.py)
//! and the tool's own `verify` agrees, also on the fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// python-tuf's verdict on a directory: (passed, output).
fn python_tuf(dir: &Path) -> (bool, String) {
    let out = Command::new("python3")
        .arg(data("tuf_verify_chain.py"))
        .arg(dir)
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
fn chain_made_by_the_tool_is_accepted_by_python_tuf() {
    if !need_python_tuf() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    ok(&["init", s(&dir), "--dialect", "tuf"]);
    let d = s(&dir);
    ok(&[
        "-C", d, "key", "generate", "--role", "root", "--label", "r1",
    ]);
    // One ECDSA root key: TUF ECDSA signatures are DER, unlike Notary's.
    ok(&[
        "-C",
        d,
        "key",
        "generate",
        "--role",
        "root",
        "--label",
        "r2",
        "--algorithm",
        "ecdsa-p256",
    ]);
    ok(&[
        "-C", d, "key", "generate", "--role", "root", "--label", "r3",
    ]);
    for role in ["targets", "snapshot", "timestamp"] {
        ok(&["-C", d, "key", "generate", "--role", role]);
    }
    root_init(
        d,
        &["r1", "r2", "r3"],
        Some("2"),
        "targets-1",
        "snapshot-1",
        "timestamp-1",
    );
    ok(&["-C", d, "root", "sign", "--yes"]);
    // Planned rotation: a new expiry, same keys, signed by two.
    ok(&["-C", d, "root", "rotate", "--expires", "400d"]);
    ok(&[
        "-C", d, "root", "sign", "--yes", "--key", "r1", "--key", "r2",
    ]);
    // r3 is lost: replace it with r4, signed by r1 + r2 (old) and r1 + r2 + r4 (new).
    ok(&[
        "-C", d, "key", "generate", "--role", "root", "--label", "r4",
    ]);
    ok(&[
        "-C",
        d,
        "root",
        "rotate",
        "--remove-key",
        "r3",
        "--add-key",
        "r4",
    ]);
    let st = ok(&["-C", d, "root", "status"]);
    assert!(
        st.stdout.contains("removes key r3") && st.stdout.contains("adds key r4"),
        "{}",
        st.stdout
    );
    ok(&[
        "-C", d, "root", "sign", "--yes", "--key", "r1", "--key", "r2", "--key", "r4",
    ]);
    ok(&["-C", d, "targets", "sign"]);
    ok(&["-C", d, "snapshot", "sign"]);
    ok(&["-C", d, "timestamp", "sign"]);
    let out = tmp.path().join("out");
    ok(&["-C", d, "export", s(&out)]);
    for f in [
        "1.root.json",
        "2.root.json",
        "3.root.json",
        "1.targets.json",
        "1.snapshot.json",
        "timestamp.json",
    ] {
        assert!(out.join(f).exists(), "export lacks {f}");
    }
    let (passed, text) = python_tuf(&out);
    assert!(passed, "python-tuf refused the chain:\n{text}");
    assert!(text.contains("v3: signed by 2/2 keys of v2"), "{text}");
    let r = ok(&["verify", s(&out)]);
    assert!(r.stdout.contains("3.root.json"), "{}", r.stdout);

    // Tamper with the last root: both refuse.
    let bad = tmp.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    for e in std::fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, bad.join(p.file_name().unwrap())).unwrap();
    }
    let text = std::fs::read_to_string(bad.join("3.root.json")).unwrap();
    std::fs::write(
        bad.join("3.root.json"),
        text.replacen("\"threshold\": 2", "\"threshold\": 1", 1),
    )
    .unwrap();
    std::fs::remove_file(bad.join("root.json")).unwrap();
    let (passed, text) = python_tuf(&bad);
    assert!(!passed, "python-tuf accepted a tampered root:\n{text}");
    fails(1, &["verify", s(&bad)]);
}

#[test]
fn tool_and_python_tuf_agree_on_the_fixtures() {
    if !need_python_tuf() {
        return;
    }
    for (case, trusted) in [
        ("valid_chain_v1_v2", true),
        ("neg_v2_signed_only_by_new_keys", false),
        ("neg_duplicate_signature_same_keyid", false),
    ] {
        let dir = data(&format!("tuf/{case}"));
        let (py, text) = python_tuf(&dir);
        assert_eq!(py, trusted, "python-tuf on {case}:\n{text}");
        let r = run(&["verify", s(&dir), "--at", "2030-01-01T00:00:00Z"]);
        assert_eq!(
            r.code,
            if trusted { 0 } else { 1 },
            "verify on {case}:\n{}{}",
            r.stdout,
            r.stderr
        );
    }
}

//! Export: verified as a whole first, never into a used directory, only
//! what changed (Notary), with a manifest `sha256sum -c` accepts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn notary_repo(tmp: &Path) -> PathBuf {
    let dir = tmp.join("c");
    init_notary(&dir, "registry.example.com/x/y");
    let d = s(&dir);
    gen_key(d, "root", "a");
    let ts = server_like_key(tmp, "ts.json");
    stage_notary_root(d, &["a"], None, "s", &ts);
    sign_notary(d);
    dir
}

#[test]
fn export_writes_a_checkable_manifest_and_then_only_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = notary_repo(tmp.path());
    let out = tmp.path().join("out");
    ok(&["-C", s(&dir), "export", s(&out)]);
    if need_peer("sha256sum", "coreutils sha256sum") {
        let st = Command::new("sha256sum")
            .args(["-c", "SHA256SUMS"])
            .current_dir(&out)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stdout)
        );
    }
    let out_again = tmp.path().join("out-again");
    let before = snapshot(&dir);
    let r = fails(2, &["-C", s(&dir), "export", s(&out_again)]);
    assert!(r.stderr.contains("nothing changed"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
    ok(&["-C", s(&dir), "export", s(&out_again), "--all"]);
    assert_eq!(
        std::fs::read_to_string(out_again.join("UPLOAD")).unwrap(),
        "root.json\ntargets.json\nsnapshot.json\n"
    );
}

#[test]
fn export_refuses_a_used_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = notary_repo(tmp.path());
    let out = tmp.path().join("used");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let before = snapshot(&dir);
    fails(2, &["-C", s(&dir), "export", s(&out)]);
    assert_unchanged(&dir, &before);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
}

#[test]
fn export_after_rotation_needs_a_new_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = notary_repo(tmp.path());
    let d = s(&dir);
    ok(&["-C", d, "export", s(&tmp.path().join("out1"))]);
    ok(&["-C", d, "key", "generate", "--role", "root", "--label", "b"]);
    ok(&[
        "-C",
        d,
        "root",
        "rotate",
        "--add-key",
        "b",
        "--remove-key",
        "a",
    ]);
    ok(&["-C", d, "root", "sign", "--yes"]);
    let before = snapshot(&dir);
    let out = tmp.path().join("out2");
    let r = fails(1, &["-C", d, "export", s(&out)]);
    assert!(
        r.stderr.contains("snapshot") && r.stderr.contains("hint:"),
        "{}",
        r.stderr
    );
    assert!(!out.exists());
    assert_unchanged(&dir, &before);
    ok(&["-C", d, "snapshot", "sign"]);
    ok(&["-C", d, "export", s(&out)]);
    assert_eq!(
        std::fs::read_to_string(out.join("UPLOAD")).unwrap(),
        "root.json\nsnapshot.json\n"
    );
    ok(&["verify", s(&out)]);
}

#[test]
fn verify_without_a_root_is_unusable_input() {
    let tmp = tempfile::tempdir().unwrap();
    let r = fails(2, &["verify", s(&data("notary/v1/targets.json"))]);
    assert!(r.stderr.contains("--trusted-root"), "{}", r.stderr);
    // With the root it is judged.
    ok(&[
        "verify",
        s(&data("notary/v1/targets.json")),
        "--trusted-root",
        s(&data("notary/v1/root.json")),
        "--at",
        "2026-11-28T00:00:00Z",
    ]);
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, b"{\"signed\": {\"_type\": \"Root\"}, \"signed\": {}}").unwrap();
    let r = fails(2, &["verify", s(&bad)]);
    assert!(r.stderr.contains("duplicate"), "{}", r.stderr);
}

#[test]
fn a_notary_delegation_signed_offline_exports_and_imports() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = notary_repo(tmp.path());
    let d = s(&dir);
    ok(&[
        "-C",
        d,
        "key",
        "generate",
        "--role",
        "targets/releases",
        "--label",
        "rel",
    ]);
    ok(&[
        "-C",
        d,
        "delegation",
        "add",
        "targets/releases",
        "--key",
        "rel",
    ]);
    ok(&["-C", d, "targets", "sign"]);
    ok(&["-C", d, "targets", "sign", "--role", "targets/releases"]);
    ok(&["-C", d, "snapshot", "sign"]);
    let out = tmp.path().join("out");
    ok(&["-C", d, "export", s(&out), "--all"]);
    assert!(out.join("targets/releases.json").exists());
    assert!(
        std::fs::read_to_string(out.join("UPLOAD"))
            .unwrap()
            .contains("targets/releases.json")
    );
    let r = ok(&["verify", s(&out)]);
    assert!(r.stdout.contains("targets/releases"), "{}", r.stdout);
    let fresh = tmp.path().join("fresh");
    ok(&[
        "init",
        s(&fresh),
        "--dialect",
        "notary",
        "--gun",
        "registry.example.com/x/y",
    ]);
    let r = ok(&["-C", s(&fresh), "import", s(&out)]);
    assert!(r.stderr.contains("bundle checked"), "{}", r.stderr);
}

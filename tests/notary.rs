//! Against the real Notary: notary-server accepts what the tool exports, and
//! the real notary client — fresh, and holding the previous root — trusts it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};

const GUN: &str = "registry.example.com/ceremony/app";

/// Fetches a server key (`timestamp` or `snapshot`) into the ceremony.
fn import_server_key(srv: &NotaryServer, dir: &Path, role: &str) -> String {
    let (status, body) = srv
        .get(&format!("/v2/{GUN}/_trust/tuf/{role}.key"))
        .unwrap();
    assert_eq!(
        status,
        200,
        "GET {role}.key: {}",
        String::from_utf8_lossy(&body)
    );
    let file = dir.parent().unwrap().join(format!("{role}.key.json"));
    std::fs::write(&file, &body).unwrap();
    ok(&["-C", s(dir), "key", "import", "--role", role, s(&file)]).last_line()
}

/// A ceremony at `tmp/c` for GUN: a root key (labelled `root_label` when
/// given), a targets key, the server's timestamp key and a snapshot key,
/// the server's when `server_snapshot`, else made here; the root staged
/// and signed, targets signed. Returns (ceremony, root key ID).
fn signed_ceremony(
    srv: &NotaryServer,
    tmp: &Path,
    root_label: Option<&str>,
    server_snapshot: bool,
) -> (PathBuf, String) {
    let dir = tmp.join("c");
    init_notary(&dir, GUN);
    let d = s(&dir);
    let a = match root_label {
        Some(label) => gen_key(d, "root", label),
        None => ok(&["-C", d, "key", "generate", "--role", "root"]).last_line(),
    };
    ok(&["-C", d, "key", "generate", "--role", "targets"]);
    if !server_snapshot {
        ok(&["-C", d, "key", "generate", "--role", "snapshot"]);
    }
    import_server_key(srv, &dir, "timestamp");
    if server_snapshot {
        import_server_key(srv, &dir, "snapshot");
    }
    root_init(d, &[&a], None, "targets-1", "snapshot-1", "timestamp-1");
    ok(&["-C", d, "root", "sign", "--yes"]);
    ok(&["-C", d, "targets", "sign"]);
    (dir, a)
}

/// `root rotate --add-key ADD --remove-key REMOVE` in ceremony `d`.
fn rotate(d: &str, add: &str, remove: &str) {
    ok(&[
        "-C",
        d,
        "root",
        "rotate",
        "--add-key",
        add,
        "--remove-key",
        remove,
    ]);
}

fn root_version_cached(trust: &Path) -> u64 {
    let p = trust.join(format!("tuf/{GUN}/metadata/root.json"));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    v["signed"]["version"].as_u64().unwrap()
}

fn list(srv: &NotaryServer, trust: &Path) -> (i32, String) {
    notary(&["-s", &srv.url(), "-d", s(trust), "list", GUN])
}

#[test]
fn offline_snapshot_repository_and_root_rotation_are_accepted_by_real_notary() {
    if !need_peer("notary-server", "Debian package notary (notary-server)")
        || !need_peer("notary", "Debian package notary (notary client)")
    {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let (dir, a) = signed_ceremony(&srv, tmp.path(), Some("root-a"), false);
    let d = s(&dir);
    ok(&["-C", d, "snapshot", "sign"]);
    let out1 = tmp.path().join("out1");
    ok(&["-C", d, "export", s(&out1)]);
    assert_eq!(
        std::fs::read_to_string(out1.join("UPLOAD")).unwrap(),
        "root.json\ntargets.json\nsnapshot.json\n"
    );
    let (status, body) = srv.publish_export(GUN, &out1);
    assert_eq!(status, 200, "server refused the initial upload: {body}");

    let cached = tmp.path().join("trust-cached");
    let (code, text) = list(&srv, &cached);
    assert_eq!(code, 0, "notary list (fresh client) failed: {text}");
    assert_eq!(root_version_cached(&cached), 1);

    // Rotate: root-a replaced by root-b, signed by both.
    let b = ok(&[
        "-C", d, "key", "generate", "--role", "root", "--label", "root-b",
    ])
    .last_line();
    rotate(d, &b, &a);
    ok(&["-C", d, "root", "sign", "--yes"]);
    assert!(dir.join("root/2.root.json").exists());
    ok(&["-C", d, "snapshot", "sign"]);
    let out2 = tmp.path().join("out2");
    ok(&["-C", d, "export", s(&out2)]);
    assert_eq!(
        std::fs::read_to_string(out2.join("UPLOAD")).unwrap(),
        "root.json\nsnapshot.json\n"
    );
    let (status, body) = srv.publish_export(GUN, &out2);
    assert_eq!(status, 200, "server refused the rotation: {body}");

    let (code, text) = list(&srv, &cached);
    assert_eq!(
        code, 0,
        "notary list with the cached version 1 root failed: {text}"
    );
    assert_eq!(
        root_version_cached(&cached),
        2,
        "the cached client did not move to root version 2"
    );
    let (code, text) = list(&srv, &tmp.path().join("trust-fresh"));
    assert_eq!(
        code, 0,
        "notary list (fresh client) after rotation failed: {text}"
    );
}

#[test]
fn docker_style_server_snapshot_rotation_is_root_json_alone() {
    if !need_peer("notary-server", "Debian package notary (notary-server)")
        || !need_peer("notary", "Debian package notary (notary client)")
    {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let (dir, a) = signed_ceremony(&srv, tmp.path(), None, true);
    let d = s(&dir);
    // The snapshot key is the server's: nothing to sign here.
    let r = fails(1, &["-C", d, "snapshot", "sign"]);
    assert!(r.stderr.contains("snapshot"), "{}", r.stderr);
    let out1 = tmp.path().join("out1");
    ok(&["-C", d, "export", s(&out1)]);
    assert_eq!(
        std::fs::read_to_string(out1.join("UPLOAD")).unwrap(),
        "root.json\ntargets.json\n"
    );
    let (status, body) = srv.publish_export(GUN, &out1);
    assert_eq!(status, 200, "server refused the initial upload: {body}");
    let cached = tmp.path().join("trust-cached");
    let (code, text) = list(&srv, &cached);
    assert_eq!(code, 0, "notary list failed: {text}");

    let b = ok(&["-C", d, "key", "generate", "--role", "root"]).last_line();
    rotate(d, &b, &a);
    ok(&["-C", d, "root", "sign", "--yes"]);
    let out2 = tmp.path().join("out2");
    ok(&["-C", d, "export", s(&out2)]);
    assert_eq!(
        std::fs::read_to_string(out2.join("UPLOAD")).unwrap(),
        "root.json\n"
    );
    let (status, body) = srv.publish_export(GUN, &out2);
    assert_eq!(status, 200, "server refused the root-only rotation: {body}");
    let (code, text) = list(&srv, &cached);
    assert_eq!(
        code, 0,
        "notary list with the cached root failed after rotation: {text}"
    );
    assert_eq!(root_version_cached(&cached), 2);
}

#[test]
fn server_and_tool_both_refuse_a_rotation_signed_only_by_the_new_key() {
    if !need_peer("notary-server", "Debian package notary (notary-server)") {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let (dir, a) = signed_ceremony(&srv, tmp.path(), None, true);
    let d = s(&dir);
    let out1 = tmp.path().join("out1");
    ok(&["-C", d, "export", s(&out1)]);
    assert_eq!(srv.publish_export(GUN, &out1).0, 200);

    let b = ok(&["-C", d, "key", "generate", "--role", "root"]).last_line();
    rotate(d, &b, &a);
    ok(&["-C", d, "root", "sign", "--yes", "--key", &b]);
    assert!(
        !dir.join("root/2.root.json").exists(),
        "an incomplete rotation joined the history"
    );
    let staged = std::fs::read(dir.join("staged/root.json")).unwrap();
    // Our verifier refuses it …
    let check = tmp.path().join("check");
    std::fs::create_dir(&check).unwrap();
    std::fs::copy(dir.join("root/1.root.json"), check.join("1.root.json")).unwrap();
    std::fs::write(check.join("2.root.json"), &staged).unwrap();
    let r = fails(1, &["verify", s(&check)]);
    assert!(
        r.stdout.contains("previous root's threshold"),
        "{}",
        r.stdout
    );
    // … and so does the real server.
    let (status, body) = srv.publish(GUN, &[("root.json".into(), staged)]);
    assert_eq!(
        status, 400,
        "server accepted a rotation the old root never signed: {body}"
    );
}

#[test]
fn root_key_held_only_as_shares_signs_a_rotation_the_real_client_accepts() {
    if !need_peer("notary-server", "Debian package notary (notary-server)")
        || !need_peer("notary", "Debian package notary (notary client)")
        || !need_peer("age-keygen", "Debian package age")
    {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let (dir, a) = signed_ceremony(&srv, tmp.path(), Some("root-a"), true);
    let d = s(&dir);
    let out1 = tmp.path().join("out1");
    ok(&["-C", d, "export", s(&out1)]);
    assert_eq!(srv.publish_export(GUN, &out1).0, 200);
    let cached = tmp.path().join("trust-cached");
    let (code, text) = list(&srv, &cached);
    assert_eq!(code, 0, "{text}");

    // 3-of-5 to five custodians; the key file is destroyed.
    let names = ["c1", "c2", "c3", "c4", "c5"];
    let mut specs = Vec::new();
    for n in names {
        let key = tmp.path().join(format!("{n}.key"));
        assert!(
            std::process::Command::new("age-keygen")
                .arg("-o")
                .arg(&key)
                .output()
                .unwrap()
                .status
                .success()
        );
        let r = std::process::Command::new("age-keygen")
            .arg("-y")
            .arg(&key)
            .output()
            .unwrap();
        specs.push(format!(
            "{n}={}",
            String::from_utf8(r.stdout).unwrap().trim()
        ));
    }
    let mut args = vec![
        "-C",
        d,
        "--yes",
        "shares",
        "split",
        "--key",
        "root-a",
        "--threshold",
        "3",
        "--only-shares",
    ];
    for sp in &specs {
        args.extend(["--custodian", sp.as_str()]);
    }
    let folder = std::path::PathBuf::from(ok(&args).last_line());
    assert!(!dir.join(format!("keys/{a}.age")).exists());

    // Later: rotate to a new key, signing with the old one recovered from
    // 3 good shares out of 4 offered (c2's copy is damaged).
    let b = ok(&[
        "-C", d, "key", "generate", "--role", "root", "--label", "root-b",
    ])
    .last_line();
    rotate(d, &b, &a);
    let damaged = tmp.path().join("c2.share.age");
    let text = std::fs::read_to_string(folder.join("c2.share.age")).unwrap();
    let mid = text.len() / 2;
    let flipped = if &text[mid..mid + 1] == "A" { "B" } else { "A" };
    std::fs::write(
        &damaged,
        format!("{}{}{}", &text[..mid], flipped, &text[mid + 1..]),
    )
    .unwrap();
    let (s1, s3, s4) = (
        folder.join("c1.share.age"),
        folder.join("c3.share.age"),
        folder.join("c4.share.age"),
    );
    let mut args = vec![
        "-C",
        d,
        "root",
        "sign",
        "--yes",
        "--from-shares",
        s(&s1),
        s(&damaged),
        s(&s3),
        s(&s4),
    ];
    let keys: Vec<String> = names
        .iter()
        .map(|n| s(&tmp.path().join(format!("{n}.key"))).to_string())
        .collect();
    for k in &keys {
        args.extend(["--identity", k.as_str()]);
    }
    let r = ok(&args);
    assert!(
        r.stderr.contains("BAD") && r.stderr.contains("c2.share.age"),
        "the damaged share was not named:\n{}",
        r.stderr
    );
    assert!(
        dir.join("root/2.root.json").exists(),
        "rotation incomplete:\n{}{}",
        r.stdout,
        r.stderr
    );
    let out2 = tmp.path().join("out2");
    ok(&["-C", d, "export", s(&out2)]);
    let (status, body) = srv.publish_export(GUN, &out2);
    assert_eq!(status, 200, "{body}");
    let (code, text) = list(&srv, &cached);
    assert_eq!(code, 0, "the client holding root version 1 refused: {text}");
    assert_eq!(root_version_cached(&cached), 2);
}

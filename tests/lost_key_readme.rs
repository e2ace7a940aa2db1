//! The README's lost-key walk-through, run as written (extracted from
//! README.md, so the two cannot drift), ends in a rotation that the real
//! notary client holding the old root accepts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn id_of(dir: &Path, label: &str) -> String {
    for e in std::fs::read_dir(dir.join("keys")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            if v["label"] == label {
                return v["id"].as_str().unwrap().to_string();
            }
        }
    }
    panic!("no key labelled {label}");
}

const GUN: &str = "registry.example.com/ceremony/lost";

/// The fenced block that follows the README's marker comment for the
/// lost-key walk-through.
fn readme_walkthrough() -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let start = text
        .find("<!-- tests/lost_key_readme.rs runs this block")
        .expect("the README's lost-key walk-through marker");
    let mut lines = text[start..].lines().skip(1);
    assert_eq!(
        lines.next(),
        Some("```sh"),
        "a fenced sh block follows the marker"
    );
    let block: Vec<String> = lines
        .take_while(|l| *l != "```")
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    assert!(
        block.iter().all(|l| l.starts_with("ceremony ")),
        "{block:?}"
    );
    block
}

/// Runs one README line as an officer would at a terminal: under a pty
/// (`script`), answering `y` to a question, with `ceremony` on PATH and the
/// passphrase in the environment. Returns (exit code, what the terminal showed).
fn at_terminal(cwd: &Path, line: &str) -> (i32, String) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_ceremony"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new("script")
        .args(["-qfec", line, "/dev/null"])
        .current_dir(cwd)
        .env("PATH", path)
        .env("SHELL", "/bin/sh")
        .env("CEREMONY_PASSPHRASE", PASS)
        .env_remove("CEREMONY_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run script");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"y\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn import_server_key(srv: &NotaryServer, dir: &Path, role: &str) {
    let (status, body) = srv
        .get(&format!("/v2/{GUN}/_trust/tuf/{role}.key"))
        .unwrap();
    assert_eq!(status, 200, "GET {role}.key");
    let file = dir.parent().unwrap().join(format!("{role}.key.json"));
    std::fs::write(&file, &body).unwrap();
    ok(&["-C", s(dir), "key", "import", "--role", role, s(&file)]);
}

fn cached_root_version(trust: &Path) -> u64 {
    let p = trust.join(format!("tuf/{GUN}/metadata/root.json"));
    let v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    v["signed"]["version"].as_u64().unwrap()
}

#[test]
fn readme_lost_key_walkthrough_as_written_is_accepted_by_real_notary() {
    let steps = readme_walkthrough();
    if !need_peer("notary-server", "Debian package notary (notary-server)")
        || !need_peer("notary", "Debian package notary (notary client)")
        || !need_peer("script", "util-linux script (Debian package bsdutils)")
    {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app-root");
    ok(&["init", s(&dir), "--dialect", "notary", "--gun", GUN]);
    let d = s(&dir);
    for l in ["a", "b", "c"] {
        ok(&["-C", d, "key", "generate", "--role", "root", "--label", l]);
    }
    ok(&["-C", d, "key", "generate", "--role", "targets"]);
    ok(&["-C", d, "key", "generate", "--role", "snapshot"]);
    import_server_key(&srv, &dir, "timestamp");
    root_init(
        d,
        &["a", "b", "c"],
        Some("2"),
        "targets-1",
        "snapshot-1",
        "timestamp-1",
    );
    ok(&["-C", d, "--yes", "root", "sign"]);
    ok(&["-C", d, "targets", "sign"]);
    ok(&["-C", d, "snapshot", "sign"]);
    let out1 = tmp.path().join("publish-1");
    ok(&["-C", d, "export", s(&out1)]);
    let (status, body) = srv.publish_export(GUN, &out1);
    assert_eq!(status, 200, "the server refused the initial upload: {body}");
    let cached = tmp.path().join("trust-cached");
    let (code, text) = notary(&["-s", &srv.url(), "-d", s(&cached), "list", GUN]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(cached_root_version(&cached), 1);

    // c's laptop is stolen: its key file is gone.
    std::fs::remove_file(dir.join(format!("keys/{}.age", id_of(&dir, "c")))).unwrap();

    let mut transcript = String::new();
    for line in &steps {
        let (code, shown) = at_terminal(&dir, line);
        transcript.push_str(&format!("$ {line}\n{shown}\n"));
        assert_eq!(code, 0, "README step failed: {line}\n{transcript}");
    }
    // The questions were asked at the terminal and answered.
    assert!(
        transcript.contains("mark it lost for good? [y/N]"),
        "{transcript}"
    );
    assert!(transcript.contains("sign it? [y/N]"), "{transcript}");
    assert!(
        transcript.contains("not signed: key c (") && transcript.contains("laptop stolen"),
        "{transcript}"
    );
    assert!(dir.join("root/2.root.json").exists(), "{transcript}");

    let exported = tmp.path().join("publish-lost-c");
    assert_eq!(
        std::fs::read_to_string(exported.join("UPLOAD")).unwrap(),
        "root.json\nsnapshot.json\n",
        "{transcript}"
    );
    let (status, body) = srv.publish_export(GUN, &exported);
    assert_eq!(status, 200, "the server refused the rotation: {body}");
    let (code, text) = notary(&["-s", &srv.url(), "-d", s(&cached), "list", GUN]);
    assert_eq!(
        code, 0,
        "notary holding root version 1 refused the rotation: {text}"
    );
    assert_eq!(
        cached_root_version(&cached),
        2,
        "the client holding version 1 did not move to version 2"
    );
    // The new root names a, b and d, not c.
    let v2: Value =
        serde_json::from_slice(&std::fs::read(exported.join("root.json")).unwrap()).unwrap();
    let root_ids = v2["signed"]["roles"]["root"]["keyids"].to_string();
    for (label, present) in [("a", true), ("b", true), ("d", true), ("c", false)] {
        assert_eq!(
            root_ids.contains(&id_of(&dir, label)),
            present,
            "{label} in {root_ids}"
        );
    }
    let (code, text) = notary(&[
        "-s",
        &srv.url(),
        "-d",
        s(&tmp.path().join("trust-fresh")),
        "list",
        GUN,
    ]);
    assert_eq!(code, 0, "a fresh client refused the new root: {text}");
}

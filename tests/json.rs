//! `--json` output of every listing and status command, checked against the
//! documented schemas in docs/schema with a JSON Schema validator
//! (python's jsonschema), and the ceremony directory found as git finds a
//! repository.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn need_jsonschema() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found && std::env::var_os("CI").is_some() {
        panic!("python's jsonschema is missing (tests/run.sh installs it)");
    }
    if !found {
        eprintln!("skipped: python's jsonschema is missing (pip install jsonschema)");
    }
    found
}

fn schema_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("docs/schema/{name}.json"))
}

/// Runs `ceremony ARGS --json` (exit `code`, or any when None), validates
/// stdout against the schema `name`, and returns the document.
fn json_any(name: &str, code: Option<i32>, args: &[&str]) -> Value {
    let mut all: Vec<&str> = args.to_vec();
    all.push("--json");
    let r = run(&all);
    if let Some(code) = code {
        assert_eq!(r.code, code, "{all:?}: {}", r.stderr);
    }
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON line on stdout: {}", r.stdout);
    let doc: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(doc["schema"], format!("ceremony.{name}/1"));
    let (valid, said) = validate_json(&schema_file(name), lines[0]);
    assert!(
        valid,
        "{name}: {} does not match docs/schema/{name}.json: {said}",
        lines[0]
    );
    doc
}

fn json_of(name: &str, code: i32, args: &[&str]) -> Value {
    json_any(name, Some(code), args)
}

/// A TUF ceremony with root v1, a staged rotation, a share set and a lost key.
fn tuf_ceremony(t: &Path) -> PathBuf {
    let dir = t.join("c");
    ok(&["init", s(&dir), "--dialect", "tuf"]);
    let d = s(&dir);
    for label in ["r1", "r2", "r3"] {
        gen_key(d, "root", label);
    }
    for role in ["targets", "snapshot", "timestamp"] {
        ok(&["-C", d, "key", "generate", "--role", role]);
    }
    root_init(
        d,
        &["r1", "r2"],
        Some("2"),
        "targets-1",
        "snapshot-1",
        "timestamp-1",
    );
    ok(&["-C", d, "root", "sign", "--yes"]);
    let p1 = t.join("ann.pass");
    let p2 = t.join("ben.pass");
    std::fs::write(&p1, "ann's own words\n").unwrap();
    std::fs::write(&p2, "ben's own words\n").unwrap();
    ok(&[
        "-C",
        d,
        "shares",
        "split",
        "--key",
        "r3",
        "--threshold",
        "2",
        "--custodian",
        "ann=passphrase",
        "--custodian",
        "ben=passphrase",
        "--custodian-passphrase-file",
        &format!("ann={}", s(&p1)),
        "--custodian-passphrase-file",
        &format!("ben={}", s(&p2)),
    ]);
    ok(&[
        "-C",
        d,
        "--yes",
        "key",
        "mark-lost",
        "r2",
        "--reason",
        "dropped",
    ]);
    ok(&[
        "-C",
        d,
        "root",
        "rotate",
        "--remove-key",
        "r2",
        "--add-key",
        "r3",
    ]);
    dir
}

#[test]
fn listing_and_status_commands_match_their_schemas() {
    if !need_jsonschema() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = tuf_ceremony(t);
    let d = s(&dir);

    let keys = json_of("key-list", 0, &["-C", d, "key", "list"]);
    let r2 = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["label"] == "r2")
        .unwrap();
    assert_eq!(r2["custody"], "lost");
    assert_eq!(r2["lost"]["reason"], "dropped");
    assert_eq!(r2["in_root"], serde_json::json!(["root"]));
    assert_eq!(keys["root_version"], 1);

    let status = json_of("root-status", 0, &["-C", d, "root", "status"]);
    assert_eq!(status["current"], 1);
    assert_eq!(status["staged"]["version"], 2);
    assert_eq!(status["staged"]["previous"]["tally"]["threshold"], 2);
    assert_eq!(status["staged"]["complete"], false);

    let sets = json_of("shares-list", 0, &["-C", d, "shares", "list"]);
    assert_eq!(sets["sets"][0]["threshold"], 2);
    assert_eq!(sets["sets"][0]["custodians"][1]["name"], "ben");

    let req = t.join("req.json");
    let created = json_of("request", 0, &["-C", d, "request", "create", s(&req)]);
    let shown = json_of(
        "request",
        0,
        &[
            "request",
            "show",
            s(&req),
            "--trusted-root",
            s(&dir.join("root/1.root.json")),
        ],
    );
    assert_eq!(created["words"], shown["words"]);
    assert_eq!(shown["chain"]["checked"], "trusted-root");
    let root_role = &shown["roles"][0];
    assert_eq!(root_role["role"], "root");
    assert_eq!(root_role["removed"].as_array().unwrap().len(), 1);
    assert_eq!(root_role["added"].as_array().unwrap().len(), 1);

    // Finish the rotation, then verify, export and import.
    ok(&["-C", d, "root", "sign", "--yes"]);
    for role in ["targets", "snapshot", "timestamp"] {
        ok(&["-C", d, role, "sign"]);
    }
    let out = t.join("out");
    let exported = json_of("export", 0, &["-C", d, "export", s(&out)]);
    assert_eq!(exported["verify"]["trusted"], true);
    let verified = json_of("verify", 0, &["verify", s(&out)]);
    assert_eq!(verified["start"]["given"], false);
    assert!(
        verified["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["ok"] == true)
    );
    // Not trusted is still a document, with exit 1.
    let tampered = t.join("tampered");
    std::fs::create_dir(&tampered).unwrap();
    for f in std::fs::read_dir(&out).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|x| x == "json") {
            std::fs::copy(&f, tampered.join(f.file_name().unwrap())).unwrap();
        }
    }
    let ts = tampered.join("timestamp.json");
    let text = std::fs::read_to_string(&ts)
        .unwrap()
        .replace("\"version\": 1", "\"version\": 7");
    std::fs::write(&ts, text).unwrap();
    let bad = json_of("verify", 1, &["verify", s(&tampered)]);
    assert_eq!(bad["trusted"], false);

    // A bundle from the online side: a key and its SHA256SUMS.
    let bundle = t.join("bundle");
    std::fs::create_dir(&bundle).unwrap();
    let key = server_like_key(&bundle, "timestamp.key");
    let bytes = std::fs::read(&key).unwrap();
    std::fs::write(
        bundle.join("SHA256SUMS"),
        format!(
            "{}  timestamp.key\n",
            ceremony::transfer::sha256_hex(&bytes)
        ),
    )
    .unwrap();
    let imported = json_of("import", 0, &["-C", d, "import", s(&bundle)]);
    assert_eq!(imported["keys"][0]["known"], false);
}

#[test]
fn the_ceremony_directory_is_found_as_git_finds_a_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("c");
    ok(&["init", s(&dir), "--dialect", "tuf"]);
    let sub = dir.join("root");
    let elsewhere = t.join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let bin = env!("CARGO_BIN_EXE_ceremony");
    let list = |cwd: &Path, env: Option<&Path>| {
        let mut c = Command::new(bin);
        c.args(["key", "list"])
            .current_dir(cwd)
            .env_remove("CEREMONY_DIR")
            .stdin(Stdio::null());
        if let Some(e) = env {
            c.env("CEREMONY_DIR", e);
        }
        let o = c.output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    // In the directory, and in a folder below it.
    assert_eq!(list(&dir, None).0, 0);
    assert_eq!(list(&sub, None).0, 0);
    // Elsewhere: CEREMONY_DIR, else a clear refusal.
    assert_eq!(list(&elsewhere, Some(&dir)).0, 0);
    let (code, err) = list(&elsewhere, None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no ceremony directory"), "{err}");
    // The directory found by walking up wins over CEREMONY_DIR.
    let other = t.join("other");
    ok(&["init", s(&other), "--dialect", "tuf"]);
    ok(&[
        "-C",
        s(&other),
        "key",
        "generate",
        "--role",
        "root",
        "--label",
        "only-in-other",
    ]);
    let o = Command::new(bin)
        .args(["key", "list"])
        .current_dir(&sub)
        .env("CEREMONY_DIR", &other)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stdout).contains("only-in-other"));
}

#[test]
fn the_air_gap_verdict_matches_its_schema_and_its_exit() {
    if !need_jsonschema() {
        return;
    }
    let doc = json_any("airgap", None, &["airgap"]);
    let code = run(&["airgap", "--json"]).code;
    assert_eq!(code, if doc["ok"] == true { 0 } else { 1 }, "{doc}");
}

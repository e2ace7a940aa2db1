//! The transcript away from its ceremony: `transcript export OUT` writes it
//! with its root history to a new folder, and `transcript verify --file …
//! --trusted-root ROOT.json` checks such a copy with no ceremony directory,
//! against the root the checker trusts, walking on through the later roots
//! the copy carries. A changed line, a root that did not sign it, a later
//! root that does not follow: exit 1; nothing readable: exit 2.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A TUF ceremony at `dir` with root version 1 signed: `root_keys` (one
/// needed), and keys t, s, ts for the other roles.
fn first_root(dir: &Path, root_keys: &[&str]) {
    let d = s(dir);
    ok(&["init", d, "--dialect", "tuf"]);
    let roles = root_keys.iter().map(|k| ("root", *k));
    for (role, label) in roles.chain([("targets", "t"), ("snapshot", "s"), ("timestamp", "ts")]) {
        ok(&["-C", d, "key", "generate", "--role", role, "--label", label]);
    }
    let mut args = vec!["-C", d, "root", "init", "--threshold", "1"];
    for k in root_keys {
        args.extend_from_slice(&["--root-key", k]);
    }
    args.extend_from_slice(&[
        "--targets-key",
        "t",
        "--snapshot-key",
        "s",
        "--timestamp-key",
        "ts",
    ]);
    ok(&args);
    ok(&["-C", d, "root", "sign", "--yes"]);
}

/// The ceremony exported: root version 1 (keys a, b; one needed), a
/// close, root version 2 (a replaced by c), another close.
fn make_ceremony(dir: &Path) {
    let d = s(dir);
    first_root(dir, &["a", "b"]);
    ok(&["-C", d, "transcript", "close"]);
    ok(&["-C", d, "key", "generate", "--role", "root", "--label", "c"]);
    ok(&[
        "-C",
        d,
        "root",
        "rotate",
        "--add-key",
        "c",
        "--remove-key",
        "a",
    ]);
    ok(&["-C", d, "root", "sign", "--yes"]);
    ok(&["-C", d, "transcript", "close"]);
}

/// The ceremony the tests export from, made once; exporting changes
/// nothing in it.
fn ceremony() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = tempfile::Builder::new()
            .prefix("transcript-export-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap()
            .keep();
        let dir = base.join("c");
        make_ceremony(&dir);
        dir
    })
}

/// The ceremony's transcript exported to `t/name`, and root version 1 put
/// apart as the checker's trusted (published) root.
fn exported(t: &Path, name: &str) -> (PathBuf, PathBuf) {
    let out = t.join(name);
    let before = snapshot(ceremony());
    ok(&["-C", s(ceremony()), "transcript", "export", s(&out)]);
    assert_unchanged(ceremony(), &before);
    let trusted = t.join("published-root.json");
    std::fs::copy(ceremony().join("root/1.root.json"), &trusted).unwrap();
    (out, trusted)
}

fn verify_away(file: &Path, trusted: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "transcript",
        "verify",
        "--file",
        s(file),
        "--trusted-root",
        s(trusted),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn an_exported_transcript_verifies_away_from_the_ceremony_with_the_published_root() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, trusted) = exported(tmp.path(), "out");
    assert!(out.join("transcript.jsonl").is_file());
    assert!(out.join("root/1.root.json").is_file() && out.join("root/2.root.json").is_file());
    // Moved elsewhere, far from any ceremony directory.
    let moved = tmp.path().join("elsewhere/copy");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::rename(&out, &moved).unwrap();
    let file = moved.join("transcript.jsonl");
    let r = verify_away(&file, &trusted, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.matches("close at line").count(), 2, "{}", r.stdout);
    assert!(
        r.stdout.contains("root version 1") && r.stdout.contains("root version 2"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("reaches version 2"), "{}", r.stderr);
    // --json: the same document as inside the ceremony.
    let r = verify_away(&file, &trusted, &["--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(doc["schema"], "ceremony.transcript-verify/1");
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["closes"][1]["root_version"], 2);
    // The positional FILE works as --file does.
    ok(&[
        "transcript",
        "verify",
        s(&file),
        "--trusted-root",
        s(&trusted),
    ]);
}

#[test]
fn a_changed_line_or_a_later_root_that_does_not_follow_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, trusted) = exported(tmp.path(), "out");
    let file = out.join("transcript.jsonl");
    let good = std::fs::read_to_string(&file).unwrap();
    // Line 3's time moved back a century: line 4 no longer follows it.
    let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
    lines[2] = lines[2].replacen("\"at\":\"20", "\"at\":\"19", 1);
    assert_ne!(lines[2], good.lines().nth(2).unwrap());
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let r = verify_away(&file, &trusted, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("line 4:"), "{}", r.stderr);
    // The transcript as it was, but root version 2 altered in the copy.
    std::fs::write(&file, &good).unwrap();
    let v2 = out.join("root/2.root.json");
    let text = std::fs::read_to_string(&v2).unwrap();
    let mut root: Value = serde_json::from_str(&text).unwrap();
    root["signed"]["expires"] = Value::from("2099-01-01T00:00:00Z");
    std::fs::write(&v2, serde_json::to_vec(&root).unwrap()).unwrap();
    let r = verify_away(&file, &trusted, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("2.root.json"), "{}", r.stderr);
    // Without root version 2, the second close cannot be checked.
    std::fs::remove_file(&v2).unwrap();
    let r = verify_away(&file, &trusted, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("names root version 2") && r.stderr.contains("hint:"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_root_that_did_not_sign_it_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, _) = exported(tmp.path(), "out");
    let file = out.join("transcript.jsonl");
    // Another ceremony's root, even at the same version.
    let other = tmp.path().join("other");
    first_root(&other, &["x"]);
    let r = verify_away(&file, &other.join("root/1.root.json"), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("2.root.json"), "{}", r.stderr);
    // Without the copy's later roots: the first close names a key that
    // root does not list.
    std::fs::remove_dir_all(out.join("root")).unwrap();
    let r = verify_away(&file, &other.join("root/1.root.json"), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("not a root key of that version"),
        "{}",
        r.stderr
    );
    // This repository's own root version 2: too new for the first close.
    let r = verify_away(&file, &ceremony().join("root/2.root.json"), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("names root version 1"), "{}", r.stderr);
}

#[test]
fn unreadable_input_is_refused_with_2_and_a_used_folder_is_not_written() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, trusted) = exported(tmp.path(), "out");
    let file = out.join("transcript.jsonl");
    let junk = tmp.path().join("junk.json");
    std::fs::write(&junk, "{ not json").unwrap();
    for (f, root) in [
        (file.clone(), junk.clone()),
        (file.clone(), tmp.path().join("no-such-root.json")),
        (tmp.path().join("no-such.jsonl"), trusted.clone()),
    ] {
        let r = verify_away(&f, &root, &[]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert_eq!(
            r.stderr.lines().next().map(|l| l.contains("error")),
            Some(true)
        );
    }
    // --trusted-root with no transcript named.
    let r = run(&["transcript", "verify", "--trusted-root", s(&trusted)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--file"), "{}", r.stderr);
    // Export refuses a folder that holds something, and changes nothing.
    let before_out = snapshot(&out);
    let before = snapshot(ceremony());
    let r = fails(2, &["-C", s(ceremony()), "transcript", "export", s(&out)]);
    assert!(r.stderr.contains("not empty"), "{}", r.stderr);
    assert_unchanged(&out, &before_out);
    assert_unchanged(ceremony(), &before);
    // An empty folder is taken.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    ok(&["-C", s(ceremony()), "transcript", "export", s(&empty)]);
    assert!(empty.join("root/2.root.json").is_file());
}

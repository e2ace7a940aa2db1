//! A rehearsal's output says REHEARSAL in every file: its share sets (each
//! file of the set, the sealed share as `age -d` opens it) and its signing
//! requests; a real ceremony refuses both, and a real ceremony's files carry
//! no mark at all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const NAMES: [&str; 3] = ["ann", "ben", "cat"];

/// A TUF ceremony directory with root key r1 (and the other roles' keys),
/// marked as a rehearsal's when `rehearsal`.
fn ceremony(tmp: &Path, name: &str, rehearsal: bool) -> PathBuf {
    let dir = tmp.join(name);
    ok(&["init", s(&dir), "--dialect", "tuf"]);
    if rehearsal {
        // The journal of a command is the process's own: two tests marking
        // their directories at once would share it. One at a time.
        static MARKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = MARKING.lock().unwrap_or_else(|e| e.into_inner());
        ceremony::ceremony::Workspace::open(&dir)
            .unwrap()
            .mark_rehearsal()
            .unwrap();
        // The test process is a command of its own: it lets go of the
        // directory before the binary is run on it.
        ceremony::ceremony::journal::end_command(true).unwrap();
    }
    let d = s(&dir);
    ok(&[
        "-C", d, "key", "generate", "--role", "root", "--label", "r1",
    ]);
    for role in ["targets", "snapshot", "timestamp"] {
        ok(&["-C", d, "key", "generate", "--role", role]);
    }
    dir
}

/// Splits r1 2-of-3 to age custodians (their keys in `tmp`); the set folder.
fn split(tmp: &Path, dir: &Path) -> PathBuf {
    let specs: Vec<String> = NAMES
        .iter()
        .map(|n| format!("{n}={}", age_recipient(tmp, n)))
        .collect();
    let mut args = vec!["-C", s(dir), "shares", "split", "--key", "r1"];
    args.extend(["--threshold", "2"]);
    for sp in &specs {
        args.extend(["--custodian", sp.as_str()]);
    }
    PathBuf::from(ok(&args).last_line())
}

fn has_mark(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes)
        .to_ascii_uppercase()
        .contains("REHEARSAL")
}

/// Each file of the set folder, and whether its name or content carries
/// the mark; a sealed share is judged by what `age -d` shows.
fn marks(tmp: &Path, folder: &Path) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(folder).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let bytes = if name.ends_with(".share.age") {
            let who = name.split('.').next().unwrap();
            let o = Command::new("age")
                .arg("-d")
                .arg("-i")
                .arg(tmp.join(format!("{who}.key")))
                .arg(&p)
                .output()
                .unwrap();
            assert!(o.status.success(), "age -d {name}");
            o.stdout
        } else {
            std::fs::read(&p).unwrap()
        };
        out.push((name.clone(), has_mark(name.as_bytes()) || has_mark(&bytes)));
    }
    out.sort();
    out
}

#[test]
fn every_file_of_a_rehearsals_share_set_is_marked_and_a_real_ceremony_refuses_them() {
    if !need_peer("age", "Debian package age") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let reh = ceremony(t, "rehearsal", true);
    let folder = split(t, &reh);

    let m = marks(t, &folder);
    // Three custodians × (share, sheet, QR image), the manifest, the mark.
    assert_eq!(m.len(), 3 * 3 + 2, "{m:?}");
    assert!(m.iter().all(|(_, marked)| *marked), "{m:?}");
    assert!(folder.join("REHEARSAL").is_file());
    let manifest = std::fs::read_to_string(folder.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"rehearsal\": true"), "{manifest}");
    // The sheet opens and closes with the banner.
    let sheet = std::fs::read_to_string(folder.join("ann.sheet.txt")).unwrap();
    let lines: Vec<&str> = sheet.trim_end().lines().collect();
    assert!(
        lines[..3].iter().any(|l| l.contains("REHEARSAL")),
        "{sheet}"
    );
    assert!(
        lines[lines.len() - 4..]
            .iter()
            .any(|l| l.contains("REHEARSAL")),
        "{sheet}"
    );
    // The QR image still holds exactly the sealed share.
    if need_peer("zbarimg", "Debian package zbar-tools") {
        let o = Command::new("zbarimg")
            .args(["--raw", "-q", "-Sbinary"])
            .arg(folder.join("ann.qr.png"))
            .output()
            .unwrap();
        assert_eq!(
            o.stdout,
            std::fs::read(folder.join("ann.share.age")).unwrap()
        );
    }

    let d = s(&reh);
    let ann = folder.join("ann.share.age");
    let ben = folder.join("ben.share.age");
    let key = |n: &str| t.join(format!("{n}.key"));
    let v = ok(&[
        "-C",
        d,
        "shares",
        "verify",
        s(&ann),
        "--identity",
        s(&key("ann")),
    ]);
    assert!(v.stderr.contains("REHEARSAL"), "{}", v.stderr);
    assert!(
        v.stdout.starts_with("good: REHEARSAL share"),
        "{}",
        v.stdout
    );
    let l = ok(&["-C", d, "shares", "list"]);
    assert!(l.stdout.contains("REHEARSAL"), "{}", l.stdout);
    let args = |dir: &Path| -> Vec<String> {
        [
            "-C",
            s(dir),
            "shares",
            "recover",
            s(&ann),
            s(&ben),
            "--identity",
            s(&key("ann")),
            "--identity",
            s(&key("ben")),
        ]
        .map(String::from)
        .to_vec()
    };
    let a = args(&reh);
    let r = ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(r.stderr.contains("REHEARSAL"), "{}", r.stderr);

    // A real ceremony directory refuses them, and stays as it was.
    let real = ceremony(t, "real", false);
    let before = snapshot(&real);
    let a = args(&real);
    let r = fails(2, &a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        r.stderr.contains("REHEARSAL") && r.stderr.contains("hint: "),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.stderr.lines().filter(|l| l.contains("error: ")).count(),
        1,
        "{}",
        r.stderr
    );
    let r = fails(
        2,
        &[
            "-C",
            s(&real),
            "shares",
            "verify",
            s(&ann),
            "--identity",
            s(&key("ann")),
        ],
    );
    assert!(r.stderr.contains("REHEARSAL"), "{}", r.stderr);
    assert_unchanged(&real, &before);

    // The same split in the real ceremony: no file carries the mark.
    let real_tmp = t.join("real-custodians");
    std::fs::create_dir(&real_tmp).unwrap();
    let real_folder = split(&real_tmp, &real);
    let m = marks(&real_tmp, &real_folder);
    assert_eq!(m.len(), 3 * 3 + 1, "{m:?}");
    assert!(m.iter().all(|(_, marked)| !*marked), "{m:?}");
    let v = ok(&[
        "-C",
        s(&real),
        "shares",
        "verify",
        s(&real_folder.join("ann.share.age")),
        "--identity",
        s(&real_tmp.join("ann.key")),
    ]);
    assert!(!has_mark(v.stderr.as_bytes()) && !has_mark(v.stdout.as_bytes()));
}

/// Stages a first root in `dir`; returns r1's key file.
fn stage(dir: &Path) -> PathBuf {
    let d = s(dir);
    let id = ok(&["-C", d, "key", "list"])
        .stdout
        .lines()
        .find(|l| l.contains("r1"))
        .and_then(|l| l.split_whitespace().find(|w| w.len() == 64))
        .unwrap()
        .to_string();
    root_init(d, &["r1"], None, "targets-1", "snapshot-1", "timestamp-1");
    dir.join(format!("keys/{id}.age"))
}

#[test]
fn a_rehearsals_signing_request_says_so_and_a_real_ceremony_refuses_it() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let reh = ceremony(t, "rehearsal", true);
    let key = stage(&reh);
    let req = t.join("req.json");
    let c = ok(&["-C", s(&reh), "request", "create", s(&req)]);
    assert!(c.stderr.contains("REHEARSAL"), "{}", c.stderr);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&req).unwrap()).unwrap();
    assert_eq!(v["rehearsal"], true);

    let show = ok(&["request", "show", s(&req)]);
    assert!(
        show.stderr.trim_start().starts_with("####") && show.stderr.contains("REHEARSAL"),
        "{}",
        show.stderr
    );
    let sign = ok(&[
        "request",
        "sign",
        "--yes",
        "--trust-on-first-use",
        s(&req),
        "--key-file",
        s(&key),
    ]);
    assert!(
        sign.stderr.trim_start().starts_with("####") && sign.stderr.contains("REHEARSAL"),
        "{}",
        sign.stderr
    );
    // The default name carries the mark, and so does the signed file.
    let signed = PathBuf::from(sign.last_line());
    assert_eq!(signed, t.join("REHEARSAL-req.signed.json"));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&signed).unwrap()).unwrap();
    assert_eq!(v["rehearsal"], true);
    assert_eq!(v["signatures"].as_array().unwrap().len(), 1);

    // A real ceremony directory refuses it and stays as it was.
    let real = ceremony(t, "real", false);
    let real_key = stage(&real);
    let before = snapshot(&real);
    let r = fails(2, &["-C", s(&real), "request", "merge", s(&signed)]);
    assert!(
        r.stderr.contains("REHEARSAL") && r.stderr.contains("hint: "),
        "{}",
        r.stderr
    );
    assert_unchanged(&real, &before);

    // The rehearsal's own directory takes it: the root is complete.
    let m = ok(&["-C", s(&reh), "request", "merge", s(&signed)]);
    assert!(m.stderr.contains("REHEARSAL"), "{}", m.stderr);
    assert!(reh.join("root/1.root.json").is_file());

    // A real request carries no mark anywhere.
    let real_req = t.join("real-req.json");
    let c = ok(&["-C", s(&real), "request", "create", s(&real_req)]);
    assert!(!has_mark(c.stderr.as_bytes()), "{}", c.stderr);
    let sign = ok(&[
        "request",
        "sign",
        "--yes",
        "--trust-on-first-use",
        s(&real_req),
        "--key-file",
        s(&real_key),
    ]);
    assert!(!has_mark(sign.stderr.as_bytes()), "{}", sign.stderr);
    let signed = PathBuf::from(sign.last_line());
    assert_eq!(signed, t.join("real-req.signed.json"));
    assert!(!has_mark(&std::fs::read(&signed).unwrap()));

    // A keyholder who brings a rehearsal's shares to sign a real request
    // is refused before anything is signed.
    if need_peer("age-keygen", "Debian package age") {
        let folder = split(t, &reh);
        let r = fails(
            2,
            &[
                "request",
                "sign",
                "--yes",
                "--trust-on-first-use",
                s(&real_req),
                "--from-shares",
                s(&folder.join("ann.share.age")),
                s(&folder.join("ben.share.age")),
                "--identity",
                s(&t.join("ann.key")),
                "--identity",
                s(&t.join("ben.key")),
                "--out",
                s(&t.join("never.json")),
            ],
        );
        assert!(r.stderr.contains("REHEARSAL"), "{}", r.stderr);
        assert!(!t.join("never.json").exists());
    }
    ok(&["-C", s(&real), "request", "merge", s(&signed)]);
}

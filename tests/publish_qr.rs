//! `ceremony-publish` and QR frames against the real notary-server and
//! notary client: a rehearsal's bundle refused however its mark is hidden,
//! a bundle pushed from PNG frames (shuffled, one missing) and accepted by
//! the client, and the server's keys carried offline as frames.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod online;
use common::*;
use online::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const GUN: &str = "registry.example.com/ceremony/publish-qr";

fn publish_to(url: &str, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_ceremony-publish"))
        .arg("--server")
        .arg(url)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// A Notary ceremony (tests/online's) for GUN, optionally a rehearsal's.
fn ceremony(tmp: &Path, srv: &NotaryServer, rehearsal: bool) -> PathBuf {
    let setup = Setup {
        rehearsal,
        ..Setup::default()
    };
    notary_ceremony(&["--server", &srv.url()], GUN, &tmp.join("c"), setup)
}

/// A copy of a folder (one level, and its `qr/`), changed by `edit`.
fn edited(from: &Path, to: &Path, edit: impl FnOnce(&Path)) -> PathBuf {
    for sub in ["", "qr"] {
        let d = to.join(sub);
        std::fs::create_dir_all(&d).unwrap();
        if let Ok(entries) = std::fs::read_dir(from.join(sub)) {
            for e in entries {
                let e = e.unwrap();
                if e.file_type().unwrap().is_file() {
                    std::fs::copy(e.path(), d.join(e.file_name())).unwrap();
                }
            }
        }
    }
    edit(to);
    to.to_path_buf()
}

/// Only the PNG frames of an export, renamed as a camera would name them
/// and in another order, leaving out frame `drop` (from 1).
fn frames_only(export: &Path, to: &Path, drop: usize) -> usize {
    std::fs::create_dir_all(to).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(export.join("qr"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    let n = names.len();
    for (i, name) in names.iter().enumerate() {
        if i + 1 == drop {
            continue;
        }
        // Reversed: the last frame becomes the first picture.
        let shot = format!("IMG_{:04}.PNG", 9000 + n - i);
        std::fs::copy(export.join("qr").join(name), to.join(shot)).unwrap();
    }
    n
}

fn remove_line(d: &Path, file: &str, name: &str) {
    let text = std::fs::read_to_string(d.join(file)).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| !l.ends_with(&format!("  {name}")) && !l.starts_with(&format!("{name}: ")))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(d.join(file), kept).unwrap();
}

fn resum(d: &Path, name: &str) {
    use sha2::{Digest, Sha256};
    let digest = hex::encode(Sha256::digest(std::fs::read(d.join(name)).unwrap()));
    let text = std::fs::read_to_string(d.join("SHA256SUMS")).unwrap();
    let fixed: String = text
        .lines()
        .map(|l| match l.split_once("  ") {
            Some((_, n)) if n == name => format!("{digest}  {n}\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    std::fs::write(d.join("SHA256SUMS"), fixed).unwrap();
}

fn server_root(srv: &NotaryServer) -> u16 {
    srv.get(&format!("/v2/{GUN}/_trust/tuf/root.json"))
        .unwrap()
        .0
}

#[test]
fn a_rehearsals_bundle_is_refused_however_its_mark_is_hidden() {
    if !need_peer("notary-server", "Debian package notary (notary-server)") {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = ceremony(t, &srv, true);
    let out = t.join("out");
    ok(&["-C", s(&dir), "export", s(&out), "--qr", "png"]);
    assert!(out.join("REHEARSAL").exists());
    let frames = t.join("frames");
    frames_only(&out, &frames, 2);
    let cases: Vec<(&str, PathBuf)> = vec![
        ("as exported", out.clone()),
        (
            "the mark renamed in lower case, SHA256SUMS to match",
            edited(&out, &t.join("lower"), |d| {
                std::fs::rename(d.join("REHEARSAL"), d.join("rehearsal")).unwrap();
                let s = std::fs::read_to_string(d.join("SHA256SUMS")).unwrap();
                std::fs::write(
                    d.join("SHA256SUMS"),
                    s.replace("  REHEARSAL", "  rehearsal"),
                )
                .unwrap();
            }),
        ),
        (
            "the mark deleted, still in SHA256SUMS",
            edited(&out, &t.join("deleted"), |d| {
                std::fs::remove_file(d.join("REHEARSAL")).unwrap()
            }),
        ),
        (
            "the mark deleted and out of SHA256SUMS, still in READBACK.txt",
            edited(&out, &t.join("readback"), |d| {
                std::fs::remove_file(d.join("REHEARSAL")).unwrap();
                remove_line(d, "SHA256SUMS", "REHEARSAL");
            }),
        ),
        (
            "the mark renamed to notes.txt, SHA256SUMS to match",
            edited(&out, &t.join("renamed"), |d| {
                std::fs::rename(d.join("REHEARSAL"), d.join("notes.txt")).unwrap();
                let s = std::fs::read_to_string(d.join("SHA256SUMS")).unwrap();
                std::fs::write(
                    d.join("SHA256SUMS"),
                    s.replace("  REHEARSAL", "  notes.txt"),
                )
                .unwrap();
            }),
        ),
        ("the mark only inside the frames", frames.clone()),
        (
            "frames in qr/, the folder's files gone",
            edited(&out, &t.join("qr-only"), |d| {
                for e in std::fs::read_dir(d).unwrap() {
                    let e = e.unwrap();
                    if e.file_type().unwrap().is_file() {
                        std::fs::remove_file(e.path()).unwrap();
                    }
                }
            }),
        ),
    ];
    for (what, bundle) in &cases {
        let r = publish_to(&srv.url(), &["push", s(bundle)]);
        assert_eq!(r.code, 2, "{what}: {}", r.stderr);
        assert!(
            r.stderr.contains("refusing a rehearsal's bundle") && r.stderr.contains("hint: "),
            "{what}: {}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 2, "{what}: {}", r.stderr);
        // Refused before any request: a server that is not there is never
        // reached (the refusal is the rehearsal's, not "cannot reach").
        let r = publish_to("http://127.0.0.1:9", &["push", s(bundle)]);
        assert_eq!(r.code, 2, "{what}: {}", r.stderr);
        assert!(r.stderr.contains("rehearsal"), "{what}: {}", r.stderr);
    }
    assert_eq!(server_root(&srv), 404, "a rehearsal reached the server");

    // Stripped from every file, but the export's qr/ frames still carry it.
    let files_stripped = edited(&out, &t.join("files-stripped"), |d| {
        std::fs::remove_file(d.join("REHEARSAL")).unwrap();
        remove_line(d, "SHA256SUMS", "REHEARSAL");
        remove_line(d, "READBACK.txt", "REHEARSAL");
        resum(d, "READBACK.txt");
    });
    let r = publish_to("http://127.0.0.1:9", &["push", s(&files_stripped)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("its QR frames say so"), "{}", r.stderr);

    // What the mark does not stop: someone removing it on purpose from
    // every place, SHA256SUMS rewritten to match. The bundle then verifies
    // and is published: the mark guards against mistakes, not intent.
    let stripped = edited(&out, &t.join("stripped"), |d| {
        std::fs::remove_dir_all(d.join("qr")).unwrap();
        std::fs::remove_file(d.join("REHEARSAL")).unwrap();
        remove_line(d, "SHA256SUMS", "REHEARSAL");
        remove_line(d, "READBACK.txt", "REHEARSAL");
        resum(d, "READBACK.txt");
    });
    let r = publish_to(&srv.url(), &["push", s(&stripped)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(server_root(&srv), 200);
}

#[test]
fn a_bundle_pushed_from_png_frames_is_accepted_by_the_notary_client() {
    if !need_peer("notary-server", "Debian package notary (notary-server)")
        || !need_peer("notary", "Debian package notary (notary client)")
    {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = ceremony(t, &srv, false);
    let out = t.join("out");
    ok(&["-C", s(&dir), "export", s(&out), "--qr", "png"]);
    assert!(!out.join("REHEARSAL").exists());
    let frames = t.join("frames");
    let n = frames_only(&out, &frames, 2);
    assert!(n >= 3, "{n} frames");
    assert_eq!(std::fs::read_dir(&frames).unwrap().count(), n - 1);

    // A frame of another bundle among them is refused, nothing sent.
    let mixed = edited(&frames, &t.join("mixed"), |d| {
        let files = vec![("a".to_string(), vec![1u8; 3000])];
        let payload = ceremony::transfer::frames::pack(&files).unwrap();
        let f = ceremony::transfer::frames::frames(&payload).unwrap();
        let png = ceremony::transfer::qr::png(f[0].as_bytes()).unwrap();
        std::fs::write(d.join("IMG_0001.PNG"), png).unwrap();
    });
    let r = publish_to(&srv.url(), &["push", s(&mixed)]);
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert_eq!(server_root(&srv), 404);

    // Frames made again by someone else from a changed file: the payload's
    // own digest is new and right, but SHA256SUMS still catches it.
    let forged = t.join("forged");
    std::fs::create_dir(&forged).unwrap();
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    let files: Vec<(String, Vec<u8>)> = sums
        .lines()
        .map(|l| l.split_once("  ").unwrap().1.to_string())
        .chain(["SHA256SUMS".to_string()])
        .map(|n| {
            let mut b = std::fs::read(out.join(&n)).unwrap();
            if n == "targets.json" {
                b[20] ^= 1;
            }
            (n, b)
        })
        .collect();
    let payload = ceremony::transfer::frames::pack(&files).unwrap();
    for (i, f) in ceremony::transfer::frames::frames(&payload)
        .unwrap()
        .iter()
        .enumerate()
    {
        let png = ceremony::transfer::qr::png(f.as_bytes()).unwrap();
        std::fs::write(forged.join(format!("f{i}.png")), png).unwrap();
    }
    let r = publish_to("http://127.0.0.1:9", &["push", s(&forged)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("targets.json: does not match SHA256SUMS"),
        "{}",
        r.stderr
    );

    let r = publish_to(&srv.url(), &["push", s(&frames)]);
    assert_eq!(r.code, 0, "push from frames: {}", r.stderr);
    assert!(r.stdout.contains("published root.json"), "{}", r.stdout);
    let trust = t.join("trust");
    let (code, text) = notary(&["-s", &srv.url(), "-d", s(&trust), "list", GUN]);
    assert_eq!(code, 0, "the notary client refused the repository: {text}");
    // What the server now holds is byte for byte the exported root.
    let (st, root) = srv.get(&format!("/v2/{GUN}/_trust/tuf/root.json")).unwrap();
    assert_eq!(st, 200);
    assert_eq!(root, std::fs::read(out.join("root.json")).unwrap());
}

#[test]
fn fetch_keys_frames_import_offline_with_the_same_words() {
    if !need_peer("notary-server", "Debian package notary (notary-server)") {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let keys = t.join("keys");
    // An unknown kind is refused before anything is fetched or written.
    let r = publish_to(&srv.url(), &["fetch-keys", GUN, s(&keys), "--qr", "gif"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!keys.exists());
    let r = publish_to(&srv.url(), &["fetch-keys", GUN, s(&keys), "--qr", "png"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let online: Vec<&str> = r
        .stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("fingerprint words: "))
        .collect();
    assert_eq!(online.len(), 2, "{}", r.stdout);
    // Only the frames cross, and not in their order.
    let frames = t.join("frames");
    std::fs::create_dir(&frames).unwrap();
    let mut n = 0;
    for e in std::fs::read_dir(keys.join("qr")).unwrap() {
        let e = e.unwrap();
        n += 1;
        let name = e.file_name().to_string_lossy().replace("frame", "scan");
        std::fs::copy(e.path(), frames.join(name)).unwrap();
    }
    assert!(n >= 2, "{n} frames");
    let dir = t.join("c");
    ok(&["init", s(&dir), "--dialect", "notary", "--gun", GUN]);
    let r = ok(&["-C", s(&dir), "import", s(&frames)]);
    let offline: Vec<&str> = r
        .stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("fingerprint words: "))
        .collect();
    assert_eq!(online, offline, "offline:\n{}", r.stdout);
    for w in &online {
        assert_eq!(w.split(' ').count(), 12, "{w}");
    }
    let list = ok(&["-C", s(&dir), "key", "list"]);
    assert!(
        list.stdout.contains("server-timestamp") && list.stdout.contains("server-snapshot"),
        "{}",
        list.stdout
    );
    // One frame too many lost is refused, nothing imported.
    let few = t.join("few");
    std::fs::create_dir(&few).unwrap();
    let first = std::fs::read_dir(&frames).unwrap().next().unwrap().unwrap();
    std::fs::copy(first.path(), few.join("only.png")).unwrap();
    let d2 = t.join("c2");
    ok(&["init", s(&d2), "--dialect", "notary", "--gun", GUN]);
    let before = snapshot(&d2);
    let r = run(&["-C", s(&d2), "import", s(&few)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_unchanged(&d2, &before);
}

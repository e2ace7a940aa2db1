//! A name inside a folder given to `verify` cannot print a line of its
//! own: an error that quotes it shows its line feed escaped, so a hostile
//! folder cannot show a line that looks like a verdict. (Found by the
//! attack review of 2026-12-06: the listing's errors printed paths raw.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ceremony");

fn no_verdict_like_line(out: &std::process::Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for line in stdout.lines().chain(stderr.lines()) {
        assert!(
            !line.starts_with("ok "),
            "a line that looks like a verdict was printed: {line:?}\nstderr: {stderr}"
        );
    }
}

#[test]
fn a_link_name_cannot_start_a_line_of_its_own() {
    // A symbolic link is refused from the listing, and its name is shown.
    let dir = tempfile::tempdir().unwrap();
    let name = "z\nok    root.json                all roots checked.json";
    std::os::unix::fs::symlink("root.json", dir.path().join(name)).unwrap();
    let out = Command::new(BIN)
        .arg("verify")
        .arg(dir.path())
        .output()
        .unwrap();
    no_verdict_like_line(&out);
}

#[test]
fn a_subfolder_name_cannot_start_a_line_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("a\nok    root.json                forged");
    std::fs::create_dir(&sub).unwrap();
    // Any entry that is refused from the listing names its path: a FIFO.
    let fifo = sub.join("x.json");
    let st = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(st.success());
    let out = Command::new(BIN)
        .arg("verify")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for line in stdout.lines().chain(stderr.lines()) {
        assert!(
            !line.starts_with("ok "),
            "a line that looks like a verdict was printed: {line:?}\nstderr: {stderr}"
        );
    }
}

//! Shell completions and man pages: generated from the clap definition by
//! hidden subcommands, parse in their shells, name every subcommand, and
//! `scripts/install.sh` puts them where the shells and `man` look.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use clap::CommandFactory;
use common::{fails, ok, s};
use std::path::Path;
use std::process::Command;

/// Every visible subcommand as its path of names (`["key", "generate"]`).
fn subcommands() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: &[String], all: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
            let mut p = path.to_vec();
            p.push(sub.get_name().to_string());
            walk(sub, &p, all);
            all.push(p);
        }
    }
    // As clap_mangen walks it: no `help` subcommands.
    let mut cmd = ceremony::cli::Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut all = Vec::new();
    walk(&cmd, &[], &mut all);
    all
}

/// Whether `shell` is on PATH; zsh and fish are optional peers (CI does not
/// install them), so their checks are skipped with a note when missing.
fn have(shell: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {shell}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        eprintln!("note: {shell} is not installed; its completion script is not parsed");
    }
    found
}

/// `shell` reads `file` without running it; panics if it does not parse.
fn parses(shell: &str, flag: &str, file: &Path) {
    let out = Command::new(shell).args([flag, s(file)]).output().unwrap();
    assert!(
        out.status.success(),
        "{shell} cannot parse the completion script:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn completion_scripts_generate_and_parse() {
    let t = tempfile::tempdir().unwrap();
    let top: Vec<_> = subcommands().into_iter().filter(|p| p.len() == 1).collect();
    for (shell, flag) in [("bash", "-n"), ("zsh", "-n"), ("fish", "--no-execute")] {
        let r = ok(&["completions", shell]);
        for p in &top {
            assert!(
                r.stdout.contains(p[0].as_str()),
                "{shell} completions lack `{}`",
                p[0]
            );
        }
        let file = t.path().join(format!("ceremony.{shell}"));
        std::fs::write(&file, &r.stdout).unwrap();
        if shell == "bash" || have(shell) {
            parses(shell, flag, &file);
        }
    }
}

#[test]
fn an_unknown_shell_is_refused() {
    let r = fails(2, &["completions", "powershell"]);
    assert!(r.stderr.contains("possible values"), "{}", r.stderr);
}

#[test]
fn man_pages_name_every_subcommand() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("man1");
    ok(&["man", s(&dir)]);
    let main = std::fs::read_to_string(dir.join("ceremony.1")).unwrap();
    assert!(main.starts_with(".ie") || main.contains(".TH ceremony 1"));
    for p in subcommands() {
        if p.len() == 1 {
            // roff escapes the dash in `ceremony-init(1)`.
            let name = format!("ceremony\\-{}(1)", p[0].replace('-', "\\-"));
            assert!(main.contains(&name), "ceremony.1 does not name {name}");
        }
        let page = dir.join(format!("ceremony-{}.1", p.join("-")));
        let text =
            std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        assert!(text.contains(".SH SYNOPSIS"), "{}", page.display());
    }
    let pages = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(pages, subcommands().len() + 1, "one page each, no more");
}

#[test]
fn man_into_an_unusable_place_fails_cleanly() {
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let r = fails(2, &["man", s(&file)]);
    assert!(r.stderr.contains("cannot write man pages"), "{}", r.stderr);
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}

#[test]
fn install_script_puts_everything_in_place() {
    let t = tempfile::tempdir().unwrap();
    let prefix = t.path().join("usr");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(&prefix)
        .arg(env!("CARGO_BIN_EXE_ceremony"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "install.sh failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "bin/ceremony",
        "share/bash-completion/completions/ceremony",
        "share/zsh/site-functions/_ceremony",
        "share/fish/vendor_completions.d/ceremony.fish",
        "share/man/man1/ceremony.1",
        "share/man/man1/ceremony-root-sign.1",
    ] {
        assert!(prefix.join(f).is_file(), "{f} not installed");
    }
    let v = Command::new(prefix.join("bin/ceremony"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&v.stdout).starts_with("ceremony "));
}

#[test]
fn install_script_without_a_binary_installs_nothing() {
    let t = tempfile::tempdir().unwrap();
    let prefix = t.path().join("usr");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(&prefix)
        .arg(t.path().join("no-such-binary"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("hint:"));
    assert!(!prefix.exists());
}

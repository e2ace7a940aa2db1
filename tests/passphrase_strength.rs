//! New passphrases weaker than zxcvbn score 3 are refused wherever they are
//! made (key generate, a custodian's share, a recovered key stored again, a
//! Notary key file, a run's answers), unless `--weak-passphrase` (or the
//! answers file's `[passphrases] weak = true`) lets them through, which the
//! transcript records, never the passphrase. Unlocking is never refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// Very common: zxcvbn scores it 1 ("This is a very common password.").
const WEAK: &str = "hunter2";

/// Asserts `r` is a weak-passphrase refusal (exit 2) naming `what`.
fn refused_weak(r: &Run, what: &str) {
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains(&format!("the new passphrase for {what} is too weak"))
            && r.stderr.contains("zxcvbn score")
            && r.stderr.contains("--weak-passphrase"),
        "{}",
        r.stderr
    );
}

/// No file under `dir` holds `secret`.
fn nowhere(dir: &Path, secret: &str) {
    for (p, bytes) in snapshot(dir) {
        let hit = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!hit, "{} holds the passphrase", p.display());
    }
}

fn transcript(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("transcript.jsonl")).unwrap()
}

fn tuf(t: &Path) -> PathBuf {
    let dir = t.join("c");
    ok(&["init", s(&dir), "--dialect", "tuf"]);
    dir
}

#[test]
fn a_weak_key_passphrase_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf(tmp.path());
    let d = s(&dir);
    let before = snapshot(&dir);
    let generate = [
        "-C", d, "key", "generate", "--role", "root", "--label", "r1",
    ];
    let r = run_pass(WEAK, &generate);
    refused_weak(&r, "key r1");
    assert!(r.stderr.contains("very common password"), "{}", r.stderr);
    assert!(!r.stderr.contains(WEAK) && !r.stdout.contains(WEAK));
    assert_unchanged(&dir, &before);
    // From a passphrase file too: the rule is the engine's, not a source's.
    let f = tmp.path().join("pass");
    std::fs::write(&f, "password\n").unwrap();
    let mut args = vec!["--passphrase-file", s(&f)];
    args.extend(generate);
    refused_weak(&run_pass(PASS, &args), "key r1");
    assert_unchanged(&dir, &before);
}

#[test]
fn the_names_around_a_passphrase_count_as_guessed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("n");
    let gun = "registry.example.com/acme/app";
    ok(&["init", s(&dir), "--dialect", "notary", "--gun", gun]);
    let before = snapshot(&dir);
    // Long, and strong anywhere else: but it is this ceremony's GUN.
    let r = run_pass(
        gun,
        &["-C", s(&dir), "key", "generate", "--role", "targets"],
    );
    refused_weak(&r, "key targets-1");
    assert_unchanged(&dir, &before);
}

#[test]
fn weak_passphrase_lets_it_through_recorded_and_it_still_unlocks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf(tmp.path());
    let d = s(&dir);
    let r = run_pass(
        WEAK,
        &[
            "-C",
            d,
            "--weak-passphrase",
            "key",
            "generate",
            "--role",
            "root",
            "--label",
            "r1",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for role in ["targets", "snapshot", "timestamp"] {
        ok(&["-C", d, "key", "generate", "--role", role]);
    }
    let text = transcript(&dir);
    let weak: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("weak-passphrase-accepted"))
        .collect();
    assert_eq!(weak.len(), 1, "{text}");
    assert!(weak[0].contains("\"what\":\"key r1\""), "{}", weak[0]);
    // Written before the change it protects, and nothing of the score.
    let next = text.lines().skip_while(|l| !l.contains("weak-")).nth(1);
    assert!(next.unwrap().contains("key-generated"), "{text}");
    assert!(!weak[0].contains("score"), "{}", weak[0]);
    let shown = ok(&["-C", d, "transcript", "show"]).stdout;
    assert!(
        shown.contains("WEAK passphrase accepted for key r1"),
        "{shown}"
    );

    // Unlocking the old weak key is never refused for weakness.
    root_init(
        d,
        &["r1"],
        Some("1"),
        "targets-1",
        "snapshot-1",
        "timestamp-1",
    );
    let r = run_pass(WEAK, &["-C", d, "--yes", "root", "sign"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    ok(&["-C", d, "transcript", "verify", "--open"]);
    nowhere(&dir, WEAK);
}

/// Splits key `key` of `dir` to ann (strong) and ben (`ben_pass`).
fn split(t: &Path, dir: &Path, key: &str, ben_pass: &str, extra: &[&str]) -> Run {
    let (a, b) = (t.join("ann.pass"), t.join("ben.pass"));
    std::fs::write(&a, "ann keeps quartz otter lantern\n").unwrap();
    std::fs::write(&b, format!("{ben_pass}\n")).unwrap();
    let (fa, fb) = (format!("ann={}", s(&a)), format!("ben={}", s(&b)));
    let mut args = vec!["-C", s(dir), "--yes"];
    args.extend([
        "shares",
        "split",
        "--key",
        key,
        "--threshold",
        "2",
        "--custodian",
        "ann=passphrase",
        "--custodian",
        "ben=passphrase",
        "--custodian-passphrase-file",
        &fa,
        "--custodian-passphrase-file",
        &fb,
    ]);
    // Global flags and split's own alike, after the subcommand.
    args.extend(extra);
    run(&args)
}

#[test]
fn a_weak_custodian_passphrase_is_refused_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = tuf(t);
    let d = s(&dir);
    ok(&[
        "-C", d, "key", "generate", "--role", "root", "--label", "r1",
    ]);
    let before = snapshot(&dir);
    refused_weak(
        &split(t, &dir, "r1", "password1", &[]),
        "ben's share of key r1",
    );
    assert_unchanged(&dir, &before);

    let r = split(t, &dir, "r1", "password1", &["--weak-passphrase"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let folder = PathBuf::from(r.last_line());
    let text = transcript(&dir);
    assert!(
        text.contains(r#""type":"weak-passphrase-accepted","what":"ben's share of key r1""#),
        "{text}"
    );
    assert!(!text.contains("ann's share"), "{text}");
    nowhere(&dir, "password1");

    // Opening ben's weak share is unlocking: never refused.
    let (fa, fb) = (
        format!("ann={}", s(&t.join("ann.pass"))),
        format!("ben={}", s(&t.join("ben.pass"))),
    );
    let r = run(&[
        "-C",
        d,
        "shares",
        "recover",
        s(&folder.join("ann.share.age")),
        s(&folder.join("ben.share.age")),
        "--custodian-passphrase-file",
        &fa,
        "--custodian-passphrase-file",
        &fb,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_recovered_key_is_not_stored_again_under_a_weak_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = tuf(t);
    let d = s(&dir);
    ok(&[
        "-C", d, "key", "generate", "--role", "root", "--label", "r1",
    ]);
    let r = split(
        t,
        &dir,
        "r1",
        "ben keeps mosaic harbor violet",
        &["--only-shares"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let folder = PathBuf::from(r.last_line());
    let (fa, fb) = (
        format!("ann={}", s(&t.join("ann.pass"))),
        format!("ben={}", s(&t.join("ben.pass"))),
    );
    let (sa, sb) = (folder.join("ann.share.age"), folder.join("ben.share.age"));
    let recover = [
        "-C",
        d,
        "shares",
        "recover",
        s(&sa),
        s(&sb),
        "--custodian-passphrase-file",
        &fa,
        "--custodian-passphrase-file",
        &fb,
        "--store",
    ];
    let before = snapshot(&dir);
    refused_weak(&run_pass(WEAK, &recover), "key r1");
    assert_unchanged(&dir, &before);
    let mut allowed = vec!["--weak-passphrase"];
    allowed.extend(recover);
    let r = run_pass(WEAK, &allowed);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(transcript(&dir).contains(r#""what":"key r1""#));
    nowhere(&dir, WEAK);
}

#[test]
fn a_weak_notary_export_passphrase_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("n");
    ok(&[
        "init",
        s(&dir),
        "--dialect",
        "notary",
        "--gun",
        "registry.example.com/acme/app",
    ]);
    let d = s(&dir);
    ok(&["-C", d, "key", "generate", "--role", "targets"]);
    let pw = t.join("export.pass");
    std::fs::write(&pw, "letmein\n").unwrap();
    let out = t.join("targets.key");
    let export = [
        "-C",
        d,
        "key",
        "export-notary",
        "targets-1",
        s(&out),
        "--export-passphrase-file",
        s(&pw),
    ];
    let before = snapshot(&dir);
    refused_weak(&run(&export), "the Notary key file of targets-1");
    assert!(!out.exists());
    assert_unchanged(&dir, &before);
    let mut allowed = vec!["--weak-passphrase"];
    allowed.extend(export);
    ok(&allowed);
    assert!(out.exists());
    let text = transcript(&dir);
    assert!(
        text.contains(r#""what":"the Notary key file of targets-1""#),
        "{text}"
    );
}

const SCRIPT: &str = r#"name = "weak"
title = "One key"
dialect = "tuf"
[roles]
operator = "Types."
[[step]]
title = "Generate"
actor = "operator"
say = "Generate a key."
do = "generate-key"
role = "root"
label = "k-1"
"#;

fn answers(t: &Path, extra: &str) -> PathBuf {
    let p = t.join(format!("answers-{}.toml", extra.len()));
    std::fs::write(
        &p,
        format!("[people]\noperator = [\"otto\"]\n[passphrases]\nkeys = \"{WEAK}\"\n{extra}"),
    )
    .unwrap();
    p
}

#[test]
fn a_run_refuses_a_weak_answer_unless_the_file_or_the_flag_allows_it() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let script = t.join("weak.toml");
    std::fs::write(&script, SCRIPT).unwrap();
    let go = |dir: &Path, answers: &Path, extra: &[&str]| {
        let mut args = vec!["-C", s(dir)];
        args.extend(extra);
        args.extend([
            "run",
            s(&script),
            "--answers",
            s(answers),
            "--allow-network",
        ]);
        run(&args)
    };

    let dir = t.join("a");
    let r = go(&dir, &answers(t, ""), &[]);
    refused_weak(&r, "key k-1");
    assert!(!ok(&["-C", s(&dir), "key", "list"]).stdout.contains("k-1"));
    nowhere(&dir, WEAK);

    let dir = t.join("b");
    let r = go(&dir, &answers(t, "weak = true\n"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(transcript(&dir).contains(r#""what":"key k-1""#));
    nowhere(&dir, WEAK);

    let dir = t.join("c");
    let r = go(&dir, &answers(t, ""), &["--weak-passphrase"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(transcript(&dir).contains(r#""what":"key k-1""#));
    ok(&["-C", s(&dir), "transcript", "verify", "--open"]);
}

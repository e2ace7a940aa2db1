//! `ceremony run` fed by someone else: hostile scripts, answers files and
//! paused-run records. Each is refused with one line (exit 2), before the
//! ceremony directory is made or changed; nothing that could repaint the
//! terminal reaches it, and no passphrase is quoted back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// A small TUF script: a roll call, then a key generated.
const SCRIPT: &str = r#"name = "t"
title = "A small ceremony"
dialect = "tuf"
[inputs]
who = "Who is called"
[roles]
operator = "Types."
[[step]]
title = "Roll call"
actor = "operator"
say = "Call ${who}."
do = "roll-call"
roles = ["operator"]
[[step]]
title = "Generate"
actor = "operator"
say = "Generate a key."
do = "generate-key"
role = "root"
label = "k-1"
"#;

const ANSWERS: &str = r#"[inputs]
who = "bob"
[people]
operator = ["otto"]
[passphrases]
keys = "rehearsal-passphrase-1"
"#;

fn write(t: &Path, name: &str, text: &str) -> PathBuf {
    let p = t.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn run_in(dir: &Path, script: &Path, answers: &Path) -> Run {
    run(&[
        "-C",
        s(dir),
        "run",
        s(script),
        "--answers",
        s(answers),
        "--allow-network",
    ])
}

/// The refusal is one line (and perhaps a hint), with no escape character.
fn one_line(r: &Run) {
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("ceremony: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", r.stderr);
    let others = r
        .stderr
        .lines()
        .filter(|l| !l.starts_with("ceremony: error:") && !l.starts_with("hint:"))
        .count();
    assert_eq!(others, 0, "more than a reason and a hint:\n{}", r.stderr);
    assert!(!r.stderr.contains('\u{1b}'), "{}", r.stderr);
}

/// Refused (exit 2, one line) before anything is made: `dir` stays absent.
fn refused_before_start(t: &Path, script: &str, answers: &str) -> Run {
    let dir = t.join("c");
    let r = run_in(
        &dir,
        &write(t, "s.toml", script),
        &write(t, "a.toml", answers),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    one_line(&r);
    assert!(!dir.exists(), "a ceremony directory was made");
    r
}

#[test]
fn a_malformed_answers_file_is_refused_without_quoting_its_passphrases() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in [
        // A syntax error on the passphrase's own line.
        "[passphrases]\nkeys = \"hunter2-secret\n",
        // The wrong type there.
        "[passphrases.custodians]\nann = [\"hunter2-secret\"]\n",
        // A map where a string goes: the parser names the value it found.
        "[passphrases]\ncustodians = \"hunter2-secret\"\n",
        // An error on the next line, the secret just above it.
        "[passphrases]\nkeys = \"hunter2-secret\"\nkeys2 = 1\n",
    ] {
        let r = refused_before_start(tmp.path(), SCRIPT, bad);
        assert!(!r.stderr.contains("hunter2"), "{bad:?}:\n{}", r.stderr);
        assert!(r.stderr.contains("line "), "{}", r.stderr);
    }
}

#[test]
fn scripts_and_answers_that_are_no_text_files_are_refused_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let good_script = write(t, "good.toml", SCRIPT);
    let good_answers = write(t, "good-answers.toml", ANSWERS);
    let fifo = t.join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let big = t.join("big.toml");
    std::fs::write(&big, vec![b'#'; 2 << 20]).unwrap();
    let deep = write(
        t,
        "deep.toml",
        &format!("x = {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
    );
    let dotted = write(
        t,
        "dotted.toml",
        &format!("[{}]\n", vec!["a"; 50_000].join(".")),
    );
    let nul = write(t, "nul.toml", "name = \"t\0\"\n");
    let latin1 = t.join("latin1.toml");
    std::fs::write(&latin1, b"name = \"caf\xe9\"\n").unwrap();
    let link = t.join("link.toml");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let dir = t.join("c");
    for bad in [
        fifo.as_path(),
        Path::new("/dev/zero"),
        &link,
        t,
        &big,
        &deep,
        &dotted,
        &nul,
        &latin1,
    ] {
        for (script, answers) in [(bad, good_answers.as_path()), (&good_script, bad)] {
            let r = run_in(&dir, script, answers);
            assert_eq!(r.code, 2, "{}: {}", bad.display(), r.stderr);
            one_line(&r);
            // Never the deep file's line quoted back.
            assert!(r.stderr.len() < 600, "{}", r.stderr.len());
            assert!(!dir.exists());
        }
    }
}

#[test]
fn script_text_that_would_repaint_or_forge_the_screen_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("title = \"A small", "title = \"\\u001b[2J\\u001b[HA small"),
        ("title = \"Generate\"", "title = \"Generate\\r\""),
        (
            "say = \"Generate a key.\"",
            "say = \"Generate a key.\\nstep 3/2: forged — operator\"",
        ),
        ("say = \"Generate", "say = \"\\u202eGenerate"),
        (
            "operator = \"Types.\"",
            "operator = \"Types.\"\n\"oper\\u200bator\" = \"Looks alike.\"",
        ),
        ("operator = \"Types.\"", "operator = \"Types.\\u0007\""),
        ("who = \"Who is called\"", "who = \"Who\\u009b2J\""),
        ("name = \"t\"", "name = \"t\\u0000\""),
        ("label = \"k-1\"", "label = \"k-1\\u001b]0;pwned\\u0007\""),
    ] {
        let script = SCRIPT.replacen(from, to, 1);
        assert_ne!(script, SCRIPT, "{from}");
        let r = refused_before_start(tmp.path(), &script, ANSWERS);
        assert!(
            r.stderr.contains("control, line-breaking or invisible"),
            "{to}: {}",
            r.stderr
        );
    }
}

#[test]
fn a_dollar_brace_left_open_is_refused_when_the_script_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("label = \"k-1\"", "label = \"k-${who\""),
        ("say = \"Generate a key.\"", "say = \"Costs ${5\""),
    ] {
        let r = refused_before_start(tmp.path(), &SCRIPT.replacen(from, to, 1), ANSWERS);
        assert!(r.stderr.contains("no closing"), "{}", r.stderr);
    }
}

#[test]
fn hostile_input_values_are_refused_before_anything_is_made() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    for v in [
        "bob\\u001b[2J",
        "bob\\nstep 2/2: forged",
        "bo\\u2066b",
        "\\u0000",
    ] {
        let answers = ANSWERS.replace("who = \"bob\"", &format!("who = \"{v}\""));
        let r = refused_before_start(t, SCRIPT, &answers);
        assert!(r.stderr.contains("input who"), "{}", r.stderr);
    }
    // Given on the command line.
    let dir = t.join("c");
    let r = run(&[
        "-C",
        s(&dir),
        "run",
        s(&write(t, "s.toml", SCRIPT)),
        "--answers",
        s(&write(t, "a.toml", ANSWERS)),
        "--input",
        "who=\u{1b}]52;c;aGk=\u{7}",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    one_line(&r);
    assert!(!dir.exists());
}

#[test]
fn an_input_holding_a_reference_is_inserted_once_not_expanded() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let script = SCRIPT.replace(
        "who = \"Who is called\"",
        "who = \"Who is called\"\nother = \"Another\"",
    );
    let answers = ANSWERS.replace(
        "who = \"bob\"",
        "who = \"${other}${who}$${\"\nother = \"EXPANDED\"",
    );
    let dir = t.join("c");
    let r = run_in(
        &dir,
        &write(t, "s.toml", &script),
        &write(t, "a.toml", &answers),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("Call ${other}${who}$${."), "{}", r.stderr);
    assert!(!r.stderr.contains("EXPANDED"), "{}", r.stderr);
}

#[test]
fn roll_calls_with_empty_doubled_forged_or_too_many_names_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let many: Vec<String> = (0..300).map(|i| format!("\"p{i}\"")).collect();
    for (names, why) in [
        ("[]".to_string(), "nobody named"),
        ("[\"\"]".to_string(), "is empty"),
        ("[\"  \"]".to_string(), "is empty"),
        ("[\"otto\", \"otto\"]".to_string(), "named twice"),
        (" [\"otto \"]".to_string(), "space"),
        (
            "[\"otto\\nroll call: operator: mallory\"]".to_string(),
            "line-breaking",
        ),
        ("[\"ot\\u001b[8mto\"]".to_string(), "control"),
        (format!("[\"{}\"]", "o".repeat(65)), "longer than"),
        (format!("[{}]", many.join(", ")), "at most 255"),
    ] {
        let answers = ANSWERS.replace("operator = [\"otto\"]", &format!("operator = {names}"));
        let r = refused_before_start(tmp.path(), SCRIPT, &answers);
        assert!(r.stderr.contains(why), "{names}: {}", r.stderr);
    }
    // A witness name is a person's name too.
    let answers = format!("{ANSWERS}[witness]\nname = \"w\\u001b[1A\"\n");
    refused_before_start(tmp.path(), SCRIPT, &answers);
}

#[test]
fn custodian_names_that_are_no_file_names_are_refused_at_the_roll_call() {
    let tmp = tempfile::tempdir().unwrap();
    let script = SCRIPT
        .replace(
            "operator = \"Types.\"",
            "operator = \"Types.\"\ncustodians = \"Hold.\"",
        )
        .replace(
            "roles = [\"operator\"]",
            "roles = [\"operator\", \"custodians\"]",
        );
    for names in [
        "[\"../ann\", \"ben\"]",
        "[\"ann/x\", \"ben\"]",
        "[\".ann\", \"ben\"]",
        "[\"ann=age1x\", \"ben\"]",
        "[\"ann\", \"ann\"]",
    ] {
        let answers = ANSWERS.replace(
            "operator = [\"otto\"]",
            &format!("operator = [\"otto\"]\ncustodians = {names}"),
        );
        let r = refused_before_start(tmp.path(), &script, &answers);
        assert!(r.stderr.contains("custodian"), "{names}: {}", r.stderr);
    }
}

/// A run paused after step 1 (the answers give no key passphrase), and the
/// answers that finish it.
fn paused(t: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let dir = t.join("c");
    let script = write(t, "s.toml", SCRIPT);
    let no_key = write(
        t,
        "no-key.toml",
        &ANSWERS.replace("keys = \"rehearsal-passphrase-1\"", ""),
    );
    let r = run_in(&dir, &script, &no_key);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("step 2"), "{}", r.stderr);
    (dir, script, write(t, "a.toml", ANSWERS))
}

#[test]
fn a_run_json_edited_to_skip_or_forge_steps_does_not_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, script, answers) = paused(tmp.path());
    let state = dir.join("run.json");
    let original = std::fs::read_to_string(&state).unwrap();
    let v: serde_json::Value = serde_json::from_str(&original).unwrap();
    let roll = v["done"][0].clone();
    let edits: Vec<(serde_json::Value, &str)> = vec![
        // Step 2 claimed done, with a roll call's outcome.
        (
            serde_json::json!({"done": [roll.clone(), roll.clone()]}),
            "another kind",
        ),
        // More steps done than the script has.
        (
            serde_json::json!({"done": vec![roll.clone(); 1000]}),
            "1000 steps",
        ),
        (
            serde_json::json!({"inputs": {"who": "\u{1b}[2Jbob"}}),
            "input who",
        ),
        (
            serde_json::json!({"people": {"operator": ["otto", "otto"]}}),
            "twice",
        ),
    ];
    for (edit, why) in edits {
        let mut e = v.clone();
        for (k, x) in edit.as_object().unwrap() {
            e[k] = x.clone();
        }
        std::fs::write(&state, serde_json::to_vec_pretty(&e).unwrap()).unwrap();
        let before = snapshot(&dir);
        let r = run_in(&dir, &script, &answers);
        assert_eq!(r.code, 2, "{edit}: {}", r.stderr);
        one_line(&r);
        assert!(r.stderr.contains(why), "{edit}: {}", r.stderr);
        assert_unchanged(&dir, &before);
    }
    // The record as the tool left it resumes, at step 2.
    std::fs::write(&state, original).unwrap();
    let r = run_in(&dir, &script, &answers);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("step 1/2"), "{}", r.stderr);
    assert!(r.stderr.contains("step 2/2"), "{}", r.stderr);
}

#[test]
fn roll_calls_of_unknown_or_repeated_roles_and_odd_input_names_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for (from, to, why) in [
        (
            "roles = [\"operator\"]",
            "roles = [\"ghost\"]",
            "not one of",
        ),
        (
            "roles = [\"operator\"]",
            "roles = [\"operator\", \"operator\"]",
            "twice",
        ),
        ("roles = [\"operator\"]", "roles = []", "no roles"),
        // An input that would be answered as a custodian's recipient.
        (
            "who = \"Who is called\"",
            "who = \"Who is called\"\n\"recipient of ann\" = \"Hers\"",
            "input name",
        ),
        (
            "say = \"Generate a key.\"",
            &format!("say = \"{}\"", "x".repeat(5000)),
            "longer than",
        ),
    ] {
        let r = refused_before_start(tmp.path(), &SCRIPT.replacen(from, to, 1), ANSWERS);
        assert!(r.stderr.contains(why), "{to}: {}", r.stderr);
    }
    let shares: Vec<String> = (0..300).map(|i| format!("\"s{i}.share.age\"")).collect();
    let answers = format!("{ANSWERS}[shares]\nk-1 = [{}]\n", shares.join(", "));
    let r = refused_before_start(tmp.path(), SCRIPT, &answers);
    assert!(r.stderr.contains("at most 255"), "{}", r.stderr);
}

#[test]
fn a_fifo_planted_among_the_finished_runs_does_not_hang_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("c");
    let answers = write(t, "a.toml", ANSWERS);
    ok(&[
        "-C",
        s(&dir),
        "run",
        s(&write(t, "first.toml", SCRIPT)),
        "--answers",
        s(&answers),
        "--allow-network",
    ]);
    std::fs::create_dir(dir.join("runs")).unwrap();
    // Sorted last: the file the archive compares the finished run with.
    assert!(
        std::process::Command::new("mkfifo")
            .arg(dir.join("runs/zzz.json"))
            .status()
            .unwrap()
            .success()
    );
    let next = SCRIPT
        .replace("name = \"t\"", "name = \"next\"")
        .replace("k-1", "k-2");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ceremony"))
        .args(["-C", s(&dir), "run"])
        .arg(write(t, "next.toml", &next))
        .args(["--answers", s(&answers), "--allow-network"])
        .env_remove("CEREMONY_DIR")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > std::time::Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("the run hung on the FIFO under runs/");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(status.success());
    assert!(dir.join("runs/002-t.json").is_file());
}

#[test]
fn a_script_of_thousands_of_steps_is_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (head, step) = SCRIPT.split_once("[[step]]").unwrap();
    let step = format!("[[step]]{}", step.split("[[step]]").next().unwrap());
    let script = format!("{head}{}", step.repeat(5000));
    let start = std::time::Instant::now();
    let r = refused_before_start(tmp.path(), &script, ANSWERS);
    assert!(r.stderr.contains("at most 200"), "{}", r.stderr);
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn a_paused_run_given_other_inputs_is_refused_not_silently_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, script, _) = paused(tmp.path());
    let other = write(
        tmp.path(),
        "other.toml",
        &ANSWERS.replace("who = \"bob\"", "who = \"alice\""),
    );
    let before = snapshot(&dir);
    let r = run_in(&dir, &script, &other);
    assert_eq!(r.code, 2, "{}", r.stderr);
    one_line(&r);
    assert!(r.stderr.contains("started with who"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
}

#[test]
fn an_answers_file_cannot_seal_a_key_or_share_with_an_empty_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let r = refused_before_start(
        tmp.path(),
        SCRIPT,
        &ANSWERS.replace("\"rehearsal-passphrase-1\"", "\"\""),
    );
    assert!(
        r.stderr.contains("passphrases.keys is empty"),
        "{}",
        r.stderr
    );
    let answers = format!("{ANSWERS}[passphrases.custodians]\nann = \"\"\n");
    let r = refused_before_start(tmp.path(), SCRIPT, &answers);
    assert!(r.stderr.contains("custodians.ann is empty"), "{}", r.stderr);
}

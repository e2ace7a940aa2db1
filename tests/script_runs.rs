//! Several runs in one ceremony directory: a finished run is archived under
//! `runs/` when the next script starts; an unfinished run of another script
//! still holds the directory; a script given another GUN is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};

const ANSWERS: &str = r#"[people]
operator = ["otto"]
[passphrases]
keys = "rehearsal-passphrase-1"
[witness]
name = "WITNESS"
"#;

/// A small TUF script: a root key generated and read back, a targets key
/// generated. (No close step: closing signs with a root, which it has not.)
fn small(t: &Path, name: &str, label: &str) -> PathBuf {
    let text = format!(
        r#"name = "{name}"
title = "A small ceremony"
dialect = "tuf"
[roles]
operator = "Types."
witness = "Reads back."
[[step]]
title = "Generate"
actor = "operator"
say = "Generate a key."
do = "generate-key"
role = "root"
label = "{label}"
[[step]]
title = "Read back"
actor = "witness"
say = "Read it back."
do = "read-back"
key = "{label}"
[[step]]
title = "Generate targets"
actor = "operator"
say = "Generate a targets key."
do = "generate-key"
role = "targets"
label = "{label}-t"
"#
    );
    let p = t.join(format!("{name}.toml"));
    std::fs::write(&p, text).unwrap();
    p
}

fn answers(t: &Path, witness: &str) -> PathBuf {
    let p = t.join(format!("answers-{}.toml", witness.len()));
    std::fs::write(&p, ANSWERS.replace("WITNESS", witness)).unwrap();
    p
}

fn run_script(dir: &Path, script: &Path, answers: &Path) -> Run {
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

#[test]
fn a_finished_run_is_archived_and_the_next_script_starts_fresh() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("c");
    let good = answers(t, "wendy");
    let (a, b, c) = (
        small(t, "first", "k-1"),
        small(t, "second", "k-2"),
        small(t, "third", "k-3"),
    );
    let r = run_script(&dir, &a, &good);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let first_run = std::fs::read(dir.join("run.json")).unwrap();

    // The second script starts in the same directory; the first run is kept.
    let r = run_script(&dir, &b, &good);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("step 1/3"), "{}", r.stderr);
    let archived = std::fs::read(dir.join("runs/001-first.json")).unwrap();
    assert_eq!(archived, first_run, "the archive is not the finished run");
    let now: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(now["script"], "second");
    assert_eq!(now["done"].as_array().unwrap().len(), 3);
    // Both keys live in the one ceremony.
    let keys = ok(&["-C", s(&dir), "key", "list"]).stdout;
    assert!(keys.contains("k-1") && keys.contains("k-2"), "{keys}");

    // A third script stops half-way (no witness reads back) ...
    let r = run_script(&dir, &c, &answers(t, ""));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(dir.join("runs/002-second.json").exists());
    // ... and while it is unfinished no other script may take over, and
    // the refusal changes nothing.
    let before = snapshot(&dir);
    let r = run_script(&dir, &a, &good);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("not this script") && r.stderr.contains("third"),
        "{}",
        r.stderr
    );
    assert_unchanged(&dir, &before);
    // The same script resumes where it stopped, then another may start.
    let r = run_script(&dir, &c, &good);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("step 1/"), "{}", r.stderr);
    let r = run_script(&dir, &small(t, "fourth", "k-4"), &good);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.join("runs/003-third.json").exists());
}

#[test]
fn a_script_name_cannot_steer_the_archive_outside_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("c");
    let good = answers(t, "wendy");
    let evil = small(t, "evil", "k-1");
    std::fs::write(
        &evil,
        std::fs::read_to_string(&evil)
            .unwrap()
            .replace("name = \"evil\"", "name = \"../../escape\""),
    )
    .unwrap();
    assert_eq!(run_script(&dir, &evil, &good).code, 0);
    let r = run_script(&dir, &small(t, "next", "k-2"), &good);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.join("runs/001-escape.json").exists());
    assert!(!t.join("escape.json").exists() && !dir.join("escape.json").exists());
}

#[test]
fn a_notary_script_given_another_gun_is_refused_in_an_existing_ceremony() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("c");
    ok(&[
        "init",
        s(&dir),
        "--dialect",
        "notary",
        "--gun",
        "example.com/app",
    ]);
    let script = small(t, "n", "k-1");
    std::fs::write(
        &script,
        std::fs::read_to_string(&script).unwrap().replace(
            "dialect = \"tuf\"",
            "dialect = \"notary\"\ngun = \"${gun}\"\n[inputs]\ngun = \"The GUN\"",
        ),
    )
    .unwrap();
    let before = snapshot(&dir);
    let r = run(&[
        "-C",
        s(&dir),
        "run",
        s(&script),
        "--answers",
        s(&answers(t, "wendy")),
        "--allow-network",
        "--input",
        "gun=example.com/other",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("example.com/app"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
}

#[test]
fn the_shipped_server_keys_fixture_imports_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    ok(&[
        "init",
        s(&dir),
        "--dialect",
        "notary",
        "--gun",
        "registry.example.com/ceremony/rehearsal",
    ]);
    let r = ok(&["-C", s(&dir), "import", s(&data("server-keys"))]);
    let keys = ok(&["-C", s(&dir), "key", "list"]).stdout;
    assert!(
        keys.contains("server-timestamp") && keys.contains("server-snapshot"),
        "{keys}\n{}",
        r.stderr
    );
}

#[test]
fn the_next_script_cannot_turn_a_real_ceremony_into_a_rehearsal() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("c");
    let good = answers(t, "wendy");
    assert_eq!(run_script(&dir, &small(t, "first", "k-1"), &good).code, 0);
    let before = snapshot(&dir);
    let r = run(&[
        "-C",
        s(&dir),
        "run",
        s(&small(t, "second", "k-2")),
        "--answers",
        s(&good),
        "--allow-network",
        "--rehearsal",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("for real"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
}

#[test]
fn every_shipped_script_parses_and_some_test_runs_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut tests = String::new();
    for e in std::fs::read_dir(root.join("tests")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("script") && name.ends_with(".rs") {
            tests.push_str(&std::fs::read_to_string(&p).unwrap());
        }
    }
    let mut seen = 0;
    for e in std::fs::read_dir(root.join("ceremony-scripts")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().and_then(|x| x.to_str()) != Some("toml") {
            continue;
        }
        seen += 1;
        let file = p.file_name().unwrap().to_string_lossy().to_string();
        let stem = file.trim_end_matches(".toml");
        let parsed = ceremony::script::Script::parse(&std::fs::read_to_string(&p).unwrap());
        assert!(parsed.is_ok(), "{file}: {:?}", parsed.err());
        assert!(
            tests.contains(&format!("\"{file}\"")) || tests.contains(&format!("(\"{stem}\"")),
            "{file}: no test in tests/script*.rs runs it"
        );
    }
    assert!(seen >= 7, "{seen} scripts");
}

/// A TUF script that splits one key 2-of-2 among the custodians and
/// destroys its key file.
fn splitting(t: &Path) -> PathBuf {
    let text = r#"name = "split-only"
title = "Split a key"
dialect = "tuf"
[roles]
operator = "Types."
custodians = "Each takes a share."
[[step]]
title = "Roll call"
actor = "operator"
say = "Names."
do = "roll-call"
roles = ["custodians"]
[[step]]
title = "Generate"
actor = "operator"
say = "Generate a key."
do = "generate-key"
role = "root"
label = "k-1"
[[step]]
title = "Split"
actor = "custodians"
say = "Split it."
do = "split"
key = "k-1"
threshold = 2
only_shares = true
"#;
    let p = t.join("split-only.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_hand_out_not_read_back_withdraws_the_set_and_keeps_the_key_file() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("c");
    let script = splitting(t);
    let base = "[people]\ncustodians = [\"ann\", \"ben\"]\n[recipients]\nann = \"passphrase\"\nben = \"passphrase\"\n[passphrases]\nkeys = \"rehearsal-passphrase-1\"\n[passphrases.custodians]\nann = \"ann's words\"\nben = \"ben's words\"\n";
    let bad = t.join("bad.toml");
    std::fs::write(&bad, format!("{base}[hand_out]\nwrong = [\"ben\"]\n")).unwrap();
    let good = t.join("good.toml");
    std::fs::write(&good, base).unwrap();

    let r = run_script(&dir, &script, &bad);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("ben did not read back") && r.stderr.contains("withdrawn"),
        "{}",
        r.stderr
    );
    // The key file is still here; the half-handed set is withdrawn.
    let held = |d: &Path| {
        std::fs::read_dir(d.join("keys"))
            .unwrap()
            .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "age"))
    };
    assert!(held(&dir), "the key file went with an unfinished hand-out");
    let list = ok(&["-C", s(&dir), "shares", "list"]).stdout;
    assert!(list.contains("(superseded)"), "{list}");
    let withdrawn: Vec<PathBuf> = std::fs::read_dir(dir.join("shares"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(withdrawn.len(), 1);
    // Its shares no longer open the key.
    let (ann, ben) = (t.join("ann.pass"), t.join("ben.pass"));
    std::fs::write(&ann, "ann's words\n").unwrap();
    std::fs::write(&ben, "ben's words\n").unwrap();
    let refused = fails(
        1,
        &[
            "-C",
            s(&dir),
            "shares",
            "recover",
            s(&withdrawn[0].join("ann.share.age")),
            s(&withdrawn[0].join("ben.share.age")),
            "--custodian-passphrase-file",
            &format!("ann={}", s(&ann)),
            "--custodian-passphrase-file",
            &format!("ben={}", s(&ben)),
        ],
    );
    assert!(refused.stderr.contains("superseded"), "{}", refused.stderr);

    // Resumed: a new set is handed out, then the key file is destroyed.
    let r = run_script(&dir, &script, &good);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        !held(&dir),
        "the key file was not destroyed after the hand-out"
    );
    let list = ok(&["-C", s(&dir), "shares", "list"]).stdout;
    assert_eq!(list.lines().count(), 2, "{list}");
    assert_eq!(list.matches("(superseded)").count(), 1, "{list}");
}

#[test]
fn the_same_script_is_held_again_only_with_again() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("c");
    let script = t.join("yearly.toml");
    let text = std::fs::read_to_string(small(t, "yearly", "LABEL"))
        .unwrap()
        .replace("LABEL", "${label}")
        .replace(
            "[roles]",
            "[inputs]\nlabel = \"This year's key label\"\n[roles]",
        );
    std::fs::write(&script, text).unwrap();
    let good = answers(t, "wendy");
    let go = |label: &str, again: bool| {
        let mut args = vec![
            "-C",
            s(&dir),
            "run",
            s(&script),
            "--answers",
            s(&good),
            "--allow-network",
        ];
        let input = format!("label={label}");
        args.extend(["--input", &input]);
        if again {
            args.push("--again");
        }
        run(&args)
    };
    let r = go("y-2026", false);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Run again as it was: nothing to do, nothing made, and the way to a
    // new run is named.
    let before = snapshot(&dir);
    let r = go("y-2027", false);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("add --again"), "{}", r.stderr);
    assert!(!r.stderr.contains("step 1/"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
    // --again: the finished run is archived and a new one made.
    let r = go("y-2027", true);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("step 1/3"), "{}", r.stderr);
    assert!(dir.join("runs/001-yearly.json").exists());
    let keys = ok(&["-C", s(&dir), "key", "list"]).stdout;
    assert!(keys.contains("y-2026") && keys.contains("y-2027"), "{keys}");
    // A run stopped half-way is resumed, never restarted by --again.
    let r = run(&[
        "-C",
        s(&dir),
        "run",
        s(&script),
        "--answers",
        s(&answers(t, "")),
        "--allow-network",
        "--input",
        "label=y-2028",
        "--again",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let before = snapshot(&dir);
    let r = go("y-2029", true);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not finished"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
    let r = go("y-2028", false);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.join("runs/002-yearly.json").exists());
}

//! Ceremony scripts run headless with an answers file: the same engine as
//! the terminal UI, the exported metadata accepted by python-tuf, a wrong
//! read-back refused, a paused run resumed, and rehearsal output marked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("ceremony-scripts/{name}"))
}

/// An answers file for tuf-initial-root.toml: four custodians with age
/// keys, one with a passphrase.
fn answers(t: &Path, out: &Path, read_back: &str) -> PathBuf {
    let mut recipients = String::new();
    for n in ["ann", "ben", "cat", "eve"] {
        recipients.push_str(&format!("{n} = \"{}\"\n", age_recipient(t, n)));
    }
    let text = format!(
        r#"[inputs]
out = "{}"
[people]
administrator = ["ada"]
operator = ["otto"]
witness = ["wendy"]
custodians = ["ann", "ben", "cat", "dan", "eve"]
[recipients]
{recipients}dan = "passphrase"
[passphrases]
keys = "rehearsal-passphrase-1"
[passphrases.custodians]
dan = "dan's own words"
[witness]
name = "wendy"
read_back = "{read_back}"
"#,
        out.display()
    );
    let p = t.join("answers.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// `ceremony -C DIR run SCRIPT --answers ANSWERS --allow-network`, which
/// must exit `code`.
fn run_script(code: i32, dir: &Path, script: &Path, answers: &Path) -> Run {
    let args = [
        "-C",
        s(dir),
        "run",
        s(script),
        "--answers",
        s(answers),
        "--allow-network",
    ];
    if code == 0 {
        ok(&args)
    } else {
        fails(code, &args)
    }
}

fn python_tuf(dir: &Path) -> (bool, String) {
    let out = Command::new("python3")
        .arg(data("tuf_verify_chain.py"))
        .arg(dir)
        .output()
        .expect("run python3");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && text.contains("RESULT: PASS"), text)
}

#[test]
fn tuf_initial_root_runs_headless_and_python_tuf_accepts_its_export() {
    if !need_python_tuf() || !need_peer("age-keygen", "Debian package age") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let out = t.join("out");
    let dir = t.join("c");
    let a = answers(t, &out, "wrong-first");
    let r = run_script(0, &dir, &script("tuf-initial-root.toml"), &a);
    // The wrong read-back was refused, and the right one taken.
    assert!(r.stderr.contains("read-back refused"), "{}", r.stderr);
    assert!(r.stderr.contains("complete"), "{}", r.stderr);
    assert!(dir.join("root/1.root.json").exists());
    let (passed, text) = python_tuf(&out);
    assert!(passed, "python-tuf refused the ceremony's export:\n{text}");
    // Not a rehearsal: no REHEARSAL mark.
    assert!(!out.join("REHEARSAL").exists());
    // The run is recorded step by step; running again has nothing to do.
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(state["done"].as_array().unwrap().len(), 18);
    let again = run_script(0, &dir, &script("tuf-initial-root.toml"), &a);
    assert!(!again.stderr.contains("step 1/"), "{}", again.stderr);
}

#[test]
fn a_run_stops_at_a_refused_read_back_and_resumes_there() {
    if !need_peer("age-keygen", "Debian package age") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let out = t.join("out");
    let dir = t.join("c");
    let a = answers(t, &out, "as-shown");
    // A witness who never reads the right words: only the name can be
    // wrong in an answers file, so give none.
    let text = std::fs::read_to_string(&a)
        .unwrap()
        .replace("name = \"wendy\"\n", "name = \"\"\n");
    let bad = t.join("bad.toml");
    std::fs::write(&bad, text).unwrap();
    let r = run_script(1, &dir, &script("tuf-initial-root.toml"), &bad);
    assert!(
        r.stderr.contains("step 4") && r.stderr.contains("not read back"),
        "{}",
        r.stderr
    );
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(state["done"].as_array().unwrap().len(), 3);
    // Another script cannot take over the unfinished run.
    let other = t.join("other.toml");
    std::fs::write(
        &other,
        std::fs::read_to_string(script("tuf-initial-root.toml"))
            .unwrap()
            .replace("Close", "End"),
    )
    .unwrap();
    let r = run_script(2, &dir, &other, &a);
    assert!(r.stderr.contains("not this script"), "{}", r.stderr);
    // Resumed with a witness: it goes on from step 4.
    let r = run_script(0, &dir, &script("tuf-initial-root.toml"), &a);
    assert!(
        !r.stderr.contains("step 3/") && r.stderr.contains("step 4/"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_rehearsal_marks_every_step_and_its_export() {
    if !need_peer("age-keygen", "Debian package age") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let out = t.join("out");
    let a = answers(t, &out, "as-shown");
    let r = ok(&[
        "run",
        s(&script("tuf-initial-root.toml")),
        "--answers",
        s(&a),
        "--rehearsal",
        "--allow-network",
    ]);
    // Step headers are found by where they start, not by "step " anywhere:
    // "step" is a BIP39 word, so fingerprint and digest lines can hold it.
    let headers = r
        .stderr
        .lines()
        .filter(|l| l.trim_start_matches("REHEARSAL ").starts_with("step "))
        .collect::<Vec<_>>();
    assert_eq!(headers.len(), 18, "{}", r.stderr);
    assert!(
        headers.iter().all(|l| l.starts_with("REHEARSAL step ")),
        "{}",
        r.stderr
    );
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    assert!(sums.contains("  REHEARSAL\n"), "{sums}");
    // The throwaway directory is printed, and marked.
    let dir = PathBuf::from(r.last_line());
    let settings = std::fs::read_to_string(dir.join("ceremony.json")).unwrap();
    assert!(settings.contains("\"rehearsal\": true"), "{settings}");
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

#[test]
fn the_air_gap_check_refuses_a_networked_machine_without_the_override() {
    if !need_peer("age-keygen", "Debian package age") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let out = t.join("out");
    let a = answers(t, &out, "as-shown");
    let g = run(&["airgap"]);
    let dir = t.join("c");
    let r = run(&[
        "-C",
        s(&dir),
        "run",
        s(&script("tuf-initial-root.toml")),
        "--answers",
        s(&a),
    ]);
    if g.code == 0 {
        // An air-gapped machine goes on past step 1.
        assert!(r.stderr.contains("step 2/"), "{}", r.stderr);
    } else {
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("not air-gapped") && r.stderr.contains("--allow-network"),
            "{}",
            r.stderr
        );
        assert!(
            !dir.join("keys").read_dir().unwrap().any(|_| true),
            "no key was made"
        );
    }
}

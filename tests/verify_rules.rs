//! Rules of `verify` where the peers disagree or where bytes differ but
//! the signed meaning does not: `root.json` beside `N.root.json` is judged by
//! what is signed, and the two leniencies an officer may ask for
//! (`--lenient-times`, `--legacy-keyids`) are off unless asked for.
//! The repositories are written by python-tuf 7.0.1's signer
//! (tests/python/verify_rules.py).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fails, ok, s};
use std::path::PathBuf;
use std::sync::OnceLock;

/// The generated repositories, made once per test run.
fn repos() -> Option<&'static PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        if !common::need_python_tuf() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap().keep();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/verify_rules.py");
        let out = std::process::Command::new("python3")
            .arg(&script)
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(dir)
    })
    .as_ref()
}

fn case(name: &str) -> Option<String> {
    repos().map(|d| s(&d.join(name)).to_string())
}

fn root_json_line(out: &str) -> String {
    out.lines()
        .find(|l| l.contains(" root.json "))
        .unwrap_or("")
        .to_string()
}

#[test]
fn root_json_with_other_bytes_but_the_same_signed_root_is_the_same_root() {
    let Some(same) = case("same-bytes") else {
        return;
    };
    let r = ok(&["verify", &same]);
    assert!(
        root_json_line(&r.stdout).ends_with("same as version 2"),
        "{}",
        r.stdout
    );
    // Spacing and member order differ, signatures are the same.
    let r = ok(&["verify", &case("reformatted").unwrap()]);
    assert!(
        root_json_line(&r.stdout).ends_with("same as version 2"),
        "{}",
        r.stdout
    );
    // One more signature, by a key the root does not list: it counts for
    // nothing, and changes nothing.
    let r = ok(&["verify", &case("extra-uncounted-signature").unwrap()]);
    assert!(
        root_json_line(&r.stdout).contains("same signed body as version 2"),
        "{}",
        r.stdout
    );
}

#[test]
fn root_json_must_carry_the_thresholds_and_the_body_of_the_newest_root() {
    let Some(unsigned) = case("same-body-unsigned") else {
        return;
    };
    for (name, why) in [
        (unsigned, "not signed by the previous root's threshold"),
        (case("same-body-bad-signature").unwrap(), "signature by"),
        (
            case("other-body").unwrap(),
            "it signs another body than version 2",
        ),
    ] {
        let r = fails(1, &["verify", &name]);
        let line = root_json_line(&r.stdout);
        assert!(line.starts_with("FAIL"), "{name}: {}", r.stdout);
        assert!(
            line.contains("is not version 2 of the root history"),
            "{line}"
        );
        assert!(line.contains(why), "{name}: {line}");
    }
}

#[test]
fn expiry_times_outside_the_spec_form_are_refused_unless_asked_for() {
    let Some(frac) = case("fractional-expiry") else {
        return;
    };
    let offset = case("offset-expiry").unwrap();
    for dir in [&frac, &offset] {
        // Unusable input (exit 2): a form the peers disagree on, not a
        // failed check.
        let r = fails(2, &["verify", dir, "--dialect", "tuf"]);
        assert!(r.stdout.contains("YYYY-MM-DDTHH:MM:SSZ"), "{}", r.stdout);
        assert!(r.stdout.contains("--lenient-times"), "{}", r.stdout);
        let r = ok(&["verify", dir, "--dialect", "tuf", "--lenient-times"]);
        // The run says it was lenient.
        assert!(
            r.stderr.contains("read with --lenient-times"),
            "{}",
            r.stderr
        );
    }
    // The other leniency does not open this one.
    let r = common::run(&["verify", &frac, "--legacy-keyids"]);
    assert_ne!(r.code, 0);
}

#[test]
fn python_tuf_0x_key_ids_are_refused_unless_asked_for_and_wrong_ids_always() {
    let Some(legacy) = case("legacy-keyid") else {
        return;
    };
    let r = common::run(&["verify", &legacy]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("keyid_hash_algorithms"), "{}", r.stdout);
    assert!(r.stdout.contains("--legacy-keyids"), "{}", r.stdout);
    let r = ok(&["verify", &legacy, "--legacy-keyids"]);
    assert!(
        r.stderr.contains("read with --legacy-keyids"),
        "{}",
        r.stderr
    );
    let r = common::run(&["verify", &legacy, "--lenient-times"]);
    assert_ne!(r.code, 0);
    // An ID that is no hash of the key in any form stays refused.
    let wrong = case("wrong-keyid").unwrap();
    for extra in [&[][..], &["--legacy-keyids"][..]] {
        let mut args = vec!["verify", wrong.as_str()];
        args.extend_from_slice(extra);
        let r = fails(1, &args);
        assert!(r.stdout.contains("does not match its key"), "{}", r.stdout);
    }
}

#[test]
fn a_snapshot_must_describe_targets() {
    let Some(whole) = case("repo-whole") else {
        return;
    };
    let r = ok(&["verify", &whole]);
    assert!(!r.stderr.contains("not judged"), "{}", r.stderr);
    // python-tuf's client refuses such a snapshot ("Snapshot does not
    // contain information for 'targets'"); so does verify.
    let r = fails(1, &["verify", &case("snapshot-without-targets").unwrap()]);
    assert!(
        r.stdout.contains("snapshot does not describe targets.json"),
        "{}",
        r.stdout
    );
}

#[test]
fn files_nothing_leads_to_are_named_not_silently_passed() {
    let Some(dir) = case("repo-with-stray-file") else {
        return;
    };
    let r = ok(&["verify", &dir]);
    assert!(
        r.stderr
            .contains("not judged: stray.json (it does not even parse"),
        "{}",
        r.stderr
    );
}

/// Notary: the snapshot's `root` entry must describe the root.json clients
/// download, not only the history's copy of the newest root.
#[test]
fn notary_root_json_must_match_the_snapshot_entry() {
    let t = tempfile::tempdir().unwrap();
    let src = common::data("notary/v2");
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), t.path().join(e.file_name())).unwrap();
    }
    ok(&["verify", s(t.path())]);
    // One more signature entry, by a key no root lists: the same signed
    // root (§7 of docs/verification.md), but not the bytes the snapshot
    // describes.
    let p = t.path().join("root.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    v["signatures"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"keyid": "ab".repeat(32), "method": "ecdsa", "sig": "AAAA"}));
    std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
    let r = fails(1, &["verify", s(t.path())]);
    assert!(
        r.stdout
            .contains("its root entry does not match the current root"),
        "{}",
        r.stdout
    );
}

//! Losing a key is a normal day: `root sign` signs with every key it can and
//! names the rest, `key mark-lost` takes a key out of every signing path,
//! `key list` and `root status` show where each key stands. (The README's
//! walk-through against the real Notary is tests/lost_key_readme.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

const OTHER_PASS: &str = "another-passphrase-91c2";

/// The key record labelled `label`.
fn record(dir: &Path, label: &str) -> Value {
    for e in std::fs::read_dir(dir.join("keys")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            if v["label"] == label {
                return v;
            }
        }
    }
    panic!("no key labelled {label}");
}

/// The `key list` line of the key labelled `label`.
fn list_line(list: &str, label: &str) -> String {
    list.lines()
        .find(|l| l.split_whitespace().nth(1) == Some(label))
        .unwrap_or_else(|| panic!("no line for {label}:\n{list}"))
        .to_string()
}

fn id_of(dir: &Path, label: &str) -> String {
    record(dir, label)["id"].as_str().unwrap().to_string()
}

fn key_file(dir: &Path, label: &str) -> PathBuf {
    dir.join(format!("keys/{}.age", id_of(dir, label)))
}

/// Key IDs that signed the staged root.
fn staged_signers(dir: &Path) -> Vec<String> {
    let v: Value =
        serde_json::from_slice(&std::fs::read(dir.join("staged/root.json")).unwrap()).unwrap();
    v["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["keyid"].as_str().unwrap().to_string())
        .collect()
}

/// Splits key `spare` of ceremony `d` 2-of-2 to custodians x and y, each
/// with her own passphrase file in `tmp` (one for both is refused), and
/// keeps only the shares. Returns (set folder, `x=FILE`, `y=FILE`).
fn split_spare(tmp: &Path, d: &str) -> (PathBuf, String, String) {
    let pw = tmp.join("custodian.pass");
    std::fs::write(&pw, "custodian-passphrase\n").unwrap();
    let pw2 = tmp.join("custodian-y.pass");
    std::fs::write(&pw2, "another-custodian-passphrase\n").unwrap();
    let xpw = format!("x={}", s(&pw));
    let ypw = format!("y={}", s(&pw2));
    let folder = PathBuf::from(
        ok(&[
            "-C",
            d,
            "--yes",
            "shares",
            "split",
            "--key",
            "spare",
            "--threshold",
            "2",
            "--custodian",
            "x=passphrase",
            "--custodian",
            "y=passphrase",
            "--custodian-passphrase-file",
            &xpw,
            "--custodian-passphrase-file",
            &ypw,
            "--only-shares",
        ])
        .last_line(),
    );
    (folder, xpw, ypw)
}

/// A TUF ceremony whose root (version 1, signed) has the root keys
/// `roots` with `threshold`, and keys targets, snapshot and timestamp.
fn tuf_ceremony(tmp: &Path, roots: &[&str], threshold: u64) -> PathBuf {
    let dir = tmp.join("c");
    ok(&["init", s(&dir), "--dialect", "tuf"]);
    let d = s(&dir);
    for l in roots {
        ok(&["-C", d, "key", "generate", "--role", "root", "--label", l]);
    }
    for r in ["targets", "snapshot", "timestamp"] {
        ok(&["-C", d, "key", "generate", "--role", r, "--label", r]);
    }
    let t = threshold.to_string();
    root_init(d, roots, Some(&t), "targets", "snapshot", "timestamp");
    ok(&["-C", d, "--yes", "root", "sign"]);
    assert!(dir.join("root/1.root.json").exists());
    dir
}

#[test]
fn root_sign_keeps_what_it_signed_when_a_key_file_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf_ceremony(tmp.path(), &["a", "b", "c"], 3);
    let d = s(&dir);
    ok(&["-C", d, "root", "rotate"]);
    std::fs::remove_file(key_file(&dir, "c")).unwrap();

    // a and b sign; c is named with its reason; the signatures are kept.
    let r = ok(&["-C", d, "--yes", "root", "sign"]);
    assert!(r.stderr.contains("signed by a, b"), "{}", r.stderr);
    assert!(
        r.stderr.contains("not signed: key c (") && r.stderr.contains("is missing"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("No such file"), "{}", r.stderr);
    let mut signers = staged_signers(&dir);
    signers.sort();
    let mut want = vec![id_of(&dir, "a"), id_of(&dir, "b")];
    want.sort();
    assert_eq!(signers, want, "the signatures of a and b were not kept");
    assert!(!dir.join("root/2.root.json").exists());
    assert!(r.stdout.contains("2 of 3 needed"), "{}", r.stdout);

    // Nothing left that can sign: an error, and nothing changes.
    let before = snapshot(&dir);
    let r = fails(2, &["-C", d, "--yes", "root", "sign"]);
    assert!(
        r.stderr.contains("key c") && r.stderr.contains("is missing"),
        "{}",
        r.stderr
    );
    assert_unchanged(&dir, &before);
    // Named: the same reason, still nothing changed.
    let r = fails(2, &["-C", d, "--yes", "root", "sign", "--key", "c"]);
    assert!(r.stderr.contains("is missing"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: "), "{}", r.stderr);
    let r = fails(
        2,
        &["-C", d, "--yes", "root", "sign", "--key", "a", "--key", "c"],
    );
    assert!(
        r.stderr.contains("has signed this root already") && r.stderr.contains("is missing"),
        "{}",
        r.stderr
    );
    assert_unchanged(&dir, &before);
    // A name that is no key refuses the whole command.
    let r = fails(2, &["-C", d, "--yes", "root", "sign", "--key", "zed"]);
    assert!(r.stderr.contains("no key \"zed\""), "{}", r.stderr);
    assert_unchanged(&dir, &before);
}

#[test]
fn wrong_passphrase_for_one_of_two_keys_keeps_the_other_signature() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    ok(&["init", s(&dir), "--dialect", "tuf"]);
    let d = s(&dir);
    ok(&["-C", d, "key", "generate", "--role", "root", "--label", "a"]);
    let r = run_pass(
        OTHER_PASS,
        &["-C", d, "key", "generate", "--role", "root", "--label", "b"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for role in ["targets", "snapshot", "timestamp"] {
        ok(&["-C", d, "key", "generate", "--role", role, "--label", role]);
    }
    root_init(
        d,
        &["a", "b"],
        Some("2"),
        "targets",
        "snapshot",
        "timestamp",
    );
    ok(&["-C", d, "--yes", "root", "sign", "--key", "a"]);
    let r = run_pass(
        OTHER_PASS,
        &["-C", d, "--yes", "root", "sign", "--key", "b"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.join("root/1.root.json").exists());

    ok(&["-C", d, "root", "rotate"]);
    // Named keys, b first: b's passphrase is wrong, a still signs.
    let r = ok(&["-C", d, "--yes", "root", "sign", "--key", "b", "--key", "a"]);
    assert!(
        r.stderr.contains("not signed: key b") && r.stderr.contains("wrong passphrase"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("signed by a"), "{}", r.stderr);
    assert_eq!(staged_signers(&dir), vec![id_of(&dir, "a")]);
    assert!(
        r.stderr.contains("the new signatures are kept"),
        "{}",
        r.stderr
    );

    // Only b is left, with the wrong passphrase: exit 2, nothing changes.
    let before = snapshot(&dir);
    let r = fails(2, &["-C", d, "--yes", "root", "sign"]);
    assert!(r.stderr.contains("wrong passphrase"), "{}", r.stderr);
    assert_unchanged(&dir, &before);

    // b's holder with the right passphrase completes the rotation.
    let r = run_pass(OTHER_PASS, &["-C", d, "--yes", "root", "sign"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.join("root/2.root.json").exists(), "{}", r.stderr);
}

#[test]
fn a_key_file_holding_another_key_is_named_and_the_others_sign() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf_ceremony(tmp.path(), &["a", "b", "c"], 3);
    let d = s(&dir);
    ok(&["-C", d, "root", "rotate"]);
    // c's file swapped for a's (same passphrase): it opens, but is not c.
    std::fs::copy(key_file(&dir, "a"), key_file(&dir, "c")).unwrap();
    let r = ok(&["-C", d, "--yes", "root", "sign"]);
    assert!(
        r.stderr.contains("not signed: key c (") && r.stderr.contains("holds a different key"),
        "{}",
        r.stderr
    );
    assert_eq!(staged_signers(&dir).len(), 2);
}

#[test]
fn a_lost_key_is_named_by_root_sign_and_rotation_takes_it_out() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf_ceremony(tmp.path(), &["a", "b", "c"], 2);
    let d = s(&dir);
    let c_file = std::fs::read(key_file(&dir, "c")).unwrap();

    // Refusals first: nothing changes.
    let before = snapshot(&dir);
    let r = fails(2, &["-C", d, "key", "mark-lost", "c"]);
    assert!(r.stderr.contains("no terminal"), "{}", r.stderr);
    let r = fails(
        2,
        &[
            "-C",
            d,
            "--yes",
            "key",
            "mark-lost",
            "c",
            "--reason",
            "a\nb",
        ],
    );
    assert!(r.stderr.contains("--reason"), "{}", r.stderr);
    fails(2, &["-C", d, "--yes", "key", "mark-lost", "nobody"]);
    assert_unchanged(&dir, &before);

    let r = ok(&[
        "-C",
        d,
        "--yes",
        "key",
        "mark-lost",
        "c",
        "--reason",
        "laptop stolen",
    ]);
    assert!(
        r.stderr.contains("cannot be undone"),
        "the officer was not told: {}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("is a root key of the current root (version 1)"),
        "{}",
        r.stderr
    );
    let rec = record(&dir, "c");
    assert_eq!(rec["lost"]["reason"], "laptop stolen", "{rec}");
    assert!(rec["lost"]["on"].as_str().unwrap().ends_with('Z'), "{rec}");
    assert!(
        rec["lost"]["confirmed"].as_str().unwrap().contains("--yes"),
        "{rec}"
    );
    assert_eq!(rec["lost"]["key_file_kept"], true, "{rec}");
    // Not "held" either: an older tool, blind to the mark, will not open it.
    assert_eq!(rec["private"], false, "{rec}");
    assert_eq!(
        std::fs::read(key_file(&dir, "c")).unwrap(),
        c_file,
        "the lost key's file must be kept as it was"
    );
    // Marking again is refused, naming the date.
    let before = snapshot(&dir);
    let r = fails(2, &["-C", d, "--yes", "key", "mark-lost", "c"]);
    assert!(
        r.stderr.contains("already marked lost on 20"),
        "{}",
        r.stderr
    );
    assert_unchanged(&dir, &before);

    // key list and root status show it.
    let list = ok(&["-C", d, "key", "list"]).stdout;
    let line = list_line(&list, "c");
    assert!(
        line.contains("LOST: marked lost on") && line.contains("laptop stolen"),
        "{list}"
    );
    let status = ok(&["-C", d, "root", "status"]).stdout;
    assert!(
        status.contains("lost: key c (") && status.contains("--remove-key c"),
        "{status}"
    );

    // A rotation that keeps c is staged with the exact flag to add.
    let r = ok(&["-C", d, "root", "rotate"]);
    assert!(
        r.stderr.contains("warning: key c (")
            && r.stderr
                .contains("stays a root key of the staged version 2")
            && r.stderr.contains("adding --remove-key c"),
        "{}",
        r.stderr
    );
    let status = ok(&["-C", d, "root", "status"]).stdout;
    assert!(
        status.contains("stays a root key of the staged version 2"),
        "{status}"
    );
    // The signing preview warns too; c never signs, a and b do.
    let before = snapshot(&dir);
    let r = fails(2, &["-C", d, "--yes", "root", "sign", "--key", "c"]);
    assert!(r.stderr.contains("marked lost on"), "{}", r.stderr);
    assert!(
        r.stderr.contains("warning: key c (") && r.stderr.contains("adding --remove-key c"),
        "{}",
        r.stderr
    );
    assert_unchanged(&dir, &before);
    ok(&["-C", d, "root", "discard"]);

    // Adding c back is refused; removing it is the way.
    let before = snapshot(&dir);
    let r = fails(
        2,
        &[
            "-C",
            d,
            "root",
            "rotate",
            "--remove-key",
            "c",
            "--add-key",
            "c",
        ],
    );
    assert!(
        r.stderr.contains("marked lost") && r.stderr.contains("cannot be added to a root"),
        "{}",
        r.stderr
    );
    assert_unchanged(&dir, &before);
    ok(&["-C", d, "key", "generate", "--role", "root", "--label", "d"]);
    let r = ok(&[
        "-C",
        d,
        "root",
        "rotate",
        "--remove-key",
        "c",
        "--add-key",
        "d",
    ]);
    assert!(
        r.stderr.contains("root: removes key c (") && r.stderr.contains("marked lost"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("warning: key c"), "{}", r.stderr);
    let status = ok(&["-C", d, "root", "status"]).stdout;
    assert!(
        status.contains("the staged version 2 takes it out"),
        "{status}"
    );

    let r = ok(&["-C", d, "--yes", "root", "sign"]);
    assert!(r.stderr.contains("signed by a, b, d"), "{}", r.stderr);
    assert!(
        r.stderr.contains("not signed: key c (")
            && r.stderr.contains("marked lost on")
            && r.stderr.contains("it cannot sign"),
        "{}",
        r.stderr
    );
    assert!(dir.join("root/2.root.json").exists(), "{}", r.stderr);
    // The lost key's file was never opened, and is still there.
    assert_eq!(std::fs::read(key_file(&dir, "c")).unwrap(), c_file);
    let status = ok(&["-C", d, "root", "status"]).stdout;
    assert!(!status.contains("lost:"), "{status}");
    let list = ok(&["-C", d, "key", "list"]).stdout;
    let line = list_line(&list, "c");
    assert!(line.contains(" - "), "c is no longer in the root: {list}");
}

#[test]
fn a_staged_root_that_adds_a_key_marked_lost_since_is_not_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf_ceremony(tmp.path(), &["a"], 1);
    let d = s(&dir);
    ok(&["-C", d, "key", "generate", "--role", "root", "--label", "d"]);
    ok(&["-C", d, "root", "rotate", "--add-key", "d"]);
    ok(&["-C", d, "--yes", "key", "mark-lost", "d"]);
    let status = ok(&["-C", d, "root", "status"]).stdout;
    assert!(
        status.contains("lost: key d (") && status.contains("staged version 2"),
        "{status}"
    );
    let before = snapshot(&dir);
    let r = fails(2, &["-C", d, "--yes", "root", "sign"]);
    assert!(
        r.stderr.contains("adds key d (") && r.stderr.contains("cannot be added to a root"),
        "{}",
        r.stderr
    );
    assert_unchanged(&dir, &before);
}

#[test]
fn every_signing_path_refuses_a_lost_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf_ceremony(tmp.path(), &["a"], 1);
    let d = s(&dir);
    ok(&["-C", d, "targets", "sign"]);
    ok(&["-C", d, "snapshot", "sign"]);
    ok(&["-C", d, "timestamp", "sign"]);
    ok(&[
        "-C", d, "key", "generate", "--role", "project", "--label", "p1",
    ]);
    ok(&[
        "-C",
        d,
        "delegation",
        "add",
        "project",
        "--key",
        "p1",
        "--paths",
        "project/*",
    ]);
    ok(&["-C", d, "targets", "sign"]);
    ok(&["-C", d, "targets", "sign", "--role", "project"]);
    // A spare root key with shares made while it was good.
    ok(&[
        "-C", d, "key", "generate", "--role", "root", "--label", "spare",
    ]);
    let (folder, xpw, ypw) = split_spare(tmp.path(), d);
    for k in ["p1", "targets", "snapshot", "timestamp", "spare"] {
        ok(&["-C", d, "--yes", "key", "mark-lost", k]);
    }

    let before = snapshot(&dir);
    let refused = |code: i32, args: &[&str], words: &str| {
        let r = fails(code, args);
        assert!(
            r.stderr.contains(words),
            "ceremony {args:?}: wanted {words:?} in:\n{}",
            r.stderr
        );
        assert_unchanged(&dir, &before);
    };
    // Named: refused as lost. Chosen: left out, and the count says why.
    refused(
        2,
        &["-C", d, "targets", "sign", "--key", "targets"],
        "marked lost",
    );
    refused(1, &["-C", d, "targets", "sign"], "marked lost");
    refused(
        2,
        &[
            "-C", d, "targets", "sign", "--role", "project", "--key", "p1",
        ],
        "marked lost",
    );
    refused(
        1,
        &["-C", d, "targets", "sign", "--role", "project"],
        "marked lost",
    );
    refused(1, &["-C", d, "snapshot", "sign"], "marked lost");
    refused(
        2,
        &["-C", d, "snapshot", "sign", "--key", "snapshot"],
        "marked lost",
    );
    refused(1, &["-C", d, "timestamp", "sign"], "marked lost");
    refused(
        2,
        &["-C", d, "timestamp", "sign", "--key", "timestamp"],
        "marked lost",
    );
    // Not added to a delegation, nor to a root in any role.
    refused(
        2,
        &["-C", d, "delegation", "add", "other", "--key", "p1"],
        "cannot be added to a delegation",
    );
    refused(
        2,
        &["-C", d, "root", "rotate", "--targets-key", "targets"],
        "cannot be added to a root",
    );
    refused(
        2,
        &["-C", d, "root", "rotate", "--add-key", "spare"],
        "cannot be added to a root",
    );
    // Shares: not split again, not stored back.
    refused(
        2,
        &[
            "-C",
            d,
            "--yes",
            "shares",
            "split",
            "--key",
            "spare",
            "--threshold",
            "1",
            "--custodian",
            "z=passphrase",
            "--custodian-passphrase-file",
            &format!("z={}", s(&tmp.path().join("custodian.pass"))),
        ],
        "cannot be split into shares",
    );
    let (sx, sy) = (folder.join("x.share.age"), folder.join("y.share.age"));
    refused(
        2,
        &[
            "-C",
            d,
            "shares",
            "recover",
            s(&sx),
            s(&sy),
            "--custodian-passphrase-file",
            &xpw,
            "--custodian-passphrase-file",
            &ypw,
            "--store",
        ],
        "cannot be stored in the ceremony",
    );
}

#[test]
fn a_lost_key_recovered_from_shares_does_not_sign_the_root() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tuf_ceremony(tmp.path(), &["a", "spare"], 1);
    let d = s(&dir);
    let (folder, xpw, ypw) = split_spare(tmp.path(), d);
    let list = ok(&["-C", d, "key", "list"]).stdout;
    assert!(
        list.lines()
            .any(|l| l.contains("spare") && l.contains("only as shares: set ")),
        "{list}"
    );
    ok(&["-C", d, "--yes", "key", "mark-lost", "spare"]);
    ok(&["-C", d, "root", "rotate", "--remove-key", "spare"]);
    let (sx, sy) = (folder.join("x.share.age"), folder.join("y.share.age"));
    let r = ok(&[
        "-C",
        d,
        "--yes",
        "root",
        "sign",
        "--from-shares",
        s(&sx),
        s(&sy),
        "--custodian-passphrase-file",
        &xpw,
        "--custodian-passphrase-file",
        &ypw,
    ]);
    assert!(r.stderr.contains("signed by a"), "{}", r.stderr);
    assert!(
        r.stderr.contains("not signed: key spare (") && r.stderr.contains("marked lost"),
        "{}",
        r.stderr
    );
    let v2: Value =
        serde_json::from_slice(&std::fs::read(dir.join("root/2.root.json")).unwrap()).unwrap();
    let spare = id_of(&dir, "spare");
    assert!(
        !v2["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["keyid"] == spare.as_str()),
        "the lost key signed: {v2}"
    );
}

#[test]
fn key_list_shows_root_roles_and_where_each_key_is() {
    let tmp = tempfile::tempdir().unwrap();
    // A public key from another machine.
    let other = tmp.path().join("other");
    ok(&["init", s(&other), "--dialect", "tuf"]);
    ok(&[
        "-C",
        s(&other),
        "key",
        "generate",
        "--role",
        "root",
        "--label",
        "far",
    ]);
    let far = tmp.path().join("far.pub.json");
    ok(&["-C", s(&other), "key", "export-public", "far", s(&far)]);

    let dir = tuf_ceremony(tmp.path(), &["a", "b"], 1);
    let d = s(&dir);
    ok(&[
        "-C",
        d,
        "key",
        "import",
        "--role",
        "root",
        "--label",
        "far",
        s(&far),
    ]);
    ok(&[
        "-C", d, "key", "generate", "--role", "root", "--label", "spare",
    ]);
    std::fs::remove_file(key_file(&dir, "b")).unwrap();
    let list = ok(&["-C", d, "key", "list"]).stdout;
    let line = |label: &str| list_line(&list, label);
    assert!(
        list.lines().next().unwrap().contains("IN ROOT v1"),
        "{list}"
    );
    assert!(line("a").contains(" root ") && line("a").ends_with("held here"));
    assert!(line("b").ends_with("key file missing"), "{list}");
    assert!(
        line("far").ends_with("elsewhere (public key only)") && line("far").contains(" - "),
        "{list}"
    );
    assert!(line("spare").contains(" - ") && line("spare").ends_with("held here"));
    assert!(line("targets").contains(" targets "), "{list}");
    assert!(line("snapshot").contains(" snapshot "), "{list}");
}

#[test]
fn export_notary_refuses_a_lost_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("n");
    ok(&[
        "init",
        s(&dir),
        "--dialect",
        "notary",
        "--gun",
        "registry.example.com/ceremony/lost",
    ]);
    let d = s(&dir);
    ok(&[
        "-C", d, "key", "generate", "--role", "targets", "--label", "t",
    ]);
    ok(&["-C", d, "--yes", "key", "mark-lost", "t"]);
    let pw = tmp.path().join("export.pass");
    std::fs::write(&pw, "export-passphrase\n").unwrap();
    let out = tmp.path().join("t.key");
    let before = snapshot(&dir);
    let r = fails(
        2,
        &[
            "-C",
            d,
            "key",
            "export-notary",
            "t",
            s(&out),
            "--export-passphrase-file",
            s(&pw),
        ],
    );
    assert!(r.stderr.contains("cannot be exported"), "{}", r.stderr);
    assert!(!out.exists());
    assert_unchanged(&dir, &before);
}

//! `verify` says first where trust comes from: without `--trusted-root`
//! the chain starts at a root taken on first use, which nothing vouches
//! for (the file and its version are named); with it, the trusted root's
//! version is named.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

/// The first line the command wrote (stderr comes first: stdout holds the
/// per-file verdicts, printed after it).
fn first_line(r: &Run) -> String {
    r.stderr.lines().next().unwrap_or("").to_string()
}

#[test]
fn without_a_trusted_root_the_first_line_says_trust_on_first_use() {
    for (dir, code) in [("tuf/valid_chain_v1_v2", 0), ("notary/v2", 0)] {
        let r = run(&["verify", s(&data(dir))]);
        assert_eq!(r.code, code, "{}{}", r.stdout, r.stderr);
        let first = first_line(&r);
        assert!(
            first.starts_with("trust on first use")
                && first.contains("1.root.json (version 1)")
                && first.contains("nothing vouches for it"),
            "{first}"
        );
    }
    // Also when the chain then fails: the start is still named first.
    let r = fails(
        1,
        &["verify", s(&data("tuf/neg_v2_signed_only_by_new_keys"))],
    );
    assert!(
        first_line(&r).starts_with("trust on first use"),
        "{}",
        r.stderr
    );
    // A lone root.json is the start itself.
    let r = ok(&["verify", s(&data("tuf/valid_chain_v1_v2/root.json"))]);
    assert!(
        first_line(&r).contains("root.json (version 2)"),
        "{}",
        r.stderr
    );
}

#[test]
fn with_a_trusted_root_the_first_line_names_its_version() {
    let dir = data("tuf/valid_chain_v1_v2");
    let r = ok(&[
        "verify",
        "--trusted-root",
        s(&dir.join("1.root.json")),
        s(&dir),
    ]);
    let first = first_line(&r);
    assert!(
        first.contains("--trusted-root") && first.contains("version 1"),
        "{first}"
    );
    assert!(!r.stderr.contains("trust on first use"), "{}", r.stderr);
    let r = ok(&[
        "verify",
        "--trusted-root",
        s(&dir.join("2.root.json")),
        s(&dir),
    ]);
    assert!(first_line(&r).contains("version 2"), "{}", r.stderr);
}

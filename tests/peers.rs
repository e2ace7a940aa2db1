//! The peer suite: the TUF and Notary projects' own test metadata, each case
//! with the verdict the peer's own test code gives it
//! (tests/data/peers/README.md). Every case must get that verdict.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

/// One case as its `case.toml` states it.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    source: String,
    origin: String,
    path: String,
    peer_test: String,
    dialect: String,
    verdict: String,
    metadata: String,
    at: Option<String>,
    trusted_root: Option<String>,
    gun: Option<String>,
    /// Extra flags for verify (the lenient flags a case needs).
    args: Option<Vec<String>>,
    /// Text the refusal must contain, where the verdict alone could come
    /// from the wrong check.
    reason: Option<String>,
    /// Where the peers disagree (shown when the case fails).
    note: Option<String>,
}

fn cases() -> Vec<(PathBuf, Case)> {
    let root = common::data("peers");
    let mut out = Vec::new();
    for project in std::fs::read_dir(&root).unwrap() {
        let project = project.unwrap().path();
        if !project.is_dir() {
            continue;
        }
        for case in std::fs::read_dir(&project).unwrap() {
            let dir = case.unwrap().path();
            let toml_path = dir.join("case.toml");
            if !toml_path.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&toml_path).unwrap();
            let case: Case =
                toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", toml_path.display()));
            assert!(
                dir.join("README.md").is_file(),
                "{} has no README.md",
                dir.display()
            );
            for (what, v) in [
                ("source", &case.source),
                ("origin", &case.origin),
                ("path", &case.path),
                ("peer_test", &case.peer_test),
            ] {
                assert!(
                    !v.trim().is_empty(),
                    "{}: empty {what}",
                    toml_path.display()
                );
            }
            out.push((dir, case));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn expected_code(verdict: &str) -> i32 {
    match verdict {
        "trusted" => 0,
        "untrusted" => 1,
        "unusable" => 2,
        other => panic!("unknown verdict {other:?}"),
    }
}

fn name(dir: &Path) -> String {
    let p = dir.parent().and_then(Path::file_name).unwrap_or_default();
    format!(
        "{}/{}",
        p.to_string_lossy(),
        dir.file_name().unwrap_or_default().to_string_lossy()
    )
}

#[test]
fn every_peer_case_gets_the_peers_verdict() {
    let cases = cases();
    // The list: each project is represented.
    for project in ["python-tuf", "tough", "go-tuf", "notary", "tuf-conformance"] {
        assert!(
            cases
                .iter()
                .any(|(d, _)| name(d).starts_with(&format!("{project}/"))),
            "no case from {project}"
        );
    }
    let mut wrong = Vec::new();
    for (dir, case) in &cases {
        let meta = dir.join(&case.metadata);
        let mut args: Vec<String> = vec![
            "verify".into(),
            meta.to_string_lossy().into(),
            "--dialect".into(),
            case.dialect.clone(),
        ];
        if let Some(at) = &case.at {
            args.extend(["--at".into(), at.clone()]);
        }
        if let Some(t) = &case.trusted_root {
            args.extend([
                "--trusted-root".into(),
                dir.join(t).to_string_lossy().into(),
            ]);
        }
        if let Some(g) = &case.gun {
            args.extend(["--gun".into(), g.clone()]);
        }
        args.extend(case.args.clone().unwrap_or_default());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = common::run(&argv);
        let want = expected_code(&case.verdict);
        let said = format!("{}{}", r.stdout, r.stderr);
        let first = said
            .lines()
            .find(|l| l.starts_with("ceremony: error:"))
            .unwrap_or_else(|| said.lines().next().unwrap_or(""))
            .to_string();
        if r.code != want {
            wrong.push(format!(
                "{}: exit {} (the peers' verdict is {} = {want}): {first}{}",
                name(dir),
                r.code,
                case.verdict,
                case.note
                    .as_ref()
                    .map(|n| format!(" [note: {n}]"))
                    .unwrap_or_default()
            ));
        } else if let Some(reason) = &case.reason
            && !said.contains(reason.as_str())
        {
            wrong.push(format!(
                "{}: right exit for another reason (wanted {reason:?}): {first}",
                name(dir)
            ));
        }
        // A verdict other than trusted says why, in one line, with a hint
        // or a FAIL line: never a panic or an empty answer.
        if want != 0 {
            assert!(!said.contains("panicked"), "{}: panic:\n{said}", name(dir));
            assert!(first.len() > 10, "{}: no reason given:\n{said}", name(dir));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} peer cases got another verdict:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

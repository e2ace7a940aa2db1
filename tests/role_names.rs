//! Role names become file names where the tool writes a role, so a name
//! that is not safe as one (`..`, `targets/../x`, a newline, empty, `/abs`,
//! a backslash, TUF's `../../etc`) is refused wherever it appears: on the
//! command line (exit 2), in an imported targets.json or a verified
//! repository (exit 1). Nothing is written, inside the ceremony or outside.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod crafted;
use common::*;
use crafted::*;

use ceremony::key::Algorithm;
use ceremony::metadata::Dialect;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

const GUN: &str = "registry.example.com/ceremony/names";

const NOTARY_BAD: [&str; 8] = [
    "..",
    "targets/../x",
    "targets/./x",
    "targets/a\nb",
    "",
    "/abs",
    "targets\\x",
    "targets//x",
];
const TUF_BAD: [&str; 9] = [
    "../../etc",
    "..",
    ".",
    "a/b",
    "a\nb",
    "",
    "/abs",
    "a\\b",
    "root",
];

fn tuf_ceremony(tmp: &Path) -> PathBuf {
    let dir = tmp.join("c");
    tuf_root(&dir);
    let d = s(&dir);
    ok(&["-C", d, "targets", "sign"]);
    ok(&["-C", d, "snapshot", "sign"]);
    ok(&["-C", d, "timestamp", "sign"]);
    dir
}

/// Runs `args` in `dir`: exit `code`, and nothing changed anywhere under
/// `tmp` (the ceremony and everything around it).
fn refused(tmp: &Path, dir: &Path, code: i32, args: &[&str], want: &str) {
    let before = snapshot(tmp);
    let mut full = vec!["-C", s(dir)];
    full.extend_from_slice(args);
    let r = fails(code, &full);
    assert!(r.stderr.contains(want), "{args:?}: {}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_unchanged(tmp, &before);
}

/// A delegation of `name` to `key` in `dialect`'s form.
fn delegation(dialect: Dialect, name: &str, key: &Held) -> Value {
    let role = match dialect {
        Dialect::Notary => {
            json!({"keyids": [key.id], "name": name, "paths": [""], "threshold": 1})
        }
        Dialect::Tuf => {
            json!({"keyids": [key.id], "name": name, "paths": ["*"], "terminating": false, "threshold": 1})
        }
    };
    json!({"keys": {key.id.clone(): key.meta.object}, "roles": [role]})
}

fn with_delegation(
    dialect: Dialect,
    name: &str,
    key: &Held,
) -> impl FnOnce(&mut Map<String, Value>) {
    let d = delegation(dialect, name, key);
    move |m: &mut Map<String, Value>| {
        m.insert("delegations".into(), d);
        let v = m["version"].as_u64().unwrap_or(1) + 1;
        m.insert("version".into(), json!(v));
    }
}

#[test]
fn unsafe_names_on_the_command_line_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let n = tmp.path().join("n");
    init_notary(&n, GUN);
    gen_key(s(&n), "targets/alice", "alice");
    for name in NOTARY_BAD {
        refused(
            tmp.path(),
            &n,
            2,
            &["delegation", "add", name, "--key", "alice"],
            &format!("{name:?}"),
        );
        refused(
            tmp.path(),
            &n,
            2,
            &["key", "generate", "--role", name],
            &format!("{name:?}"),
        );
    }
    let t = tuf_ceremony(tmp.path());
    ok(&[
        "-C",
        s(&t),
        "key",
        "generate",
        "--role",
        "project",
        "--label",
        "p",
    ]);
    for name in TUF_BAD {
        refused(
            tmp.path(),
            &t,
            2,
            &["delegation", "add", name, "--key", "p", "--paths", "*"],
            &format!("{name:?}"),
        );
        if name != "root" {
            refused(
                tmp.path(),
                &t,
                2,
                &["key", "generate", "--role", name],
                &format!("{name:?}"),
            );
            // A signed role file would be written as metadata/<name>.json.
            refused(
                tmp.path(),
                &t,
                2,
                &["targets", "sign", "--role", name],
                &format!("{name:?}"),
            );
        }
    }
    assert!(!tmp.path().join("etc.json").exists());
}

#[test]
fn unsafe_delegated_names_in_imported_targets_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let ts = Held::fresh(Dialect::Notary, Algorithm::Ed25519);
    let n = notary_ceremony(tmp.path(), GUN, &ts.meta.public);
    let k = Held::fresh(Dialect::Notary, Algorithm::EcdsaP256);
    let original = std::fs::read(n.join("metadata/targets.json")).unwrap();
    for (i, name) in NOTARY_BAD.iter().enumerate() {
        let t = resign(
            Dialect::Notary,
            &original,
            &[],
            with_delegation(Dialect::Notary, name, &k),
        );
        let b = bundle(&tmp.path().join(format!("nb{i}")), &[("targets.json", t)]);
        refused(tmp.path(), &n, 1, &["import", s(&b)], &format!("{name:?}"));
    }
    let t = tuf_ceremony(&tmp.path().join("tuf"));
    let k = Held::fresh(Dialect::Tuf, Algorithm::Ed25519);
    let original = std::fs::read(t.join("metadata/targets.json")).unwrap();
    for (i, name) in TUF_BAD.iter().enumerate() {
        let body = resign(
            Dialect::Tuf,
            &original,
            &[],
            with_delegation(Dialect::Tuf, name, &k),
        );
        let b = bundle(
            &tmp.path().join(format!("tb{i}")),
            &[("targets.json", body)],
        );
        refused(tmp.path(), &t, 1, &["import", s(&b)], &format!("{name:?}"));
    }
}

#[test]
fn unsafe_delegated_names_in_signed_metadata_are_refused_by_verify_and_export() {
    let tmp = tempfile::tempdir().unwrap();
    // Notary: targets/../x, signed by the real targets key.
    let ts = Held::fresh(Dialect::Notary, Algorithm::Ed25519);
    let n = notary_ceremony(tmp.path(), GUN, &ts.meta.public);
    let out = tmp.path().join("nout");
    ok(&["-C", s(&n), "export", s(&out), "--all"]);
    let tk = held(&n, "t");
    let k = Held::fresh(Dialect::Notary, Algorithm::EcdsaP256);
    let signed = resign(
        Dialect::Notary,
        &std::fs::read(out.join("targets.json")).unwrap(),
        &[&tk],
        with_delegation(Dialect::Notary, "targets/../x", &k),
    );
    std::fs::write(out.join("targets.json"), &signed).unwrap();
    let r = fails(1, &["verify", s(&out)]);
    assert!(r.stderr.contains("targets/../x"), "{}", r.stderr);
    // The same file kept in the ceremony: no export, nothing written.
    std::fs::write(n.join("metadata/targets.json"), &signed).unwrap();
    let x = tmp.path().join("nx");
    refused(
        tmp.path(),
        &n,
        1,
        &["export", s(&x)],
        "not safe as a file name",
    );
    refused(
        tmp.path(),
        &n,
        1,
        &["snapshot", "sign"],
        "not safe as a file name",
    );

    // TUF: ../../etc, signed by the real targets key.
    let t = tuf_ceremony(&tmp.path().join("tuf"));
    let out = tmp.path().join("tout");
    ok(&["-C", s(&t), "export", s(&out)]);
    let tk = held(&t, "targets");
    let k = Held::fresh(Dialect::Tuf, Algorithm::Ed25519);
    let name = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .find(|n| n.ends_with(".targets.json"))
        .unwrap();
    let signed = resign(
        Dialect::Tuf,
        &std::fs::read(out.join(&name)).unwrap(),
        &[&tk],
        with_delegation(Dialect::Tuf, "../../etc", &k),
    );
    std::fs::write(out.join(&name), &signed).unwrap();
    let r = fails(1, &["verify", s(&out)]);
    assert!(r.stderr.contains("../../etc"), "{}", r.stderr);
    std::fs::write(t.join("metadata/targets.json"), &signed).unwrap();
    let x = tmp.path().join("tuf/x/y");
    refused(
        tmp.path(),
        &t,
        1,
        &["export", s(&x)],
        "not safe as a file name",
    );
    refused(
        tmp.path(),
        &t,
        1,
        &["snapshot", "sign"],
        "not safe as a file name",
    );
    assert!(!tmp.path().join("etc.json").exists());
}

//! Target names with control characters (a newline, 0x01, a tab), arriving
//! in a targets.json from the online side: staged, signed, exported and
//! verified by the tool, accepted by notary-server and listed by the real
//! notary client (Notary signs the raw canonical bytes; the file carries the
//! characters escaped), and walked by python-tuf (TUF).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod crafted;
use common::*;
use crafted::*;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha512};
use std::path::{Path, PathBuf};
use std::process::Command;

const GUN: &str = "registry.example.com/ceremony/targetnames";

/// Name and content of each target.
const TARGETS: [(&str, &[u8]); 3] = [
    ("line\nbreak", b"first target"),
    ("ctl\u{1}one", b"second target"),
    ("tab\there", b"third target"),
];

/// The online side's proposal: the current targets body with the three
/// targets added, written by serde_json (an encoder independent of the
/// tool's), in an unsigned envelope, as a checked bundle.
fn proposal(tmp: &Path, current: &[u8], notary: bool) -> PathBuf {
    let mut v: Value = serde_json::from_slice(current).unwrap();
    let signed = v["signed"].as_object_mut().unwrap();
    let mut targets = serde_json::Map::new();
    for (name, content) in TARGETS {
        let meta = if notary {
            json!({"hashes": {"sha256": STANDARD.encode(Sha256::digest(content)),
                              "sha512": STANDARD.encode(Sha512::digest(content))},
                   "length": content.len()})
        } else {
            json!({"hashes": {"sha256": hex::encode(Sha256::digest(content))},
                   "length": content.len()})
        };
        targets.insert(name.to_string(), meta);
    }
    signed.insert("targets".into(), Value::Object(targets));
    v["signatures"] = json!([]);
    let bytes = serde_json::to_vec(&v).unwrap();
    assert!(
        String::from_utf8_lossy(&bytes).contains("line\\nbreak"),
        "serde_json escapes control characters"
    );
    bundle(&tmp.join("proposal"), &[("targets.json", bytes)])
}

/// Imports the proposal and signs it: staged, listed, signed, snapshot.
fn take_in_and_sign(dir: &Path, bundle: &Path) {
    let d = s(dir);
    let r = ok(&["-C", d, "import", s(bundle)]);
    assert!(r.stderr.contains("staged"), "{}", r.stderr);
    // The staged file reads back (it is a JSON file, escapes and all).
    ok(&["-C", d, "delegation", "list"]);
    ok(&["-C", d, "targets", "sign"]);
    ok(&["-C", d, "snapshot", "sign"]);
}

/// The exported targets file: valid JSON carrying the names escaped.
fn check_file(bytes: &[u8]) {
    let v: Value = serde_json::from_slice(bytes).expect("the exported file is valid JSON");
    for (name, _) in TARGETS {
        assert!(v["signed"]["targets"].get(name).is_some(), "{name:?}");
    }
    let text = String::from_utf8_lossy(bytes);
    for (name, _) in TARGETS {
        assert!(!text.contains(name), "{name:?} is written raw");
    }
}

#[test]
fn control_characters_in_target_names_reach_the_real_notary_client() {
    if !need_peer("notary-server", "Debian package notary (notary-server)")
        || !need_peer("notary", "Debian package notary (notary client)")
    {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out1) = published_notary(&srv, tmp.path(), GUN);
    let d = s(&dir);

    let b = proposal(
        tmp.path(),
        &std::fs::read(out1.join("targets.json")).unwrap(),
        true,
    );
    take_in_and_sign(&dir, &b);
    let out2 = tmp.path().join("out2");
    ok(&["-C", d, "export", s(&out2)]);
    check_file(&std::fs::read(out2.join("targets.json")).unwrap());
    ok(&["verify", s(&out2)]);
    let (status, text) = srv.publish_export(GUN, &out2);
    assert_eq!(status, 200, "notary-server refused the targets: {text}");

    let (code, listed) = notary(&[
        "-s",
        &srv.url(),
        "-d",
        s(&tmp.path().join("trust")),
        "list",
        GUN,
    ]);
    assert_eq!(code, 0, "notary list: {listed}");
    for (name, content) in TARGETS {
        let digest = hex::encode(Sha256::digest(content));
        assert!(
            listed.contains(&digest),
            "notary list does not show {name:?}:\n{listed}"
        );
    }
    assert!(
        listed.contains("line\nbreak") && listed.contains("ctl\u{1}one"),
        "{listed:?}"
    );
}

#[test]
fn control_characters_in_target_names_are_walked_by_python_tuf() {
    if !need_python_tuf() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    tuf_root(&dir);
    let d = s(&dir);
    ok(&["-C", d, "targets", "sign"]);
    let b = proposal(
        tmp.path(),
        &std::fs::read(dir.join("metadata/targets.json")).unwrap(),
        false,
    );
    take_in_and_sign(&dir, &b);
    ok(&["-C", d, "timestamp", "sign"]);
    let out = tmp.path().join("out");
    ok(&["-C", d, "export", s(&out)]);
    check_file(&std::fs::read(out.join("2.targets.json")).unwrap());
    ok(&["verify", s(&out)]);
    let py = Command::new("python3")
        .arg(data("tuf_verify_chain.py"))
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&py.stdout);
    assert!(
        py.status.success() && text.contains("RESULT: PASS"),
        "{text}{}",
        String::from_utf8_lossy(&py.stderr)
    );
}

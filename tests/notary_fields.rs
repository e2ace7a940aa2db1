//! No parser differential with notary: a body whose keys Go would fold onto
//! a field (`Delegations`, `delegationſ`, `Keys` with the Kelvin sign, a
//! role's `Threshold`), or that carries a field notary's structs drop
//! (`keyıds` with a dotless i is such a field, not a fold), is refused by
//! `import`, by every signing command and by `verify` — exit 1 (the file is
//! well-formed JSON whose meaning fails the tool's check, the same verdict
//! `verify` gives it), the ceremony directory unchanged. And against the real
//! notary-server and client: such a file, had it been signed, would have
//! meant something else to notary. TUF: folded keys refused, unknown fields kept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod crafted;
use common::*;
use crafted::*;

use ceremony::key::Algorithm;
use ceremony::metadata::Dialect;
use ceremony::metadata::roles::{FileMeta, MetaList};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

const GUN: &str = "registry.example.com/ceremony/fields";
const N: Dialect = Dialect::Notary;

/// An offline Notary ceremony, its export (with a timestamp signed by the
/// test's own timestamp key), and that key.
struct Setup {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    out: PathBuf,
    ts: Held,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let ts = Held::fresh(N, Algorithm::Ed25519);
    let dir = notary_ceremony(tmp.path(), GUN, &ts.meta.public);
    let out = tmp.path().join("out");
    ok(&["-C", s(&dir), "export", s(&out), "--all"]);
    // A timestamp as the server would make it, so verify reads all four.
    let snapshot = std::fs::read(out.join("snapshot.json")).unwrap();
    let mut meta = Map::new();
    meta.insert("snapshot".into(), FileMeta::describe(N, &snapshot, 1));
    let body = MetaList::build(
        N,
        ceremony::metadata::RoleKind::Timestamp,
        1,
        time::OffsetDateTime::now_utc() + time::Duration::days(10),
        meta,
    );
    let unsigned = format!("{{\"signed\":{body},\"signatures\":[]}}");
    std::fs::write(
        out.join("timestamp.json"),
        resign(N, unsigned.as_bytes(), &[&ts], |_| {}),
    )
    .unwrap();
    ok(&["verify", s(&out)]);
    Setup {
        _tmp: tmp,
        dir,
        out,
        ts,
    }
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

/// `verify` on a copy of the export with `files` replaced: exit 1 naming
/// `want`.
fn verify_refuses(su: &Setup, case: &str, files: &[(&str, Vec<u8>)], want: &str) {
    let copy = su.out.parent().unwrap().join(format!("verify-{case}"));
    copy_dir(&su.out, &copy);
    for (name, bytes) in files {
        std::fs::write(copy.join(name), bytes).unwrap();
    }
    let r = fails(1, &["verify", s(&copy)]);
    assert!(r.stderr.contains(want), "{case}: {}", r.stderr);
}

/// Runs `args` in the ceremony: exit 1 naming `want`, nothing changed.
fn ceremony_refuses(dir: &Path, args: &[&str], want: &str) {
    let before = snapshot(dir);
    let mut full = vec!["-C", s(dir)];
    full.extend_from_slice(args);
    let r = fails(1, &full);
    assert!(r.stderr.contains(want), "{args:?}: {}", r.stderr);
    assert!(r.stderr.contains("hint:"), "{args:?}: {}", r.stderr);
    assert_unchanged(dir, &before);
}

/// An edit of a body.
type Edit = Box<dyn Fn(&mut Map<String, Value>)>;

/// Edits that would hand notary another document, with the path the tool
/// must name for each.
fn targets_edits() -> Vec<(&'static str, Edit, String)> {
    let evil = Held::fresh(N, Algorithm::EcdsaP256);
    let evil_id = evil.id.clone();
    let evil_key = evil.meta.object.clone();
    let deleg = move || {
        json!({"keys": {evil_id.clone(): evil_key.clone()},
               "roles": [{"keyids": [evil_id.clone()], "name": "targets/releases", "paths": [""], "threshold": 1}]})
    };
    let d2 = deleg.clone();
    vec![
        (
            "long-s",
            Box::new(move |m: &mut Map<String, Value>| {
                m.insert("delegation\u{17f}".into(), deleg());
            }),
            "signed.delegation\u{17f}: folds to \"delegations\" as Notary reads JSON".into(),
        ),
        (
            "capital",
            Box::new(move |m: &mut Map<String, Value>| {
                m.remove("delegations");
                m.insert("Delegations".into(), d2());
            }),
            "signed.Delegations: folds to \"delegations\"".into(),
        ),
        (
            "deep-threshold",
            Box::new(|m: &mut Map<String, Value>| {
                m["delegations"]["roles"][0]
                    .as_object_mut()
                    .unwrap()
                    .insert("Threshold".into(), json!(2));
            }),
            "signed.delegations.roles[0].Threshold: folds to \"threshold\"".into(),
        ),
        (
            "dotless-i",
            Box::new(|m: &mut Map<String, Value>| {
                m["delegations"]["roles"][0]
                    .as_object_mut()
                    .unwrap()
                    .insert("key\u{131}ds".into(), json!([]));
            }),
            "signed.delegations.roles[0].key\u{131}ds: not a field notary reads".into(),
        ),
        (
            "key-object",
            Box::new(|m: &mut Map<String, Value>| {
                let keys = m["delegations"]["keys"].as_object_mut().unwrap();
                let (_, k) = keys.iter_mut().next().unwrap();
                k["keyval"]
                    .as_object_mut()
                    .unwrap()
                    .insert("Public".into(), json!("AAAA"));
            }),
            ".keyval.Public: folds to \"public\"".into(),
        ),
    ]
}

#[test]
fn folded_and_dropped_keys_in_targets_are_refused_by_import_signing_and_verify() {
    let su = setup();
    let t = held(&su.dir, "t");
    let original = read(&su.dir.join("metadata/targets.json"));
    for (case, edit, want) in targets_edits() {
        let crafted = resign(N, &original, &[&t], |m| {
            m.insert("version".into(), json!(2));
            edit(m);
        });
        // verify: the same bytes, properly signed, are not trusted.
        verify_refuses(&su, case, &[("targets.json", crafted.clone())], &want);
        // import: a bundle from the online side carrying it.
        let b = bundle(
            &su.dir.parent().unwrap().join(format!("bundle-{case}")),
            &[("targets.json", crafted.clone())],
        );
        ceremony_refuses(&su.dir, &["import", s(&b)], &want);
        // The signing commands, with the body staged by an older tool.
        let staged = su.dir.join("staged/targets.json");
        std::fs::create_dir_all(staged.parent().unwrap()).unwrap();
        let body = ceremony::metadata::Envelope::parse(&crafted)
            .unwrap()
            .signed;
        std::fs::write(&staged, serde_json::to_vec(&body).unwrap()).unwrap();
        ceremony_refuses(&su.dir, &["targets", "sign"], &want);
        ceremony_refuses(&su.dir, &["delegation", "list"], &want);
        ceremony_refuses(
            &su.dir,
            &["delegation", "add", "targets/qa", "--key", "rel"],
            &want,
        );
        std::fs::remove_file(&staged).unwrap();
        // A signed targets file with it: nothing builds on it.
        let kept = su.dir.join("metadata/targets.json");
        std::fs::write(&kept, &crafted).unwrap();
        ceremony_refuses(&su.dir, &["snapshot", "sign"], &want);
        ceremony_refuses(&su.dir, &["export", s(&su.dir.join("x"))], &want);
        std::fs::write(&kept, &original).unwrap();
    }
}

#[test]
fn folded_keys_in_root_delegated_snapshot_and_timestamp_bodies_are_refused() {
    let su = setup();
    let a = held(&su.dir, "a");
    let rel = held(&su.dir, "rel");
    let sn = held(&su.dir, "s");
    // root: the Kelvin sign K in Keys, at the top of the body.
    let root = resign(N, &read(&su.out.join("root.json")), &[&a], |m| {
        m.insert("\u{212a}eys".into(), json!({}));
    });
    verify_refuses(
        &su,
        "root",
        &[("root.json", root.clone()), ("1.root.json", root)],
        "signed.\u{212a}eys: folds to \"keys\"",
    );
    // root: a field root roles do not have in notary.
    let root = resign(N, &read(&su.out.join("root.json")), &[&a], |m| {
        m["roles"]["targets"]
            .as_object_mut()
            .unwrap()
            .insert("paths".into(), json!([""]));
    });
    verify_refuses(
        &su,
        "root-role",
        &[("root.json", root.clone()), ("1.root.json", root)],
        "signed.roles[\"targets\"].paths: not a field notary reads",
    );
    // A delegated role: Targets beside targets.
    let releases = su.dir.join("metadata/targets/releases.json");
    let original = read(&releases);
    let crafted = resign(N, &original, &[&rel], |m| {
        m.insert("Targets".into(), json!({}));
    });
    let want = "signed.Targets: folds to \"targets\"";
    verify_refuses(
        &su,
        "delegated",
        &[("targets/releases.json", crafted.clone())],
        want,
    );
    std::fs::write(&releases, &crafted).unwrap();
    ceremony_refuses(
        &su.dir,
        &["targets", "sign", "--role", "targets/releases"],
        want,
    );
    ceremony_refuses(&su.dir, &["snapshot", "sign"], want);
    std::fs::write(&releases, &original).unwrap();
    // snapshot: a file description's Length.
    let kept = su.dir.join("metadata/snapshot.json");
    let original = read(&kept);
    let crafted = resign(N, &original, &[&sn], |m| {
        m["meta"]["targets"]
            .as_object_mut()
            .unwrap()
            .insert("Length".into(), json!(1));
    });
    let want = "signed.meta[\"targets\"].Length: folds to \"length\"";
    verify_refuses(&su, "snapshot", &[("snapshot.json", crafted.clone())], want);
    std::fs::write(&kept, &crafted).unwrap();
    ceremony_refuses(&su.dir, &["snapshot", "sign"], want);
    std::fs::write(&kept, &original).unwrap();
    // timestamp: Version at the top.
    let crafted = resign(N, &read(&su.out.join("timestamp.json")), &[&su.ts], |m| {
        m.insert("Version".into(), json!(7));
    });
    verify_refuses(
        &su,
        "timestamp",
        &[("timestamp.json", crafted)],
        "signed.Version: folds to \"version\"",
    );
}

#[test]
fn a_staged_root_with_a_folded_key_is_not_signed() {
    let su = setup();
    let d = s(&su.dir);
    let b = ok(&["-C", d, "key", "generate", "--role", "root", "--label", "b"]).last_line();
    ok(&["-C", d, "root", "rotate", "--add-key", &b]);
    let staged = su.dir.join("staged/root.json");
    let crafted = resign(N, &read(&staged), &[], |m| {
        m.insert("ROLES".into(), json!({}));
    });
    std::fs::write(&staged, crafted).unwrap();
    ceremony_refuses(
        &su.dir,
        &["root", "sign", "--yes"],
        "signed.ROLES: folds to \"roles\"",
    );
}

#[test]
fn server_key_files_with_folded_fields_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    ok(&["init", s(&dir), "--dialect", "notary", "--gun", GUN]);
    let key = Held::fresh(N, Algorithm::Ed25519);
    let other = Held::fresh(N, Algorithm::Ed25519);
    let mut obj = key.meta.object.clone();
    obj["keyval"].as_object_mut().unwrap().insert(
        "Public".into(),
        other.meta.object["keyval"]["public"].clone(),
    );
    let kelvin = json!({"\u{212a}eytype": "ed25519", "keytype": "ed25519", "keyval": key.meta.object["keyval"]});
    for (case, v, want) in [
        ("public", obj, "key.keyval.Public: folds to \"public\""),
        ("kelvin", kelvin, "key.\u{212a}eytype: folds to \"keytype\""),
    ] {
        let bytes = serde_json::to_vec(&v).unwrap();
        let b = bundle(
            &tmp.path().join(format!("keys-{case}")),
            &[("timestamp.key", bytes.clone())],
        );
        ceremony_refuses(&dir, &["import", s(&b)], want);
        let f = tmp.path().join(format!("{case}.key"));
        std::fs::write(&f, &bytes).unwrap();
        ceremony_refuses(&dir, &["key", "import", "--role", "timestamp", s(&f)], want);
    }
}

/// The reason for all of the above, shown with the real notary: a targets
/// file whose `delegationſ` names an attacker's key for targets/releases,
/// signed properly with the ceremony's own targets key, is accepted by
/// notary-server, and the real client lists the attacker's key — while the
/// tool sees no delegation at all in `delegations` and refuses the file.
#[test]
fn notary_reads_delegation_long_s_as_delegations() {
    if !need_peer("notary-server", "Debian package notary (notary-server)")
        || !need_peer("notary", "Debian package notary (notary client)")
    {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = published_notary(&srv, tmp.path(), GUN);

    // The online side's targets v2: delegations stays empty, delegationſ
    // holds the attacker's key. Signed here as the tool would have signed
    // it, then a snapshot over it.
    let evil = Held::fresh(N, Algorithm::EcdsaP256);
    let t = held(&dir, "t");
    let sn = held(&dir, "s");
    let targets = resign(N, &read(&out.join("targets.json")), &[&t], |m| {
        m.insert("version".into(), json!(2));
        m.insert(
            "delegation\u{17f}".into(),
            json!({"keys": {evil.id.clone(): evil.meta.object.clone()},
                   "roles": [{"keyids": [evil.id.clone()], "name": "targets/releases",
                              "paths": [""], "threshold": 1}]}),
        );
    });
    let root = read(&out.join("root.json"));
    let snapshot = resign(N, &read(&out.join("snapshot.json")), &[&sn], |m| {
        m.insert("version".into(), json!(2));
        let mut meta = Map::new();
        meta.insert("root".into(), FileMeta::describe(N, &root, 0));
        meta.insert("targets".into(), FileMeta::describe(N, &targets, 0));
        m.insert("meta".into(), Value::Object(meta));
    });
    let (status, text) = srv.publish(
        GUN,
        &[
            ("targets.json".into(), targets.clone()),
            ("snapshot.json".into(), snapshot.clone()),
        ],
    );
    assert_eq!(
        status, 200,
        "notary-server refused the crafted file: {text}"
    );

    // Half one: the real client sees the attacker's key.
    let trust = tmp.path().join("trust");
    let (code, listed) = notary(&["-s", &srv.url(), "-d", s(&trust), "delegation", "list", GUN]);
    assert_eq!(code, 0, "notary delegation list: {listed}");
    assert!(
        listed.contains("targets/releases") && listed.contains(&evil.id),
        "notary did not read delegationſ as delegations:\n{listed}"
    );

    // Half two: the tool refuses the same bytes, in verify and in import.
    let copy = tmp.path().join("served");
    copy_dir(&out, &copy);
    std::fs::write(copy.join("targets.json"), &targets).unwrap();
    std::fs::write(copy.join("snapshot.json"), &snapshot).unwrap();
    let want = "signed.delegation\u{17f}: folds to \"delegations\" as Notary reads JSON";
    let r = fails(1, &["verify", s(&copy)]);
    assert!(r.stderr.contains(want), "{}", r.stderr);
    let b = bundle(&tmp.path().join("bundle"), &[("targets.json", targets)]);
    ceremony_refuses(&dir, &["import", s(&b)], want);
}

/// TUF keeps unknown fields (python-tuf and tough do; the spec allows
/// them), but go-tuf folds keys as notary does: a key that folds to a TUF
/// field without being it is refused, a plainly unknown one is kept and
/// signed.
#[test]
fn tuf_refuses_folded_keys_and_keeps_unknown_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    tuf_root(&dir);
    let d = s(&dir);
    ok(&["-C", d, "targets", "sign"]);
    let current = read(&dir.join("metadata/targets.json"));
    let folded = resign(Dialect::Tuf, &current, &[], |m| {
        m.insert("Delegations".into(), json!({"keys": {}, "roles": []}));
    });
    let b = bundle(&tmp.path().join("folded"), &[("targets.json", folded)]);
    ceremony_refuses(
        &dir,
        &["import", s(&b)],
        "signed.Delegations: folds to \"delegations\" as Go TUF clients (go-tuf) read JSON",
    );
    let unknown = resign(Dialect::Tuf, &current, &[], |m| {
        m.insert("x-release-note".into(), json!({"Version": "kept as is"}));
    });
    let b = bundle(&tmp.path().join("unknown"), &[("targets.json", unknown)]);
    ok(&["-C", d, "import", s(&b)]);
    ok(&["-C", d, "targets", "sign"]);
    ok(&["-C", d, "snapshot", "sign"]);
    ok(&["-C", d, "timestamp", "sign"]);
    let out = tmp.path().join("out");
    ok(&["-C", d, "export", s(&out)]);
    let signed: Value = serde_json::from_slice(&read(&out.join("2.targets.json"))).unwrap();
    assert_eq!(signed["signed"]["x-release-note"]["Version"], "kept as is");
    ok(&["verify", s(&out)]);
}

/// The envelope around the body: Go would read `Signatures` and a
/// signature's `KeyID` too; the tool takes neither and says why.
#[test]
fn folded_envelope_and_signature_fields_are_named() {
    let su = setup();
    let original = read(&su.out.join("targets.json"));
    let mut v: Value = serde_json::from_slice(&original).unwrap();
    v["Signatures"] = json!([]);
    verify_refuses(
        &su,
        "envelope",
        &[("targets.json", serde_json::to_vec(&v).unwrap())],
        "unexpected top-level field \"Signatures\" (folds to \"signatures\" as Go reads JSON)",
    );
    let mut v: Value = serde_json::from_slice(&original).unwrap();
    v["signatures"][0]["KeyID"] = json!("00");
    verify_refuses(
        &su,
        "signature",
        &[("targets.json", serde_json::to_vec(&v).unwrap())],
        "unexpected field \"KeyID\" in a signature (folds to \"keyid\" as Go reads JSON)",
    );
}

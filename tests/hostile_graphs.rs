//! TUF delegation graphs that are hostile only in their shape: every file
//! is properly signed, but roles delegate to themselves, to each other, to
//! a depth no client follows, or more times than any repository needs.
//! `verify` walks each role once (a visited set, as clients keep) and
//! bounds the depth as python-tuf 7 does (`max_delegations` = 32), in
//! under 2 s and a 2 GiB address space. python-tuf's own client reads the
//! same repositories, to show where the verdicts come from.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod hostile_common;

use ceremony::key::Algorithm;
use ceremony::key::private::PrivateKey;
use ceremony::metadata::keys::MetaKey;
use ceremony::metadata::roles::{FileMeta, MetaList};
use ceremony::metadata::root::{RoleKeys, Root};
use ceremony::metadata::{Dialect, Envelope, RoleKind, TUF_SPEC_VERSION, format_time};
use common::*;
use hostile_common::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use time::{Duration, OffsetDateTime};

const D: Dialect = Dialect::Tuf;

struct Key {
    key: PrivateKey,
    meta: MetaKey,
}

impl Key {
    fn new() -> Key {
        let key = PrivateKey::generate(Algorithm::Ed25519);
        let meta = MetaKey::from_public(D, &key.public()).unwrap();
        Key { key, meta }
    }
    fn id(&self) -> String {
        self.meta.id(D)
    }
}

fn sign(body: Value, by: &Key) -> Vec<u8> {
    let mut env = Envelope {
        signed: body,
        signatures: Vec::new(),
    };
    ceremony::signature::sign(D, &mut env, &by.id(), &by.meta, &by.key).unwrap();
    env.to_bytes(D)
}

/// One delegation: `parent` delegates `child` for `paths`; `other_key`
/// names a key that does not sign `child` (every delegated role is signed
/// by the one delegation key otherwise).
struct Edge<'a> {
    parent: &'a str,
    child: &'a str,
    paths: &'a [&'a str],
    other_key: bool,
}

fn edge<'a>(parent: &'a str, child: &'a str) -> Edge<'a> {
    Edge {
        parent,
        child,
        paths: &["*"],
        other_key: false,
    }
}

/// Writes a TUF repository (consistent snapshots) into `dir`: root,
/// timestamp, snapshot, targets and one file per delegated role of
/// `edges`, each role holding the target `<role>.txt`.
fn tuf_repo(dir: &Path, edges: &[Edge<'_>]) {
    tuf_repo_with(dir, edges, true);
}

/// [`tuf_repo`]; without `leaves`, roles that delegate nothing get no file.
fn tuf_repo_with(dir: &Path, edges: &[Edge<'_>], leaves: bool) {
    std::fs::create_dir_all(dir).unwrap();
    let (rk, tk, sk, tsk, dk, ek) = (
        Key::new(),
        Key::new(),
        Key::new(),
        Key::new(),
        Key::new(),
        Key::new(),
    );
    let expires = OffsetDateTime::now_utc() + Duration::days(30);
    let mut keys = BTreeMap::new();
    let mut roles = BTreeMap::new();
    for (role, k) in [
        ("root", &rk),
        ("targets", &tk),
        ("snapshot", &sk),
        ("timestamp", &tsk),
    ] {
        keys.insert(k.id(), k.meta.clone());
        roles.insert(
            role.to_string(),
            RoleKeys {
                keyids: vec![k.id()],
                threshold: 1,
            },
        );
    }
    let root = sign(Root::build(D, 1, expires, &keys, &roles), &rk);
    std::fs::write(dir.join("1.root.json"), &root).unwrap();

    let mut names: Vec<&str> = vec!["targets"];
    let mut seen: std::collections::BTreeSet<&str> = names.iter().copied().collect();
    let parents: std::collections::BTreeSet<&str> = edges.iter().map(|e| e.parent).collect();
    for e in edges {
        let leaf = !parents.contains(e.child);
        for n in [e.parent, e.child] {
            if (leaves || n != e.child || !leaf) && seen.insert(n) {
                names.push(n);
            }
        }
    }
    let mut snapshot_meta = Map::new();
    for name in &names {
        let mine: Vec<&Edge> = edges.iter().filter(|e| e.parent == *name).collect();
        let mut body = json!({
            "_type": "targets",
            "spec_version": TUF_SPEC_VERSION,
            "version": 1,
            "expires": format_time(expires),
            "targets": {
                format!("{name}.txt"): {
                    "length": 4,
                    "hashes": {"sha256": ceremony::transfer::sha256_hex(b"data")},
                },
            },
        });
        if !mine.is_empty() {
            let listed: Vec<Value> = mine
                .iter()
                .map(|e| {
                    json!({
                        "name": e.child,
                        "keyids": [if e.other_key { ek.id() } else { dk.id() }],
                        "threshold": 1,
                        "terminating": false,
                        "paths": e.paths,
                    })
                })
                .collect();
            body["delegations"] = json!({
                "keys": {dk.id(): dk.meta.object.clone(), ek.id(): ek.meta.object.clone()},
                "roles": listed,
            });
        }
        let bytes = sign(body, if *name == "targets" { &tk } else { &dk });
        std::fs::write(dir.join(format!("1.{name}.json")), &bytes).unwrap();
        snapshot_meta.insert(format!("{name}.json"), FileMeta::describe(D, &bytes, 1));
    }
    let snapshot = sign(
        MetaList::build(D, RoleKind::Snapshot, 1, expires, snapshot_meta),
        &sk,
    );
    std::fs::write(dir.join("1.snapshot.json"), &snapshot).unwrap();
    let mut ts_meta = Map::new();
    ts_meta.insert("snapshot.json".into(), FileMeta::describe(D, &snapshot, 1));
    let timestamp = sign(
        MetaList::build(D, RoleKind::Timestamp, 1, expires, ts_meta),
        &tsk,
    );
    std::fs::write(dir.join("timestamp.json"), &timestamp).unwrap();
}

/// What python-tuf's client finds for `targets` in the repository at
/// `dir`: `found X` / `missing X` lines, or Err with why it refused.
fn python_tuf(dir: &Path, targets: &[&str]) -> Option<Result<String, String>> {
    if !need_python_tuf() {
        return None;
    }
    let out = Command::new("python3")
        .arg(data("tuf_lookup.py"))
        .arg(dir)
        .args(targets)
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    Some(if out.status.success() {
        Ok(stdout)
    } else {
        Err(stderr)
    })
}

#[test]
fn a_role_delegating_to_itself_is_walked_once() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    tuf_repo(&repo, &[edge("targets", "a"), edge("a", "a")]);
    // Exit 0: the spec and python-tuf skip a visited role, so the cycle is
    // no reason to distrust the repository; it is named in a note.
    let r = hostile(&["verify", s(&repo)], 0, "a delegates to itself");
    assert!(r.stdout.contains("1.a.json"), "{}", r.stdout);
    if let Some(py) = python_tuf(&repo, &["a.txt", "nothing.txt"]) {
        let py = py.unwrap();
        assert!(
            py.contains("found a.txt") && py.contains("missing nothing.txt"),
            "{py}"
        );
    }
}

#[test]
fn a_two_role_cycle_is_walked_once() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    tuf_repo(
        &repo,
        &[edge("targets", "a"), edge("a", "b"), edge("b", "a")],
    );
    // Exit 0: a and b each checked once; b's delegation back to a is met
    // by a's file too, and noted.
    let r = hostile(&["verify", s(&repo)], 0, "a is delegated again by b");
    assert!(
        r.stdout.contains("1.a.json") && r.stdout.contains("1.b.json"),
        "{}",
        r.stdout
    );
    if let Some(py) = python_tuf(&repo, &["b.txt", "nothing.txt"]) {
        let py = py.unwrap();
        assert!(
            py.contains("found b.txt") && py.contains("missing nothing.txt"),
            "{py}"
        );
    }
}

#[test]
fn a_role_reached_twice_must_meet_both_delegations() {
    let _turn = serial();
    // targets → a only for a.txt; targets → b → a for everything, with a
    // key that does not sign a. A client looking for another target comes
    // to a through b, and refuses it.
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    tuf_repo(
        &repo,
        &[
            Edge {
                parent: "targets",
                child: "a",
                paths: &["a.txt"],
                other_key: false,
            },
            edge("targets", "b"),
            Edge {
                parent: "b",
                child: "a",
                paths: &["*"],
                other_key: true,
            },
        ],
    );
    // Exit 1: a's file does not meet b's delegation.
    hostile(&["verify", s(&repo)], 1, "b also delegates a");
    if let Some(py) = python_tuf(&repo, &["elsewhere.txt"]) {
        let why = py.expect_err("python-tuf should refuse a reached through b");
        assert!(why.contains("python-tuf refused"), "{why}");
    }
}

#[test]
fn a_chain_deeper_than_clients_follow_is_not_trusted_below_their_limit() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let names: Vec<String> = (1..=40).map(|i| format!("d{i}")).collect();
    let mut edges = vec![edge("targets", &names[0])];
    for w in names.windows(2) {
        edges.push(edge(&w[0], &w[1]));
    }
    tuf_repo(&repo, &edges);
    // Exit 1: d33 is 33 delegations below targets; python-tuf follows at
    // most 32, so no client loads it (or anything below it).
    let r = hostile(
        &["verify", s(&repo)],
        1,
        "d33 is 33 delegations below targets",
    );
    assert!(
        r.stdout.contains("ok    1.d32.json") && !r.stdout.contains("1.d34.json"),
        "{}",
        r.stdout
    );
    if let Some(py) = python_tuf(&repo, &["d32.txt", "d33.txt", "d40.txt"]) {
        let py = py.unwrap();
        assert!(
            py.contains("found d32.txt")
                && py.contains("missing d33.txt")
                && py.contains("missing d40.txt"),
            "{py}"
        );
    }
}

#[test]
fn a_delegation_to_a_top_level_name_is_refused() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    tuf_repo(&repo, &[edge("targets", "a"), edge("a", "snapshot")]);
    // Exit 1: python-tuf refuses such a file outright.
    hostile(&["verify", s(&repo)], 1, "top-level role");
    if let Some(py) = python_tuf(&repo, &["nothing.txt"]) {
        assert!(py.is_err(), "python-tuf took a delegation to snapshot");
    }
}

#[test]
fn more_delegations_than_the_tool_walks_are_refused() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let names: Vec<String> = (0..=ceremony::signature::verify::MAX_DELEGATIONS)
        .map(|i| format!("bin-{i}"))
        .collect();
    let edges: Vec<Edge> = names.iter().map(|n| edge("targets", n)).collect();
    // targets.json names 16,385 roles (no file for any of them).
    tuf_repo_with(&repo, &edges, false);
    // Exit 2: beyond what this tool walks; it says so rather than guess.
    hostile(&["verify", s(&repo)], 2, "beyond what this tool walks");
}

//! A dishonest coordinator (or anyone between her and a keyholder) edits a
//! signing request. The holder's tool derives what it shows from the body,
//! checks the history against the root the holder trusts, recomputes every
//! claim, and refuses what does not agree; a change that is what the body
//! really says is shown as it is. Honest requests still make a chain
//! python-tuf accepts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A holder's own machine: a TUF ceremony directory with one root key.
/// Returns (public key file, age key file, key ID).
fn holder(tmp: &Path, name: &str) -> (PathBuf, PathBuf, String) {
    let dir = tmp.join(name);
    ok(&["init", s(&dir), "--dialect", "tuf"]);
    let id = ok(&[
        "-C",
        s(&dir),
        "key",
        "generate",
        "--role",
        "root",
        "--label",
        name,
    ])
    .last_line();
    let public = tmp.join(format!("{name}.pub.json"));
    ok(&["-C", s(&dir), "key", "export-public", &id, s(&public)]);
    (public, dir.join(format!("keys/{id}.age")), id)
}

struct Tuf {
    tmp: tempfile::TempDir,
    coord: PathBuf,
    k1: PathBuf,
    k2: PathBuf,
    id1: String,
    id2: String,
    /// Root version 1 as published: what the holders trust.
    v1: PathBuf,
    /// The coordinator's honest request for version 2.
    req2: PathBuf,
}

/// A TUF repository whose 2-of-2 root keys sit at two holders' machines,
/// version 1 signed by request, and an honest request for version 2 (a new
/// expiry).
fn tuf_two_of_two() -> Tuf {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (p1, k1, id1) = holder(t, "h1");
    let (p2, k2, id2) = holder(t, "h2");
    let coord = t.join("coord");
    ok(&["init", s(&coord), "--dialect", "tuf"]);
    let d = s(&coord);
    for (p, n) in [(&p1, "h1"), (&p2, "h2")] {
        import_key(d, "root", n, p);
    }
    for role in ["targets", "snapshot", "timestamp"] {
        ok(&["-C", d, "key", "generate", "--role", role]);
    }
    root_init(
        d,
        &["h1", "h2"],
        Some("2"),
        "targets-1",
        "snapshot-1",
        "timestamp-1",
    );
    let req1 = t.join("req1.json");
    ok(&["-C", d, "request", "create", s(&req1)]);
    let a = t.join("req1-a.json");
    let b = t.join("req1-b.json");
    ok(&[
        "--yes",
        "request",
        "sign",
        "--trust-on-first-use",
        s(&req1),
        "--key-file",
        s(&k1),
        "--out",
        s(&a),
    ]);
    ok(&[
        "--yes",
        "request",
        "sign",
        "--trust-on-first-use",
        s(&a),
        "--key-file",
        s(&k2),
        "--out",
        s(&b),
    ]);
    ok(&["-C", d, "request", "merge", s(&b)]);
    let v1 = t.join("trusted-1.root.json");
    std::fs::copy(coord.join("root/1.root.json"), &v1).unwrap();
    ok(&["-C", d, "root", "rotate", "--expires", "2y"]);
    let req2 = t.join("req2.json");
    ok(&["-C", d, "request", "create", s(&req2)]);
    Tuf {
        tmp,
        coord,
        k1,
        k2,
        id1,
        id2,
        v1,
        req2,
    }
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// The digest a forger recomputes so the request's own check passes.
fn redigest(req: &mut Value) {
    let canonical = ceremony::metadata::json::canonical(&req["signed"]);
    req["digest"] = json!(ceremony::transfer::sha256_hex(&canonical));
}

/// The claims a careful forger recomputes so they agree with the body:
/// keys = root keys of the previous and the new root, thresholds of both.
fn reclaim(req: &mut Value) {
    let history = req["history"].as_array().unwrap();
    let prev_file = STANDARD
        .decode(history.last().unwrap()["file"].as_str().unwrap())
        .unwrap();
    let prev: Value = serde_json::from_slice(&prev_file).unwrap();
    let prev = &prev["signed"];
    let next = req["signed"].clone();
    let mut keys = serde_json::Map::new();
    for r in [prev, &next] {
        for id in r["roles"]["root"]["keyids"].as_array().unwrap() {
            let id = id.as_str().unwrap();
            keys.insert(id.to_string(), r["keys"][id].clone());
        }
    }
    req["keys"] = Value::Object(keys);
    req["version"] = next["version"].clone();
    req["thresholds"] = json!([
        {"name": format!("previous root (version {})", prev["version"]),
         "keyids": prev["roles"]["root"]["keyids"], "threshold": prev["roles"]["root"]["threshold"]},
        {"name": format!("new root (version {})", next["version"]),
         "keyids": next["roles"]["root"]["keyids"], "threshold": next["roles"]["root"]["threshold"]},
    ]);
}

fn write(p: &Path, v: &Value) {
    std::fs::write(p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// An attacker's own Ed25519 root key object and ID (TUF form).
fn attacker_key(t: &Path) -> (Value, String) {
    let (public, _, id) = holder(t, "mallory");
    (read_json(&public), id)
}

/// The body made into a single attacker root key with threshold 1.
fn one_person_root(req: &mut Value, key: &Value, id: &str) {
    let signed = &mut req["signed"];
    signed["keys"][id] = key.clone();
    signed["roles"]["root"] = json!({"keyids": [id], "threshold": 1});
}

fn sign_args<'a>(req: &'a Path, trusted: &'a Path, key: &'a Path, out: &'a Path) -> Vec<&'a str> {
    vec![
        "--yes",
        "request",
        "sign",
        "--trusted-root",
        s(trusted),
        s(req),
        "--key-file",
        s(key),
        "--out",
        s(out),
    ]
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

fn words_line(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("words:"))
        .unwrap_or("")
        .trim()
        .to_string()
}

#[test]
fn an_honest_rotation_is_shown_from_the_bodies_and_python_tuf_accepts_the_merge() {
    if !need_python_tuf() {
        return;
    }
    let f = tuf_two_of_two();
    let t = f.tmp.path();
    let shown = ok(&["request", "show", s(&f.req2), "--trusted-root", s(&f.v1)]);
    let words = words_line(&shown.stdout);
    assert_eq!(words.split(' ').count(), 12, "{}", shown.stdout);
    assert!(
        shown
            .stdout
            .contains("chain: checked against root version 1")
            && shown.stdout.contains("root: threshold 2 -> 2 (unchanged)")
            && shown.stdout.contains(&format!("= keeps {}", f.id1))
            && shown.stdout.contains(&format!("= keeps {}", f.id2))
            && !shown.stdout.contains("+ adds")
            && !shown.stdout.contains("- removes"),
        "{}",
        shown.stdout
    );
    let a = t.join("req2-a.json");
    let b = t.join("req2-b.json");
    let r = ok(&sign_args(&f.req2, &f.v1, &f.k1, &a));
    assert_eq!(words_line(&r.stdout), words, "sign shows the same words");
    ok(&sign_args(&f.req2, &f.v1, &f.k2, &b));
    // Each signed copy records what it was checked against and how.
    let rec = read_json(&a)["records"][0].clone();
    assert!(
        rec["checked_against"]
            .as_str()
            .unwrap()
            .contains("root version 1")
            && rec["confirmed"].as_str().unwrap().contains("--yes"),
        "{rec}"
    );
    let d = s(&f.coord);
    ok(&["-C", d, "request", "merge", s(&a), s(&b)]);
    assert!(f.coord.join("root/2.root.json").exists());
    for role in ["targets", "snapshot", "timestamp"] {
        ok(&["-C", d, role, "sign"]);
    }
    let out = t.join("out");
    ok(&["-C", d, "export", s(&out)]);
    let (passed, text) = python_tuf(&out);
    assert!(passed, "python-tuf refused the honest rotation:\n{text}");
}

#[test]
fn keys_and_threshold_changed_with_the_digest_recomputed_are_refused() {
    let f = tuf_two_of_two();
    let t = f.tmp.path();
    let (key, id) = attacker_key(t);
    let mut v = read_json(&f.req2);
    one_person_root(&mut v, &key, &id);
    redigest(&mut v);
    let forged = t.join("forged.json");
    write(&forged, &v);
    let out = t.join("forged-signed.json");
    let r = fails(1, &sign_args(&forged, &f.v1, &f.k1, &out));
    assert!(
        r.stderr.contains("not the roots' root keys"),
        "{}",
        r.stderr
    );
    assert!(!out.exists(), "nothing may be written");
    fails(
        1,
        &["request", "show", s(&forged), "--trusted-root", s(&f.v1)],
    );
    // Only the threshold changed (keys left alone): the claimed "2 of 2"
    // no longer matches the body's 1.
    let mut v = read_json(&f.req2);
    v["signed"]["roles"]["root"]["threshold"] = json!(1);
    redigest(&mut v);
    write(&forged, &v);
    let r = fails(1, &sign_args(&forged, &f.v1, &f.k1, &out));
    assert!(
        r.stderr.contains("thresholds are not the roots'")
            && r.stderr.contains("new root (version 2): 1 of 2"),
        "{}",
        r.stderr
    );
    assert!(!out.exists());
}

#[test]
fn a_forgery_whose_claims_agree_is_shown_as_what_it_is() {
    let f = tuf_two_of_two();
    let t = f.tmp.path();
    let honest = ok(&["request", "show", s(&f.req2), "--trusted-root", s(&f.v1)]);
    let (key, id) = attacker_key(t);
    let mut v = read_json(&f.req2);
    one_person_root(&mut v, &key, &id);
    redigest(&mut v);
    reclaim(&mut v);
    let forged = t.join("forged.json");
    write(&forged, &v);
    let r = ok(&["request", "show", s(&forged), "--trusted-root", s(&f.v1)]);
    // What the holder reads is the body's truth: one new key, both old keys
    // gone, threshold down to 1 — and other words than the honest request.
    assert!(
        r.stdout.contains(&format!("+ adds {id}"))
            && r.stdout.contains(&format!("- removes {}", f.id1))
            && r.stdout.contains(&format!("- removes {}", f.id2))
            && r.stdout.contains("root: threshold 2 -> 1")
            && r.stdout.contains("new root (version 2): 0 of 1 needed"),
        "{}",
        r.stdout
    );
    assert_ne!(words_line(&r.stdout), words_line(&honest.stdout));
}

#[test]
fn a_body_that_is_not_a_root_is_refused() {
    let f = tuf_two_of_two();
    let t = f.tmp.path();
    let d = s(&f.coord);
    ok(&["-C", d, "targets", "sign"]);
    let targets = read_json(&f.coord.join("metadata/targets.json"));
    let out = t.join("x-signed.json");
    let forged = t.join("forged.json");
    // A targets body in a root request, claims and digest made to agree.
    let mut v = read_json(&f.req2);
    v["signed"] = targets["signed"].clone();
    v["version"] = v["signed"]["version"].clone();
    redigest(&mut v);
    write(&forged, &v);
    let r = fails(1, &sign_args(&forged, &f.v1, &f.k1, &out));
    assert!(
        r.stderr.contains("not a root") && r.stderr.contains("\"targets\""),
        "{}",
        r.stderr
    );
    // The same body claiming to be a targets request.
    v["role"] = json!("targets");
    write(&forged, &v);
    let r = fails(1, &sign_args(&forged, &f.v1, &f.k1, &out));
    assert!(r.stderr.contains("not a root"), "{}", r.stderr);
    // A targets body relabelled `_type: root`: not a valid root.
    let mut v = read_json(&f.req2);
    let mut body = targets["signed"].clone();
    body["_type"] = json!("root");
    body["version"] = json!(2);
    v["signed"] = body;
    redigest(&mut v);
    write(&forged, &v);
    let r = fails(1, &sign_args(&forged, &f.v1, &f.k1, &out));
    assert!(r.stderr.contains("the body to sign"), "{}", r.stderr);
    // A root body with `role` claiming targets.
    let mut v = read_json(&f.req2);
    v["role"] = json!("targets");
    write(&forged, &v);
    let r = fails(1, &sign_args(&forged, &f.v1, &f.k1, &out));
    assert!(r.stderr.contains("role \"targets\""), "{}", r.stderr);
    assert!(!out.exists());
}

#[test]
fn version_skip_and_rollback_are_refused() {
    let f = tuf_two_of_two();
    let t = f.tmp.path();
    let out = t.join("x-signed.json");
    let forged = t.join("forged.json");
    for (version, says) in [(3u64, "version skip"), (1, "rollback or a replay")] {
        let mut v = read_json(&f.req2);
        v["signed"]["version"] = json!(version);
        redigest(&mut v);
        reclaim(&mut v);
        write(&forged, &v);
        let r = fails(1, &sign_args(&forged, &f.v1, &f.k1, &out));
        assert!(r.stderr.contains(says), "version {version}: {}", r.stderr);
    }
    assert!(!out.exists());
}

#[test]
fn claims_that_disagree_with_the_body_are_refused_each_by_name() {
    let f = tuf_two_of_two();
    let t = f.tmp.path();
    let (key, id) = attacker_key(t);
    let out = t.join("x-signed.json");
    let forged = t.join("forged.json");
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "version",
            Box::new(|v| v["version"] = json!(7)),
            "says version 7",
        ),
        (
            "threshold",
            Box::new(|v| v["thresholds"][1]["threshold"] = json!(1)),
            "thresholds are not the roots'",
        ),
        (
            "threshold keys",
            Box::new(|v| {
                v["thresholds"][0]["keyids"]
                    .as_array_mut()
                    .unwrap()
                    .truncate(1)
            }),
            "thresholds are not the roots'",
        ),
        (
            "an extra key",
            Box::new(move |v| v["keys"][&id] = key.clone()),
            "listed but not root keys",
        ),
        (
            "a missing key",
            Box::new(|v| {
                let first = v["keys"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .next()
                    .unwrap()
                    .clone();
                v["keys"].as_object_mut().unwrap().remove(&first);
            }),
            "root keys not listed",
        ),
        (
            "a GUN on a TUF root",
            Box::new(|v| v["gun"] = json!("example.com/x")),
            "names a GUN",
        ),
    ];
    for (what, edit, says) in cases {
        let mut v = read_json(&f.req2);
        edit(&mut v);
        write(&forged, &v);
        let r = fails(1, &sign_args(&forged, &f.v1, &f.k1, &out));
        assert!(r.stderr.contains(says), "{what}: {}", r.stderr);
        assert!(!out.exists(), "{what}");
    }
    // A body changed without recomputing the digest is refused on reading.
    let mut v = read_json(&f.req2);
    v["signed"]["expires"] = json!("2099-01-01T00:00:00Z");
    write(&forged, &v);
    let r = fails(1, &sign_args(&forged, &f.v1, &f.k1, &out));
    assert!(
        r.stderr.contains("does not match its digest"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_chain_that_does_not_reach_the_trusted_root_is_refused() {
    let f = tuf_two_of_two();
    let other = tuf_two_of_two();
    let t = f.tmp.path();
    let out = t.join("x-signed.json");
    // The holder trusts another repository's root.
    let r = fails(1, &sign_args(&f.req2, &other.v1, &f.k1, &out));
    assert!(r.stderr.contains("does not continue"), "{}", r.stderr);
    // The request's history is another repository's version 1.
    let mut v = read_json(&f.req2);
    v["history"] = read_json(&other.req2)["history"].clone();
    let forged = t.join("forged.json");
    write(&forged, &v);
    let r = fails(1, &sign_args(&forged, &f.v1, &f.k1, &out));
    assert!(r.stderr.contains("forked history"), "{}", r.stderr);
    // The holder already trusts a newer root than the request rotates from.
    let d = s(&f.coord);
    let a = t.join("a.json");
    let b = t.join("b.json");
    ok(&sign_args(&f.req2, &f.v1, &f.k1, &a));
    ok(&sign_args(&a, &f.v1, &f.k2, &b));
    ok(&["-C", d, "request", "merge", s(&b)]);
    let v2 = f.coord.join("root/2.root.json");
    let r = fails(1, &sign_args(&f.req2, &v2, &f.k1, &out));
    assert!(r.stderr.contains("stale"), "{}", r.stderr);
    // A first-version request when the holder trusts an existing root.
    let other_v1_request = other.tmp.path().join("req1.json");
    let r = fails(
        1,
        &[
            "request",
            "show",
            s(&other_v1_request),
            "--trusted-root",
            s(&v2),
        ],
    );
    assert!(
        r.stderr.contains("starts the repository over"),
        "{}",
        r.stderr
    );
    assert!(!out.exists());
    // Without a trusted root the holder must say she trusts on first use.
    let r = fails(
        2,
        &[
            "--yes",
            "request",
            "sign",
            s(&f.req2),
            "--key-file",
            s(&f.k1),
        ],
    );
    assert!(r.stderr.contains("--trusted-root"), "{}", r.stderr);
    let shown = ok(&["request", "show", s(&f.req2)]);
    assert!(
        shown.stdout.contains("TRUST ON FIRST USE"),
        "{}",
        shown.stdout
    );
}

#[test]
fn no_terminal_and_no_yes_refuses_and_writes_nothing() {
    let f = tuf_two_of_two();
    let t = f.tmp.path();
    let out = t.join("signed.json");
    let r = fails(
        2,
        &[
            "request",
            "sign",
            "--trusted-root",
            s(&f.v1),
            s(&f.req2),
            "--key-file",
            s(&f.k1),
            "--out",
            s(&out),
        ],
    );
    assert!(r.stderr.contains("no terminal"), "{}", r.stderr);
    assert!(!out.exists());
    // The same rule for root sign in the ceremony directory.
    let c = t.join("c");
    ok(&["init", s(&c), "--dialect", "tuf"]);
    let d = s(&c);
    for role in ["root", "targets", "snapshot", "timestamp"] {
        ok(&["-C", d, "key", "generate", "--role", role]);
    }
    root_init(
        d,
        &["root-1"],
        None,
        "targets-1",
        "snapshot-1",
        "timestamp-1",
    );
    let before = snapshot(&c);
    let r = fails(2, &["-C", d, "root", "sign"]);
    assert!(r.stderr.contains("no terminal"), "{}", r.stderr);
    assert_unchanged(&c, &before);
    let r = ok(&["-C", d, "root", "sign", "--yes"]);
    assert!(r.stderr.contains("confirmed by --yes"), "{}", r.stderr);
}

#[test]
fn a_signature_by_a_key_marked_lost_is_not_merged() {
    let f = tuf_two_of_two();
    let t = f.tmp.path();
    let a = t.join("a.json");
    ok(&sign_args(&f.req2, &f.v1, &f.k1, &a));
    // Meanwhile h1's key is reported lost: whoever holds it now, what it
    // signed is not taken in.
    let d = s(&f.coord);
    ok(&[
        "-C",
        d,
        "--yes",
        "key",
        "mark-lost",
        "h1",
        "--reason",
        "laptop stolen",
    ]);
    let before = snapshot(&f.coord);
    let r = fails(1, &["-C", d, "request", "merge", s(&a)]);
    assert!(
        r.stderr.contains("a.json") && r.stderr.contains("marked lost"),
        "{}",
        r.stderr
    );
    assert_unchanged(&f.coord, &before);
}

/// Runs and asserts that nothing able to repaint a terminal came out.
fn no_escapes(args: &[&str]) -> Run {
    let r = run(args);
    for (name, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\r') && !text.contains('\u{9b}'),
            "a raw control character reached {name} (exit {}): {text:?}",
            r.code
        );
    }
    r
}

#[test]
fn nothing_from_the_body_can_repaint_the_holders_screen() {
    let f = tuf_two_of_two();
    let t = f.tmp.path();
    let (key, id) = attacker_key(t);
    let forged = t.join("forged.json");
    let paint = "\r\u{1b}[8A\u{1b}[J  root: threshold 2 -> 2 (unchanged)";
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "an uninterpreted top-level field named with escapes",
            Box::new(move |v| v["signed"][paint] = json!(1)),
            "does not interpret",
        ),
        (
            "an unreadable targets key whose ID is escapes",
            Box::new(move |v| {
                v["signed"]["keys"][paint] = json!({"keytype": "rsa", "scheme": "rsassa-pss-sha256", "keyval": {"public": "x"}});
                v["signed"]["roles"]["targets"]["keyids"] = json!([paint]);
            }),
            "cannot read",
        ),
        (
            "an unused key listed under an escape ID",
            Box::new(move |v| v["signed"]["keys"]["\r\u{1b}[6A\u{1b}[J"] = key.clone()),
            "does not match its key",
        ),
        (
            "a field in a role object",
            Box::new(|v| v["signed"]["roles"]["root"]["note"] = json!("\u{1b}[2K")),
            "does not interpret",
        ),
        (
            "a field in a key object",
            Box::new(move |v| {
                // python-tuf 0.x wrote keyid_hash_algorithms; the key is
                // renamed to its new hash so only the field is at fault.
                let k = v["signed"]["roles"]["root"]["keyids"][0]
                    .as_str()
                    .unwrap()
                    .to_string();
                let mut obj = v["signed"]["keys"][&k].clone();
                obj["keyid_hash_algorithms"] = json!(["sha256"]);
                let new =
                    ceremony::transfer::sha256_hex(&ceremony::metadata::json::canonical(&obj));
                v["signed"]["keys"].as_object_mut().unwrap().remove(&k);
                v["signed"]["keys"][&new] = obj;
                v["signed"]["roles"]["root"]["keyids"][0] = json!(new);
            }),
            "does not interpret",
        ),
    ];
    let _ = id;
    for (what, edit, says) in cases {
        let mut v = read_json(&f.req2);
        edit(&mut v);
        redigest(&mut v);
        reclaim(&mut v);
        write(&forged, &v);
        let r = no_escapes(&["request", "show", s(&forged), "--trusted-root", s(&f.v1)]);
        assert_eq!(r.code, 1, "{what}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{what}: {}", r.stderr);
    }
    // On the coordinator's side: a signature whose key ID is escapes.
    let mut v = read_json(&f.req2);
    v["signatures"] = json!([{"keyid": paint, "sig": "00"}]);
    let bad = t.join("bad-signed.json");
    write(&bad, &v);
    let r = no_escapes(&["-C", s(&f.coord), "request", "merge", s(&bad)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
}

#[test]
fn other_key_material_under_a_kept_id_is_never_shown_as_unchanged() {
    let f = tuf_two_of_two();
    let t = f.tmp.path();
    let mut v = read_json(&f.req2);
    let tid = v["signed"]["roles"]["targets"]["keyids"][0]
        .as_str()
        .unwrap()
        .to_string();
    // A P-384 key (python-tuf reads it, and so does this tool) under the
    // old targets key's ID: python-tuf does not check that an ID is its
    // key's hash, this tool does.
    v["signed"]["keys"][&tid] = json!({"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp384",
        "keyval": {"public": "-----BEGIN PUBLIC KEY-----\nMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEgHZSAF3rrkD0G8Neyv39HqbzGowXMI5r\nXRbsS1dr5IIgWKKLSvgRr8EyrbvZl1BjBqzE46MYvKbJQ2cIcC6BOwp6eP13Uq0g\nrOdOxrqE4zZy/NWxJolY5K+ZIv7hcDFB\n-----END PUBLIC KEY-----\n"}});
    redigest(&mut v);
    reclaim(&mut v);
    let forged = t.join("forged.json");
    write(&forged, &v);
    let r = fails(
        1,
        &["request", "show", s(&forged), "--trusted-root", s(&f.v1)],
    );
    assert!(r.stderr.contains("does not match its key"), "{}", r.stderr);
    // A key of a type this tool does not know under the same ID: unread,
    // so never shown as the old key.
    let mut v = read_json(&f.req2);
    v["signed"]["keys"][&tid] =
        json!({"keytype": "sphincs", "scheme": "sphincs-shake-256f", "keyval": {"public": "ab"}});
    redigest(&mut v);
    reclaim(&mut v);
    write(&forged, &v);
    let r = fails(
        1,
        &["request", "show", s(&forged), "--trusted-root", s(&f.v1)],
    );
    assert!(r.stderr.contains("cannot read"), "{}", r.stderr);
    // A readable key of another holder put under the old ID: its ID no
    // longer matches its key.
    let (key, _) = attacker_key(t);
    let mut v = read_json(&f.req2);
    v["signed"]["keys"][&tid] = key;
    redigest(&mut v);
    reclaim(&mut v);
    write(&forged, &v);
    let r = fails(
        1,
        &["request", "show", s(&forged), "--trusted-root", s(&f.v1)],
    );
    assert!(r.stderr.contains("does not match its key"), "{}", r.stderr);
}

#[test]
fn a_history_entry_that_lies_about_its_version_is_refused() {
    let f = tuf_two_of_two();
    let t = f.tmp.path();
    let mut v = read_json(&f.req2);
    // Version 1's file listed as version 2, and the body made version 3.
    let h = v["history"][0].clone();
    let mut h2 = h.clone();
    h2["version"] = json!(2);
    v["history"] = json!([h, h2]);
    v["signed"]["version"] = json!(3);
    redigest(&mut v);
    reclaim(&mut v);
    let forged = t.join("forged.json");
    write(&forged, &v);
    let r = fails(1, &["request", "show", s(&forged)]);
    assert!(
        r.stderr
            .contains("lists a file as version 2 that is version 1"),
        "{}",
        r.stderr
    );
}

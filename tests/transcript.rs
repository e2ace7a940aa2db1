//! The signed ceremony transcript: a headless run of tuf-initial-root.toml
//! (stopped at a refused read-back and resumed) leaves a transcript that
//! verifies; every tamper — a byte changed, an entry removed, two swapped,
//! the close cut off, an entry appended, the close signed by a key that is
//! not a root key, the whole file rebuilt by someone without root keys — is
//! refused with exit 1 naming the line; no passphrase or share is in it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ceremony::key::Algorithm;
use ceremony::key::private::PrivateKey;
use ceremony::metadata::keys::MetaKey;
use ceremony::metadata::{Dialect, Envelope};
use ceremony::transfer::sha256_hex;

const KEY_PASS: &str = "rehearsal-passphrase-1";
const DAN_PASS: &str = "dan's own words";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ceremony-scripts/tuf-initial-root.toml")
}

/// An answers file for tuf-initial-root.toml; `witness` names the witness
/// (an empty name makes every read-back fail).
fn answers(t: &Path, out: &Path, recipients: &str, witness: &str, file: &str) -> PathBuf {
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
keys = "{KEY_PASS}"
[passphrases.custodians]
dan = "{DAN_PASS}"
[witness]
name = "{witness}"
read_back = "wrong-first"
"#,
        out.display()
    );
    let p = t.join(file);
    std::fs::write(&p, text).unwrap();
    p
}

/// The ceremony every test reads: run headless with an answers file,
/// stopped at step 4 by a witness who never reads the words right, then
/// resumed to the end (its close). Made once; tests that change a
/// ceremony work on a copy.
fn ceremony() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        if !need_peer("age-keygen", "Debian package age") {
            return None;
        }
        let base = tempfile::Builder::new()
            .prefix("transcript-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap()
            .keep();
        let out = base.join("out");
        let dir = base.join("c");
        let mut recipients = String::new();
        for n in ["ann", "ben", "cat", "eve"] {
            recipients.push_str(&format!("{n} = \"{}\"\n", age_recipient(&base, n)));
        }
        let good = answers(&base, &out, &recipients, "wendy", "answers.toml");
        let bad = answers(&base, &out, &recipients, "", "bad.toml");
        let script = script();
        let args = |a: &Path| {
            vec![
                "-C".to_string(),
                s(&dir).to_string(),
                "run".into(),
                s(&script).to_string(),
                "--answers".into(),
                s(a).to_string(),
                "--allow-network".into(),
            ]
        };
        let bad_args = args(&bad);
        let r = fails(1, &bad_args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(r.stderr.contains("not read back"), "{}", r.stderr);
        let good_args = args(&good);
        let r = ok(&good_args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(r.stderr.contains("step 4/") && !r.stderr.contains("step 3/"));
        Some(dir)
    })
    .as_deref()
}

fn transcript(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("transcript.jsonl")).unwrap()
}

fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

fn entry(line: &[u8]) -> Value {
    serde_json::from_slice(line).unwrap()
}

/// The line (from 1) of the first entry whose event `pred` accepts.
fn find(lines: &[Vec<u8>], pred: impl Fn(&Value) -> bool) -> usize {
    lines.iter().position(|l| pred(&entry(l)["event"])).unwrap() + 1
}

/// `transcript verify` of `bytes` written to a file of its own.
fn verify_copy(dir: &Path, name: &str, bytes: &[u8]) -> Run {
    let f = dir.parent().unwrap().join(format!("tampered-{name}.jsonl"));
    std::fs::write(&f, bytes).unwrap();
    run(&["-C", s(dir), "transcript", "verify", s(&f)])
}

/// Verification of `bytes` fails with exit 1 and names `line`.
fn refused(dir: &Path, name: &str, bytes: &[u8], line: usize, why: &str) {
    let r = verify_copy(dir, name, bytes);
    assert_eq!(r.code, 1, "{name}: {}", r.stderr);
    assert!(
        r.stderr.contains(&format!("line {line}:")) && r.stderr.contains(why),
        "{name}: wanted line {line} and {why:?}: {}",
        r.stderr
    );
}

/// Re-chains `lines` as an attacker would: each prev the SHA-256 of the
/// line before, seq counted again.
fn rechain(lines: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let mut e = entry(l);
        e["seq"] = Value::from(i as u64 + 1);
        e["prev"] = Value::from(match out.last() {
            Some(p) => sha256_hex(p),
            None => "0".repeat(64),
        });
        out.push(serde_json::to_vec(&e).unwrap());
    }
    out
}

/// A signature over `statement` by a fresh key nobody's root lists, under
/// `keyid` (its own ID when None).
fn foreign_signature(statement: &Value, keyid: Option<&str>) -> Value {
    let key = PrivateKey::generate(Algorithm::Ed25519);
    let meta = MetaKey::from_public(Dialect::Tuf, &key.public()).unwrap();
    let id = keyid
        .map(str::to_string)
        .unwrap_or_else(|| meta.id(Dialect::Tuf));
    let mut env = Envelope {
        signed: statement.clone(),
        signatures: Vec::new(),
    };
    ceremony::signature::sign(Dialect::Tuf, &mut env, &id, &meta, &key).unwrap();
    let s = &env.signatures[0];
    serde_json::json!({"keyid": s.keyid, "sig": s.sig})
}

#[test]
fn a_headless_run_resumed_midway_leaves_a_transcript_that_verifies() {
    let Some(dir) = ceremony() else { return };
    let r = ok(&["-C", s(dir), "transcript", "verify"]);
    assert!(r.stdout.contains("close at line"), "{}", r.stdout);
    assert!(r.stdout.contains("root-1") && r.stdout.contains("root-2"));
    let all = lines(&transcript(dir));
    let events: Vec<Value> = all.iter().map(|l| entry(l)["event"].clone()).collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"created"));
    assert_eq!(types.last(), Some(&"close"));
    // Two runs: the first from step 1, the second resumed at step 4.
    let starts: Vec<u64> = events
        .iter()
        .filter(|e| e["type"] == "run-started")
        .map(|e| e["next_step"].as_u64().unwrap())
        .collect();
    assert_eq!(starts, vec![0, 3]);
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "run-started" && e["allow_network"] == true)
    );
    // The stop is recorded, and every step done is, once each.
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "step-failed" && e["step"]["index"] == 3)
    );
    let done: Vec<u64> = events
        .iter()
        .filter(|e| e["type"] == "step-done")
        .map(|e| e["step"]["index"].as_u64().unwrap())
        .collect();
    assert_eq!(done, (0..17).collect::<Vec<u64>>());
    // The close is the script's last step, and covers everything before.
    let close = events.last().unwrap();
    assert_eq!(close["step"]["index"], 17);
    assert_eq!(close["statement"]["last_seq"], all.len() as u64 - 1);
    assert_eq!(close["statement"]["root_version"], 1);
    // The root signing was confirmed, and how.
    assert!(events.iter().any(|e| e["type"] == "confirmed"
        && e["what"] == "signing root version 1"
        && e["how"] == "confirmed by the answers file"));
    // What the engine changed is there too.
    assert!(events.iter().any(|e| e["type"] == "changed"
        && e["outcome"]["did"] == "key-generated"
        && e["outcome"]["label"] == "root-3"));
}

#[test]
fn a_refused_read_back_is_a_typed_record() {
    let Some(dir) = ceremony() else { return };
    let all = lines(&transcript(dir));
    let refusals: Vec<Value> = all
        .iter()
        .map(|l| entry(l)["event"].clone())
        .filter(|e| e["type"] == "read-back-refused")
        .collect();
    // Three by the witness with no name (the run stopped), then one wrong
    // read-back by wendy before her right one.
    assert_eq!(refusals.len(), 4, "{refusals:?}");
    let last = refusals.last().unwrap();
    assert_eq!(last["witness"], "wendy");
    assert!(last["what"].as_str().unwrap().contains("root-1"));
    assert_eq!(last["typed"].as_str().unwrap().split(' ').count(), 4);
    let shown = ok(&["-C", s(dir), "transcript", "show"]);
    assert!(
        shown.stdout.contains("read-back REFUSED"),
        "{}",
        shown.stdout
    );
}

#[test]
fn no_passphrase_share_or_private_key_is_in_the_transcript() {
    use base64::Engine;
    let Some(dir) = ceremony() else { return };
    let bytes = transcript(dir);
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    for p in [KEY_PASS, DAN_PASS, "dan\\u0027s own words"] {
        assert!(
            !contains(p.as_bytes()),
            "passphrase {p:?} in the transcript"
        );
    }
    // No stretch of any share file, nor of any private key in any form.
    let mut secrets: Vec<Vec<u8>> = Vec::new();
    for set in std::fs::read_dir(dir.join("shares")).unwrap() {
        for f in std::fs::read_dir(set.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            if p.to_string_lossy().ends_with(".share.age") {
                let b = std::fs::read(&p).unwrap();
                secrets.extend(b.chunks(24).filter(|c| c.len() == 24).map(<[u8]>::to_vec));
            }
        }
    }
    assert!(!secrets.is_empty(), "the run wrote shares");
    let pass = ceremony::secret::Passphrase::from(KEY_PASS.to_string());
    let mut keys = 0;
    for f in std::fs::read_dir(dir.join("keys")).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "age") {
            let k = PrivateKey::decrypt(&std::fs::read(&p).unwrap(), &pass).unwrap();
            let raw = k.secret_bytes().to_vec();
            secrets.push(raw.clone());
            secrets.push(hex::encode(&raw).into_bytes());
            secrets.push(
                base64::engine::general_purpose::STANDARD
                    .encode(&raw)
                    .into_bytes(),
            );
            keys += 1;
        }
    }
    assert_eq!(keys, 6);
    for sec in &secrets {
        assert!(!contains(sec), "secret bytes in the transcript");
    }
}

#[test]
fn each_tamper_is_refused_naming_the_line() {
    let Some(dir) = ceremony() else { return };
    let bytes = transcript(dir);
    let all = lines(&bytes);
    let n = all.len();
    assert!(verify_copy(dir, "untouched", &bytes).code == 0);

    // A byte changed in an entry: the next line no longer follows it.
    let k = find(&all, |e| {
        e["type"] == "step-done" && e["outcome"]["did"] == "read-back"
    });
    let mut changed = all.clone();
    let text = String::from_utf8(changed[k - 1].clone()).unwrap();
    changed[k - 1] = text.replacen("wendy", "wendx", 1).into_bytes();
    assert_ne!(changed[k - 1], all[k - 1]);
    refused(dir, "byte", &join(&changed), k + 1, "does not follow line");

    // A byte changed in the close itself: its signature does not verify.
    let mut changed = all.clone();
    let mut close = entry(&all[n - 1]);
    let sig = close["event"]["signatures"][0]["sig"]
        .as_str()
        .unwrap()
        .to_string();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    close["event"]["signatures"][0]["sig"] = Value::from(format!("{flipped}{}", &sig[1..]));
    changed[n - 1] = serde_json::to_vec(&close).unwrap();
    refused(dir, "close-byte", &join(&changed), n, "does not verify");

    // An entry deleted.
    let mut deleted = all.clone();
    deleted.remove(4);
    refused(dir, "deleted", &join(&deleted), 5, "does not follow line 4");

    // Two entries swapped.
    let mut swapped = all.clone();
    swapped.swap(6, 7);
    refused(dir, "swapped", &join(&swapped), 7, "does not follow line 6");

    // Cut off before the close, at a line's end or within a line.
    refused(dir, "truncated", &join(&all[..n - 1]), 1, "no close");
    let cut = &bytes[..bytes.len() - 10];
    refused(dir, "cut", cut, n, "cut off");

    // An entry appended after the close with a broken chain…
    let mut extra = entry(&all[k - 1]);
    extra["seq"] = Value::from(n as u64 + 1);
    let mut appended = all.clone();
    appended.push(serde_json::to_vec(&extra).unwrap());
    refused(
        dir,
        "appended",
        &join(&appended),
        n + 1,
        "does not follow line",
    );
    // …or chained right: it is not signed.
    extra["prev"] = Value::from(sha256_hex(&all[n - 1]));
    appended[n] = serde_json::to_vec(&extra).unwrap();
    refused(
        dir,
        "appended-chained",
        &join(&appended),
        n + 1,
        "not signed",
    );
    let r = run(&[
        "-C",
        s(dir),
        "transcript",
        "verify",
        "--open",
        s(&dir
            .parent()
            .unwrap()
            .join("tampered-appended-chained.jsonl")),
    ]);
    assert_eq!(r.code, 0, "--open reports an unsigned tail: {}", r.stderr);
    assert!(r.stdout.contains("not yet signed: the last 1 entry"));

    // The close's signatures replaced by one from a key no root lists…
    let statement = close_statement(&all);
    let mut forged = all.clone();
    let mut close = entry(&all[n - 1]);
    close["event"]["signatures"] = Value::from(vec![foreign_signature(&statement, None)]);
    forged[n - 1] = serde_json::to_vec(&close).unwrap();
    refused(dir, "foreign-key", &join(&forged), n, "not a root key");
    // …or by that key under a root key's ID.
    let root_id = entry(&all[n - 1])["event"]["signatures"][0]["keyid"]
        .as_str()
        .unwrap()
        .to_string();
    close["event"]["signatures"] = Value::from(vec![foreign_signature(&statement, Some(&root_id))]);
    forged[n - 1] = serde_json::to_vec(&close).unwrap();
    refused(
        dir,
        "foreign-under-root-id",
        &join(&forged),
        n,
        "does not verify",
    );
}

fn close_statement(all: &[Vec<u8>]) -> Value {
    entry(all.last().unwrap())["event"]["statement"].clone()
}

#[test]
fn a_transcript_rebuilt_without_root_keys_is_caught_by_the_close() {
    let Some(dir) = ceremony() else { return };
    let all = lines(&transcript(dir));
    let n = all.len();
    // The attacker rewrites who read the words back, drops the refusals,
    // and chains everything again consistently.
    let body: Vec<Vec<u8>> = all[..n - 1]
        .iter()
        .filter(|l| entry(l)["event"]["type"] != "read-back-refused")
        .map(|l| {
            String::from_utf8(l.clone())
                .unwrap()
                .replace("wendy", "mallory")
                .into_bytes()
        })
        .collect();
    let body = rechain(&body);
    let covered = join(&body);
    let mut close = entry(&all[n - 1]);
    close["event"]["statement"]["transcript_sha256"] = Value::from(sha256_hex(&covered));
    close["event"]["statement"]["last_seq"] = Value::from(body.len() as u64);
    close["seq"] = Value::from(body.len() as u64 + 1);
    close["prev"] = Value::from(sha256_hex(body.last().unwrap()));
    let m = body.len() + 1;

    // Kept the old signatures: they do not verify over the new statement.
    let mut kept = body.clone();
    kept.push(serde_json::to_vec(&close).unwrap());
    refused(dir, "rebuilt-kept", &join(&kept), m, "does not verify");

    // Signed it with a key of his own.
    let statement = close["event"]["statement"].clone();
    close["event"]["signatures"] = Value::from(vec![foreign_signature(&statement, None)]);
    let mut own = body.clone();
    own.push(serde_json::to_vec(&close).unwrap());
    refused(dir, "rebuilt-own-key", &join(&own), m, "not a root key");

    // Left the close out: nothing is signed.
    refused(dir, "rebuilt-no-close", &covered, 1, "no close");

    // And the old close kept as it was: it signs other bytes.
    let mut old = body.clone();
    let mut c = entry(&all[n - 1]);
    c["seq"] = Value::from(m as u64);
    c["prev"] = Value::from(sha256_hex(body.last().unwrap()));
    old.push(serde_json::to_vec(&c).unwrap());
    refused(dir, "rebuilt-old-close", &join(&old), m, "hash to");
}

/// A copy of the shared ceremony, for a test that changes it.
fn copy_ceremony(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_ceremony(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn commands_are_recorded_and_a_later_close_covers_them() {
    let Some(shared) = ceremony() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    copy_ceremony(shared, &dir);
    let d = s(&dir);
    let pass = tmp.path().join("pass");
    std::fs::write(&pass, format!("{KEY_PASS}\n")).unwrap();
    let p = s(&pass);
    ok(&[
        "-C",
        d,
        "--passphrase-file",
        p,
        "key",
        "generate",
        "--role",
        "targets",
        "--label",
        "extra",
    ]);
    ok(&[
        "-C",
        d,
        "--yes",
        "key",
        "mark-lost",
        "extra",
        "--reason",
        "test",
    ]);
    let all = lines(&transcript(&dir));
    let tail: Vec<Value> = all[all.len() - 3..]
        .iter()
        .map(|l| entry(l)["event"].clone())
        .collect();
    assert_eq!(tail[0]["outcome"]["did"], "key-generated");
    assert_eq!(tail[1]["type"], "confirmed");
    assert_eq!(tail[1]["how"], "confirmed by --yes, no question asked");
    assert_eq!(tail[2]["outcome"]["did"], "marked-lost");
    // Not signed yet: refused, naming the first entry after the close.
    let first = all.len() - 2;
    let r = fails(1, &["-C", d, "transcript", "verify"]);
    assert!(
        r.stderr.contains(&format!("line {first}:")) && r.stderr.contains("not signed"),
        "{}",
        r.stderr
    );
    ok(&["-C", d, "transcript", "verify", "--open"]);
    // Closed from the command line: both closes verify.
    let c = ok(&["-C", d, "--passphrase-file", p, "transcript", "close"]);
    assert_eq!(c.last_line().len(), 64, "{}", c.stdout);
    let r = ok(&["-C", d, "transcript", "verify"]);
    assert_eq!(r.stdout.matches("close at line").count(), 2, "{}", r.stdout);
    // Nothing new: a second close is refused and writes nothing.
    let before = snapshot(&dir);
    fails(2, &["-C", d, "--passphrase-file", p, "transcript", "close"]);
    assert_unchanged(&dir, &before);
    // A wrong passphrase signs nothing and writes nothing.
    ok(&[
        "-C",
        d,
        "--passphrase-file",
        p,
        "key",
        "generate",
        "--role",
        "targets",
        "--label",
        "more",
    ]);
    std::fs::write(&pass, "not the passphrase\n").unwrap();
    let before = snapshot(&dir);
    let r = run(&["-C", d, "--passphrase-file", p, "transcript", "close"]);
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("could not be signed"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
}

fn need_jsonschema() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found && std::env::var_os("CI").is_some() {
        panic!("python's jsonschema is missing (tests/run.sh installs it)");
    }
    if !found {
        eprintln!("skipped: python's jsonschema is missing (pip install jsonschema)");
    }
    found
}

/// `transcript verify --json` of `file`: one line, valid against
/// docs/schema/transcript-verify.json.
fn verify_json(dir: &Path, file: &Path, code: i32) -> Value {
    let r = run(&["-C", s(dir), "transcript", "verify", s(file), "--json"]);
    assert_eq!(r.code, code, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", r.stdout);
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema/transcript-verify.json");
    let (valid, said) = validate_json(&schema, lines[0]);
    assert!(valid, "{}: {said}", lines[0]);
    serde_json::from_str(lines[0]).unwrap()
}

#[test]
fn verify_json_matches_its_schema_whether_it_passes_or_not() {
    let Some(dir) = ceremony() else { return };
    if !need_jsonschema() {
        return;
    }
    let good = verify_json(dir, &dir.join("transcript.jsonl"), 0);
    assert_eq!(good["schema"], "ceremony.transcript-verify/1");
    assert_eq!(good["ok"], true);
    assert_eq!(good["closes"][0]["root_version"], 1);
    assert_eq!(good["closes"][0]["met"], true);
    assert!(good["problem"].is_null());
    let all = lines(&transcript(dir));
    let mut swapped = all.clone();
    swapped.swap(2, 3);
    let f = dir.parent().unwrap().join("json-swapped.jsonl");
    std::fs::write(&f, join(&swapped)).unwrap();
    let bad = verify_json(dir, &f, 1);
    assert_eq!(bad["ok"], false);
    assert_eq!(bad["problem"]["line"], 3);
}

#[test]
fn a_notary_ceremony_closes_with_its_certificate_root_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let d = s(&dir);
    ok(&[
        "init",
        d,
        "--dialect",
        "notary",
        "--gun",
        "registry.example.com/x/y",
    ]);
    ok(&["-C", d, "key", "generate", "--role", "root", "--label", "a"]);
    ok(&[
        "-C", d, "key", "generate", "--role", "targets", "--label", "t",
    ]);
    ok(&[
        "-C", d, "key", "generate", "--role", "snapshot", "--label", "s",
    ]);
    let ts = server_like_key(tmp.path(), "ts.json");
    ok(&[
        "-C",
        d,
        "key",
        "import",
        "--role",
        "timestamp",
        "--label",
        "ts",
        s(&ts),
    ]);
    // No root yet: nothing to sign with, and nothing written.
    let before = snapshot(&dir);
    let r = fails(2, &["-C", d, "transcript", "close"]);
    assert!(r.stderr.contains("no signed root"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
    root_init(d, &["a"], None, "t", "s", "ts");
    ok(&["-C", d, "root", "sign", "--yes"]);
    ok(&["-C", d, "transcript", "close"]);
    let r = ok(&["-C", d, "transcript", "verify"]);
    assert!(
        r.stdout.contains("signed with root version 1 by a ("),
        "{}",
        r.stdout
    );
    let all = lines(&transcript(&dir));
    let close = entry(all.last().unwrap());
    assert_eq!(close["event"]["signatures"][0]["method"], "ecdsa");
    assert_eq!(
        close["event"]["statement"]["gun"],
        "registry.example.com/x/y"
    );
    // A close naming a root version the history does not have.
    let mut c = close.clone();
    c["event"]["statement"]["root_version"] = Value::from(2);
    let mut forged = all.clone();
    let n = forged.len();
    forged[n - 1] = serde_json::to_vec(&c).unwrap();
    refused(
        &dir,
        "no-such-root",
        &join(&forged),
        n,
        "not in this ceremony's verified root history",
    );
}

#[test]
fn show_prints_hostile_text_harmlessly_and_verify_names_a_line_that_is_no_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    ok(&["init", s(&dir), "--dialect", "tuf"]);
    let path = dir.join("transcript.jsonl");
    let first = lines(&std::fs::read(&path).unwrap()).remove(0);
    let hostile = serde_json::json!({
        "seq": 2,
        "at": "2026-01-01T00:00:00Z",
        "prev": sha256_hex(&first),
        "event": {"type": "read-back-refused", "what": "x", "witness": "\u{1b}]0;owned\u{7}\u{1b}[2J", "typed": "\u{9b}31m"}
    });
    let mut all = vec![first, serde_json::to_vec(&hostile).unwrap()];
    all.push(b"{\"seq\":3,\"not\":\"an entry\x1b[2J\"}".to_vec());
    std::fs::write(&path, join(&all)).unwrap();
    let r = ok(&["-C", s(&dir), "transcript", "show"]);
    assert!(r.stdout.contains("read-back REFUSED"), "{}", r.stdout);
    assert!(r.stdout.contains("line 3: not an entry"), "{}", r.stdout);
    assert!(
        !r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{9b}') && !r.stdout.contains('\u{7}'),
        "{:?}",
        r.stdout
    );
    let r = fails(1, &["-C", s(&dir), "transcript", "verify"]);
    assert!(
        r.stderr.contains("line 3: not a transcript entry"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains('\u{1b}'), "{:?}", r.stderr);
}

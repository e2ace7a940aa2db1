//! The shipped Notary ceremony scripts, run headless in one ceremony
//! directory one after the other, against the real notary-server and the
//! real notary client: initial-root (a fresh client accepts it), rotate-root
//! and recover-after-loss (the client holding the old root follows),
//! add-delegation (the client lists the signer) and reissue-shares (the old
//! set's shares are refused, the new set recovers the same key). In a second
//! directory, rotate-root-by-request: a keyholder at another machine signs
//! by request, the run pausing until her signed copy is back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const GUN: &str = "registry.example.com/ceremony/scripts";

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("ceremony-scripts/{name}"))
}

fn publish(srv: &NotaryServer, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_ceremony-publish"))
        .arg("--server")
        .arg(srv.url())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// What a custodian with an age key brings: her share, opened with `age -d`
/// on her own device.
fn opened_share(t: &Path, folder: &Path, name: &str) -> PathBuf {
    let out = t.join(format!("{name}-opened.share"));
    if out.exists() {
        return out;
    }
    let st = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(t.join(format!("{name}.key")))
        .arg("-o")
        .arg(&out)
        .arg(folder.join(format!("{name}.share.age")))
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    out
}

/// The common part of every answers file: the people in the room, the key
/// passphrase, and the passphrase custodians.
const ROOM: &str = r#"[people]
administrator = ["ada"]
operator = ["otto"]
witness = ["wendy"]
signer = ["alice"]
keyholders = ["kim"]
custodians = ["ann", "ben", "cat", "dan", "eve"]
[passphrases]
keys = "rehearsal-passphrase-1"
[passphrases.custodians]
dan = "dan's own words"
eve = "eve's own words"
[witness]
name = "wendy"
read_back = "wrong-first"
"#;

fn answers(t: &Path, name: &str, inputs: &[(&str, &str)], extra: &str) -> PathBuf {
    let mut text = String::from("[inputs]\n");
    for (k, v) in inputs {
        text.push_str(&format!("{k} = \"{v}\"\n"));
    }
    text.push_str(extra);
    text.push_str(ROOM);
    let p = t.join(format!("{name}.answers.toml"));
    std::fs::write(&p, text).unwrap();
    p
}

fn run_script(dir: &Path, name: &str, answers: &Path) -> Run {
    let r = run(&[
        "-C",
        s(dir),
        "run",
        s(&script(name)),
        "--answers",
        s(answers),
        "--allow-network",
    ]);
    assert_eq!(r.code, 0, "{name}:\n{}", r.stderr);
    assert!(
        r.stderr.contains("read-back refused") && r.stderr.contains("complete"),
        "{name}: {}",
        r.stderr
    );
    r
}

fn cached_root(trust: &Path) -> serde_json::Value {
    let p = trust.join(format!("tuf/{GUN}/metadata/root.json"));
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn run_state(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap()
}

/// The ID of the key generated with `label` in the current run.
fn generated(dir: &Path, label: &str) -> String {
    run_state(dir)["done"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["did"] == "key-generated" && o["label"] == label)
        .map(|o| o["id"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no key {label} in run.json"))
}

#[test]
fn the_notary_scripts_run_in_one_directory_and_the_real_client_follows() {
    if !need_peer("notary-server", "Debian package notary (notary-server)")
        || !need_peer("notary", "Debian package notary (notary client)")
        || !need_peer("age", "Debian package age")
    {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("c");
    let trust = t.join("trust");
    let url = srv.url();
    let list = |trust: &Path| notary(&["-s", &url, "-d", s(trust), "list", GUN]);

    // Online: the server's keys fetched onto removable media.
    let keys = t.join("server-keys");
    let fetch = publish(&srv, &["fetch-keys", GUN, s(&keys)]);
    assert_eq!(fetch.code, 0, "fetch-keys: {}", fetch.stderr);

    // initial-root: a fresh client accepts the new repository.
    let mut recipients = String::from("[recipients]\ndan = \"passphrase\"\neve = \"passphrase\"\n");
    for n in ["ann", "ben", "cat"] {
        recipients.push_str(&format!("{n} = \"{}\"\n", age_recipient(t, n)));
    }
    let out1 = t.join("out1");
    let a = answers(
        t,
        "initial",
        &[("gun", GUN), ("server_keys", s(&keys)), ("out", s(&out1))],
        &recipients,
    );
    let r = run_script(&dir, "initial-root.toml", &a);
    // The server's keys were shown offline with the words fetch-keys
    // printed online, and the timestamp key's read back.
    let fetched: Vec<&str> = fetch
        .stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("fingerprint words: "))
        .collect();
    assert_eq!(fetched.len(), 2, "{}", fetch.stdout);
    for words in &fetched {
        assert!(r.stderr.contains(words), "{words} not shown:\n{}", r.stderr);
    }
    assert!(
        r.stderr
            .contains("read back the fingerprint of key server-timestamp"),
        "{}",
        r.stderr
    );
    let targets_id = generated(&dir, "targets-1");
    let set = run_state(&dir)["done"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["did"] == "split")
        .map(|o| o["set_id"].as_str().unwrap().to_string())
        .unwrap();
    let shares1 = dir.join(format!("shares/{set}"));
    let root1 = std::fs::read_to_string(shares1.join("manifest.json")).unwrap();
    let root1_id = serde_json::from_str::<serde_json::Value>(&root1).unwrap()["signed"]["key_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Root key 1 exists only as shares.
    assert!(!dir.join(format!("keys/{root1_id}.age")).exists());
    let r = publish(&srv, &["push", s(&out1)]);
    assert_eq!(r.code, 0, "push initial-root: {}", r.stderr);
    let (code, text) = list(&trust);
    assert_eq!(
        code, 0,
        "a fresh notary client refused initial-root: {text}"
    );
    let root = cached_root(&trust);
    assert_eq!(root["signed"]["version"], 1);
    assert_eq!(root["signed"]["roles"]["root"]["threshold"], 2);
    assert_eq!(
        root["signed"]["roles"]["root"]["keyids"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        root["signed"]["roles"]["targets"]["keyids"],
        serde_json::json!([targets_id])
    );

    // rotate-root: root-1 recovered from three custodians' shares (one of
    // them opened with age, two with their passphrases).
    let out2 = t.join("out2");
    let brought = format!(
        "[shares]\nroot-1 = [\"{}\", \"{}\", \"{}\"]\n",
        s(&opened_share(t, &shares1, "ann")),
        s(&shares1.join("dan.share.age")),
        s(&shares1.join("eve.share.age")),
    );
    let a = answers(t, "rotate", &[("gun", GUN), ("out", s(&out2))], &brought);
    let r = run_script(&dir, "rotate-root.toml", &a);
    assert!(dir.join("runs/001-initial-root.json").exists());
    let signed = run_state(&dir)["done"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["did"] == "root-signed")
        .cloned()
        .unwrap();
    assert_eq!(signed["complete"], true, "{}", r.stderr);
    assert!(
        signed["signed_by"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("root-1")),
        "root-1 did not sign: {signed}"
    );
    let r = publish(&srv, &["push", s(&out2)]);
    assert_eq!(r.code, 0, "push rotate-root: {}", r.stderr);
    let (code, text) = list(&trust);
    assert_eq!(code, 0, "the client holding root 1 refused root 2: {text}");
    let root = cached_root(&trust);
    assert_eq!(root["signed"]["version"], 2);
    assert_eq!(root["signed"]["roles"]["root"]["threshold"], 3);

    // add-delegation: a Docker signer the client lists.
    let out3 = t.join("out3");
    let a = answers(
        t,
        "delegation",
        &[("gun", GUN), ("signer", "alice"), ("out", s(&out3))],
        "",
    );
    run_script(&dir, "add-delegation.toml", &a);
    let r = publish(&srv, &["push", s(&out3)]);
    assert_eq!(r.code, 0, "push add-delegation: {}", r.stderr);
    let alice = generated(&dir, "alice");
    let (code, text) = notary(&["-s", &url, "-d", s(&trust), "delegation", "list", GUN]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("targets/alice") && text.contains("targets/releases"),
        "{text}"
    );
    assert!(text.contains(&alice), "alice's key is not listed: {text}");

    // recover-after-loss: root-5 lost; the remaining threshold signs.
    let out4 = t.join("out4");
    let brought = format!(
        "[shares]\nroot-1 = [\"{}\", \"{}\", \"{}\"]\n",
        s(&opened_share(t, &shares1, "ben")),
        s(&opened_share(t, &shares1, "cat")),
        s(&shares1.join("dan.share.age")),
    );
    let a = answers(
        t,
        "recover",
        &[
            ("gun", GUN),
            ("lost", "root-5"),
            ("replacement", "root-6"),
            ("out", s(&out4)),
        ],
        &brought,
    );
    run_script(&dir, "recover-after-loss.toml", &a);
    let keys_now = ok(&["-C", s(&dir), "key", "list"]).stdout;
    assert!(keys_now.contains("lost"), "{keys_now}");
    let r = publish(&srv, &["push", s(&out4)]);
    assert_eq!(r.code, 0, "push recover-after-loss: {}", r.stderr);
    let (code, text) = list(&trust);
    assert_eq!(code, 0, "the client holding root 2 refused root 3: {text}");
    assert_eq!(cached_root(&trust)["signed"]["version"], 3);
    let (code, text) = list(&t.join("trust-fresh"));
    assert_eq!(
        code, 0,
        "a fresh client refused the recovered repository: {text}"
    );

    // reissue-shares: root-1 to four new custodians, 3 of 4.
    let mut recipients = String::from("[recipients]\n");
    for n in ["fay", "gus", "hal", "ivy"] {
        recipients.push_str(&format!("{n} = \"{}\"\n", age_recipient(t, n)));
    }
    let brought = format!(
        "[shares]\nroot-1 = [\"{}\", \"{}\", \"{}\"]\n",
        s(&opened_share(t, &shares1, "ann")),
        s(&shares1.join("dan.share.age")),
        s(&shares1.join("eve.share.age")),
    );
    let a = answers(
        t,
        "reissue",
        &[("gun", GUN), ("key", "root-1")],
        &format!("{recipients}{brought}"),
    );
    // The new custodians replace the five of the roll call.
    let text = std::fs::read_to_string(&a).unwrap().replace(
        "custodians = [\"ann\", \"ben\", \"cat\", \"dan\", \"eve\"]",
        "old_custodians = [\"ann\", \"dan\", \"eve\"]\ncustodians = [\"fay\", \"gus\", \"hal\", \"ivy\"]",
    );
    std::fs::write(&a, text).unwrap();
    run_script(&dir, "reissue-shares.toml", &a);
    assert!(shares1.join("SUPERSEDED").exists());
    let new_set = run_state(&dir)["done"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["did"] == "split")
        .cloned()
        .unwrap();
    assert_eq!(new_set["replaces"], set.as_str());
    let shares2 = dir.join(format!("shares/{}", new_set["set_id"].as_str().unwrap()));
    // The old set's shares no longer open the key here ...
    let r = fails(
        1,
        &[
            "-C",
            s(&dir),
            "shares",
            "recover",
            s(&shares1.join("ann.share.age")),
            s(&shares1.join("ben.share.age")),
            s(&shares1.join("cat.share.age")),
            "--identity",
            s(&t.join("ann.key")),
            "--identity",
            s(&t.join("ben.key")),
            "--identity",
            s(&t.join("cat.key")),
        ],
    );
    assert!(r.stderr.contains("superseded"), "{}", r.stderr);
    // ... and three of the new set recover the same key.
    let r = ok(&[
        "-C",
        s(&dir),
        "shares",
        "recover",
        s(&shares2.join("fay.share.age")),
        s(&shares2.join("hal.share.age")),
        s(&shares2.join("ivy.share.age")),
        "--identity",
        s(&t.join("fay.key")),
        "--identity",
        s(&t.join("hal.key")),
        "--identity",
        s(&t.join("ivy.key")),
    ]);
    assert_eq!(r.last_line(), root1_id);
}

#[test]
fn a_keyholder_at_another_machine_signs_by_request_and_the_real_client_follows() {
    if !need_peer("notary-server", "Debian package notary (notary-server)")
        || !need_peer("notary", "Debian package notary (notary client)")
        || !need_peer("age", "Debian package age")
    {
        return;
    }
    let srv = NotaryServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("room");
    let trust = t.join("trust");
    let url = srv.url();
    let gun = "registry.example.com/ceremony/by-request";
    let list = |trust: &Path| notary(&["-s", &url, "-d", s(trust), "list", gun]);
    let keys = t.join("server-keys");
    let fetch = publish(&srv, &["fetch-keys", gun, s(&keys)]);
    assert_eq!(fetch.code, 0, "fetch-keys: {}", fetch.stderr);
    let mut recipients = String::from("[recipients]\n");
    for n in ["ann", "ben", "cat", "dan", "eve"] {
        recipients.push_str(&format!("{n} = \"{}\"\n", age_recipient(t, n)));
    }
    let out1 = t.join("out1");
    let a = answers(
        t,
        "initial",
        &[("gun", gun), ("server_keys", s(&keys)), ("out", s(&out1))],
        &recipients,
    );
    run_script(&dir, "initial-root.toml", &a);
    assert_eq!(publish(&srv, &["push", s(&out1)]).code, 0);
    assert_eq!(list(&trust).0, 0, "a fresh client refused initial-root");

    // Kim's own machine: her root key, of which only the public half leaves.
    let (kim, kim_id, kim_pub) = keyholder_machine(t, gun, "kim");

    let (requests, returned, out2) = (t.join("requests"), t.join("returned"), t.join("out2"));
    std::fs::create_dir_all(&returned).unwrap();
    let a = answers(
        t,
        "by-request",
        &[
            ("gun", gun),
            ("keyholder_key", s(&kim_pub)),
            ("requests", s(&requests)),
            ("returned", s(&returned)),
            ("out", s(&out2)),
        ],
        "",
    );
    let by_request = |code: i32| {
        let r = run(&[
            "-C",
            s(&dir),
            "run",
            s(&script("rotate-root-by-request.toml")),
            "--answers",
            s(&a),
            "--allow-network",
        ]);
        assert_eq!(r.code, code, "{}\n{}", r.stdout, r.stderr);
        r
    };
    // The run goes as far as it can and pauses for Kim's signed copy.
    let r = by_request(2);
    assert!(r.stderr.contains("no signed requests in"), "{}", r.stderr);
    assert!(
        r.stderr
            .lines()
            .any(|l| l.contains("root-4") && l.contains("waiting: signs elsewhere")),
        "the keyholder screen does not show kim waiting:\n{}",
        r.stderr
    );
    let request = requests.join("root-v2.request.json");
    assert!(request.exists(), "{}", r.stderr);
    let done = run_state(&dir)["done"].as_array().unwrap().len();
    let written = &run_state(&dir)["done"][done - 1];
    assert_eq!(written["did"], "request-written", "{written}");
    assert_eq!(written["keyholders"], serde_json::json!(["root-4"]));

    // A link in the folder is named and refused, not followed or skipped.
    std::os::unix::fs::symlink("/etc/passwd", returned.join("link.json")).unwrap();
    let r = by_request(2);
    assert!(r.stderr.contains("is a symbolic link"), "{}", r.stderr);
    std::fs::remove_file(returned.join("link.json")).unwrap();

    // Brought back unsigned: refused, and the run stays at the step.
    std::fs::copy(&request, returned.join("unsigned.json")).unwrap();
    let r = by_request(2);
    assert!(
        r.stderr
            .contains("none carries a signature the staged root lacks"),
        "{}",
        r.stderr
    );
    std::fs::remove_file(returned.join("unsigned.json")).unwrap();

    // Signed by a key the root does not list (an impostor's machine):
    // refused as a failed verification, nothing merged.
    let (other, other_id, _) = keyholder_machine(t, gun, "other");
    let held = t
        .join("trust")
        .join(format!("tuf/{gun}/metadata/root.json"));
    let forged = t.join("forged.json");
    let r = run(&[
        "request",
        "sign",
        "--yes",
        s(&request),
        "--trusted-root",
        s(&held),
        "--key-file",
        s(&other.join(format!("keys/{other_id}.age"))),
        "--out",
        s(&forged),
    ]);
    assert_ne!(
        r.code, 0,
        "a key of no root signed the request: {}",
        r.stdout
    );
    let mut doctored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&request).unwrap()).unwrap();
    doctored["signatures"] = serde_json::json!([{
        "keyid": other_id, "method": "ecdsa", "sig": "AAAA"
    }]);
    std::fs::write(returned.join("doctored.json"), doctored.to_string()).unwrap();
    let before = snapshot(&dir.join("staged"));
    let r = by_request(1);
    assert!(r.stderr.contains("not a root key"), "{}", r.stderr);
    assert_unchanged(&dir.join("staged"), &before);
    std::fs::remove_file(returned.join("doctored.json")).unwrap();

    // Kim signs at her machine, checked against the root her client holds.
    let r = ok(&[
        "request",
        "sign",
        "--yes",
        s(&request),
        "--trusted-root",
        s(&held),
        "--key-file",
        s(&kim.join(format!("keys/{kim_id}.age"))),
        "--out",
        s(&returned.join("kim.json")),
    ]);
    assert!(r.stdout.contains("root version 2"), "{}", r.stdout);
    let r = by_request(0);
    assert!(r.stderr.contains("signed with root-4"), "{}", r.stderr);
    assert!(r.stderr.contains("her tool noted"), "{}", r.stderr);
    let merged = run_state(&dir)["done"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["did"] == "requests-merged")
        .cloned()
        .unwrap();
    assert_eq!(merged["complete"], true, "{merged}");
    let by = merged["signed_by"].as_array().unwrap();
    assert_eq!(by.len(), 1, "{merged}");
    assert!(by[0].as_str().unwrap().starts_with("root-4 "), "{merged}");

    // The client holding root 1 follows to root 2, which lists Kim's key.
    let r = publish(&srv, &["push", s(&out2)]);
    assert_eq!(r.code, 0, "push: {}", r.stderr);
    let (code, text) = list(&trust);
    assert_eq!(code, 0, "the client holding root 1 refused root 2: {text}");
    let p = trust.join(format!("tuf/{gun}/metadata/root.json"));
    let root: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    assert_eq!(root["signed"]["version"], 2);
    let ids = root["signed"]["roles"]["root"]["keyids"]
        .as_array()
        .unwrap();
    assert!(ids.contains(&serde_json::json!(kim_id)), "{root}");
    assert_eq!(ids.len(), 3);
}

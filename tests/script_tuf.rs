//! The shipped TUF scripts in one ceremony directory: tuf-initial-root, then
//! tuf-rotate-root; python-tuf walks the export's roots from 1 to 2 and
//! verifies timestamp, snapshot and targets under root 2.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("ceremony-scripts/{name}"))
}

fn answers(t: &Path, name: &str, out: &Path) -> PathBuf {
    let text = format!(
        r#"[inputs]
out = "{}"
[people]
administrator = ["ada"]
operator = ["otto"]
witness = ["wendy"]
custodians = ["ann", "ben", "cat", "dan", "eve"]
[recipients]
ann = "passphrase"
ben = "passphrase"
cat = "passphrase"
dan = "passphrase"
eve = "passphrase"
[passphrases]
keys = "rehearsal-passphrase-1"
[passphrases.custodians]
ann = "ann's words"
ben = "ben's words"
cat = "cat's words"
dan = "dan's words"
eve = "eve's words"
[witness]
name = "wendy"
read_back = "wrong-first"
"#,
        out.display()
    );
    let p = t.join(format!("{name}.answers.toml"));
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn tuf_rotate_root_follows_tuf_initial_root_and_python_tuf_walks_one_to_two() {
    if !need_python_tuf() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = t.join("c");
    for (name, out) in [("tuf-initial-root", "out1"), ("tuf-rotate-root", "out2")] {
        let a = answers(t, name, &t.join(out));
        let r = run(&[
            "-C",
            s(&dir),
            "run",
            s(&script(&format!("{name}.toml"))),
            "--answers",
            s(&a),
            "--allow-network",
        ]);
        assert_eq!(r.code, 0, "{name}:\n{}", r.stderr);
        assert!(r.stderr.contains("read-back refused"), "{}", r.stderr);
    }
    assert!(dir.join("runs/001-tuf-initial-root.json").exists());
    let out2 = t.join("out2");
    for f in ["1.root.json", "2.root.json", "timestamp.json"] {
        assert!(out2.join(f).exists(), "the export lacks {f}");
    }
    let out = Command::new("python3")
        .arg(data("tuf_verify_chain.py"))
        .arg(&out2)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("RESULT: PASS"),
        "python-tuf refused the rotation:\n{text}"
    );
    assert!(text.contains("v2: signed by"), "{text}");
    // root-3 is gone from root 2, root-4 is in it.
    let root2: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out2.join("2.root.json")).unwrap()).unwrap();
    let keys = ok(&["-C", s(&dir), "key", "list", "--json"]).stdout;
    let keys: serde_json::Value = serde_json::from_str(&keys).unwrap();
    let id_of = |label: &str| {
        keys.as_array()
            .or_else(|| keys["keys"].as_array())
            .unwrap()
            .iter()
            .find(|k| k["label"] == label)
            .map(|k| k["id"].as_str().unwrap().to_string())
            .unwrap()
    };
    let ids = root2["signed"]["roles"]["root"]["keyids"].to_string();
    assert!(
        ids.contains(&id_of("root-4")) && !ids.contains(&id_of("root-3")),
        "{ids}"
    );
}

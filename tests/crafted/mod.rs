//! Crafting metadata the tool would refuse to make: bodies edited by hand
//! and signed properly with the library's own functions and the keys a
//! ceremony holds, so a refusal can only come from what the body says.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use ceremony::key::private::PrivateKey;
use ceremony::key::{Algorithm, PublicKey};
use ceremony::metadata::keys::MetaKey;
use ceremony::metadata::{Dialect, Envelope};
use ceremony::secret::Passphrase;
use serde_json::Value;

use crate::common::*;

/// A key held here: its ID as metadata lists it, the key object, the key.
pub struct Held {
    pub id: String,
    pub meta: MetaKey,
    pub key: PrivateKey,
}

impl Held {
    /// A fresh key that lives only in the test (a server's, an attacker's).
    pub fn fresh(dialect: Dialect, algorithm: Algorithm) -> Held {
        let key = PrivateKey::generate(algorithm);
        let meta = MetaKey::from_public(dialect, &key.public()).unwrap();
        Held {
            id: meta.id(dialect),
            meta,
            key,
        }
    }

    /// Writes the public key as a server hands it out and returns the path.
    pub fn write_public(&self, dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, serde_json::to_vec(&self.meta.object).unwrap()).unwrap();
        p
    }
}

/// The key labelled `label` in ceremony `dir`, decrypted with the test
/// passphrase.
pub fn held(dir: &Path, label: &str) -> Held {
    let dialect = dialect_of(dir);
    for e in std::fs::read_dir(dir.join("keys")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let rec: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            if rec["label"] == label {
                let id = rec["id"].as_str().unwrap().to_string();
                let enc = std::fs::read(dir.join(format!("keys/{id}.age"))).unwrap();
                let key = PrivateKey::decrypt(&enc, &Passphrase::from(PASS.to_string())).unwrap();
                let meta = MetaKey::from_value(dialect, &rec["key"]).unwrap();
                return Held { id, meta, key };
            }
        }
    }
    panic!("no key labelled {label} in {}", dir.display());
}

fn dialect_of(dir: &Path) -> Dialect {
    let text = std::fs::read_to_string(dir.join("ceremony.json")).unwrap_or_default();
    if text.contains("\"tuf\"") {
        Dialect::Tuf
    } else {
        Dialect::Notary
    }
}

/// `bytes` (a metadata file) with its body changed by `edit` and signed
/// afresh by `signers`, written as the dialect's tools write files.
pub fn resign(
    dialect: Dialect,
    bytes: &[u8],
    signers: &[&Held],
    edit: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> Vec<u8> {
    let mut env = Envelope::parse(bytes).unwrap();
    edit(env.signed.as_object_mut().unwrap());
    env.signatures.clear();
    for h in signers {
        ceremony::signature::sign(dialect, &mut env, &h.id, &h.meta, &h.key).unwrap();
    }
    env.to_bytes(dialect)
}

/// Writes `files` and a SHA256SUMS covering them into a new bundle `dir`.
pub fn bundle(dir: &Path, files: &[(&str, Vec<u8>)]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let owned: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, b)| (n.to_string(), b.clone()))
        .collect();
    for (n, b) in &owned {
        std::fs::write(dir.join(n), b).unwrap();
    }
    std::fs::write(dir.join("SHA256SUMS"), ceremony::transfer::manifest(&owned)).unwrap();
    dir.to_path_buf()
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let t = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

/// A Notary ceremony: root key `a`, targets `t`, snapshot `s`, a delegation
/// `targets/releases` to key `rel`, the timestamp key `timestamp` (public
/// only), all signed; returns its directory.
pub fn notary_ceremony(tmp: &Path, gun: &str, timestamp: &PublicKey) -> PathBuf {
    let dir = tmp.join("c");
    ok(&["init", s(&dir), "--dialect", "notary", "--gun", gun]);
    let d = s(&dir);
    for (role, label) in [
        ("root", "a"),
        ("targets", "t"),
        ("snapshot", "s"),
        ("targets/releases", "rel"),
    ] {
        ok(&["-C", d, "key", "generate", "--role", role, "--label", label]);
    }
    let ts = MetaKey::from_public(Dialect::Notary, timestamp).unwrap();
    let ts_file = tmp.join("timestamp.key");
    std::fs::write(&ts_file, serde_json::to_vec(&ts.object).unwrap()).unwrap();
    ok(&[
        "-C",
        d,
        "key",
        "import",
        "--role",
        "timestamp",
        "--label",
        "ts",
        s(&ts_file),
    ]);
    root_init(d, &["a"], None, "t", "s", "ts");
    ok(&["-C", d, "root", "sign", "--yes"]);
    ok(&[
        "-C",
        d,
        "delegation",
        "add",
        "targets/releases",
        "--key",
        "rel",
    ]);
    ok(&["-C", d, "targets", "sign"]);
    ok(&["-C", d, "targets", "sign", "--role", "targets/releases"]);
    ok(&["-C", d, "snapshot", "sign"]);
    dir
}

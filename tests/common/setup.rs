//! Ceremony set-ups that many test files share: a directory made, keys
//! generated or imported, a root staged and the roles signed. Each step is
//! one `ceremony` command that must succeed, so a test reads as the steps
//! it takes rather than as the argument lists.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use super::{NotaryServer, ok, s};

/// `init DIR --dialect notary --gun GUN`.
pub fn init_notary(dir: &Path, gun: &str) {
    ok(&["init", s(dir), "--dialect", "notary", "--gun", gun]);
}

/// `key generate --role ROLE --label LABEL` in ceremony `d`; the new key's ID.
pub fn gen_key(d: &str, role: &str, label: &str) -> String {
    ok(&["-C", d, "key", "generate", "--role", role, "--label", label]).last_line()
}

/// `key import --role ROLE --label LABEL FILE` in ceremony `d`.
pub fn import_key(d: &str, role: &str, label: &str, file: &Path) {
    ok(&[
        "-C",
        d,
        "key",
        "import",
        "--role",
        role,
        "--label",
        label,
        s(file),
    ]);
}

/// `root init` in ceremony `d` over the root keys `roots` (with
/// `--threshold` when given) and the keys of the other three roles.
pub fn root_init(
    d: &str,
    roots: &[&str],
    threshold: Option<&str>,
    targets: &str,
    snapshot: &str,
    timestamp: &str,
) {
    let mut args = vec!["-C", d, "root", "init"];
    for r in roots {
        args.extend(["--root-key", r]);
    }
    if let Some(t) = threshold {
        args.extend(["--threshold", t]);
    }
    args.extend([
        "--targets-key",
        targets,
        "--snapshot-key",
        snapshot,
        "--timestamp-key",
        timestamp,
    ]);
    ok(&args);
}

/// The rest of a Notary ceremony once its root keys exist: a targets key
/// `t`, a snapshot key labelled `snapshot`, the timestamp key `ts` imported
/// from `ts_file`, and a root staged over `roots`.
pub fn stage_notary_root(
    d: &str,
    roots: &[&str],
    threshold: Option<&str>,
    snapshot: &str,
    ts_file: &Path,
) {
    gen_key(d, "targets", "t");
    gen_key(d, "snapshot", snapshot);
    import_key(d, "timestamp", "ts", ts_file);
    root_init(d, roots, threshold, "t", snapshot, "ts");
}

/// `root sign --yes`, `targets sign`, `snapshot sign` in ceremony `d`.
pub fn sign_notary(d: &str) {
    ok(&["-C", d, "root", "sign", "--yes"]);
    ok(&["-C", d, "targets", "sign"]);
    ok(&["-C", d, "snapshot", "sign"]);
}

/// A new TUF ceremony at `dir` with one key a role, each labelled with its
/// role's name.
pub fn tuf_keys(dir: &Path) {
    ok(&["init", s(dir), "--dialect", "tuf"]);
    for r in ["root", "targets", "snapshot", "timestamp"] {
        gen_key(s(dir), r, r);
    }
}

/// [`tuf_keys`] and a root staged over them (not signed).
pub fn tuf_staged(dir: &Path) {
    tuf_keys(dir);
    root_init(s(dir), &["root"], None, "targets", "snapshot", "timestamp");
}

/// [`tuf_staged`] and the root signed.
pub fn tuf_root(dir: &Path) {
    tuf_staged(dir);
    ok(&["-C", s(dir), "root", "sign", "--yes"]);
}

/// The key `srv` holds for `gun`'s `role` (timestamp or snapshot),
/// written to `path`.
pub fn server_key(srv: &NotaryServer, gun: &str, role: &str, path: &Path) -> PathBuf {
    let (status, body) = srv
        .get(&format!("/v2/{gun}/_trust/tuf/{role}.key"))
        .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    std::fs::write(path, &body).unwrap();
    path.to_path_buf()
}

/// A Notary ceremony at `tmp/c` (root key `a`, targets `t`, snapshot `s`,
/// the timestamp key `srv` holds), all signed, exported to `tmp/out1` and
/// uploaded to `srv`. Returns (ceremony, export).
pub fn published_notary(srv: &NotaryServer, tmp: &Path, gun: &str) -> (PathBuf, PathBuf) {
    let ts = server_key(srv, gun, "timestamp", &tmp.join("ts.key"));
    let dir = tmp.join("c");
    init_notary(&dir, gun);
    let d = s(&dir);
    gen_key(d, "root", "a");
    stage_notary_root(d, &["a"], None, "s", &ts);
    sign_notary(d);
    let out = tmp.join("out1");
    ok(&["-C", d, "export", s(&out)]);
    let (status, text) = srv.publish_export(gun, &out);
    assert_eq!(status, 200, "initial upload: {text}");
    (dir, out)
}

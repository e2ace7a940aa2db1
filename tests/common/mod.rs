//! Shared test helpers: run the binary, snapshot a directory, find and start
//! real peers (notary-server, notary, python-tuf), talk HTTP to the server.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod setup;
// Not every test binary uses the set-ups.
#[allow(unused_imports)]
pub use setup::*;

pub const PASS: &str = "test-passphrase-7f3a";

/// The outcome of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn last_line(&self) -> String {
        self.stdout.lines().last().unwrap_or("").trim().to_string()
    }
}

/// Runs `ceremony ARGS` with the test passphrase in the environment.
pub fn run(args: &[&str]) -> Run {
    run_pass(PASS, args)
}

/// Runs `ceremony ARGS` with `pass` as CEREMONY_PASSPHRASE.
pub fn run_pass(pass: &str, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_ceremony"))
        .args(args)
        .env("CEREMONY_PASSPHRASE", pass)
        .env_remove("CEREMONY_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("run ceremony");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// Runs and insists on success; returns the run.
pub fn ok(args: &[&str]) -> Run {
    let r = run(args);
    assert_eq!(
        r.code, 0,
        "ceremony {args:?} failed:\n{}\n{}",
        r.stdout, r.stderr
    );
    r
}

/// Runs and insists on exit `code`; returns the run.
pub fn fails(code: i32, args: &[&str]) -> Run {
    let r = run(args);
    assert_eq!(
        r.code, code,
        "ceremony {args:?} exit {} (wanted {code}):\n{}\n{}",
        r.code, r.stdout, r.stderr
    );
    r
}

/// Every file under `dir` with its bytes.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(d: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                out.insert(p.clone(), Vec::new());
                walk(&p, out);
            } else {
                out.insert(p.clone(), std::fs::read(&p).expect("read"));
            }
        }
    }
    walk(dir, &mut out);
    out
}

/// Asserts a refused command changed nothing under `dir`.
pub fn assert_unchanged(dir: &Path, before: &BTreeMap<PathBuf, Vec<u8>>) {
    let after = snapshot(dir);
    let changed: Vec<&PathBuf> = after
        .keys()
        .chain(before.keys())
        .filter(|p| after.get(*p) != before.get(*p))
        .collect();
    assert!(
        changed.is_empty(),
        "the ceremony directory changed: {changed:?}"
    );
}

/// True when `cmd` is on PATH. A missing peer fails the test in CI (where
/// `.ci/run` installs it) and is explained and skipped elsewhere.
pub fn need_peer(cmd: &str, what: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    peer_result(found, what)
}

/// Like [`need_peer`] for python-tuf 7.0.1.
pub fn need_python_tuf() -> bool {
    let found = Command::new("python3")
        .args([
            "-c",
            "import tuf, sys; sys.exit(0 if tuf.__version__ == '7.0.1' else 1)",
        ])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    peer_result(found, "python-tuf 7.0.1 (pip install tuf==7.0.1)")
}

fn peer_result(found: bool, what: &str) -> bool {
    if found {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{what} is required in CI and was not found; .ci/run installs it");
    }
    eprintln!("SKIPPED: {what} not found; run `bash .ci/run` to install the peers this test needs");
    false
}

/// A notary-server on 127.0.0.1 with memory storage and the local signer,
/// stopped on drop.
pub struct NotaryServer {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl NotaryServer {
    pub fn start() -> NotaryServer {
        Self::start_inner(None)
    }

    /// The same server with TLS (cert and key files copied next to its config).
    pub fn start_with_tls(cert: &Path, key: &Path) -> NotaryServer {
        Self::start_inner(Some((cert, key)))
    }

    fn start_inner(tls: Option<(&Path, &Path)>) -> NotaryServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let tls_keys = match tls {
            Some((cert, key)) => format!(
                r#", "tls_cert_file": "{}", "tls_key_file": "{}""#,
                cert.display(),
                key.display()
            ),
            None => String::new(),
        };
        let config = format!(
            r#"{{"server": {{"http_addr": "127.0.0.1:{port}"{tls_keys}}}, "trust_service": {{"type": "local"}}, "logging": {{"level": "info"}}, "storage": {{"backend": "memory"}}}}"#
        );
        let cfg = dir.path().join("server-config.json");
        std::fs::write(&cfg, config).expect("write config");
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log");
        let child = Command::new("notary-server")
            .arg("-config")
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start notary-server");
        let mut s = NotaryServer {
            child,
            port,
            _dir: dir,
        };
        let start = Instant::now();
        loop {
            // A TLS server is up once it accepts connections; plain HTTP
            // can be asked for its health.
            let up = if tls.is_some() {
                TcpStream::connect(("127.0.0.1", port)).is_ok()
            } else {
                matches!(s.get("/_notary_server/health"), Ok((200, _)))
            };
            if up {
                break;
            }
            if start.elapsed() > Duration::from_secs(20)
                || s.child.try_wait().ok().flatten().is_some()
            {
                let log =
                    std::fs::read_to_string(s._dir.path().join("server.log")).unwrap_or_default();
                panic!("notary-server did not come up on port {port}:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        s
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn request(&self, head: String, body: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(20)))?;
        s.write_all(head.as_bytes())?;
        s.write_all(body)?;
        let mut resp = Vec::new();
        s.read_to_end(&mut resp)?;
        let split = resp
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(resp.len());
        let head = String::from_utf8_lossy(&resp[..split]).to_string();
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let mut body = resp[(split + 4).min(resp.len())..].to_vec();
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            body = dechunk(&body);
        }
        Ok((status, body))
    }

    /// GET `path`; (status, body).
    pub fn get(&self, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
        self.request(
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
            b"",
        )
    }

    /// Uploads files as the notary client does: one multipart POST, one
    /// part per file, the role taken from the file name.
    pub fn publish(&self, gun: &str, files: &[(String, Vec<u8>)]) -> (u16, String) {
        let boundary = "ceremonytestboundary7d1c";
        let mut body = Vec::new();
        for (name, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let head = format!(
            "POST /v2/{gun}/_trust/tuf/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let (status, resp) = self.request(head, &body).expect("POST");
        (status, String::from_utf8_lossy(&resp).into())
    }

    /// Uploads the files an export lists in its UPLOAD file.
    pub fn publish_export(&self, gun: &str, out: &Path) -> (u16, String) {
        let list = std::fs::read_to_string(out.join("UPLOAD")).expect("UPLOAD");
        let files: Vec<(String, Vec<u8>)> = list
            .lines()
            .map(|n| {
                (
                    n.to_string(),
                    std::fs::read(out.join(n)).expect("exported file"),
                )
            })
            .collect();
        self.publish(gun, &files)
    }
}

impl Drop for NotaryServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&b[start..(start + size).min(b.len())]);
        b = &b[(start + size + 2).min(b.len())..];
    }
    out
}

/// Runs the real notary client; (exit code, combined output).
pub fn notary(args: &[&str]) -> (i32, String) {
    let out = Command::new("notary")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run notary");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The path of a file under tests/data.
pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// Validates the JSON text `doc` against the schema file `schema` with
/// python's jsonschema (tests/data/validate_json.py); (valid, what the
/// validator printed).
pub fn validate_json(schema: &Path, doc: &str) -> (bool, String) {
    let mut child = Command::new("python3")
        .arg(data("validate_json.py"))
        .arg(schema)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(doc.as_bytes())
        .expect("write the document");
    let out = child.wait_with_output().expect("wait for python3");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
    )
}

/// A str from a path.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Writes a Notary timestamp key JSON (a fresh Ed25519 public key, as the
/// server would hand out) and returns its path.
pub fn server_like_key(dir: &Path, name: &str) -> PathBuf {
    use ceremony::key::{Algorithm, private::PrivateKey};
    use ceremony::metadata::{Dialect, keys::MetaKey};
    let k = MetaKey::from_public(
        Dialect::Notary,
        &PrivateKey::generate(Algorithm::Ed25519).public(),
    )
    .unwrap();
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(&k.object).unwrap()).unwrap();
    p
}

/// A new age identity `NAME.key` in `dir` (age-keygen), and its recipient.
pub fn age_recipient(dir: &Path, name: &str) -> String {
    let key = dir.join(format!("{name}.key"));
    let st = Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .output()
        .unwrap();
    assert!(st.status.success());
    let out = Command::new("age-keygen")
        .arg("-y")
        .arg(&key)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A keyholder's own machine: a new Notary ceremony directory `t/NAME`
/// with one root key labelled NAME, whose public half is written to
/// `t/NAME.pub.json`. Returns (directory, key ID, public key file).
pub fn keyholder_machine(t: &Path, gun: &str, name: &str) -> (PathBuf, String, PathBuf) {
    let dir = t.join(name);
    ok(&["init", s(&dir), "--dialect", "notary", "--gun", gun]);
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
    let public = t.join(format!("{name}.pub.json"));
    ok(&["-C", s(&dir), "key", "export-public", &id, s(&public)]);
    (dir, id, public)
}

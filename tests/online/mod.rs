//! Helpers for the online tests: run `ceremony-publish` with a time limit,
//! small local HTTP servers that answer what a test tells them, and
//! bundles made or edited without a notary-server.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs `ceremony-publish ARGS`, killed (and the test failed) after
/// `limit`; returns the run and how long it took.
pub fn publish_within(limit: Duration, args: &[&str]) -> (Run, Duration) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ceremony-publish"))
        .args(args)
        .env_remove("CEREMONY_NOTARY_SERVER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = r.read_to_end(&mut b);
            String::from_utf8_lossy(&b).to_string()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ceremony-publish {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = start.elapsed();
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "ceremony-publish {args:?} panicked:\n{}",
        run.stderr
    );
    (run, took)
}

/// Removes `name` from a bundle and from its SHA256SUMS, as someone
/// editing the carried folder would.
pub fn drop_from_bundle(out: &Path, name: &str) {
    std::fs::remove_file(out.join(name)).unwrap();
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    let kept: String = sums
        .lines()
        .filter(|l| !l.ends_with(&format!("  {name}")))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(out.join("SHA256SUMS"), kept).unwrap();
}

/// A server on 127.0.0.1 that answers each request with `answer(request
/// line)` (a whole HTTP response) and records the request lines.
pub struct Fake {
    pub port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    pub fn start(answer: impl Fn(&str) -> Vec<u8> + Send + 'static) -> Fake {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(mut c) = conn else { continue };
                let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && c.read(&mut b).unwrap_or(0) == 1 {
                    head.push(b[0]);
                }
                let text = String::from_utf8_lossy(&head).to_string();
                let line = text.lines().next().unwrap_or("").to_string();
                log.lock().unwrap().push(line.clone());
                let _ = c.write_all(&answer(&line));
            }
        });
        Fake { port, seen }
    }

    /// Answers 404 to everything.
    pub fn not_found() -> Fake {
        Fake::start(|_| response(404, "", b"{}"))
    }

    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

pub fn response(status: u16, extra_headers: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

pub const QUICK: Duration = Duration::from_secs(2);

/// A ceremony exported without a server (generated snapshot key, a
/// server-like timestamp key), for pushes to the hostile servers.
pub fn offline_bundle(tmp: &Path, gun: &str) -> PathBuf {
    let dir = tmp.join("c");
    init_notary(&dir, gun);
    let d = s(&dir);
    let ts = server_like_key(tmp, "ts.json");
    gen_key(d, "root", "a");
    stage_notary_root(d, &["a"], None, "sn", &ts);
    sign_notary(d);
    let out = tmp.join("out");
    ok(&["-C", d, "export", s(&out)]);
    out
}

/// A copy of the bundle `from` at `to`, changed by `edit`.
pub fn edited(from: &Path, to: &Path, edit: impl FnOnce(&Path)) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
    edit(to);
    to.to_path_buf()
}

/// How [`notary_ceremony`] sets a ceremony up.
#[derive(Debug, Clone, Copy, Default)]
pub struct Setup {
    /// A snapshot key generated here (offline) instead of the server's.
    pub offline_snapshot: bool,
    /// Marked as a rehearsal's right after `init`.
    pub rehearsal: bool,
}

/// A Notary ceremony for `gun` at `dir`: the server's keys fetched with
/// `ceremony-publish SERVER… fetch-keys` into `DIR-keys` beside it and
/// taken in with `import`, root key `a`, targets key `t`, root version 1
/// and targets signed. `server` is `--server URL` and any more options
/// (`--tls-ca FILE`).
pub fn notary_ceremony(server: &[&str], gun: &str, dir: &Path, setup: Setup) -> PathBuf {
    let name = dir.file_name().unwrap().to_string_lossy();
    let keys = dir.with_file_name(format!("{name}-keys"));
    let mut args = server.to_vec();
    args.extend_from_slice(&["fetch-keys", gun, s(&keys)]);
    let (r, _) = publish_within(Duration::from_secs(120), &args);
    assert_eq!(r.code, 0, "fetch-keys: {}", r.stderr);
    assert!(keys.join("timestamp.key").exists() && keys.join("snapshot.key").exists());
    ok(&["init", s(dir), "--dialect", "notary", "--gun", gun]);
    if setup.rehearsal {
        ceremony::ceremony::Workspace::open(dir)
            .unwrap()
            .mark_rehearsal()
            .unwrap();
        // The test process is a command of its own: it lets go of the
        // directory before the binary is run on it.
        ceremony::ceremony::journal::end_command(true).unwrap();
    }
    let d = s(dir);
    ok(&["-C", d, "key", "generate", "--role", "root", "--label", "a"]);
    ok(&[
        "-C", d, "key", "generate", "--role", "targets", "--label", "t",
    ]);
    ok(&["-C", d, "import", s(&keys)]);
    let snapshot = if setup.offline_snapshot {
        ok(&[
            "-C", d, "key", "generate", "--role", "snapshot", "--label", "sn",
        ]);
        "sn"
    } else {
        "server-snapshot"
    };
    ok(&[
        "-C",
        d,
        "root",
        "init",
        "--root-key",
        "a",
        "--targets-key",
        "t",
        "--snapshot-key",
        snapshot,
        "--timestamp-key",
        "server-timestamp",
    ]);
    ok(&["-C", d, "root", "sign", "--yes"]);
    ok(&["-C", d, "targets", "sign"]);
    dir.to_path_buf()
}

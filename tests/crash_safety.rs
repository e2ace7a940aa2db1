//! Crash safety of the ceremony directory (issue 9, part 1).
//!
//! The tool is killed with SIGKILL at its writes (strace stops it at the
//! Nth call of a file-changing system call) and at random moments during
//! `root sign`, `shares split --only-shares` and `export`. After each kill
//! the next command finds the directory exactly as before the killed
//! command or exactly as after it, with nothing half-written left behind,
//! and what it holds verifies. Two `root sign` runs at once both land.
//! A write that fails (a full file system) leaves nothing behind either.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GUN: &str = "registry.example.com/crash/safety";

/// The system calls that change files: the moments a kill is aimed at.
const CHANGING: &[&str] = &[
    "openat",
    "write",
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "mkdir",
    "mkdirat",
    "ftruncate",
    "fsync",
    "fdatasync",
    "fchmod",
];

type Tree = BTreeMap<String, Vec<u8>>;

/// The custodians' `NAME=age1…` arguments for the split.
static RECIPIENTS: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Every file and folder under `root`, by path relative to it; a share
/// set's folder (a random ID) is named `SET`; the lock file is left out
/// (it stays by design, empty).
fn tree(root: &Path) -> Tree {
    let mut out = Tree::new();
    if !root.exists() {
        return out;
    }
    fn walk(root: &Path, d: &Path, out: &mut Tree) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
            let mut parts: Vec<&str> = rel.split('/').collect();
            if parts.len() >= 2 && parts[0] == "shares" {
                parts[1] = "SET";
            }
            let rel = parts.join("/");
            if rel == ".lock" {
                continue;
            }
            if p.is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                walk(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    walk(root, root, &mut out);
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

/// Names of files an unfinished write or change would leave behind.
fn leftovers(t: &Tree) -> Vec<String> {
    t.keys()
        .filter(|p| {
            let name = p.trim_end_matches('/').rsplit('/').next().unwrap_or("");
            name.starts_with(".tmp") || name.starts_with(".journal") || name == "INCOMPLETE"
        })
        .cloned()
        .collect()
}

/// What one operation is: its arguments, given the working directory and
/// the export folder, and a check that its result is whole.
struct Op {
    name: &'static str,
    args: fn(&Path, &Path) -> Vec<String>,
    whole: fn(&Path, &Path),
}

fn ceremony(args: &[String]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ceremony"));
    c.args(args)
        .env("CEREMONY_PASSPHRASE", PASS)
        .env_remove("CEREMONY_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// A Notary ceremony with a 2-of-3 root staged, signed by `a` only; the
/// root keys `b` (signs next) and `c` (split into shares next).
fn template(t: &Path) -> PathBuf {
    let dir = unsigned(t);
    ok(&["-C", s(&dir), "--yes", "root", "sign", "--key", "a"]);
    dir
}

/// The template with root 1 complete and targets and snapshot signed: what
/// an export takes.
fn signed_template(t: &Path, base: &Path) -> PathBuf {
    let signed = t.join("signed");
    copy_dir(base, &signed);
    ok(&strs(&sign_b(&signed, Path::new(""))));
    ok(&["-C", s(&signed), "targets", "sign"]);
    ok(&["-C", s(&signed), "snapshot", "sign"]);
    signed
}

/// A Notary ceremony with a 2-of-3 root (keys a, b, c) staged, unsigned.
fn unsigned(t: &Path) -> PathBuf {
    let dir = t.join("template");
    init_notary(&dir, GUN);
    let d = s(&dir);
    for l in ["a", "b", "c"] {
        gen_key(d, "root", l);
    }
    let ts = server_like_key(t, "ts.json");
    stage_notary_root(d, &["a", "b", "c"], Some("2"), "s", &ts);
    dir
}

/// The ceremony's signed root (version 1, when made) verifies as a client
/// would.
fn root_verifies(dir: &Path) {
    let signed = dir.join("root/1.root.json");
    if signed.exists() {
        ok(&["verify", s(&signed), "--gun", GUN]);
    }
}

fn sign_b(dir: &Path, _out: &Path) -> Vec<String> {
    ["-C", s(dir), "--yes", "root", "sign", "--key", "b"]
        .map(String::from)
        .to_vec()
}

fn signed_whole(dir: &Path, _out: &Path) {
    let signed = dir.join("root/1.root.json");
    assert!(signed.exists(), "no signed root after root sign");
    ok(&["verify", s(&signed), "--gun", GUN]);
}

fn split_c(dir: &Path, _out: &Path) -> Vec<String> {
    let r = RECIPIENTS.get().expect("recipients made first");
    let mut a: Vec<String> = [
        "-C",
        s(dir),
        "--yes",
        "shares",
        "split",
        "--key",
        "c",
        "--threshold",
        "2",
        "--only-shares",
    ]
    .map(String::from)
    .to_vec();
    for line in r.lines() {
        a.push("--custodian".into());
        a.push(line.to_string());
    }
    a
}

fn split_whole(dir: &Path, _out: &Path) {
    let list = ok(&["-C", s(dir), "shares", "list"]).stdout;
    assert_eq!(list.lines().count(), 1, "{list}");
    let keys = ok(&["-C", s(dir), "key", "list"]).stdout;
    assert!(keys.contains("shares"), "{keys}");
}

fn export(dir: &Path, out: &Path) -> Vec<String> {
    ["-C", s(dir), "export", s(out)].map(String::from).to_vec()
}

fn export_whole(_dir: &Path, out: &Path) {
    ok(&["verify", s(out), "--gun", GUN]);
}

/// Runs `op` from the template's state in `work`, killed as `kill` says,
/// then opens the directory once (which undoes an unfinished change) and
/// checks it is the state before or after. Returns whether it was after.
fn one(
    op: &Op,
    tpl: &Path,
    work: &Path,
    before: &(Tree, Tree),
    after: &(Tree, Tree),
    kill: &Kill,
) -> bool {
    let (dir, out) = (work.join("c"), work.join("out"));
    if work.exists() {
        std::fs::remove_dir_all(work).unwrap();
    }
    copy_dir(tpl, &dir);
    let args = (op.args)(&dir, &out);
    match kill {
        Kill::At(call, n) => {
            let mut c = Command::new("strace");
            c.args(["-f", "-qq", "-o", "/dev/null", "-e"])
                .arg(format!("trace={call}"))
                .arg("-e")
                .arg(format!("inject={call}:signal=KILL:when={n}"))
                .arg(env!("CARGO_BIN_EXE_ceremony"))
                .args(&args)
                .env("CEREMONY_PASSPHRASE", PASS)
                .env_remove("CEREMONY_DIR")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            c.status().unwrap();
        }
        Kill::After(d) => {
            let mut child = ceremony(&args).spawn().unwrap();
            std::thread::sleep(*d);
            let _ = child.kill();
            child.wait().unwrap();
        }
    }
    // The next command to open the directory puts it right.
    ok(&["-C", s(&dir), "key", "list"]);
    let now = (tree(&dir), tree(&out));
    let left: Vec<String> = leftovers(&now.0)
        .into_iter()
        .chain(leftovers(&now.1))
        .collect();
    assert!(
        left.is_empty(),
        "{} killed {kill:?}: left {left:?}",
        op.name
    );
    root_verifies(&dir);
    if now == *before {
        return false;
    }
    // After: the same files as an uninterrupted run made, those it did not
    // change untouched, and the result whole.
    for (now_t, before_t, after_t, what) in [
        (&now.0, &before.0, &after.0, "directory"),
        (&now.1, &before.1, &after.1, "export"),
    ] {
        let names: Vec<&String> = now_t.keys().collect();
        let expected: Vec<&String> = after_t.keys().collect();
        let differs = |a: &Tree, b: &Tree| -> Vec<String> {
            a.keys()
                .chain(b.keys())
                .filter(|p| a.get(*p) != b.get(*p))
                .cloned()
                .collect()
        };
        assert_eq!(
            names,
            expected,
            "{} killed {kill:?}: the {what} is neither as before nor as after; against before, {:?} differ",
            op.name,
            differs(now_t, before_t)
        );
        for (p, b) in before_t {
            if after_t.get(p) == Some(b) {
                assert_eq!(
                    now_t.get(p),
                    Some(b),
                    "{} killed {kill:?}: {p} changed",
                    op.name
                );
            }
        }
    }
    let transcript = &now.0["transcript.jsonl"];
    assert!(transcript.starts_with(&before.0["transcript.jsonl"]));
    ok(&["-C", s(&dir), "transcript", "verify", "--open"]);
    (op.whole)(&dir, &out);
    true
}

#[derive(Debug)]
enum Kill {
    /// At the Nth call of this system call.
    At(&'static str, usize),
    /// This long after the start.
    After(Duration),
}

/// How often an uninterrupted run makes each file-changing call.
fn calls(args: &[String]) -> BTreeMap<&'static str, usize> {
    let log = tempfile::NamedTempFile::new().unwrap();
    let st = Command::new("strace")
        .args(["-f", "-qq", "-c", "-o"])
        .arg(log.path())
        .arg("-e")
        .arg(format!("trace={}", CHANGING.join(",")))
        .arg(env!("CARGO_BIN_EXE_ceremony"))
        .args(args)
        .env("CEREMONY_PASSPHRASE", PASS)
        .env_remove("CEREMONY_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "{args:?} failed under strace");
    let text = std::fs::read_to_string(log.path()).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 5 {
            continue;
        }
        let (Some(name), Ok(n)) = (f.last(), f[3].parse::<usize>()) else {
            continue;
        };
        if let Some(c) = CHANGING.iter().find(|c| *c == name) {
            out.insert(*c, n);
        }
    }
    out
}

/// A small xorshift generator: the moments are random, and the seed is
/// printed so a failure can be run again.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Kill points for one operation: `budget` aimed at its calls (every call
/// of the structural ones — rename, unlink, mkdir, truncate, sync — and
/// the rest of the budget spread over opens and writes), and `random`
/// moments in the run's second half, where its writes are.
fn kills(
    counts: &BTreeMap<&'static str, usize>,
    budget: usize,
    random: usize,
    took: Duration,
    rng: &mut Rng,
) -> Vec<Kill> {
    let mut out = Vec::new();
    let busy = ["openat", "write"];
    for (call, n) in counts {
        if !busy.contains(call) {
            out.extend((1..=*n).map(|i| Kill::At(call, i)));
        }
    }
    let left = budget.saturating_sub(out.len()).max(8);
    for call in busy {
        let n = counts.get(call).copied().unwrap_or(0);
        let take = (left / 2).min(n);
        for k in 0..take {
            // Spread evenly, the last call always among them.
            let i = n - (k * n) / take.max(1);
            out.push(Kill::At(call, i));
        }
    }
    let span = took.as_micros() as u64;
    for _ in 0..random {
        let at = span / 2 + rng.next() % (span / 2 + span / 10 + 1);
        out.push(Kill::After(Duration::from_micros(at)));
    }
    out
}

#[test]
fn killed_at_any_moment_the_directory_is_as_before_or_as_after() {
    if !need_peer("strace", "strace (to stop the tool at its writes)")
        || !need_peer("age-keygen", "age")
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let base = template(t);
    let recipients: Vec<String> = ["ann", "ben", "cat"]
        .iter()
        .map(|n| format!("{n}={}", age_recipient(t, n)))
        .collect();
    RECIPIENTS.set(recipients.join("\n")).unwrap();
    // The export runs from the state after b signed.
    let signed = signed_template(t, &base);

    let ops = [
        (
            Op {
                name: "root sign",
                args: sign_b,
                whole: signed_whole,
            },
            &base,
        ),
        (
            Op {
                name: "shares split --only-shares",
                args: split_c,
                whole: split_whole,
            },
            &base,
        ),
        (
            Op {
                name: "export",
                args: export,
                whole: export_whole,
            },
            &signed,
        ),
    ];
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("random kill moments from seed {seed}");
    let mut rng = Rng(seed);
    let mut total = 0;
    // CRASH_OPS=export (a part of an operation's name) runs only that one.
    let only = std::env::var("CRASH_OPS").unwrap_or_default();
    for (op, tpl) in ops
        .iter()
        .filter(|(op, _)| only.split(',').any(|o| op.name.contains(o)))
    {
        let work = t.join("work");
        if work.exists() {
            std::fs::remove_dir_all(&work).unwrap();
        }
        // The reference: one uninterrupted run, timed and counted.
        let (dir, out) = (work.join("c"), work.join("out"));
        copy_dir(tpl, &dir);
        let before = (tree(&dir), tree(&out));
        let args = (op.args)(&dir, &out);
        let start = Instant::now();
        assert!(ceremony(&args).status().unwrap().success(), "{}", op.name);
        let took = start.elapsed();
        let after = (tree(&dir), tree(&out));

        assert_ne!(before, after, "{} changed nothing", op.name);
        std::fs::remove_dir_all(&work).unwrap();
        let counts = {
            copy_dir(tpl, &dir);
            let c = calls(&(op.args)(&dir, &out));
            std::fs::remove_dir_all(&work).unwrap();
            c
        };
        let plan = kills(&counts, 50, 17, took, &mut rng);
        let (mut was_before, mut was_after) = (0, 0);
        for k in &plan {
            if one(op, tpl, &work, &before, &after, k) {
                was_after += 1;
            } else {
                was_before += 1;
            }
        }
        eprintln!(
            "{}: {} kills ({counts:?}): {was_before} as before, {was_after} as after",
            op.name,
            plan.len()
        );
        // Kills at the last calls land after the change is made.
        assert!(was_before > 0 && was_after > 0, "{}", op.name);
        total += plan.len();
    }
    if only.is_empty() {
        assert!(total >= 200, "only {total} kills");
    }
}

/// Two officers sign at once: the second waits for the first, and both
/// signatures are in the root that comes out (five times over).
#[test]
fn two_root_signs_at_once_both_land() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let base = unsigned(t);
    for round in 0..5 {
        let dir = t.join(format!("round{round}"));
        copy_dir(&base, &dir);
        let sign = |label: &str| {
            ceremony(&["-C", s(&dir), "--yes", "root", "sign", "--key", label].map(String::from))
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (b, c) = (sign("a"), sign("b"));
        let (b, c) = (b.wait_with_output().unwrap(), c.wait_with_output().unwrap());
        assert!(
            b.status.success() && c.status.success(),
            "round {round}: {}\n{}",
            String::from_utf8_lossy(&b.stderr),
            String::from_utf8_lossy(&c.stderr)
        );
        // Both landed: the second signed after the first, so the root has
        // its two signatures and is complete (a lost one leaves it staged).
        let root = dir.join("root/1.root.json");
        assert!(root.exists(), "round {round}: a signature was lost");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&root).unwrap()).unwrap();
        let sigs = v["signatures"].as_array().unwrap().len();
        assert_eq!(sigs, 2, "round {round}: {sigs} signatures in root 1");
        ok(&["verify", s(&dir.join("root/1.root.json")), "--gun", GUN]);
    }
}

/// Runs `op` once from `tpl` in `work` with every Nth write failing as on a
/// full disk; returns (exit status, stderr).
fn with_full_disk(op: &Op, tpl: &Path, work: &Path, n: usize) -> (i32, String) {
    let (dir, out) = (work.join("c"), work.join("out"));
    if work.exists() {
        std::fs::remove_dir_all(work).unwrap();
    }
    copy_dir(tpl, &dir);
    let o = Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=write", "-e"])
        .arg(format!("inject=write:error=ENOSPC:when={n}"))
        .arg(env!("CARGO_BIN_EXE_ceremony"))
        .args((op.args)(&dir, &out))
        .env("CEREMONY_PASSPHRASE", PASS)
        .env_remove("CEREMONY_DIR")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

/// A full disk: each write of `root sign` and of `export` in turn fails
/// with ENOSPC. The command says so and leaves the directory and the export
/// folder as they were, with no partial file; a write that made it through
/// means the command is whole.
#[test]
fn a_failed_write_leaves_everything_as_before() {
    if !need_peer("strace", "strace (to make a write fail as on a full disk)") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let base = template(t);
    let signed = signed_template(t, &base);
    let ops = [
        (
            Op {
                name: "root sign",
                args: sign_b,
                whole: signed_whole,
            },
            &base,
        ),
        (
            Op {
                name: "export",
                args: export,
                whole: export_whole,
            },
            &signed,
        ),
    ];
    let work = t.join("work");
    for (op, tpl) in &ops {
        let before = (tree(tpl), Tree::new());
        let writes = {
            let (dir, out) = (work.join("c"), work.join("out"));
            if work.exists() {
                std::fs::remove_dir_all(&work).unwrap();
            }
            copy_dir(tpl, &dir);
            calls(&(op.args)(&dir, &out))["write"]
        };
        let (mut said_full, mut refused) = (0, 0);
        for n in 1..=writes {
            let (code, stderr) = with_full_disk(op, tpl, &work, n);
            let (dir, out) = (work.join("c"), work.join("out"));
            if code == 0 {
                // A line to the terminal that could not be written (it is
                // not the record): the command is whole.
                (op.whole)(&dir, &out);
                continue;
            }
            assert_eq!(code, 2, "{} with write {n} failing: {stderr}", op.name);
            assert!(
                stderr.lines().any(|l| l.starts_with("ceremony: error: ")),
                "{} with write {n} failing said no reason: {stderr}",
                op.name
            );
            if stderr.contains("No space left on device") {
                said_full += 1;
            }
            let now = (tree(&dir), tree(&out));
            assert!(
                now == before,
                "{} with write {n} failing changed the directory or left an export",
                op.name
            );
            refused += 1;
        }
        eprintln!(
            "{}: each of {writes} writes failed in turn: {refused} refused and undone \
             ({said_full} said the disk is full), the rest were terminal lines",
            op.name
        );
        assert!(said_full > 3, "{}", op.name);
    }
}

/// Where the machine lets the test mount a small tmpfs (root, or a
/// container that allows it), a real full file system: the export gets
/// 4 KiB more room each time until it fits, and every attempt that did
/// not fit is refused and leaves nothing behind.
#[test]
fn an_export_onto_a_full_file_system_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let small = t.join("small");
    std::fs::create_dir(&small).unwrap();
    let mount = |opts: &str| {
        Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(&small)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if !mount("size=16m") {
        eprintln!(
            "skipped: this machine does not let the test mount a tmpfs; \
             a_failed_write_leaves_everything_as_before covers the failed write"
        );
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(small.clone());
    let base = template(t);
    let signed = signed_template(t, &base);
    let (dir, out) = (small.join("c"), small.join("out"));
    copy_dir(&signed, &dir);
    // Any command opens the directory once before the room is cut (the
    // lock file), so that only the export itself meets the full disk.
    ok(&["-C", s(&dir), "key", "list"]);
    let before = tree(&dir);
    let used = || -> u64 {
        let o = Command::new("df")
            .args(["-B1", "--output=used"])
            .arg(&small)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse().ok())
            .unwrap()
    };
    let base_used = used();
    // Every try before the one that fits was refused: `extra` counts them.
    for extra in 0..64u64 {
        let size = base_used + extra * 4096;
        assert!(mount(&format!("remount,size={size}")), "remount to {size}");
        let r = run(&["-C", s(&dir), "export", s(&out)]);
        if r.code == 0 {
            export_whole(&dir, &out);
            eprintln!("the export fit with {extra} pages free; {extra} tries before were refused");
            assert!(extra > 0, "the export fit at once: the test proved nothing");
            return;
        }
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("No space left"), "{}", r.stderr);
        assert_unchanged_tree(&dir, &before);
        assert!(!out.exists(), "a refused export left {}", out.display());
        assert_eq!(used(), base_used, "a refused export left bytes on the disk");
    }
    panic!("the export never fit in 64 more pages");
}

fn assert_unchanged_tree(dir: &Path, before: &Tree) {
    assert!(
        tree(dir) == *before,
        "a refused export changed {}",
        dir.display()
    );
}

/// A directory held by another process for longer than the wait: the
/// command refuses, names why, and changes nothing.
#[test]
fn a_directory_held_too_long_is_refused_with_a_reason() {
    if !need_peer("flock", "util-linux flock") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = unsigned(tmp.path());
    let before = snapshot(&dir);
    let mut holder = Command::new("flock")
        .args(["-x"])
        .arg(dir.join(".lock"))
        .args(["-c", "sleep 40"])
        .spawn()
        .unwrap();
    // The holder has the lock once flock has run its command.
    let start = Instant::now();
    while Command::new("flock")
        .args(["-n", "-s"])
        .arg(dir.join(".lock"))
        .arg("true")
        .status()
        .unwrap()
        .success()
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "flock never held"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let r = fails(2, &["-C", s(&dir), "--yes", "root", "sign", "--key", "a"]);
    let _ = holder.kill();
    let _ = holder.wait();
    assert!(
        r.stderr.contains("in use by another ceremony command") && r.stderr.contains("hint:"),
        "{}",
        r.stderr
    );
    assert_unchanged(&dir, &before);
}

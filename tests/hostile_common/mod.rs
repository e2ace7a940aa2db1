//! Running the binary on hostile input with bounds: a memory limit (the
//! child runs under `ulimit -v`, so an allocation past it aborts the child
//! and the test fails), a deadline that kills the child (a hang fails
//! rather than blocks), and the checks every hostile run shares: exit 1 or
//! 2 as wanted, no panic, no abort.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Hostile runs of one test binary take turns, so the time each takes is
/// its own and not that of a neighbour writing 200 MB.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// The address space the child may use.
pub const MEMORY_KIB: u64 = 2 * 1024 * 1024;
/// What "finishes in under 2 s" means.
pub const BOUND: Duration = Duration::from_secs(2);
/// When a child that has not finished is killed (generous, so a loaded
/// machine does not make a slow run look like a hang; BOUND is still
/// asserted on what it took).
pub const KILL: Duration = Duration::from_secs(10);

/// One bounded run.
#[derive(Debug)]
pub struct Bounded {
    /// Exit status; None when a signal ended the child (an abort).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

/// The binary under test; `CEREMONY_HOSTILE_BIN` points these tests at
/// another build (to show that they fail on one without the bounds).
pub fn binary() -> String {
    std::env::var("CEREMONY_HOSTILE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ceremony").into())
}

/// Where the child's standard output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Out {
    /// A pipe read to the end.
    Piped,
    /// A pipe whose reading end is closed before the child starts: every
    /// write fails with EPIPE (`ceremony … | head -0`, deterministically).
    Closed,
    /// `/dev/full`: every write fails with ENOSPC.
    Full,
}

/// Runs `ceremony ARGS` under the memory limit, stdout to `out`, killed
/// after `kill`.
pub fn run_bounded(args: &[&str], out: Out, kill: Duration) -> Bounded {
    let stdout = match out {
        Out::Piped => Stdio::piped(),
        Out::Closed => {
            let (r, w) = std::io::pipe().expect("pipe");
            drop(r);
            Stdio::from(w)
        }
        Out::Full => Stdio::from(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full"),
        ),
    };
    let piped_out = out == Out::Piped;
    let start = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_KIB} && exec \"$0\" \"$@\""))
        .arg(binary())
        .args(args)
        .env("CEREMONY_PASSPHRASE", crate::common::PASS)
        .env_remove("CEREMONY_DIR")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ceremony");
    let reader = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut s);
            }
            String::from_utf8_lossy(&s).to_string()
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .filter(|_| piped_out)
            .map(|o| Box::new(o) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|e| Box::new(e) as Box<dyn Read + Send>),
    );
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > kill {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "ceremony {args:?} did not finish within {kill:?}: killed\n{}",
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = start.elapsed();
    Bounded {
        code: status.code(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        took,
    }
}

/// Asserts what every hostile run must show: exit `code`, within `bound`,
/// no panic, no abort, and `says` in the output.
pub fn check(args: &[&str], r: &Bounded, code: i32, says: &str, bound: Duration) {
    let all = format!("{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.code,
        Some(code),
        "ceremony {args:?}: exit {:?} (wanted {code}; None is a signal, e.g. an abort on the memory limit)\n{all}",
        r.code
    );
    assert!(
        !all.contains("panicked") && !all.contains("memory allocation"),
        "ceremony {args:?} panicked or ran out of memory:\n{all}"
    );
    assert!(
        r.took < bound,
        "ceremony {args:?} took {:?}, more than {bound:?}",
        r.took
    );
    assert!(
        all.contains(says),
        "ceremony {args:?}: wanted {says:?} in:\n{all}"
    );
}

/// Runs `ceremony ARGS` on hostile input and checks it: exit `code`, under
/// [`BOUND`], no panic or abort, `says` in the output.
pub fn hostile(args: &[&str], code: i32, says: &str) -> Bounded {
    let r = run_bounded(args, Out::Piped, KILL);
    check(args, &r, code, says, BOUND);
    r
}

/// Makes a FIFO at `path`.
pub fn mkfifo(path: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .expect("mkfifo");
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for b in bytes {
        c ^= u32::from(*b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A valid-looking PNG of a few dozen bytes whose header declares
/// `w`×`h` grey pixels (its pixel data is an empty zlib stream).
pub fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
        ],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Bits for a deflate stream, least significant first.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, len: u32) {
        for i in 0..len {
            self.acc |= ((value >> i) & 1) << self.n;
            self.n += 1;
            if self.n == 8 {
                self.out.push(self.acc as u8);
                self.acc = 0;
                self.n = 0;
            }
        }
    }
    /// A Huffman code, most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.put((code >> i) & 1, 1);
        }
    }
    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A real PNG of `w`×`h` black 1-bit pixels, its data deflated with
/// fixed codes (a few hundred kilobytes for 20000×20000): the kind of file
/// that took a decoder seconds per image.
pub fn png_of_zeros(w: u32, h: u32) -> Vec<u8> {
    let raw = u64::from(h) * (1 + u64::from(w).div_ceil(8));
    let mut b = Bits::default();
    b.put(1, 1); // last block
    b.put(1, 2); // fixed Huffman codes
    b.code(0x30, 8); // literal 0
    let mut left = raw - 1;
    while left >= 258 {
        b.code(0xC5, 8); // length 258 (code 285)
        b.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        b.code(0x30, 8);
    }
    b.code(0, 7); // end of block
    let mut z = vec![0x78, 0x01];
    z.extend(b.finish());
    let adler = (((raw % 65521) as u32) << 16) | 1;
    z.extend_from_slice(&adler.to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A fresh TUF ceremony directory to import into.
pub fn ceremony_dir(tmp: &Path) -> PathBuf {
    let dir = tmp.join("c");
    crate::common::ok(&["init", crate::common::s(&dir), "--dialect", "tuf"]);
    dir
}

/// Imports `bundle` into a fresh ceremony; wants exit 2 with `says`, and
/// the ceremony unchanged.
pub fn import_refused(tmp: &Path, bundle: &Path, says: &str) -> Bounded {
    let dir = tmp.join("c");
    if !dir.exists() {
        ceremony_dir(tmp);
    }
    let before = crate::common::snapshot(&dir);
    let r = hostile(
        &[
            "-C",
            crate::common::s(&dir),
            "import",
            crate::common::s(bundle),
        ],
        2,
        says,
    );
    crate::common::assert_unchanged(&dir, &before);
    r
}

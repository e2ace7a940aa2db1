//! Passphrases handed over in environment variables do not stay readable
//! in `/proc/PID/environ`: the tool overwrites the values in place at
//! start-up (removing the variables alone leaves the bytes there, for
//! every process of the same user to read while the tool runs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_ceremony");

/// Starts `ceremony completions bash` (about 130 KB of output) with the
/// given variables, reads one byte of its output so that `main` has run,
/// and returns its `/proc/PID/environ` while it is blocked on the full
/// pipe, still alive (None, said on stderr, where only root may read it).
fn environ_while_running(vars: &[(&str, &OsStr)]) -> Option<Vec<u8>> {
    let mut cmd = Command::new(BIN);
    cmd.args(["completions", "bash"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("CEREMONY_TEST_MARK", "still-here")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn ceremony");
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    out.read_exact(&mut first).expect("first byte of output");
    // The tool makes itself non-dumpable at start: from then on only root
    // may read its environment block, and this test needs to.
    let environ = match std::fs::read(format!("/proc/{}/environ", child.id())) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            let _ = child.kill();
            let _ = child.wait();
            let why =
                "reading another process's /proc/PID/environ once it is non-dumpable needs root";
            assert!(std::env::var_os("CI").is_none(), "{why}");
            eprintln!("skipped: {why}");
            return None;
        }
        Err(e) => panic!("read environ: {e}"),
    };
    // Still running: the output is far larger than a pipe holds.
    assert!(
        child.try_wait().unwrap().is_none(),
        "ceremony ended before its environment was read"
    );
    drop(out);
    let _ = child.kill();
    let _ = child.wait();
    Some(environ)
}

fn holds(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn passphrase_values_are_gone_from_proc_environ() {
    let vars: [(&str, &OsStr); 5] = [
        ("CEREMONY_PASSPHRASE", OsStr::new("ceremony-pass-4e1f9a")),
        ("NOTARY_ROOT_PASSPHRASE", OsStr::new("root-pass-77c2d0")),
        (
            "NOTARY_TARGETS_PASSPHRASE",
            OsStr::new("targets-pass-0b93e5"),
        ),
        (
            "NOTARY_SNAPSHOT_PASSPHRASE",
            OsStr::new("snapshot-pass-5d6a21"),
        ),
        (
            "NOTARY_DELEGATION_PASSPHRASE",
            OsStr::new("delegation-pass-c8e4f7"),
        ),
    ];
    let Some(env) = environ_while_running(&vars) else {
        return;
    };
    // The read is not empty: an unrelated variable is still there whole.
    assert!(holds(&env, b"CEREMONY_TEST_MARK=still-here"), "{env:?}");
    for (name, value) in vars {
        assert!(
            !holds(&env, value.as_bytes()),
            "{name}'s value is readable in /proc/PID/environ"
        );
        // The entry is still there, its value zero bytes of the same length.
        let mut wiped = format!("{name}=").into_bytes();
        wiped.extend(std::iter::repeat_n(0u8, value.len()));
        assert!(holds(&env, &wiped), "{name} was not overwritten in place");
    }
}

#[test]
fn a_value_that_is_not_utf8_is_wiped_too() {
    // Such a value counts as unset, but its bytes are a secret all the same.
    let value = OsStr::from_bytes(b"pass-\xff\xfe-93ab71");
    let Some(env) = environ_while_running(&[("CEREMONY_PASSPHRASE", value)]) else {
        return;
    };
    assert!(holds(&env, b"CEREMONY_TEST_MARK=still-here"));
    assert!(!holds(&env, b"-93ab71"), "the value is readable");
}

#[test]
fn a_variable_with_a_longer_name_is_left_alone() {
    // Only the exact names are passphrases: a name that merely starts with
    // one is someone else's variable.
    let Some(env) = environ_while_running(&[
        ("CEREMONY_PASSPHRASE_HINT", OsStr::new("not-a-secret-1a2b")),
        ("CEREMONY_PASSPHRASE", OsStr::new("secret-3c4d")),
    ]) else {
        return;
    };
    assert!(holds(&env, b"CEREMONY_PASSPHRASE_HINT=not-a-secret-1a2b"));
    assert!(!holds(&env, b"secret-3c4d"));
}

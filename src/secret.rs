//! How secrets live in memory: passphrases and secret bytes in zeroizing
//! types that never print, randomness straight from the operating system,
//! and a process that will not dump its memory to disk and, where the
//! system lets it, keeps that memory out of swap. `docs/threat-model.md`
//! says what this does and does not protect against.

pub mod bytes;
pub mod env;
pub mod lock;
pub mod wipe;

pub use bytes::{SecretBytes, SecretText};

use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;
pub use secrecy::{ExposeSecret, SecretString};

/// The operating system's RNG, with no userspace generator in between.
/// A failure of the OS RNG aborts rather than yield weak keys.
pub fn os_rng() -> UnwrapErr<SysRng> {
    UnwrapErr(SysRng)
}

/// A passphrase, zeroized on drop, never printed.
pub type Passphrase = SecretString;

/// Turns off core dumps and ptrace/dump access to this process, so a crash
/// cannot leave key material on disk, and, when `lock` (the command may
/// touch a secret), locks its memory in RAM where the system allows
/// ([`lock::lock_memory`]). Failures are reported, not fatal: the tool
/// still runs on systems that refuse these calls.
pub fn harden_process(lock: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let zero = rustix::process::Rlimit {
        current: Some(0),
        maximum: Some(0),
    };
    if let Err(e) = rustix::process::setrlimit(rustix::process::Resource::Core, zero) {
        problems.push(format!("cannot disable core dumps: {e}"));
    }
    if let Err(e) =
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
    {
        problems.push(format!("cannot mark the process not dumpable: {e}"));
    }
    if lock {
        problems.extend(lock::lock_memory().warning());
    }
    problems
}

//! How secrets live in memory: passphrases in zeroizing types, randomness
//! straight from the operating system, and a process that will not dump its
//! memory to disk.

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
/// cannot leave key material on disk. Failures are reported, not fatal: the
/// tool still runs on systems that refuse these calls.
pub fn harden_process() -> Vec<String> {
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
    problems
}

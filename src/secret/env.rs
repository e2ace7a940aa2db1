//! Passphrases handed over in environment variables, taken out of the
//! environment once at start-up so no child process inherits them.
//!
//! The binary's `main` reads and removes the variables in [`VARS`] before
//! any thread starts (removing a variable is `unsafe` in Rust 2024, and
//! only sound while the process has one thread) and hands the values to
//! [`keep`]; the library then asks [`get`]. A library caller that never
//! called [`keep`] reads the environment itself, as before.

use std::sync::{Mutex, OnceLock};

use super::Passphrase;

/// The variables that carry passphrases.
pub const VARS: [&str; 5] = [
    "CEREMONY_PASSPHRASE",
    "NOTARY_ROOT_PASSPHRASE",
    "NOTARY_TARGETS_PASSPHRASE",
    "NOTARY_SNAPSHOT_PASSPHRASE",
    "NOTARY_DELEGATION_PASSPHRASE",
];

type Kept = Mutex<Vec<(&'static str, Passphrase)>>;

static KEPT: OnceLock<Kept> = OnceLock::new();

/// Keeps the values `main` took out of the environment (only the first
/// call counts).
pub fn keep(values: Vec<(&'static str, Passphrase)>) {
    let _ = KEPT.set(Mutex::new(values));
}

/// The passphrase variable `name`: as kept, or (when nothing was kept)
/// from the environment. `None` when unset.
pub fn get(name: &str) -> Option<Passphrase> {
    match KEPT.get() {
        Some(kept) => kept
            .lock()
            .ok()?
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| p.clone()),
        None => std::env::var(name).ok().map(Passphrase::from),
    }
}

/// Wipes the kept values; `main` calls it before the process exits, as
/// `exit` runs no destructors.
pub fn forget() {
    if let Some(kept) = KEPT.get()
        && let Ok(mut v) = kept.lock()
    {
        v.clear();
    }
}

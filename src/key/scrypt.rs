//! The scrypt work factor of every passphrase-sealed file the tool writes
//! (key files, custodian shares sealed to a passphrase) and the ceiling it
//! accepts when opening one.
//!
//! age's defaults time scrypt on the machine at hand: about one second to
//! seal, and up to sixteen times that to open. Under load (a busy laptop, a
//! CI runner) the timing drops and a file sealed moments earlier is refused
//! as "excessive work". A ceremony must open its own files whatever the
//! load, so both numbers are fixed here, at the values Go age uses: work
//! factor 2^18 to seal, 2^22 at most to open (beyond it a file is refused
//! before any work, which bounds what a hostile share can cost).

use crate::secret::Passphrase;

/// log2 of scrypt's N for files the tool seals (Go age's default).
pub const SEAL_LOG_N: u8 = 18;

/// The largest log2 N the tool accepts when opening (Go age's ceiling).
pub const OPEN_MAX_LOG_N: u8 = 22;

/// An age recipient sealing to `passphrase` at [`SEAL_LOG_N`].
pub fn recipient(passphrase: &Passphrase) -> age::scrypt::Recipient {
    let mut r = age::scrypt::Recipient::new(passphrase.clone());
    r.set_work_factor(SEAL_LOG_N);
    r
}

/// An age identity opening files sealed to `passphrase`, up to
/// [`OPEN_MAX_LOG_N`].
pub fn identity(passphrase: &Passphrase) -> age::scrypt::Identity {
    let mut i = age::scrypt::Identity::new(passphrase.clone());
    i.set_max_work_factor(OPEN_MAX_LOG_N);
    i
}

/// Our words for age's "excessive work" refusal (age's own text carries
/// Unicode isolation marks and a machine-dependent time estimate).
pub fn excessive_work(required: u8, what: &str) -> crate::error::Error {
    crate::error::Error::input(format!(
        "{what} asks for scrypt work factor 2^{required}, more than the 2^{OPEN_MAX_LOG_N} this tool opens"
    ))
    .hint("this tool seals at 2^18; a file asking for more was not written by it")
}

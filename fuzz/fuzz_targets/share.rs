//! Share decoding: the same input as an age file (armored or binary) opened
//! with fixed test identities, as the text form, and as the binary form.
#![no_main]

use ceremony::share::{Share, seal};
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;

/// Throwaway identities the committed share seeds are sealed to.
const IDENTITIES: &str = include_str!("../fixtures/age-identities.txt");

fn identities() -> &'static [age::x25519::Identity] {
    static IDS: OnceLock<Vec<age::x25519::Identity>> = OnceLock::new();
    IDS.get_or_init(|| {
        IDENTITIES
            .lines()
            .filter_map(|l| l.parse::<age::x25519::Identity>().ok())
            .collect()
    })
}

fn decode(bytes: &[u8]) {
    if let Ok(s) = Share::from_bytes(bytes) {
        let _ = s.commitment();
        let _ = s.to_text();
    }
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Ok(s) = Share::from_text(text)
    {
        let _ = s.commitment();
    }
}

fuzz_target!(|data: &[u8]| {
    decode(data);
    // Passphrase-sealed files stop at "sealed to a passphrase": an scrypt
    // work factor is the file's to choose, so a fuzzer would mostly time
    // scrypt.
    if let Ok(false) = seal::needs_passphrase(data) {
        let ids: Vec<Box<dyn age::Identity>> = identities()
            .iter()
            .map(|i| Box::new(i.clone()) as Box<dyn age::Identity>)
            .collect();
        if let Ok(plain) = seal::open(data, &ids, None, Path::new("share.age")) {
            decode(&plain);
        }
    }
});

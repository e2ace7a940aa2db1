//! Ed25519 public keys already decoded in this process.
//!
//! Decoding a key decompresses a curve point (a field inversion, a good
//! part of the cost of one signature check). A root history lists the same
//! keys in version after version: a 1,000-version chain would decode each
//! of them a thousand times. The decoded key depends only on its 32 bytes,
//! so a key decoded once is the same key when the bytes come again.
//!
//! Only keys that decoded are kept (a refused encoding is decoded afresh
//! and refused again), and at most [`CAP`] of them: past that the memo is
//! emptied, so hostile input with many distinct keys costs memory no larger
//! than the cap.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// How many decoded keys are kept at most.
pub const CAP: usize = 4096;

type Memo = HashMap<[u8; 32], ed25519_dalek::VerifyingKey>;

fn memo() -> &'static Mutex<Memo> {
    static MEMO: OnceLock<Mutex<Memo>> = OnceLock::new();
    MEMO.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The key for `bytes`, decoded once per process.
pub fn ed25519(bytes: &[u8; 32]) -> Option<ed25519_dalek::VerifyingKey> {
    // A poisoned lock only means another thread panicked mid-insert; the
    // map itself is still a map of whole entries.
    if let Some(k) = memo().lock().unwrap_or_else(|p| p.into_inner()).get(bytes) {
        return Some(*k);
    }
    // Decoded outside the lock: two threads may both decode a new key,
    // which costs a little time and changes nothing.
    let key = ed25519_dalek::VerifyingKey::from_bytes(bytes).ok()?;
    let mut m = memo().lock().unwrap_or_else(|p| p.into_inner());
    if m.len() >= CAP {
        m.clear();
    }
    m.insert(*bytes, key);
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_as_a_fresh_decode_and_refusals_stay_refused() {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let bytes = sk.verifying_key().to_bytes();
        let first = ed25519(&bytes);
        let again = ed25519(&bytes);
        assert_eq!(first, Some(sk.verifying_key()));
        assert_eq!(again, first);
        // Not a point on the curve (y = 2 has no x): refused each time,
        // exactly as a fresh decode refuses it.
        let mut bad = [0u8; 32];
        bad[0] = 2;
        assert!(ed25519_dalek::VerifyingKey::from_bytes(&bad).is_err());
        assert_eq!(ed25519(&bad), None);
        assert_eq!(ed25519(&bad), None);
    }

    #[test]
    fn the_memo_stays_under_its_cap() {
        for i in 0..(CAP + 10) as u32 {
            let mut seed = [0u8; 32];
            seed[..4].copy_from_slice(&i.to_le_bytes());
            let pk = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
            assert_eq!(ed25519(&pk.to_bytes()), Some(pk));
        }
        assert!(memo().lock().unwrap_or_else(|p| p.into_inner()).len() <= CAP);
    }
}

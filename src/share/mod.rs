//! Shamir shares of a secret, knowing nothing of what the secret is for.
//!
//! A share is self-describing: format version, set ID, key ID, index, M, N
//! and a checksum travel with the share value, so a typo, a share of another
//! set or key, or a duplicate is named before anything is combined. Splitting
//! is byte-wise Shamir over GF(2^8) by `vsss-rs` (coefficients from the OS
//! RNG, no share at x = 0); M = 1 is the degenerate polynomial of degree 0,
//! every share holding the secret itself.
//!
//! Binary form (all integers big-endian):
//!
//! ```text
//! "CSHR"  version(1)  set_id(16)  key_id(32)  M(1)  N(1)  index(1)
//! len(2)  value(len)  checksum(8) = SHA-256(everything before)[..8]
//! ```

pub mod seal;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use std::fmt;
use vsss_rs::{Gf256, IdentifierGf256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::{SecretBytes, SecretText, os_rng};

/// The share format version this code writes and reads.
pub const VERSION: u8 = 1;
const MAGIC: &[u8; 4] = b"CSHR";
const HEADER: usize = 4 + 1 + 16 + 32 + 3 + 2;
const CHECKSUM: usize = 8;
const TEXT_BEGIN: &str = "-----BEGIN CEREMONY SHARE-----";
const TEXT_END: &str = "-----END CEREMONY SHARE-----";

/// The readable line a rehearsal's share carries inside its block. Like
/// the other readable lines it is not covered by the checksum (and older
/// versions of the tool skip it): it stops a mix-up, not a forger.
pub const REHEARSAL_LINE: &str =
    "REHEARSAL: a throwaway share from a rehearsal; never keep it as a real share";

/// One share.
#[derive(Clone, PartialEq, Eq)]
pub struct Share {
    /// The share set this share belongs to.
    pub set_id: [u8; 16],
    /// The key the secret belongs to (its metadata key ID).
    pub key_id: [u8; 32],
    /// Shares needed (M).
    pub threshold: u8,
    /// Shares made (N).
    pub total: u8,
    /// This share's x coordinate, 1..=N.
    pub index: u8,
    value: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Share {
    // Never the value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Share(set {}, index {} of {}, threshold {})",
            hex::encode(self.set_id),
            self.index,
            self.total,
            self.threshold
        )
    }
}

/// Why one share cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not a share, or a damaged one (typo, flipped bit).
    Damaged(String),
    /// A share of another set.
    OtherSet,
    /// A share of another key.
    OtherKey,
    /// Two shares with one index.
    Duplicate(u8),
    /// Its M, N or length disagree with the set.
    Inconsistent(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Damaged(why) => write!(f, "damaged or not a share ({why})"),
            Problem::OtherSet => f.write_str("belongs to another share set"),
            Problem::OtherKey => f.write_str("is a share of another key"),
            Problem::Duplicate(i) => write!(f, "repeats share number {i}"),
            Problem::Inconsistent(why) => write!(f, "does not fit the set ({why})"),
        }
    }
}

fn checksum(bytes: &[u8]) -> [u8; CHECKSUM] {
    let d = Sha256::digest(bytes);
    let mut out = [0u8; CHECKSUM];
    out.copy_from_slice(&d[..CHECKSUM]);
    out
}

impl Share {
    /// The binary form (zeroized on drop).
    pub fn to_bytes(&self) -> SecretBytes {
        let mut out = SecretBytes::with_capacity(HEADER + self.value.len() + CHECKSUM);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&self.set_id);
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(&[self.threshold, self.total, self.index]);
        out.extend_from_slice(&(self.value.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.value);
        let sum = checksum(&out);
        out.extend_from_slice(&sum);
        out
    }

    /// Reads the binary form, checking the checksum and the fields.
    pub fn from_bytes(b: &[u8]) -> std::result::Result<Share, Problem> {
        let damaged = |why: &str| Problem::Damaged(why.to_string());
        if b.len() < HEADER + 1 + CHECKSUM || &b[..4] != MAGIC {
            return Err(damaged("no share header"));
        }
        let (body, sum) = b.split_at(b.len() - CHECKSUM);
        if checksum(body) != sum {
            return Err(damaged("checksum mismatch"));
        }
        if b[4] != VERSION {
            return Err(damaged(&format!("unknown share format version {}", b[4])));
        }
        let mut set_id = [0u8; 16];
        set_id.copy_from_slice(&b[5..21]);
        let mut key_id = [0u8; 32];
        key_id.copy_from_slice(&b[21..53]);
        let (threshold, total, index) = (b[53], b[54], b[55]);
        let len = u16::from_be_bytes([b[56], b[57]]) as usize;
        if body.len() != HEADER + len || len == 0 {
            return Err(damaged("length field does not match"));
        }
        if threshold == 0 || threshold > total || index == 0 || index > total {
            return Err(damaged(&format!(
                "impossible numbers: share {index} of {total}, {threshold} needed"
            )));
        }
        Ok(Share {
            set_id,
            key_id,
            threshold,
            total,
            index,
            value: Zeroizing::new(body[HEADER..].to_vec()),
        })
    }

    /// The text form a custodian sees after decrypting: readable fields,
    /// then the binary form in base64.
    pub fn to_text(&self) -> SecretText {
        self.to_text_marked(false)
    }

    /// The text form, with [`REHEARSAL_LINE`] first when `rehearsal`.
    pub fn to_text_marked(&self, rehearsal: bool) -> SecretText {
        let b64 = Zeroizing::new(STANDARD.encode(self.to_bytes().as_slice()));
        // Room for the readable lines and the body, so it rarely grows
        // (and when it does, SecretText wipes what it leaves).
        let mut out = SecretText::with_capacity(512 + REHEARSAL_LINE.len() + b64.len() * 65 / 64);
        out.push_str(TEXT_BEGIN);
        out.push_str("\n");
        if rehearsal {
            out.push_str(REHEARSAL_LINE);
            out.push_str("\n");
        }
        out.push_str(&format!("Set: {}\n", hex::encode(self.set_id)));
        out.push_str(&format!("Key: {}\n", hex::encode(self.key_id)));
        out.push_str(&format!(
            "Share: {} of {}, {} needed\n\n",
            self.index, self.total, self.threshold
        ));
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push_str("\n");
        }
        out.push_str(TEXT_END);
        out.push_str("\n");
        out
    }

    /// Reads the text form. The readable fields are only for people: the
    /// base64 body decides, and must agree with them.
    pub fn from_text(text: &str) -> std::result::Result<Share, Problem> {
        let damaged = |why: &str| Problem::Damaged(why.to_string());
        let start = text
            .find(TEXT_BEGIN)
            .ok_or_else(|| damaged("no share block"))?;
        let rest = &text[start + TEXT_BEGIN.len()..];
        let end = rest
            .find(TEXT_END)
            .ok_or_else(|| damaged("share block has no end"))?;
        // Sized before: the body cannot be longer than the block.
        let mut b64 = Zeroizing::new(String::with_capacity(end));
        let mut set_line = None;
        for line in rest[..end].lines() {
            let line = line.trim();
            if let Some(v) = line.strip_prefix("Set:") {
                set_line = Some(v.trim().to_string());
            } else if !line.contains(':') {
                b64.push_str(line);
            }
        }
        let raw = Zeroizing::new(
            STANDARD
                .decode(b64.as_bytes())
                .map_err(|_| damaged("bad base64"))?,
        );
        let share = Share::from_bytes(&raw)?;
        if set_line.is_some_and(|s| s != hex::encode(share.set_id)) {
            return Err(damaged("the Set line disagrees with the share data"));
        }
        Ok(share)
    }

    /// Whether the text form carries the rehearsal line (any case) inside
    /// its block.
    pub fn text_is_rehearsal(text: &str) -> bool {
        let Some(start) = text.find(TEXT_BEGIN) else {
            return false;
        };
        let rest = &text[start + TEXT_BEGIN.len()..];
        let block = rest.find(TEXT_END).map_or(rest, |end| &rest[..end]);
        block.lines().any(|l| {
            l.trim()
                .get(..10)
                .is_some_and(|w| w.eq_ignore_ascii_case("REHEARSAL:"))
        })
    }

    /// The commitment the manifest records: SHA-256 of the binary form.
    pub fn commitment(&self) -> String {
        hex::encode(Sha256::digest(self.to_bytes().as_slice()))
    }
}

/// Splits `secret` into `total` shares, any `threshold` of which recover it.
pub fn split(
    secret: &[u8],
    threshold: u8,
    total: u8,
    set_id: [u8; 16],
    key_id: [u8; 32],
) -> Result<Vec<Share>> {
    if threshold == 0 || threshold > total {
        return Err(
            Error::input(format!("cannot make {threshold}-of-{total} shares"))
                .hint("use 1 ≤ M ≤ N ≤ 255"),
        );
    }
    if secret.is_empty() || secret.len() > u16::MAX as usize {
        return Err(Error::input("nothing to split"));
    }
    let values: Vec<Zeroizing<Vec<u8>>> = if threshold == 1 {
        (1..=total)
            .map(|_| Zeroizing::new(secret.to_vec()))
            .collect()
    } else {
        let ids = (1..=total).map(|i| IdentifierGf256::from(Gf256(i)));
        let raw = Gf256::split_bytes_with_participant_ids_iter(
            threshold as usize,
            total as usize,
            secret,
            os_rng(),
            ids,
        )
        .map_err(|e| Error::input(format!("cannot split: {e:?}")))?;
        raw.into_iter()
            .map(|mut v| {
                let out = Zeroizing::new(v[1..].to_vec());
                zeroize::Zeroize::zeroize(&mut v);
                out
            })
            .collect()
    };
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(i, value)| Share {
            set_id,
            key_id,
            threshold,
            total,
            index: (i + 1) as u8,
            value,
        })
        .collect())
}

/// Checks shares against each other (and `expect`, the set's first share or
/// the manifest's values): returns the problem of each share, by position.
pub fn check_set(
    shares: &[Share],
    set_id: [u8; 16],
    key_id: [u8; 32],
    threshold: u8,
    total: u8,
) -> Vec<Option<Problem>> {
    let mut seen = Vec::new();
    shares
        .iter()
        .map(|s| {
            if s.set_id != set_id {
                return Some(if s.key_id != key_id {
                    Problem::OtherKey
                } else {
                    Problem::OtherSet
                });
            }
            if s.key_id != key_id {
                return Some(Problem::OtherKey);
            }
            if s.threshold != threshold || s.total != total {
                return Some(Problem::Inconsistent(format!(
                    "{}-of-{} instead of {threshold}-of-{total}",
                    s.threshold, s.total
                )));
            }
            if seen.contains(&s.index) {
                return Some(Problem::Duplicate(s.index));
            }
            seen.push(s.index);
            None
        })
        .collect()
}

/// Combines shares that [`check_set`] found sound. Uses the first M.
pub fn combine(shares: &[Share]) -> Result<SecretBytes> {
    let first = shares.first().ok_or_else(|| Error::input("no shares"))?;
    let m = first.threshold as usize;
    if shares.len() < m {
        return Err(Error::input(format!(
            "{} good share(s), {m} needed",
            shares.len()
        )));
    }
    let problems = check_set(
        shares,
        first.set_id,
        first.key_id,
        first.threshold,
        first.total,
    );
    if let Some((i, p)) = problems
        .iter()
        .enumerate()
        .find_map(|(i, p)| p.as_ref().map(|p| (i, p)))
    {
        return Err(Error::input(format!("share {} {p}", i + 1)));
    }
    let len = first.value.len();
    if shares.iter().any(|s| s.value.len() != len) {
        return Err(Error::input("shares of different lengths"));
    }
    if m == 1 {
        return Ok(SecretBytes::copy_from(&first.value));
    }
    let raw: Vec<Vec<u8>> = shares[..m]
        .iter()
        .map(|s| {
            let mut v = Vec::with_capacity(len + 1);
            v.push(s.index);
            v.extend_from_slice(&s.value);
            v
        })
        .collect();
    let raw = Zeroizing::new(raw);
    let secret = Zeroizing::new(
        Gf256::combine_bytes(raw.as_slice())
            .map_err(|e| Error::input(format!("cannot combine: {e:?}")))?,
    );
    Ok(SecretBytes::copy_from(&secret))
}

/// Interpolates whatever shares are given, ignoring the threshold: what an
/// attacker holding them would compute. Used to prove that M − 1 shares do
/// not give the secret.
pub fn interpolate(shares: &[Share]) -> Result<SecretBytes> {
    match shares {
        [] => Err(Error::input("no shares")),
        [one] => Ok(SecretBytes::copy_from(&one.value)),
        _ => {
            let raw: Vec<Vec<u8>> = shares
                .iter()
                .map(|s| {
                    let mut v = Vec::with_capacity(1 + s.value.len());
                    v.push(s.index);
                    v.extend_from_slice(&s.value);
                    v
                })
                .collect();
            let raw = Zeroizing::new(raw);
            Gf256::combine_bytes(raw.as_slice())
                .map(|v| SecretBytes::copy_from(&Zeroizing::new(v)))
                .map_err(|e| Error::input(format!("cannot combine: {e:?}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(secret: &[u8], m: u8, n: u8) -> Vec<Share> {
        split(secret, m, n, [7; 16], [9; 32]).unwrap_or_default()
    }

    #[test]
    fn edges_recover() -> Result<()> {
        let secret = [0x42u8; 33];
        for (m, n) in [(1u8, 1u8), (2, 2), (1, 5), (255, 255)] {
            let shares = set(&secret, m, n);
            assert_eq!(shares.len(), n as usize);
            assert_eq!(combine(&shares)?.as_slice(), &secret[..]);
        }
        Ok(())
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(split(b"x", 0, 1, [0; 16], [0; 32]).is_err());
        assert!(split(b"x", 3, 2, [0; 16], [0; 32]).is_err());
    }

    #[test]
    fn debug_hides_the_value() {
        let s = &set(b"very secret bytes", 2, 3)[0];
        let text = format!("{s:?}");
        assert!(!text.contains(&hex::encode(s.value.as_slice())));
    }

    #[test]
    fn text_form_round_trips() {
        for s in set(b"0123456789abcdef0123456789abcdef!", 3, 5) {
            assert_eq!(Share::from_text(&s.to_text()), Ok(s));
        }
    }
}

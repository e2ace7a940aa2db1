//! Owned secret bytes and text: zeroized on drop, never shown by `Debug`,
//! and never reallocated in a way that leaves a copy behind.

use std::fmt;
use std::io::{self, Read};
use zeroize::Zeroizing;

/// Secret bytes (a raw key, a share, a recovered secret, a decrypted file).
///
/// A plain `Vec` that grows moves its bytes to a new allocation and frees
/// the old one unwiped; this type is sized up front and, if it must grow
/// anyway, copies into a new buffer and wipes the old one itself.
#[derive(Clone, Default)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Empty, with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Self {
        SecretBytes(Zeroizing::new(Vec::with_capacity(n)))
    }

    /// A copy of `bytes` in a buffer of exactly their size.
    pub fn copy_from(bytes: &[u8]) -> Self {
        let mut s = Self::with_capacity(bytes.len());
        s.extend_from_slice(bytes);
        s
    }

    /// Appends `more`, growing without leaving the old bytes behind.
    pub fn extend_from_slice(&mut self, more: &[u8]) {
        let need = self.0.len() + more.len();
        if need > self.0.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(need));
            bigger.extend_from_slice(&self.0);
            // The old buffer is wiped as it drops here.
            self.0 = bigger;
        }
        self.0.extend_from_slice(more);
    }

    /// Appends one byte.
    pub fn push(&mut self, b: u8) {
        self.extend_from_slice(&[b]);
    }

    /// Reads `r` to its end into a buffer of `most` bytes allocated before
    /// the read; more than `most` bytes is an error (nothing is kept).
    pub fn read_within(mut r: impl Read, most: usize) -> io::Result<Self> {
        let mut buf = Zeroizing::new(vec![0u8; most]);
        let mut n = 0;
        loop {
            let read = if n == most {
                // Full: one more byte says whether the input has ended.
                let mut probe = Zeroizing::new([0u8; 1]);
                match r.read(probe.as_mut_slice()) {
                    Ok(0) => break,
                    Ok(_) => return Err(io::Error::other("more secret bytes than expected")),
                    Err(e) => Err(e),
                }
            } else {
                r.read(&mut buf[n..])
            };
            match read {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        // Shrinking keeps the allocation; the tail is wiped with the rest.
        buf.truncate(n);
        Ok(SecretBytes(buf))
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl std::ops::Deref for SecretBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for SecretBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    // The length only: it is fixed by the format, not by the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes({} bytes, redacted)", self.0.len())
    }
}

/// Secret text (a share's text form): zeroized on drop, never shown by
/// `Debug`.
#[derive(Clone, Default)]
pub struct SecretText(Zeroizing<String>);

impl SecretText {
    /// Empty, with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Self {
        SecretText(Zeroizing::new(String::with_capacity(n)))
    }

    /// Appends `more`, growing without leaving the old text behind.
    pub fn push_str(&mut self, more: &str) {
        let need = self.0.len() + more.len();
        if need > self.0.capacity() {
            let mut bigger = Zeroizing::new(String::with_capacity(need.max(2 * self.0.len())));
            bigger.push_str(&self.0);
            self.0 = bigger;
        }
        self.0.push_str(more);
    }
}

impl std::ops::Deref for SecretText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretText({} bytes, redacted)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_exactly_into_the_buffer_sized_before() -> io::Result<()> {
        let s = SecretBytes::read_within(&b"abc"[..], 3)?;
        assert_eq!(s.as_slice(), b"abc");
        let s = SecretBytes::read_within(&b"ab"[..], 8)?;
        assert_eq!(s.as_slice(), b"ab");
        assert!(SecretBytes::read_within(&b"abcd"[..], 3).is_err());
        Ok(())
    }

    #[test]
    fn growing_keeps_the_bytes() {
        let mut s = SecretBytes::with_capacity(1);
        s.push(1);
        s.extend_from_slice(&[2, 3]);
        assert_eq!(s.as_slice(), &[1, 2, 3]);
        let mut t = SecretText::with_capacity(1);
        t.push_str("ab");
        t.push_str("cd");
        assert_eq!(&*t, "abcd");
    }

    #[test]
    fn debug_shows_no_bytes() {
        let s = SecretBytes::copy_from(b"hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        let mut t = SecretText::with_capacity(7);
        t.push_str("hunter2");
        assert!(!format!("{t:?}").contains("hunter2"));
    }
}

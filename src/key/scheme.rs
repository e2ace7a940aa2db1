//! Signature schemes the tool verifies, named as each dialect names them.
//!
//! TUF names a key's one scheme in the key object (securesystemslib's
//! names); Notary names a scheme per signature in its `method` field, and
//! always hashes with SHA-256 (notary's `tuf/signed/verifiers.go`: P-384
//! keys too, and PSS with a 32-byte salt).

use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use super::SigEncoding;

/// The hash a signature is made over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Hash {
    /// The digest of `msg`.
    pub fn digest(self, msg: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha224 => Sha224::digest(msg).to_vec(),
            Hash::Sha256 => Sha256::digest(msg).to_vec(),
            Hash::Sha384 => Sha384::digest(msg).to_vec(),
            Hash::Sha512 => Sha512::digest(msg).to_vec(),
        }
    }

    /// The name used in scheme names (`sha256`).
    pub fn name(self) -> &'static str {
        match self {
            Hash::Sha224 => "sha224",
            Hash::Sha256 => "sha256",
            Hash::Sha384 => "sha384",
            Hash::Sha512 => "sha512",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "sha224" => Some(Hash::Sha224),
            "sha256" => Some(Hash::Sha256),
            "sha384" => Some(Hash::Sha384),
            "sha512" => Some(Hash::Sha512),
            _ => None,
        }
    }
}

/// How a signature is made: the key family, the hash and the padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Ed25519 (RFC 8032), over the message itself.
    Ed25519,
    /// ECDSA over the message's hash, with the signature laid out so.
    Ecdsa(Hash, SigEncoding),
    /// RSASSA-PSS with MGF1 of the same hash and a salt exactly as long as
    /// the hash (see [`super::PublicKey::verify_with`]).
    RsaPss(Hash),
    /// RSASSA-PKCS1-v1_5.
    RsaPkcs1v15(Hash),
}

impl Scheme {
    /// A TUF (securesystemslib) scheme name. The ECDSA names also fix the
    /// curve; [`Scheme::tuf_curve_bits`] says which.
    pub fn tuf(name: &str) -> Option<Self> {
        match name {
            "ed25519" => Some(Scheme::Ed25519),
            "ecdsa-sha2-nistp256" => Some(Scheme::Ecdsa(Hash::Sha256, SigEncoding::Der)),
            "ecdsa-sha2-nistp384" => Some(Scheme::Ecdsa(Hash::Sha384, SigEncoding::Der)),
            other => {
                if let Some(h) = other.strip_prefix("rsassa-pss-") {
                    Hash::parse(h).map(Scheme::RsaPss)
                } else if let Some(h) = other.strip_prefix("rsa-pkcs1v15-") {
                    Hash::parse(h).map(Scheme::RsaPkcs1v15)
                } else {
                    None
                }
            }
        }
    }

    /// The curve size an ECDSA TUF scheme name fixes (256 or 384).
    pub fn tuf_curve_bits(name: &str) -> Option<u32> {
        match name {
            "ecdsa-sha2-nistp256" => Some(256),
            "ecdsa-sha2-nistp384" => Some(384),
            _ => None,
        }
    }

    /// A Notary signature `method`. Notary hashes every scheme with
    /// SHA-256 and lays ECDSA out as fixed-width r‖s. Its fifth method,
    /// "pycrypto-pkcs#1 pss", is one notary's own source says it never
    /// made work: unknown here.
    pub fn notary(method: &str) -> Option<Self> {
        match method {
            "eddsa" => Some(Scheme::Ed25519),
            "ecdsa" => Some(Scheme::Ecdsa(Hash::Sha256, SigEncoding::Raw)),
            "rsapss" => Some(Scheme::RsaPss(Hash::Sha256)),
            "rsapkcs1v15" => Some(Scheme::RsaPkcs1v15(Hash::Sha256)),
            _ => None,
        }
    }

    /// A name for messages.
    pub fn describe(self) -> String {
        match self {
            Scheme::Ed25519 => "ed25519".into(),
            Scheme::Ecdsa(h, _) => format!("ecdsa-{}", h.name()),
            Scheme::RsaPss(h) => format!("rsassa-pss-{}", h.name()),
            Scheme::RsaPkcs1v15(h) => format!("rsa-pkcs1v15-{}", h.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuf_names() {
        assert_eq!(
            Scheme::tuf("rsassa-pss-sha384"),
            Some(Scheme::RsaPss(Hash::Sha384))
        );
        assert_eq!(
            Scheme::tuf("rsa-pkcs1v15-sha224"),
            Some(Scheme::RsaPkcs1v15(Hash::Sha224))
        );
        assert_eq!(Scheme::tuf("rsassa-pss-md5"), None);
        assert_eq!(Scheme::tuf("ecdsa-sha2-nistp521"), None);
        assert_eq!(Scheme::tuf_curve_bits("ecdsa-sha2-nistp384"), Some(384));
    }

    #[test]
    fn notary_methods_hash_with_sha256() {
        assert_eq!(
            Scheme::notary("ecdsa"),
            Some(Scheme::Ecdsa(Hash::Sha256, SigEncoding::Raw))
        );
        assert_eq!(Scheme::notary("rsapss"), Some(Scheme::RsaPss(Hash::Sha256)));
        assert_eq!(Scheme::notary("pycrypto-pkcs#1 pss"), None);
    }
}

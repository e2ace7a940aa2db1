//! Cryptographic keys, free of any TUF knowledge: public keys and how their
//! signatures verify, private keys and their age-encrypted files, and the
//! self-signed X.509 certificates Notary wants for root keys.

pub mod cert;
pub mod memo;
pub mod notary_file;
pub mod private;
pub mod scrypt;

use p256::pkcs8::{DecodePublicKey, EncodePublicKey};
use sha2::{Digest, Sha256};
use std::fmt;

use crate::error::{Error, Result};

/// A signature algorithm the tool can generate keys for and verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Ed25519 (RFC 8032).
    Ed25519,
    /// ECDSA over NIST P-256 with SHA-256.
    EcdsaP256,
}

impl Algorithm {
    /// The name used on the command line and in key records.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "ed25519",
            Algorithm::EcdsaP256 => "ecdsa-p256",
        }
    }

    /// Parses a command-line algorithm name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "ed25519" => Ok(Algorithm::Ed25519),
            "ecdsa-p256" | "ecdsa" | "p256" => Ok(Algorithm::EcdsaP256),
            other => Err(Error::input(format!("unknown algorithm {other:?}"))
                .hint("use ed25519 or ecdsa-p256")),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a signature's bytes are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigEncoding {
    /// Ed25519's 64 bytes, or ECDSA as fixed-width r‖s (Notary).
    Raw,
    /// ECDSA as an ASN.1 DER sequence (TUF, securesystemslib).
    Der,
}

/// A public key.
#[derive(Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// An Ed25519 public key.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// A P-256 public key.
    EcdsaP256(p256::ecdsa::VerifyingKey),
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

impl PublicKey {
    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            PublicKey::Ed25519(_) => Algorithm::Ed25519,
            PublicKey::EcdsaP256(_) => Algorithm::EcdsaP256,
        }
    }

    /// Raw Ed25519 public key bytes.
    pub fn ed25519_bytes(&self) -> Option<[u8; 32]> {
        match self {
            PublicKey::Ed25519(k) => Some(k.to_bytes()),
            PublicKey::EcdsaP256(_) => None,
        }
    }

    /// DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Result<Vec<u8>> {
        let doc = match self {
            PublicKey::Ed25519(k) => k.to_public_key_der(),
            PublicKey::EcdsaP256(k) => k.to_public_key_der(),
        };
        doc.map(|d| d.as_bytes().to_vec())
            .map_err(|e| Error::input(format!("cannot encode public key: {e}")))
    }

    /// PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`), as Go and
    /// Python write it.
    pub fn spki_pem(&self) -> Result<String> {
        Ok(cert::go_pem("PUBLIC KEY", &self.spki_der()?))
    }

    /// Reads a DER SubjectPublicKeyInfo (Ed25519 or P-256).
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(PublicKey::EcdsaP256(k));
        }
        if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_der(der) {
            return Ok(PublicKey::Ed25519(k));
        }
        Err(Error::input(
            "public key is neither Ed25519 nor ECDSA P-256 (other types are not supported)",
        ))
    }

    /// Reads raw Ed25519 public key bytes.
    pub fn from_ed25519_bytes(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| {
            Error::input(format!(
                "ed25519 public key has {} bytes, not 32",
                bytes.len()
            ))
        })?;
        memo::ed25519(&arr)
            .map(PublicKey::Ed25519)
            .ok_or_else(|| Error::input("ed25519 public key is not a valid curve point"))
    }

    /// A stable identity of the key material, independent of how a dialect
    /// encodes it: two key IDs with the same fingerprint are one key.
    pub fn fingerprint(&self) -> String {
        match self {
            PublicKey::Ed25519(k) => format!("ed25519:{}", hex::encode(k.to_bytes())),
            PublicKey::EcdsaP256(k) => {
                let point = k.to_sec1_point(true);
                format!("p256:{}", hex::encode(point.as_bytes()))
            }
        }
    }

    /// A short human fingerprint: the first 16 hex digits of SHA-256 over the
    /// SubjectPublicKeyInfo.
    pub fn short_fingerprint(&self) -> String {
        match self.spki_der() {
            Ok(der) => hex::encode(&Sha256::digest(&der)[..8]),
            Err(_) => "?".into(),
        }
    }

    /// Verifies `sig` over `msg`. ECDSA hashes `msg` with SHA-256 first.
    pub fn verify(&self, msg: &[u8], sig: &[u8], encoding: SigEncoding) -> bool {
        use p256::ecdsa::signature::Verifier;
        match self {
            PublicKey::Ed25519(k) => match ed25519_dalek::Signature::from_slice(sig) {
                // verify_strict refuses small-order keys and non-canonical
                // signatures: when clients disagree, refusing is the safe side.
                Ok(s) => k.verify_strict(msg, &s).is_ok(),
                Err(_) => false,
            },
            PublicKey::EcdsaP256(k) => {
                let parsed = match encoding {
                    SigEncoding::Raw => p256::ecdsa::Signature::from_slice(sig).ok(),
                    SigEncoding::Der => p256::ecdsa::Signature::from_der(sig).ok(),
                };
                match parsed {
                    Some(s) => k.verify(msg, &s).is_ok(),
                    None => false,
                }
            }
        }
    }
}

//! Cryptographic keys, free of any TUF knowledge: public keys and how their
//! signatures verify, private keys and their age-encrypted files, and the
//! self-signed X.509 certificates Notary wants for root keys.

pub mod cert;
pub mod memo;
pub mod notary_file;
pub mod private;
pub mod scheme;
pub mod scrypt;
pub mod spki;

use p256::pkcs8::EncodePublicKey;
use sha2::{Digest, Sha256};
use std::fmt;

pub use scheme::{Hash, Scheme};

use crate::error::{Error, Result};

/// A signature algorithm the tool can generate keys for, sign with and
/// verify. Keys of other types ([`KeyType`]) are only verified: nothing
/// can ask this tool to generate or sign with them.
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

/// The type of a public key, including those the tool only verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// Ed25519.
    Ed25519,
    /// ECDSA over NIST P-256.
    EcdsaP256,
    /// ECDSA over NIST P-384 (verify only).
    EcdsaP384,
    /// RSA, 2048 bits or more (verify only).
    Rsa,
}

impl KeyType {
    /// The name used in key records and messages.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Ed25519 => "ed25519",
            KeyType::EcdsaP256 => "ecdsa-p256",
            KeyType::EcdsaP384 => "ecdsa-p384",
            KeyType::Rsa => "rsa",
        }
    }
}

impl fmt::Display for KeyType {
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
    /// A P-384 public key (verify only).
    EcdsaP384(p384::ecdsa::VerifyingKey),
    /// An RSA public key of at least [`spki::MIN_RSA_BITS`] bits (verify
    /// only).
    Rsa(Box<rsa::PublicKey>),
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

impl PublicKey {
    /// The key's type.
    pub fn key_type(&self) -> KeyType {
        match self {
            PublicKey::Ed25519(_) => KeyType::Ed25519,
            PublicKey::EcdsaP256(_) => KeyType::EcdsaP256,
            PublicKey::EcdsaP384(_) => KeyType::EcdsaP384,
            PublicKey::Rsa(_) => KeyType::Rsa,
        }
    }

    /// The algorithm the tool signs with for this key, or None for a key
    /// type it only verifies.
    pub fn algorithm(&self) -> Option<Algorithm> {
        match self {
            PublicKey::Ed25519(_) => Some(Algorithm::Ed25519),
            PublicKey::EcdsaP256(_) => Some(Algorithm::EcdsaP256),
            PublicKey::EcdsaP384(_) | PublicKey::Rsa(_) => None,
        }
    }

    /// Raw Ed25519 public key bytes.
    pub fn ed25519_bytes(&self) -> Option<[u8; 32]> {
        match self {
            PublicKey::Ed25519(k) => Some(k.to_bytes()),
            _ => None,
        }
    }

    /// DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Result<Vec<u8>> {
        let doc = match self {
            PublicKey::Ed25519(k) => k.to_public_key_der(),
            PublicKey::EcdsaP256(k) => k.to_public_key_der(),
            PublicKey::EcdsaP384(k) => k.to_public_key_der(),
            PublicKey::Rsa(k) => k.to_public_key_der(),
        };
        doc.map(|d| d.as_bytes().to_vec())
            .map_err(|e| Error::input(format!("cannot encode public key: {e}")))
    }

    /// PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`), as Go and
    /// Python write it.
    pub fn spki_pem(&self) -> Result<String> {
        Ok(cert::go_pem("PUBLIC KEY", &self.spki_der()?))
    }

    /// Reads a DER SubjectPublicKeyInfo (rules in [`spki`]).
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        spki::from_spki_der(der)
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
            PublicKey::EcdsaP384(k) => {
                let point = k.to_sec1_point(true);
                format!("p384:{}", hex::encode(point.as_bytes()))
            }
            PublicKey::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                let n = k.n().to_be_bytes();
                let e = k.e().to_be_bytes();
                let mut h = Sha256::new();
                for part in [&n[..], &e[..]] {
                    let part: Vec<u8> = part.iter().copied().skip_while(|b| *b == 0).collect();
                    h.update((part.len() as u64).to_be_bytes());
                    h.update(&part);
                }
                format!("rsa:{}", hex::encode(h.finalize()))
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

    /// Verifies `sig` over `msg` with the key's usual scheme: Ed25519;
    /// ECDSA with SHA-256 (P-256) or SHA-384 (P-384); RSA-PSS with SHA-256.
    pub fn verify(&self, msg: &[u8], sig: &[u8], encoding: SigEncoding) -> bool {
        let scheme = match self {
            PublicKey::Ed25519(_) => Scheme::Ed25519,
            PublicKey::EcdsaP256(_) => Scheme::Ecdsa(Hash::Sha256, encoding),
            PublicKey::EcdsaP384(_) => Scheme::Ecdsa(Hash::Sha384, encoding),
            PublicKey::Rsa(_) => Scheme::RsaPss(Hash::Sha256),
        };
        self.verify_with(scheme, msg, sig)
    }

    /// For an ECDSA key, `sig` in the other of the two encodings ECDSA
    /// signatures come in: DER `ECDSA-Sig-Value` (what openssl and
    /// securesystemslib write) becomes the fixed-width `r‖s` Notary and
    /// PKCS#11 tokens use, and the other way round. None for other keys and
    /// for bytes that are neither form. Nothing is checked here: the caller
    /// keeps a converted signature only if it verifies.
    pub fn ecdsa_other_encoding(&self, sig: &[u8]) -> Option<Vec<u8>> {
        match self {
            PublicKey::EcdsaP256(_) => match p256::ecdsa::Signature::from_der(sig) {
                Ok(s) => Some(s.to_bytes().to_vec()),
                Err(_) => p256::ecdsa::Signature::from_slice(sig)
                    .ok()
                    .map(|s| s.to_der().as_bytes().to_vec()),
            },
            PublicKey::EcdsaP384(_) => match p384::ecdsa::Signature::from_der(sig) {
                Ok(s) => Some(s.to_bytes().to_vec()),
                Err(_) => p384::ecdsa::Signature::from_slice(sig)
                    .ok()
                    .map(|s| s.to_der().as_bytes().to_vec()),
            },
            PublicKey::Ed25519(_) | PublicKey::Rsa(_) => None,
        }
    }

    /// Why this key cannot make signatures of `scheme`, if it cannot.
    pub fn refuse_scheme(&self, scheme: Scheme) -> Option<String> {
        let fits = matches!(
            (self, scheme),
            (PublicKey::Ed25519(_), Scheme::Ed25519)
                | (
                    PublicKey::EcdsaP256(_) | PublicKey::EcdsaP384(_),
                    Scheme::Ecdsa(..)
                )
                | (
                    PublicKey::Rsa(_),
                    Scheme::RsaPss(_) | Scheme::RsaPkcs1v15(_)
                )
        );
        (!fits).then(|| {
            format!(
                "a {} key cannot make {} signatures",
                self.key_type(),
                scheme.describe()
            )
        })
    }

    /// Verifies `sig` over `msg` under `scheme`; false when the key cannot
    /// make such signatures.
    ///
    /// RSA signatures must be exactly as long as the modulus, and PSS
    /// salts exactly as long as the hash: notary and securesystemslib sign
    /// so, and although securesystemslib's verifier would take any salt
    /// length, the strict side is the one both accept.
    pub fn verify_with(&self, scheme: Scheme, msg: &[u8], sig: &[u8]) -> bool {
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        match (self, scheme) {
            (PublicKey::Ed25519(k), Scheme::Ed25519) => {
                match ed25519_dalek::Signature::from_slice(sig) {
                    // verify_strict refuses small-order keys and non-canonical
                    // signatures: when clients disagree, refusing is the safe side.
                    Ok(s) => k.verify_strict(msg, &s).is_ok(),
                    Err(_) => false,
                }
            }
            (PublicKey::EcdsaP256(k), Scheme::Ecdsa(hash, encoding)) => {
                let parsed = match encoding {
                    SigEncoding::Raw => p256::ecdsa::Signature::from_slice(sig).ok(),
                    SigEncoding::Der => p256::ecdsa::Signature::from_der(sig).ok(),
                };
                parsed.is_some_and(|s| k.verify_prehash(&hash.digest(msg), &s).is_ok())
            }
            (PublicKey::EcdsaP384(k), Scheme::Ecdsa(hash, encoding)) => {
                let parsed = match encoding {
                    SigEncoding::Raw => p384::ecdsa::Signature::from_slice(sig).ok(),
                    SigEncoding::Der => p384::ecdsa::Signature::from_der(sig).ok(),
                };
                parsed.is_some_and(|s| k.verify_prehash(&hash.digest(msg), &s).is_ok())
            }
            (PublicKey::Rsa(k), Scheme::RsaPss(hash) | Scheme::RsaPkcs1v15(hash)) => {
                use rsa::traits::PublicKeyParts;
                if sig.len() != k.size() {
                    return false;
                }
                let pss = matches!(scheme, Scheme::RsaPss(_));
                let hashed = hash.digest(msg);
                let res = match (pss, hash) {
                    (true, Hash::Sha224) => {
                        k.verify(rsa::pss::Pss::<sha2::Sha224>::new(), &hashed, sig)
                    }
                    (true, Hash::Sha256) => {
                        k.verify(rsa::pss::Pss::<sha2::Sha256>::new(), &hashed, sig)
                    }
                    (true, Hash::Sha384) => {
                        k.verify(rsa::pss::Pss::<sha2::Sha384>::new(), &hashed, sig)
                    }
                    (true, Hash::Sha512) => {
                        k.verify(rsa::pss::Pss::<sha2::Sha512>::new(), &hashed, sig)
                    }
                    (false, Hash::Sha224) => {
                        k.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha224>(), &hashed, sig)
                    }
                    (false, Hash::Sha256) => {
                        k.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &hashed, sig)
                    }
                    (false, Hash::Sha384) => {
                        k.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha384>(), &hashed, sig)
                    }
                    (false, Hash::Sha512) => {
                        k.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha512>(), &hashed, sig)
                    }
                };
                res.is_ok()
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_PEM: &str = include_str!("../../tests/data/keytypes/rsa2048.pub.pem");
    const MSG: &[u8] = include_bytes!("../../tests/data/keytypes/msg");
    const PSS: &[u8] = include_bytes!("../../tests/data/keytypes/rsa2048.pss-sha256.sig");
    const PSS_SALT20: &[u8] =
        include_bytes!("../../tests/data/keytypes/rsa2048.pss-sha256-salt20.sig");
    const PKCS1: &[u8] = include_bytes!("../../tests/data/keytypes/rsa2048.pkcs1-sha256.sig");

    fn rsa() -> PublicKey {
        match spki::from_pem(RSA_PEM) {
            Ok(k) => k,
            Err(e) => panic!("{}", e.reason()),
        }
    }

    #[test]
    fn rsa_pss_is_strict_about_the_salt() {
        let k = rsa();
        assert_eq!(k.key_type(), KeyType::Rsa);
        assert_eq!(k.algorithm(), None, "verify only");
        assert!(k.verify_with(Scheme::RsaPss(Hash::Sha256), MSG, PSS));
        assert!(!k.verify_with(Scheme::RsaPss(Hash::Sha256), MSG, PSS_SALT20));
        assert!(!k.verify_with(Scheme::RsaPss(Hash::Sha384), MSG, PSS));
        assert!(!k.verify_with(Scheme::RsaPss(Hash::Sha256), b"other", PSS));
        // One byte short of the modulus: refused before any arithmetic.
        assert!(!k.verify_with(Scheme::RsaPss(Hash::Sha256), MSG, &PSS[1..]));
    }

    #[test]
    fn rsa_pkcs1v15_and_scheme_fit() {
        let k = rsa();
        assert!(k.verify_with(Scheme::RsaPkcs1v15(Hash::Sha256), MSG, PKCS1));
        assert!(!k.verify_with(Scheme::RsaPss(Hash::Sha256), MSG, PKCS1));
        assert!(!k.verify_with(Scheme::Ecdsa(Hash::Sha256, SigEncoding::Der), MSG, PKCS1));
        assert!(k.refuse_scheme(Scheme::Ed25519).is_some());
        assert!(k.refuse_scheme(Scheme::RsaPkcs1v15(Hash::Sha512)).is_none());
    }

    #[test]
    fn rsa_spki_round_trips_with_one_fingerprint() {
        let k = rsa();
        let again = match k.spki_der().and_then(|d| PublicKey::from_spki_der(&d)) {
            Ok(a) => a,
            Err(e) => panic!("{}", e.reason()),
        };
        assert_eq!(again.fingerprint(), k.fingerprint());
        assert!(k.fingerprint().starts_with("rsa:"));
    }

    #[test]
    fn p384_hash_follows_the_scheme() {
        use p384::ecdsa::signature::hazmat::PrehashSigner;
        let sk = match p384::ecdsa::SigningKey::from_slice(&[7u8; 48]) {
            Ok(k) => k,
            Err(e) => panic!("{e}"),
        };
        let k = PublicKey::EcdsaP384(*sk.verifying_key());
        let sign = |hash: Hash| -> p384::ecdsa::Signature {
            match sk.sign_prehash(&hash.digest(MSG)) {
                Ok(s) => s,
                Err(e) => panic!("{e}"),
            }
        };
        // Notary: SHA-256, fixed-width r‖s. TUF: SHA-384, DER.
        let notary = sign(Hash::Sha256).to_bytes();
        let raw256 = Scheme::Ecdsa(Hash::Sha256, SigEncoding::Raw);
        assert!(k.verify_with(raw256, MSG, &notary));
        assert!(!k.verify_with(Scheme::Ecdsa(Hash::Sha384, SigEncoding::Raw), MSG, &notary));
        let tuf = sign(Hash::Sha384).to_der();
        let der384 = Scheme::Ecdsa(Hash::Sha384, SigEncoding::Der);
        assert!(k.verify_with(der384, MSG, tuf.as_bytes()));
        assert!(!k.verify_with(der384, b"other", tuf.as_bytes()));
        assert!(k.fingerprint().starts_with("p384:"));
        assert_eq!(k.algorithm(), None, "verify only");
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod ecdsa_encoding_tests {
    use super::private::PrivateKey;
    use super::*;

    #[test]
    fn a_p256_signature_crosses_between_der_and_r_s_and_still_verifies() {
        let k = PrivateKey::generate(Algorithm::EcdsaP256);
        let public = k.public();
        let msg = b"the staged root";
        let der = k.sign(msg, SigEncoding::Der);
        let raw = public.ecdsa_other_encoding(&der).expect("DER converts");
        assert_eq!(raw.len(), 64);
        assert!(public.verify(msg, &raw, SigEncoding::Raw));
        assert!(!public.verify(msg, &raw, SigEncoding::Der));
        let back = public.ecdsa_other_encoding(&raw).expect("r‖s converts");
        assert_eq!(back, der);
        assert!(public.verify(msg, &back, SigEncoding::Der));
        // Converting does not make another message's signature good.
        assert!(!public.verify(b"other bytes", &raw, SigEncoding::Raw));
    }

    #[test]
    fn what_is_neither_form_does_not_convert() {
        let p256 = PrivateKey::generate(Algorithm::EcdsaP256).public();
        for junk in [
            &b""[..],
            b"\x30\x02\x01",
            &[0u8; 63],
            &[0u8; 64],
            &[0xff; 64],
        ] {
            assert_eq!(p256.ecdsa_other_encoding(junk), None, "{junk:?}");
        }
        let ed = PrivateKey::generate(Algorithm::Ed25519).public();
        let sig = PrivateKey::generate(Algorithm::EcdsaP256).sign(b"m", SigEncoding::Der);
        assert_eq!(ed.ecdsa_other_encoding(&sig), None);
    }
}

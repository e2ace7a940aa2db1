//! Reading public keys from the encodings peers write: DER
//! SubjectPublicKeyInfo (bare, in a PEM `PUBLIC KEY` block or inside a
//! certificate) and PKCS#1 `RSAPublicKey` (PEM `RSA PUBLIC KEY`).
//!
//! Rules: Ed25519; ECDSA on P-256 or P-384 only (named curves, as
//! SubjectPublicKeyInfo names them); RSA with a modulus of at least
//! [`MIN_RSA_BITS`] bits (notary's floor, and what securesystemslib
//! generates) and at most 8192, exponent at most 2^33−1 (the `rsa`
//! crate's limits against costly keys). As Go's `crypto/x509` reads them
//! (notary, go-tuf): an RSA key's algorithm parameters must be exactly
//! NULL, and an ECDSA point must be uncompressed; python's `cryptography`
//! also takes the other forms, so this is the strict side of the peers.
//! Anything else is refused with the reason.

use der::asn1::ObjectIdentifier;
use der::{Decode, Tagged};
use p256::pkcs8::DecodePublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use x509_cert::spki::SubjectPublicKeyInfoRef;

use super::PublicKey;
use crate::error::{Error, Result};

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

const ED25519: &str = "1.3.101.112";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";

/// Reads a DER SubjectPublicKeyInfo.
pub fn from_spki_der(der: &[u8]) -> Result<PublicKey> {
    let spki = SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|e| Error::input(format!("not a SubjectPublicKeyInfo: {e}")))?;
    let oid = spki.algorithm.oid.to_string();
    match oid.as_str() {
        ED25519 => ed25519_dalek::VerifyingKey::from_public_key_der(der)
            .map(PublicKey::Ed25519)
            .map_err(|e| Error::input(format!("Ed25519 public key: {e}"))),
        EC_PUBLIC_KEY => {
            let curve = spki
                .algorithm
                .parameters
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                .map(|o| o.to_string())
                .unwrap_or_default();
            // 0x04: uncompressed, the only form Go's elliptic.Unmarshal reads.
            if spki.subject_public_key.raw_bytes().first() != Some(&0x04) {
                return Err(Error::input(
                    "ECDSA public key is not an uncompressed point (Go clients such as notary and go-tuf read no other form)",
                ));
            }
            match curve.as_str() {
                P256 => p256::ecdsa::VerifyingKey::from_public_key_der(der)
                    .map(PublicKey::EcdsaP256)
                    .map_err(|e| Error::input(format!("ECDSA P-256 public key: {e}"))),
                P384 => p384::ecdsa::VerifyingKey::from_public_key_der(der)
                    .map(PublicKey::EcdsaP384)
                    .map_err(|e| Error::input(format!("ECDSA P-384 public key: {e}"))),
                "" => Err(Error::input("ECDSA public key names no curve")),
                other => Err(Error::input(format!(
                    "ECDSA public key on curve {other}: only P-256 and P-384 are supported"
                ))),
            }
        }
        RSA_ENCRYPTION => {
            // rsaEncryption's parameters are NULL (RFC 3279); Go refuses a
            // key without them ("RSA key missing NULL parameters").
            let null = spki
                .algorithm
                .parameters
                .is_some_and(|p| p.tag() == der::Tag::Null && p.value().is_empty());
            if !null {
                return Err(Error::input(
                    "RSA public key: its algorithm parameters are not NULL (Go clients such as notary and go-tuf refuse it)",
                ));
            }
            from_pkcs1_der(spki.subject_public_key.raw_bytes())
        }
        other => Err(Error::input(format!(
            "public key of algorithm {other}: only Ed25519, ECDSA P-256/P-384 and RSA are supported"
        ))),
    }
}

/// Reads a DER PKCS#1 `RSAPublicKey`, refusing moduli under
/// [`MIN_RSA_BITS`] bits.
pub fn from_pkcs1_der(der: &[u8]) -> Result<PublicKey> {
    let parsed = rsa::pkcs1::RsaPublicKeyRef::from_der(der)
        .map_err(|e| Error::input(format!("RSA public key: {e}")))?;
    let bits = bit_len(parsed.modulus.as_bytes());
    if bits < MIN_RSA_BITS {
        return Err(Error::input(format!(
            "RSA key of {bits} bits: at least {MIN_RSA_BITS} are required (as notary requires)"
        )));
    }
    rsa::PublicKey::from_pkcs1_der(der)
        .map(|k| PublicKey::Rsa(Box::new(k)))
        .map_err(|e| Error::input(format!("RSA public key of {bits} bits is not usable: {e}")))
}

/// Bits in a big-endian unsigned integer.
fn bit_len(be: &[u8]) -> usize {
    let digits: Vec<u8> = be.iter().copied().skip_while(|b| *b == 0).collect();
    match digits.first() {
        Some(first) => digits.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

/// Reads one PEM block holding a public key: `PUBLIC KEY`
/// (SubjectPublicKeyInfo) or `RSA PUBLIC KEY` (PKCS#1).
pub fn from_pem(text: &str) -> Result<PublicKey> {
    let blocks = super::cert::pem_blocks(text)?;
    match blocks.as_slice() {
        [b] if b.label == "PUBLIC KEY" => from_spki_der(&b.der),
        [b] if b.label == "RSA PUBLIC KEY" => from_pkcs1_der(&b.der),
        [b] => Err(Error::input(format!(
            "a PEM {} block where a public key is expected",
            b.label
        ))),
        _ => Err(Error::input(
            "expected one PEM PUBLIC KEY or RSA PUBLIC KEY block",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_length_skips_leading_zeros() {
        assert_eq!(bit_len(&[0, 0x80, 0]), 16);
        assert_eq!(bit_len(&[0x01, 0xff]), 9);
        assert_eq!(bit_len(&[0, 0]), 0);
    }

    #[test]
    fn unknown_algorithm_is_named() {
        // An X25519 SubjectPublicKeyInfo (OID 1.3.101.110).
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00,
        ];
        der.extend([7u8; 32]);
        let e = from_spki_der(&der).err().map(|e| e.reason().to_string());
        assert!(
            e.as_deref().is_some_and(|r| r.contains("1.3.101.110")),
            "{e:?}"
        );
    }
}

//! Private keys: generation from the OS RNG, signing, and the one form they
//! take on disk — PKCS#8 inside an age file encrypted to a passphrase.

use age::secrecy::ExposeSecret;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use std::fmt;
use std::io::Write;
use zeroize::Zeroizing;

use super::{Algorithm, PublicKey, SigEncoding};
use crate::error::{Error, Result};
use crate::secret::{Passphrase, SecretBytes, os_rng};

/// A private signing key. Both variants zeroize their secret on drop.
pub enum PrivateKey {
    /// Ed25519 signing key.
    Ed25519(ed25519_dalek::SigningKey),
    /// P-256 ECDSA signing key.
    EcdsaP256(p256::ecdsa::SigningKey),
}

impl fmt::Debug for PrivateKey {
    // Never the secret: only what the public side already says.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PrivateKey({}, {})",
            self.algorithm(),
            self.public().short_fingerprint()
        )
    }
}

impl PrivateKey {
    /// Generates a new key from the OS RNG.
    pub fn generate(algorithm: Algorithm) -> Self {
        let mut rng = os_rng();
        match algorithm {
            Algorithm::Ed25519 => {
                PrivateKey::Ed25519(ed25519_dalek::SigningKey::generate(&mut rng))
            }
            Algorithm::EcdsaP256 => {
                use p256::elliptic_curve::Generate;
                PrivateKey::EcdsaP256(p256::ecdsa::SigningKey::generate_from_rng(&mut rng))
            }
        }
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            PrivateKey::Ed25519(_) => Algorithm::Ed25519,
            PrivateKey::EcdsaP256(_) => Algorithm::EcdsaP256,
        }
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        match self {
            PrivateKey::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
            PrivateKey::EcdsaP256(k) => PublicKey::EcdsaP256(*k.verifying_key()),
        }
    }

    /// Signs `msg` (ECDSA: over SHA-256(msg), deterministic nonces per RFC 6979).
    pub fn sign(&self, msg: &[u8], encoding: SigEncoding) -> Vec<u8> {
        use p256::ecdsa::signature::Signer;
        match self {
            PrivateKey::Ed25519(k) => k.sign(msg).to_bytes().to_vec(),
            PrivateKey::EcdsaP256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(msg);
                match encoding {
                    SigEncoding::Raw => sig.to_bytes().to_vec(),
                    SigEncoding::Der => sig.to_der().as_bytes().to_vec(),
                }
            }
        }
    }

    /// The P-256 key, for making a certificate.
    pub fn as_p256(&self) -> Option<&p256::ecdsa::SigningKey> {
        match self {
            PrivateKey::EcdsaP256(k) => Some(k),
            PrivateKey::Ed25519(_) => None,
        }
    }

    /// The raw secret as Shamir shares carry it: an algorithm tag (1 =
    /// Ed25519 seed, 2 = P-256 scalar) and 32 bytes. Zeroized on drop.
    pub fn secret_bytes(&self) -> SecretBytes {
        let mut out = SecretBytes::with_capacity(33);
        // The `to_bytes()` copies are wiped too, not left on the stack.
        match self {
            PrivateKey::Ed25519(k) => {
                out.push(1);
                out.extend_from_slice(Zeroizing::new(k.to_bytes()).as_slice());
            }
            PrivateKey::EcdsaP256(k) => {
                out.push(2);
                out.extend_from_slice(Zeroizing::new(k.to_bytes()).as_slice());
            }
        }
        out
    }

    /// Reads [`PrivateKey::secret_bytes`].
    pub fn from_secret_bytes(b: &[u8]) -> Result<Self> {
        let bad = || Error::input("the recovered secret is not a key this tool knows");
        let (tag, rest) = b.split_first().ok_or_else(bad)?;
        let arr: [u8; 32] = rest.try_into().map_err(|_| bad())?;
        let arr = Zeroizing::new(arr);
        match tag {
            1 => Ok(PrivateKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(
                &arr,
            ))),
            2 => p256::ecdsa::SigningKey::from_bytes(&Zeroizing::new((*arr).into()))
                .map(PrivateKey::EcdsaP256)
                .map_err(|_| bad()),
            _ => Err(bad()),
        }
    }

    /// Unencrypted PKCS#8 DER, zeroized on drop.
    fn to_pkcs8_der(&self) -> Result<SecretBytes> {
        let doc = match self {
            PrivateKey::Ed25519(k) => k.to_pkcs8_der(),
            PrivateKey::EcdsaP256(k) => k.to_pkcs8_der(),
        }
        .map_err(|e| Error::input(format!("cannot encode private key: {e}")))?;
        // `doc` is a `SecretDocument`: it wipes itself when dropped.
        Ok(SecretBytes::copy_from(doc.as_bytes()))
    }

    fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            return Ok(PrivateKey::EcdsaP256(k));
        }
        if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
            return Ok(PrivateKey::Ed25519(k));
        }
        Err(Error::input(
            "decrypted key is not an Ed25519 or P-256 PKCS#8 key",
        ))
    }

    /// The key as an armored age file encrypted to `passphrase` (scrypt).
    /// Inside is plain PKCS#8 DER, so `age -d` plus openssl can read it
    /// without this tool.
    pub fn encrypt(&self, passphrase: &Passphrase) -> Result<Vec<u8>> {
        let der = self.to_pkcs8_der()?;
        let recipient = crate::key::scrypt::recipient(passphrase);
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .map_err(|e| Error::input(format!("cannot encrypt key: {e}")))?;
        let mut out = Vec::new();
        let armor =
            age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
                .map_err(|e| Error::input(format!("cannot encrypt key: {e}")))?;
        let mut w = encryptor
            .wrap_output(armor)
            .map_err(|e| Error::input(format!("cannot encrypt key: {e}")))?;
        w.write_all(&der)
            .and_then(|_| w.finish())
            .and_then(|armor| armor.finish())
            .map_err(|e| Error::input(format!("cannot encrypt key: {e}")))?;
        Ok(out)
    }

    /// Reads a key file written by [`PrivateKey::encrypt`].
    pub fn decrypt(file: &[u8], passphrase: &Passphrase) -> Result<Self> {
        if passphrase.expose_secret().is_empty() {
            return Err(Error::input("empty passphrase"));
        }
        let identity = crate::key::scrypt::identity(passphrase);
        let reader = age::armor::ArmoredReader::new(file);
        let decryptor = age::Decryptor::new(reader)
            .map_err(|e| Error::input(format!("not an age key file: {e}")))?;
        let mut r = decryptor
            .decrypt(std::iter::once(&identity as &dyn age::Identity))
            .map_err(|e| match e {
                age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                    Error::input("wrong passphrase for this key")
                        .hint("check the passphrase (CEREMONY_PASSPHRASE or --passphrase-file)")
                }
                age::DecryptError::ExcessiveWork { required, .. } => {
                    crate::key::scrypt::excessive_work(required, "this key file")
                }
                other => Error::input(format!("cannot decrypt key: {other}")),
            })?;
        // The plaintext is shorter than the armored file holding it.
        let der = SecretBytes::read_within(&mut r, file.len())
            .map_err(|_| Error::input("wrong passphrase or damaged key file"))?;
        Self::from_pkcs8_der(&der)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn debug_output_holds_no_secret() -> Result<()> {
        let k = PrivateKey::generate(Algorithm::Ed25519);
        let dbg = format!("{k:?}");
        let PrivateKey::Ed25519(inner) = &k else {
            return Err(Error::input("wrong variant"));
        };
        assert!(!dbg.contains(&hex::encode(inner.to_bytes())));
        Ok(())
    }

    #[test]
    fn encrypted_key_round_trips_and_refuses_wrong_passphrase() -> Result<()> {
        let k = PrivateKey::generate(Algorithm::EcdsaP256);
        let pass = Passphrase::from("correct horse".to_string());
        let file = k.encrypt(&pass)?;
        let back = PrivateKey::decrypt(&file, &pass)?;
        assert_eq!(back.public(), k.public());
        let wrong = Passphrase::from("wrong".to_string());
        assert!(PrivateKey::decrypt(&file, &wrong).is_err());
        Ok(())
    }

    /// The work factor is the fixed one, whatever the machine's load, and a
    /// file asking for more than the ceiling is refused before any work.
    #[test]
    fn key_files_use_the_fixed_work_factor_and_refuse_more_than_the_ceiling() -> Result<()> {
        let k = PrivateKey::generate(Algorithm::Ed25519);
        let pass = Passphrase::from("correct horse".to_string());
        let mut binary = Vec::new();
        age::armor::ArmoredReader::new(k.encrypt(&pass)?.as_slice())
            .read_to_end(&mut binary)
            .map_err(|e| Error::input(e.to_string()))?;
        let header_end = binary
            .windows(4)
            .position(|w| w == b"\n---")
            .ok_or_else(|| Error::input("no header end"))?;
        let header = String::from_utf8_lossy(&binary[..header_end]).to_string();
        let stanza = header
            .lines()
            .find(|l| l.starts_with("-> scrypt "))
            .ok_or_else(|| Error::input("no scrypt stanza"))?
            .to_string();
        assert!(
            stanza.ends_with(&format!(" {}", crate::key::scrypt::SEAL_LOG_N)),
            "{stanza}"
        );
        let over = crate::key::scrypt::OPEN_MAX_LOG_N + 1;
        let greedy = stanza.replace(
            &format!(" {}", crate::key::scrypt::SEAL_LOG_N),
            &format!(" {over}"),
        );
        let mut tampered = header.replacen(&stanza, &greedy, 1).into_bytes();
        tampered.extend_from_slice(&binary[header_end..]);
        let err = match PrivateKey::decrypt(&tampered, &pass) {
            Ok(_) => return Err(Error::input("a greedy work factor was accepted")),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("more than the 2^22"), "{err}");
        Ok(())
    }
}

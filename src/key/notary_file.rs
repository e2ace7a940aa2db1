//! Notary's own private key file, so a key made here can be handed to the
//! online side and taken in by `notary key import`: PEM `ENCRYPTED PRIVATE
//! KEY` with sorted `gun`, `path` and `role` headers, holding PKCS#8
//! EncryptedPrivateKeyInfo with PBES2 = PBKDF2-HMAC-SHA1 (the only PRF
//! Notary reads) and AES-256-CBC. Inside, ECDSA keys are plain PKCS#8;
//! Ed25519 keys use Notary's form (OID 1.3.6.1.4.1.11591.15.1 and the 96
//! bytes public‖seed‖public).

use der::asn1::OctetStringRef;
use pkcs8::pkcs5::pbes2;
use pkcs8::spki::AlgorithmIdentifier;
use pkcs8::{EncodePrivateKey, PrivateKeyInfoRef};
use zeroize::Zeroizing;

use super::cert::go_pem;
use super::private::PrivateKey;
use crate::error::{Error, Result};
use crate::secret::{ExposeSecret, Passphrase, os_rng};

/// PBKDF2 iterations. Notary itself writes 2048; it reads any count, so we
/// make guessing the passphrase far dearer.
pub const ITERATIONS: u32 = 200_000;

/// Notary's OID for its Ed25519 PKCS#8 form.
const NOTARY_ED25519_OID: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11591.15.1");

/// Writes `key` as a Notary key file. `gun` only for targets and snapshot
/// keys (Notary strips it for root and delegation keys); `path` is the
/// key's canonical ID.
pub fn write(
    key: &PrivateKey,
    role: &str,
    gun: Option<&str>,
    canonical_id: &str,
    passphrase: &Passphrase,
) -> Result<String> {
    let fail =
        |e: &dyn std::fmt::Display| Error::input(format!("cannot write the Notary key file: {e}"));
    let mut salt = [0u8; 8];
    let mut iv = [0u8; 16];
    rand::Rng::fill_bytes(&mut os_rng(), &mut salt);
    rand::Rng::fill_bytes(&mut os_rng(), &mut iv);
    let params = pbes2::Parameters {
        kdf: pbes2::Pbkdf2Params {
            salt: pbes2::Salt::new(salt).map_err(|e| fail(&e))?,
            iteration_count: ITERATIONS,
            key_length: None,
            prf: pbes2::Pbkdf2Prf::HmacWithSha1,
        }
        .into(),
        encryption: pbes2::EncryptionScheme::Aes256Cbc { iv },
    };
    let pw = passphrase.expose_secret().as_bytes();
    let doc = match key {
        PrivateKey::EcdsaP256(k) => {
            let der = k.to_pkcs8_der().map_err(|e| fail(&e))?;
            let info = PrivateKeyInfoRef::try_from(der.as_bytes()).map_err(|e| fail(&e))?;
            info.encrypt_with_params(params, pw).map_err(|e| fail(&e))?
        }
        PrivateKey::Ed25519(k) => {
            let public = k.verifying_key().to_bytes();
            let mut raw = Zeroizing::new(Vec::with_capacity(96));
            raw.extend_from_slice(&public);
            raw.extend_from_slice(&k.to_bytes());
            raw.extend_from_slice(&public);
            let alg = AlgorithmIdentifier {
                oid: NOTARY_ED25519_OID,
                parameters: None,
            };
            let octets = OctetStringRef::new(&raw).map_err(|e| fail(&e))?;
            let info = PrivateKeyInfoRef::new(alg, octets);
            info.encrypt_with_params(params, pw).map_err(|e| fail(&e))?
        }
    };
    let mut pem = go_pem("ENCRYPTED PRIVATE KEY", doc.as_bytes());
    // Go's encoding/pem writes headers sorted, a blank line after them.
    let mut headers = Vec::new();
    if let Some(g) = gun {
        headers.push(format!("gun: {g}"));
    }
    headers.push(format!("path: {canonical_id}"));
    headers.push(format!("role: {role}"));
    let first = pem.find('\n').map(|i| i + 1).unwrap_or(0);
    pem.insert_str(first, &format!("{}\n\n", headers.join("\n")));
    Ok(pem)
}

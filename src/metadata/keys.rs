//! Key objects as each dialect writes them, and their key IDs.
//!
//! Notary: `{"keytype":T,"keyval":{"private":null,"public":base64}}`, ID =
//! sha256 of that canonical form. `ed25519` holds the raw 32 bytes,
//! `ecdsa` and `rsa` a DER SubjectPublicKeyInfo, `ecdsa-x509` and
//! `rsa-x509` a certificate's PEM text (root keys must be these); the
//! certificate's key must be of the family its keytype names. The
//! signature's `method` picks the scheme (see [`Scheme::notary`]).
//!
//! TUF: `{"keytype":T,"keyval":{"public":…},"scheme":S}`, ID = sha256 of
//! the canonical key object as written. `ed25519` is hex; `ecdsa` (or the
//! older spellings `ecdsa-sha2-nistp256`/`-nistp384`, which must then
//! equal the scheme) and `rsa` are PEM, `PUBLIC KEY` or for RSA also
//! `RSA PUBLIC KEY`. The scheme must fit the key: an ECDSA scheme names its
//! curve, RSA schemes are securesystemslib's `rsassa-pss-*` and
//! `rsa-pkcs1v15-*`.
//!
//! A keytype or scheme not named here is unusable input for that key
//! alone: its reason starts with [`UNKNOWN_TYPE`], and a signature by it
//! is reported as not judged rather than as a failed signature.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{Dialect, json as cjson};
use crate::error::{Error, Result};
use crate::key::cert::{self, CertInfo};
use crate::key::{KeyType, PublicKey, Scheme, SigEncoding, spki};

/// How the reason for a key of a type or scheme this tool does not know
/// begins.
pub const UNKNOWN_TYPE: &str = "of a type this tool does not know";

/// Whether a key's reason (from [`parse_key_map`]) says its type or scheme
/// is unknown, rather than that it is a bad key.
pub fn is_unknown_type(reason: &str) -> bool {
    reason.starts_with(UNKNOWN_TYPE)
}

fn unknown(what: String) -> Error {
    Error::input(format!("{UNKNOWN_TYPE} ({what})"))
        .hint("verify this repository with a client that knows that key type")
}

/// A key as listed in metadata.
#[derive(Debug, Clone)]
pub struct MetaKey {
    /// The key object exactly as parsed or built.
    pub object: Value,
    /// The public key.
    pub public: PublicKey,
    /// The certificate, for Notary `*-x509` keys.
    pub cert: Option<CertInfo>,
    /// The one scheme a TUF key signs with (None for Notary keys, whose
    /// signatures each name theirs).
    pub scheme: Option<Scheme>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl MetaKey {
    /// A bare public key in the dialect's form: Notary `ed25519`, `ecdsa`
    /// or `rsa`; TUF `ed25519`, `ecdsa` (P-256 or P-384 scheme) or `rsa`
    /// with `rsassa-pss-sha256`.
    pub fn from_public(dialect: Dialect, public: &PublicKey) -> Result<Self> {
        let (object, scheme) = match (dialect, public) {
            (Dialect::Notary, PublicKey::Ed25519(k)) => (
                json!({"keytype": "ed25519", "keyval": {"private": null, "public": STANDARD.encode(k.to_bytes())}}),
                None,
            ),
            (Dialect::Notary, _) => {
                let keytype = match public.key_type() {
                    KeyType::Rsa => "rsa",
                    _ => "ecdsa",
                };
                (
                    json!({"keytype": keytype, "keyval": {"private": null, "public": STANDARD.encode(public.spki_der()?)}}),
                    None,
                )
            }
            (Dialect::Tuf, PublicKey::Ed25519(k)) => (
                json!({"keytype": "ed25519", "keyval": {"public": hex::encode(k.to_bytes())}, "scheme": "ed25519"}),
                Some(Scheme::Ed25519),
            ),
            (Dialect::Tuf, _) => {
                let (keytype, name) = match public.key_type() {
                    KeyType::EcdsaP384 => ("ecdsa", "ecdsa-sha2-nistp384"),
                    KeyType::Rsa => ("rsa", "rsassa-pss-sha256"),
                    _ => ("ecdsa", "ecdsa-sha2-nistp256"),
                };
                (
                    json!({"keytype": keytype, "keyval": {"public": public.spki_pem()?}, "scheme": name}),
                    Scheme::tuf(name),
                )
            }
        };
        Ok(MetaKey {
            object,
            public: public.clone(),
            cert: None,
            scheme,
        })
    }

    /// A Notary `ecdsa-x509` or `rsa-x509` key from a certificate.
    pub fn from_cert(cert: CertInfo) -> Result<Self> {
        let public = cert.public_key.clone()?;
        let keytype = match public.key_type() {
            KeyType::EcdsaP256 | KeyType::EcdsaP384 => "ecdsa-x509",
            KeyType::Rsa => "rsa-x509",
            // Notary cannot use Ed25519 certificates (it labels them
            // ecdsa-x509 and then fails to verify); say so here.
            KeyType::Ed25519 => {
                return Err(Error::input(
                    "an Ed25519 certificate cannot be a Notary key (Notary root keys must be ECDSA or RSA certificates)",
                ));
            }
        };
        let object = json!({"keytype": keytype, "keyval": {"private": null, "public": STANDARD.encode(cert.pem())}});
        Ok(MetaKey {
            object,
            public,
            cert: Some(cert),
            scheme: None,
        })
    }

    /// Reads a key object of `dialect`, held to the fields a Go reader
    /// would see (see [`super::fields`]).
    pub fn from_value(dialect: Dialect, v: &Value) -> Result<Self> {
        let m = v
            .as_object()
            .ok_or_else(|| Error::input("key is not an object"))?;
        super::fields::check_key(dialect, v)?;
        let keytype = super::str_field(m, "keytype")?;
        let keyval = m
            .get("keyval")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::input("key has no \"keyval\" object"))?;
        match keyval.get("private") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.is_empty() => {}
            Some(_) => {
                return Err(Error::input(
                    "key object carries a private key: refusing to use or copy it",
                ));
            }
        }
        let public = super::str_field(keyval, "public")?;
        match dialect {
            Dialect::Notary => Self::notary_from(&keytype, &public, v),
            Dialect::Tuf => Self::tuf_from(m, &keytype, &public, v),
        }
    }

    fn notary_from(keytype: &str, public: &str, v: &Value) -> Result<Self> {
        let family = |k: &PublicKey| match k.key_type() {
            KeyType::Rsa => "rsa",
            KeyType::Ed25519 => "ed25519",
            KeyType::EcdsaP256 | KeyType::EcdsaP384 => "ecdsa",
        };
        let base = match keytype {
            "ed25519" | "ecdsa" | "rsa" => keytype,
            "ecdsa-x509" => "ecdsa",
            "rsa-x509" => "rsa",
            other => return Err(unknown(format!("Notary keytype {other:?}"))),
        };
        let raw = STANDARD
            .decode(public)
            .map_err(|e| Error::input(format!("{keytype} key: public is not base64: {e}")))?;
        let (public, cert) = match keytype {
            "ed25519" => (PublicKey::from_ed25519_bytes(&raw)?, None),
            "ecdsa" | "rsa" => (
                PublicKey::from_spki_der(&raw).map_err(|e| e.context(format!("{keytype} key")))?,
                None,
            ),
            _ => {
                let text = String::from_utf8(raw)
                    .map_err(|_| Error::input(format!("{keytype} key: public is not PEM text")))?;
                let leaf = cert::parse_single_pem(&text)
                    .map_err(|e| e.context(format!("{keytype} key")))?;
                (
                    leaf.public_key
                        .clone()
                        .map_err(|e| e.context(format!("{keytype} key")))?,
                    Some(leaf),
                )
            }
        };
        if family(&public) != base {
            return Err(Error::input(format!(
                "{keytype} key holds a {} key",
                public.key_type()
            )));
        }
        Ok(MetaKey {
            object: v.clone(),
            public,
            cert,
            scheme: None,
        })
    }

    fn tuf_from(m: &Map<String, Value>, keytype: &str, public: &str, v: &Value) -> Result<Self> {
        let name = super::str_field(m, "scheme")?;
        let known_type = matches!(
            keytype,
            "ed25519" | "ecdsa" | "rsa" | "ecdsa-sha2-nistp256" | "ecdsa-sha2-nistp384"
        );
        if !known_type {
            return Err(unknown(format!("TUF keytype {keytype:?}")));
        }
        let Some(scheme) = Scheme::tuf(&name) else {
            return Err(unknown(format!("TUF scheme {name:?}")));
        };
        // The older keytype spellings are the scheme's own name.
        if keytype.starts_with("ecdsa-") && keytype != name {
            return Err(Error::input(format!(
                "keytype {keytype:?} with scheme {name:?}: the two name different curves"
            )));
        }
        let public = match keytype {
            "ed25519" => {
                let raw = hex::decode(public)
                    .map_err(|_| Error::input("ed25519 key: public is not hex"))?;
                PublicKey::from_ed25519_bytes(&raw)?
            }
            "rsa" => spki::from_pem(public).map_err(|e| e.context("rsa key"))?,
            _ => {
                let blocks = cert::pem_blocks(public)?;
                match blocks.as_slice() {
                    [b] if b.label == "PUBLIC KEY" => {
                        PublicKey::from_spki_der(&b.der).map_err(|e| e.context("ecdsa key"))?
                    }
                    _ => return Err(Error::input("ecdsa key: public is not one PEM PUBLIC KEY")),
                }
            }
        };
        let want = match keytype {
            "ed25519" => KeyType::Ed25519,
            "rsa" => KeyType::Rsa,
            _ if Scheme::tuf_curve_bits(&name) == Some(384) => KeyType::EcdsaP384,
            _ => KeyType::EcdsaP256,
        };
        if public.key_type() != want {
            return Err(Error::input(format!(
                "{keytype} key with scheme {name:?} holds a {} key",
                public.key_type()
            )));
        }
        if let Some(why) = public.refuse_scheme(scheme) {
            return Err(Error::input(format!("scheme {name:?}: {why}")));
        }
        Ok(MetaKey {
            object: v.clone(),
            public,
            cert: None,
            scheme: Some(scheme),
        })
    }

    /// The key ID under which metadata lists this key.
    pub fn id(&self, dialect: Dialect) -> String {
        match dialect {
            // Notary hashes the canonical {keytype, keyval{private:null, public}}.
            Dialect::Notary => {
                let keytype = self.object.get("keytype").cloned().unwrap_or(Value::Null);
                let public = self
                    .object
                    .get("keyval")
                    .and_then(|k| k.get("public"))
                    .cloned()
                    .unwrap_or(Value::Null);
                let obj =
                    json!({"keytype": keytype, "keyval": {"private": null, "public": public}});
                sha256_hex(&cjson::canonical(&obj))
            }
            // The spec (and tough) hash the whole key object as written.
            Dialect::Tuf => sha256_hex(&cjson::canonical(&self.object)),
        }
    }

    /// Notary's "canonical" ID: for a certificate key, the ID of the bare
    /// public key inside it (what `notary key list` shows and key files are
    /// named by); otherwise the ID itself.
    pub fn canonical_id(&self, dialect: Dialect) -> Result<String> {
        if self.cert.is_some() {
            Ok(MetaKey::from_public(Dialect::Notary, &self.public)?.id(Dialect::Notary))
        } else {
            Ok(self.id(dialect))
        }
    }

    /// The `keytype` string.
    pub fn keytype(&self) -> &str {
        self.object
            .get("keytype")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// How signatures by this key are encoded in this dialect.
    pub fn sig_encoding(&self, dialect: Dialect) -> SigEncoding {
        match dialect {
            Dialect::Notary => SigEncoding::Raw,
            Dialect::Tuf => SigEncoding::Der,
        }
    }

    /// Notary's `method` for signatures by this key (RSA: `rsapss`, what
    /// notary signs with).
    pub fn notary_method(&self) -> &'static str {
        match self.public.key_type() {
            KeyType::Ed25519 => "eddsa",
            KeyType::EcdsaP256 | KeyType::EcdsaP384 => "ecdsa",
            KeyType::Rsa => "rsapss",
        }
    }

    /// The scheme a signature entry by this key is judged under: the TUF
    /// key's own, or the Notary signature's `method`. Err(reason) when the
    /// method is unknown ([`UNKNOWN_TYPE`]) or does not fit the key.
    pub fn sig_scheme(
        &self,
        dialect: Dialect,
        method: Option<&str>,
    ) -> std::result::Result<Scheme, String> {
        let scheme = match (dialect, self.scheme) {
            (Dialect::Tuf, Some(s)) => s,
            _ => {
                let m = method.unwrap_or("");
                Scheme::notary(m).ok_or_else(|| {
                    format!(
                        "{UNKNOWN_TYPE} (signature method {:?})",
                        crate::text::printable(m)
                    )
                })?
            }
        };
        match self.public.refuse_scheme(scheme) {
            Some(why) => Err(why),
            None => Ok(scheme),
        }
    }

    /// Decodes a signature string of this dialect (base64 or hex).
    pub fn decode_sig(dialect: Dialect, sig: &str) -> Option<Vec<u8>> {
        match dialect {
            Dialect::Notary => STANDARD.decode(sig).ok(),
            Dialect::Tuf => hex::decode(sig).ok(),
        }
    }

    /// Encodes signature bytes for this dialect.
    pub fn encode_sig(dialect: Dialect, sig: &[u8]) -> String {
        match dialect {
            Dialect::Notary => STANDARD.encode(sig),
            Dialect::Tuf => hex::encode(sig),
        }
    }

    /// Checks a signature entry by this key over `msg`.
    pub fn verify(&self, dialect: Dialect, msg: &[u8], method: Option<&str>, sig: &str) -> bool {
        let Ok(scheme) = self.sig_scheme(dialect, method) else {
            return false;
        };
        match Self::decode_sig(dialect, sig) {
            Some(bytes) => self.public.verify_with(scheme, msg, &bytes),
            None => false,
        }
    }
}

/// Reads a `keys` map; keys the tool cannot read stay as the reason, so the
/// rest of the file can still be judged.
pub fn parse_key_map(
    dialect: Dialect,
    v: Option<&Value>,
) -> Result<std::collections::BTreeMap<String, std::result::Result<MetaKey, String>>> {
    let m = match v {
        Some(Value::Object(m)) => m,
        None => return Ok(Default::default()),
        Some(_) => return Err(Error::verification("\"keys\" is not an object")),
    };
    Ok(m.iter()
        .map(|(id, k)| {
            (
                id.clone(),
                MetaKey::from_value(dialect, k).map_err(|e| e.reason().to_string()),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_PEM: &str = include_str!("../../tests/data/keytypes/rsa2048.pub.pem");

    fn rsa() -> PublicKey {
        match spki::from_pem(RSA_PEM) {
            Ok(k) => k,
            Err(e) => panic!("{}", e.reason()),
        }
    }

    #[test]
    fn verify_only_keys_round_trip_in_both_dialects() {
        let p384 = match p384::ecdsa::SigningKey::from_slice(&[9u8; 48]) {
            Ok(k) => PublicKey::EcdsaP384(*k.verifying_key()),
            Err(e) => panic!("{e}"),
        };
        for public in [rsa(), p384] {
            for dialect in [Dialect::Notary, Dialect::Tuf] {
                let made = match MetaKey::from_public(dialect, &public) {
                    Ok(m) => m,
                    Err(e) => panic!("{}", e.reason()),
                };
                let read = match MetaKey::from_value(dialect, &made.object) {
                    Ok(m) => m,
                    Err(e) => panic!("{:?} {}: {}", dialect, made.object, e.reason()),
                };
                assert_eq!(read.public.fingerprint(), public.fingerprint());
                assert_eq!(read.id(dialect), made.id(dialect));
                assert_eq!(read.scheme, made.scheme);
            }
        }
    }

    #[test]
    fn notary_methods_must_fit_the_key() {
        let k = match MetaKey::from_public(Dialect::Notary, &rsa()) {
            Ok(m) => m,
            Err(e) => panic!("{}", e.reason()),
        };
        assert_eq!(k.keytype(), "rsa");
        assert_eq!(k.notary_method(), "rsapss");
        assert!(k.sig_scheme(Dialect::Notary, Some("rsapkcs1v15")).is_ok());
        let why = k.sig_scheme(Dialect::Notary, Some("eddsa")).err();
        assert!(
            why.as_deref().is_some_and(|w| !is_unknown_type(w)),
            "{why:?}"
        );
        let why = k.sig_scheme(Dialect::Notary, Some("rsa-sha3")).err();
        assert!(why.as_deref().is_some_and(is_unknown_type), "{why:?}");
        let why = k.sig_scheme(Dialect::Notary, None).err();
        assert!(why.as_deref().is_some_and(is_unknown_type), "{why:?}");
    }
}

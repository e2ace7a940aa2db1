//! Key objects as each dialect writes them, and their key IDs.
//!
//! Notary: `{"keytype":T,"keyval":{"private":null,"public":base64}}`, ID =
//! sha256 of that canonical form; root keys are `ecdsa-x509` certificates
//! whose public value is the certificate's PEM text. TUF:
//! `{"keytype":T,"keyval":{"public":…},"scheme":S}`, ID = sha256 of the
//! canonical key object as written.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{Dialect, json as cjson};
use crate::error::{Error, Result};
use crate::key::cert::{self, CertInfo};
use crate::key::{Algorithm, PublicKey, SigEncoding};

/// A key as listed in metadata.
#[derive(Debug, Clone)]
pub struct MetaKey {
    /// The key object exactly as parsed or built.
    pub object: Value,
    /// The public key.
    pub public: PublicKey,
    /// The certificate, for Notary `*-x509` keys.
    pub cert: Option<CertInfo>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl MetaKey {
    /// A bare public key in the dialect's form.
    pub fn from_public(dialect: Dialect, public: &PublicKey) -> Result<Self> {
        let object = match (dialect, public) {
            (Dialect::Notary, PublicKey::Ed25519(k)) => {
                json!({"keytype": "ed25519", "keyval": {"private": null, "public": STANDARD.encode(k.to_bytes())}})
            }
            (Dialect::Notary, PublicKey::EcdsaP256(_)) => {
                json!({"keytype": "ecdsa", "keyval": {"private": null, "public": STANDARD.encode(public.spki_der()?)}})
            }
            (Dialect::Tuf, PublicKey::Ed25519(k)) => {
                json!({"keytype": "ed25519", "keyval": {"public": hex::encode(k.to_bytes())}, "scheme": "ed25519"})
            }
            (Dialect::Tuf, PublicKey::EcdsaP256(_)) => {
                json!({"keytype": "ecdsa", "keyval": {"public": public.spki_pem()?}, "scheme": "ecdsa-sha2-nistp256"})
            }
        };
        Ok(MetaKey {
            object,
            public: public.clone(),
            cert: None,
        })
    }

    /// A Notary `ecdsa-x509` key from a certificate.
    pub fn from_cert(cert: CertInfo) -> Result<Self> {
        let public = cert.public_key.clone()?;
        let keytype = match public.algorithm() {
            Algorithm::EcdsaP256 => "ecdsa-x509",
            // Notary cannot use Ed25519 certificates (it labels them
            // ecdsa-x509 and then fails to verify); say so here.
            Algorithm::Ed25519 => {
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
        let raw = STANDARD
            .decode(public)
            .map_err(|e| Error::input(format!("{keytype} key: public is not base64: {e}")))?;
        let (public, cert) = match keytype {
            "ed25519" => (PublicKey::from_ed25519_bytes(&raw)?, None),
            "ecdsa" => (PublicKey::from_spki_der(&raw)?, None),
            "ecdsa-x509" => {
                let text = String::from_utf8(raw)
                    .map_err(|_| Error::input("ecdsa-x509 key: public is not PEM text"))?;
                let leaf =
                    cert::parse_single_pem(&text).map_err(|e| e.context("ecdsa-x509 key"))?;
                (leaf.public_key.clone()?, Some(leaf))
            }
            "rsa" | "rsa-x509" => {
                return Err(Error::input(format!(
                    "{keytype} keys are not supported by this tool"
                )));
            }
            other => return Err(Error::input(format!("unknown keytype {other:?}"))),
        };
        Ok(MetaKey {
            object: v.clone(),
            public,
            cert,
        })
    }

    fn tuf_from(m: &Map<String, Value>, keytype: &str, public: &str, v: &Value) -> Result<Self> {
        let scheme = super::str_field(m, "scheme")?;
        let public = match (keytype, scheme.as_str()) {
            ("ed25519", "ed25519") => {
                let raw = hex::decode(public)
                    .map_err(|_| Error::input("ed25519 key: public is not hex"))?;
                PublicKey::from_ed25519_bytes(&raw)?
            }
            ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => {
                let blocks = cert::pem_blocks(public)?;
                let block = match blocks.as_slice() {
                    [b] if b.label == "PUBLIC KEY" => b,
                    _ => return Err(Error::input("ecdsa key: public is not one PEM PUBLIC KEY")),
                };
                let k = PublicKey::from_spki_der(&block.der)?;
                if k.algorithm() != Algorithm::EcdsaP256 {
                    return Err(Error::input("ecdsa key holds a non-P-256 key"));
                }
                k
            }
            (t, s) => {
                return Err(Error::input(format!(
                    "keytype {t:?} with scheme {s:?} is not supported by this tool"
                )));
            }
        };
        Ok(MetaKey {
            object: v.clone(),
            public,
            cert: None,
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

    /// Notary's `method` for signatures by this key.
    pub fn notary_method(&self) -> &'static str {
        match self.public.algorithm() {
            Algorithm::Ed25519 => "eddsa",
            Algorithm::EcdsaP256 => "ecdsa",
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
        if dialect == Dialect::Notary && method != Some(self.notary_method()) {
            return false;
        }
        match Self::decode_sig(dialect, sig) {
            Some(bytes) => self.public.verify(msg, &bytes, self.sig_encoding(dialect)),
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

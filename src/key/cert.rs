//! X.509 certificates for Notary root keys: Go's exact PEM text (Notary
//! recomputes key IDs from it), reading the fields Notary checks, and making
//! the self-signed certificate `notary init` would make.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::{Decode, Encode};
use std::str::FromStr;
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{SubjectPublicKeyInfo, SubjectPublicKeyInfoRef};
use x509_cert::time::{Time, Validity};

use super::PublicKey;
use crate::error::{Error, Result};

/// PEM exactly as Go's `encoding/pem` writes it: 64-column base64 lines,
/// `\n` endings, no headers.
pub fn go_pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// One PEM block: its label and decoded bytes.
pub struct PemBlock {
    /// The label after `BEGIN`.
    pub label: String,
    /// The decoded body.
    pub der: Vec<u8>,
}

/// Reads every PEM block in `text`. Headers (`Key: value` lines) are skipped.
pub fn pem_blocks(text: &str) -> Result<Vec<PemBlock>> {
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim_end_matches('\r');
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut closed = false;
        for l in lines.by_ref() {
            let l = l.trim_end_matches('\r');
            if l == end {
                closed = true;
                break;
            }
            if l.contains(':') {
                continue;
            }
            body.push_str(l.trim());
        }
        if !closed {
            return Err(Error::input(format!("PEM block {label} has no END line")));
        }
        let der = STANDARD
            .decode(body.as_bytes())
            .map_err(|e| Error::input(format!("PEM block {label}: bad base64: {e}")))?;
        blocks.push(PemBlock {
            label: label.to_string(),
            der,
        });
    }
    Ok(blocks)
}

/// What the tool reads from a certificate.
#[derive(Debug, Clone)]
pub struct CertInfo {
    /// The DER bytes.
    pub der: Vec<u8>,
    /// The subject common name, if any.
    pub common_name: Option<String>,
    /// basicConstraints CA flag (absent = false).
    pub is_ca: bool,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// The signature algorithm uses SHA-1 (Notary refuses those).
    pub sha1_signature: bool,
    /// The subject public key, when it is a type the tool handles.
    pub public_key: Result<PublicKey>,
    /// DER SubjectPublicKeyInfo as written in the certificate.
    pub spki_der: Vec<u8>,
}

impl CertInfo {
    /// The certificate as Go's PEM.
    pub fn pem(&self) -> String {
        go_pem("CERTIFICATE", &self.der)
    }
}

/// Parses a DER certificate.
pub fn parse_der(der: &[u8]) -> Result<CertInfo> {
    let cert = x509_cert::Certificate::from_der(der)
        .map_err(|e| Error::input(format!("not an X.509 certificate: {e}")))?;
    let tbs = cert.tbs_certificate();
    // Go keeps the last CN of a subject, this parser the first: a subject
    // with two would mean two GUNs to two readers.
    let cns = tbs
        .subject()
        .iter()
        .filter(|a| a.oid.to_string() == "2.5.4.3")
        .count();
    if cns > 1 {
        return Err(Error::input(format!(
            "the certificate's subject has {cns} common names; Notary reads the last and other readers the first: refusing an ambiguous certificate"
        )));
    }
    let common_name = tbs
        .subject()
        .common_name()
        .map_err(|e| Error::input(format!("certificate subject: {e}")))?
        .map(String::from);
    let is_ca = match tbs.get_extension::<BasicConstraints>() {
        Ok(Some((_, bc))) => bc.ca,
        Ok(None) => false,
        Err(e) => return Err(Error::input(format!("certificate basicConstraints: {e}"))),
    };
    let to_dt = |t: &Time| {
        OffsetDateTime::from_unix_timestamp(t.to_unix_duration().as_secs() as i64)
            .map_err(|e| Error::input(format!("certificate validity: {e}")))
    };
    let not_before = to_dt(&tbs.validity().not_before)?;
    let not_after = to_dt(&tbs.validity().not_after)?;
    // 1.2.840.10045.4.1 ecdsa-with-SHA1, 1.2.840.113549.1.1.5 sha1WithRSA.
    let alg = cert.signature_algorithm().oid.to_string();
    let sha1_signature = alg == "1.2.840.10045.4.1" || alg == "1.2.840.113549.1.1.5";
    let spki_der = tbs
        .subject_public_key_info()
        .to_der()
        .map_err(|e| Error::input(format!("certificate public key: {e}")))?;
    let public_key = PublicKey::from_spki_der(&spki_der);
    Ok(CertInfo {
        der: der.to_vec(),
        common_name,
        is_ca,
        not_before,
        not_after,
        sha1_signature,
        public_key,
        spki_der,
    })
}

/// Parses PEM text that must hold exactly one certificate: a root key's.
/// Notary picks the leaf of several by its CA flag and skips a key with two
/// leaves, where a first-is-leaf reader would not: the strict side refuses
/// anything but one.
pub fn parse_single_pem(text: &str) -> Result<CertInfo> {
    let blocks = pem_blocks(text)?;
    if blocks.iter().any(|b| b.label != "CERTIFICATE") {
        return Err(Error::input("expected a PEM CERTIFICATE block only"));
    }
    match blocks.as_slice() {
        [one] => parse_der(&one.der),
        [] => Err(Error::input("no certificate found")),
        more => Err(Error::input(format!(
            "{} certificates where one leaf certificate is expected (Notary would choose among them by their CA flags; this tool does not guess)",
            more.len()
        ))),
    }
}

/// The profile of a Notary root certificate: self-signed, CN = GUN,
/// KU digitalSignature|keyEncipherment (critical), EKU codeSigning,
/// basicConstraints CA:FALSE (critical) — what notary's own
/// `NewCertificate` template holds.
struct NotaryRootProfile {
    subject: Name,
}

impl BuilderProfile for NotaryRootProfile {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &x509_cert::certificate::TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let mut exts: Vec<Extension> = Vec::new();
        let ku = KeyUsage(KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment);
        exts.push(ku.to_extension(tbs.subject(), &exts)?);
        // 1.3.6.1.5.5.7.3.3 id-kp-codeSigning
        let eku = ExtendedKeyUsage(vec![der::oid::ObjectIdentifier::new_unwrap(
            "1.3.6.1.5.5.7.3.3",
        )]);
        exts.push(eku.to_extension(tbs.subject(), &exts)?);
        let bc = BasicConstraints {
            ca: false,
            path_len_constraint: None,
        };
        exts.push(bc.to_extension(tbs.subject(), &exts)?);
        Ok(exts)
    }
}

/// Escapes a value for an RFC 4514 distinguished name string.
fn rfc4514_escape(value: &str) -> String {
    let mut out = String::new();
    let n = value.chars().count();
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\' | '=')
            || (i == 0 && (c == '#' || c == ' '))
            || (i + 1 == n && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Makes the self-signed certificate for a Notary root key.
pub fn notary_root_certificate(
    key: &p256::ecdsa::SigningKey,
    gun: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Result<CertInfo> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        Error::input(format!("cannot make the root certificate ({what}): {e}"))
    };
    let subject =
        Name::from_str(&format!("CN={}", rfc4514_escape(gun))).map_err(|e| fail("subject", &e))?;
    let to_time = |t: OffsetDateTime| -> Result<Time> {
        let secs = u64::try_from(t.unix_timestamp()).map_err(|e| fail("validity", &e))?;
        Time::try_from(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
            .map_err(|e| fail("validity", &e))
    };
    let validity = Validity::new(to_time(not_before)?, to_time(not_after)?);
    let mut rng = crate::secret::os_rng();
    // 128 random bits, as notary does.
    let serial =
        SerialNumber::generate_with_prefix(&[], 16, &mut rng).map_err(|e| fail("serial", &e))?;
    let spki =
        SubjectPublicKeyInfo::from_key(key.verifying_key()).map_err(|e| fail("public key", &e))?;
    let builder = CertificateBuilder::new(NotaryRootProfile { subject }, serial, validity, spki)
        .map_err(|e| fail("builder", &e))?;
    let cert = builder
        .build::<_, p256::ecdsa::DerSignature>(key)
        .map_err(|e| fail("signing", &e))?;
    let der = cert.to_der().map_err(|e| fail("encoding", &e))?;
    let info = parse_der(&der)?;
    if info.common_name.as_deref() != Some(gun) {
        return Err(Error::input(format!(
            "the certificate's CN does not read back as {gun:?}"
        )));
    }
    Ok(info)
}

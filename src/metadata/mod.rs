//! The metadata model for both dialects: the signed envelope, canonical bytes,
//! key objects and key IDs, and typed views of root, targets, snapshot and
//! timestamp. No secrets, no files: bytes in, values out.

pub mod fields;
pub mod json;
pub mod keys;
pub mod names;
pub mod reading;
pub mod roles;
pub mod root;
pub mod root_diff;
pub mod strict;

use serde_json::{Map, Value};
use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{Error, Result};

/// The `spec_version` the tool writes in TUF metadata (what python-tuf 7 writes).
pub const TUF_SPEC_VERSION: &str = "1.0.31";

/// Which metadata format a repository uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Notary 0.6/0.7, Docker Content Trust.
    Notary,
    /// TUF 1.0 (python-tuf, go-tuf, tough).
    Tuf,
}

impl Dialect {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Notary => "notary",
            Dialect::Tuf => "tuf",
        }
    }

    /// Parses a command-line dialect name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "notary" | "dct" => Ok(Dialect::Notary),
            "tuf" => Ok(Dialect::Tuf),
            other => {
                Err(Error::input(format!("unknown dialect {other:?}")).hint("use notary or tuf"))
            }
        }
    }

    /// The `_type` value of a top-level role (`Root` in Notary, `root` in TUF).
    pub fn type_name(self, kind: RoleKind) -> &'static str {
        match (self, kind) {
            (Dialect::Notary, RoleKind::Root) => "Root",
            (Dialect::Notary, RoleKind::Targets) => "Targets",
            (Dialect::Notary, RoleKind::Snapshot) => "Snapshot",
            (Dialect::Notary, RoleKind::Timestamp) => "Timestamp",
            (Dialect::Tuf, RoleKind::Root) => "root",
            (Dialect::Tuf, RoleKind::Targets) => "targets",
            (Dialect::Tuf, RoleKind::Snapshot) => "snapshot",
            (Dialect::Tuf, RoleKind::Timestamp) => "timestamp",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The four kinds of metadata file (delegations are `Targets`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleKind {
    /// root.json
    Root,
    /// targets.json and delegated targets roles
    Targets,
    /// snapshot.json
    Snapshot,
    /// timestamp.json
    Timestamp,
}

impl RoleKind {
    /// The top-level role name.
    pub fn name(self) -> &'static str {
        match self {
            RoleKind::Root => "root",
            RoleKind::Targets => "targets",
            RoleKind::Snapshot => "snapshot",
            RoleKind::Timestamp => "timestamp",
        }
    }
}

/// One signature entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The signing key's ID.
    pub keyid: String,
    /// Notary's `method` (`ecdsa`, `eddsa`, …); absent in TUF.
    pub method: Option<String>,
    /// The signature, base64 (Notary) or hex (TUF).
    pub sig: String,
}

/// A metadata file: `{"signed": …, "signatures": […]}`.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The signed body, kept as parsed so unknown fields survive.
    pub signed: Value,
    /// The signatures, in file order.
    pub signatures: Vec<Signature>,
}

impl Envelope {
    /// Parses a metadata file strictly.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        Self::from_value(json::parse_strict(bytes)?)
    }

    /// The envelope in a strictly parsed file.
    fn from_value(v: Value) -> Result<Self> {
        let Value::Object(mut top) = v else {
            return Err(Error::input("metadata is not a JSON object"));
        };
        let signed = top
            .remove("signed")
            .ok_or_else(|| Error::input("metadata has no \"signed\" object"))?;
        if !signed.is_object() {
            return Err(Error::input("\"signed\" is not an object"));
        }
        let sigs = match top.remove("signatures") {
            Some(Value::Array(a)) => a,
            // Go writes a nil slice as null.
            Some(Value::Null) => Vec::new(),
            _ => return Err(Error::input("metadata has no \"signatures\" list")),
        };
        if let Some(k) = top.keys().next() {
            return Err(Error::input(format!(
                "unexpected top-level field {k:?}{}",
                fold_note(k, &["signed", "signatures"])
            )));
        }
        let mut signatures = Vec::new();
        for s in sigs {
            let Value::Object(m) = s else {
                return Err(Error::input("a signature entry is not an object"));
            };
            let keyid = str_field(&m, "keyid")?;
            let sig = str_field(&m, "sig")?;
            let method = match m.get("method") {
                None => None,
                Some(Value::String(s)) => Some(s.to_ascii_lowercase()),
                Some(_) => return Err(Error::input("signature \"method\" is not a string")),
            };
            if let Some(k) = m
                .keys()
                .find(|k| !matches!(k.as_str(), "keyid" | "sig" | "method"))
            {
                return Err(Error::input(format!(
                    "unexpected field {k:?} in a signature{}",
                    fold_note(k, &["keyid", "sig", "method"])
                )));
            }
            signatures.push(Signature { keyid, method, sig });
        }
        Ok(Envelope { signed, signatures })
    }

    /// The bytes signatures cover.
    pub fn canonical_signed(&self) -> Vec<u8> {
        json::canonical(&self.signed)
    }

    /// The file as the dialect's own tools write it: Notary's compact Go
    /// envelope, or python-tuf's indented JSON.
    pub fn to_bytes(&self, dialect: Dialect) -> Vec<u8> {
        match dialect {
            Dialect::Notary => {
                let mut out = b"{\"signed\":".to_vec();
                out.extend(json::go_file_escape(&self.canonical_signed()));
                out.extend_from_slice(b",\"signatures\":[");
                for (i, s) in self.signatures.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(b"{\"keyid\":");
                    out.extend(json::go_string(&s.keyid).into_bytes());
                    out.extend_from_slice(b",\"method\":");
                    out.extend(json::go_string(s.method.as_deref().unwrap_or("")).into_bytes());
                    out.extend_from_slice(b",\"sig\":");
                    out.extend(json::go_string(&s.sig).into_bytes());
                    out.push(b'}');
                }
                out.extend_from_slice(b"]}");
                out
            }
            Dialect::Tuf => {
                let sigs: Vec<Value> = self
                    .signatures
                    .iter()
                    .map(|s| {
                        let mut m = Map::new();
                        m.insert("keyid".into(), Value::String(s.keyid.clone()));
                        if let Some(method) = &s.method {
                            m.insert("method".into(), Value::String(method.clone()));
                        }
                        m.insert("sig".into(), Value::String(s.sig.clone()));
                        Value::Object(m)
                    })
                    .collect();
                let mut top = Map::new();
                top.insert("signatures".into(), Value::Array(sigs));
                top.insert("signed".into(), self.signed.clone());
                json::python_pretty(&Value::Object(top))
            }
        }
    }

    /// The `_type` field.
    pub fn type_field(&self) -> Option<&str> {
        self.signed.get("_type").and_then(Value::as_str)
    }

    /// The dialect this file is written in, judged by `_type` spelling.
    pub fn detect_dialect(&self) -> Option<Dialect> {
        match self.type_field()? {
            "Root" | "Targets" | "Snapshot" | "Timestamp" => Some(Dialect::Notary),
            "root" | "targets" | "snapshot" | "timestamp" => Some(Dialect::Tuf),
            _ => None,
        }
    }

    /// The `version` field, if it is a positive integer.
    pub fn version(&self) -> Option<u64> {
        self.signed.get("version").and_then(Value::as_u64)
    }
}

/// A metadata file read for verification, in one pass: the envelope,
/// whose target map holds only the entries a field check refuses (see
/// [`strict`]; nothing in verification reads the others), and the
/// canonical bytes of its signed body.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The envelope, target map reduced.
    pub env: Envelope,
    /// The bytes signatures cover.
    pub canonical: Vec<u8>,
}

impl Parsed {
    /// Parses a metadata file strictly, as [`Envelope::parse`] does.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let (v, targets) = strict::parse_metadata(bytes)?;
        let env = Envelope::from_value(v)?;
        let canonical = json::canonical_with_targets(&env.signed, targets);
        Ok(Parsed { env, canonical })
    }
}

/// `(folds to "signed" as Go reads JSON)` when `key` would land in one of
/// `fields` for a Go reader, else nothing.
fn fold_note(key: &str, fields: &[&str]) -> String {
    fields
        .iter()
        .find(|f| fields::go_folds_to(key, f))
        .map(|f| format!(" (folds to {f:?} as Go reads JSON)"))
        .unwrap_or_default()
}

/// A required string field.
pub fn str_field(m: &Map<String, Value>, name: &str) -> Result<String> {
    match m.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(Error::input(format!("\"{name}\" is not a string"))),
        None => Err(Error::input(format!("missing \"{name}\""))),
    }
}

/// The fields every role has: `_type`, `version`, `expires` (and
/// `spec_version` in TUF), checked.
#[derive(Debug, Clone)]
pub struct Common {
    /// `version`, at least 1.
    pub version: u64,
    /// `expires`.
    pub expires: OffsetDateTime,
}

/// Reads and checks the common fields of `signed` for a role of `kind`.
///
/// Every role parser starts here, so this is also where a body is held to
/// the fields a Go reader would see ([`fields::check_body`]): no body is
/// interpreted, staged or signed without passing it.
pub fn common(dialect: Dialect, signed: &Value, kind: RoleKind) -> Result<Common> {
    let m = signed
        .as_object()
        .ok_or_else(|| Error::input("\"signed\" is not an object"))?;
    let want = dialect.type_name(kind);
    // A body of another type is named as such before its fields are judged.
    if let Some(Value::String(ty)) = m.get("_type")
        && ty != want
    {
        return Err(Error::verification(format!(
            "_type is {ty:?}, expected {want:?} ({dialect} {} metadata)",
            kind.name()
        )));
    }
    fields::check_body(dialect, kind, signed)?;
    let ty = str_field(m, "_type")?;
    if ty != want {
        return Err(Error::verification(format!(
            "_type is {ty:?}, expected {want:?} ({dialect} {} metadata)",
            kind.name()
        )));
    }
    if dialect == Dialect::Tuf {
        let spec = str_field(m, "spec_version")?;
        let major = spec.split('.').next().unwrap_or("");
        let parts = spec.split('.').count();
        if major != "1" || !(2..=3).contains(&parts) {
            return Err(Error::verification(format!(
                "spec_version {spec:?} is not a 1.x version this client understands"
            )));
        }
    }
    let version = match m.get("version") {
        Some(Value::Number(n)) => n.as_u64().filter(|v| *v >= 1),
        _ => None,
    }
    .ok_or_else(|| Error::verification("version is not an integer ≥ 1"))?;
    let expires = parse_expires(dialect, &str_field(m, "expires")?)?;
    Ok(Common { version, expires })
}

/// Parses `expires`: any RFC 3339 time for Notary (Go's parser), exactly
/// `YYYY-MM-DDTHH:MM:SSZ` for TUF (python-tuf's parser).
pub fn parse_expires(dialect: Dialect, s: &str) -> Result<OffsetDateTime> {
    if dialect == Dialect::Tuf {
        let b = s.as_bytes();
        let shape_ok = b.len() == 20
            && b.iter().enumerate().all(|(i, c)| match i {
                4 | 7 => *c == b'-',
                10 => *c == b'T',
                13 | 16 => *c == b':',
                19 => *c == b'Z',
                _ => c.is_ascii_digit(),
            });
        // A form clients disagree on is unusable input, not a failed check.
        if !shape_ok && !reading::current().lenient_times {
            return Err(Error::input(format!(
                "expires {s:?} is not of the form YYYY-MM-DDTHH:MM:SSZ the TUF specification requires (python-tuf refuses it, tough and go-tuf read it): pass --lenient-times to read it anyway"
            )));
        }
    }
    let t = OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|e| Error::input(format!("expires {s:?} is not an RFC 3339 time: {e}")))?;
    in_utc(t).ok_or_else(|| {
        Error::verification(format!(
            "expires {s:?} falls after the year 9999 in UTC, which no client can represent"
        ))
    })
}

/// `t` in UTC, or None when its offset carries it past the year 9999
/// (`9999-12-31T23:59:59-23:59`): every time read from input is taken in
/// UTC here, so no later arithmetic or formatting meets such a time.
pub fn in_utc(t: OffsetDateTime) -> Option<OffsetDateTime> {
    t.checked_to_offset(time::UtcOffset::UTC)
}

/// Formats a time as `YYYY-MM-DDTHH:MM:SSZ`, which both dialects accept.
pub fn format_time(t: OffsetDateTime) -> String {
    // Times from input are in UTC already (see in_utc); one that cannot be
    // is shown as it is rather than panic.
    let Some(t) = in_utc(t) else {
        return t
            .format(&Rfc3339)
            .unwrap_or_else(|_| "(a time out of range)".into());
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

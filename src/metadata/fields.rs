//! Which object keys a role's `signed` body may carry, judged as the Go
//! readers of the files judge them.
//!
//! Go's `encoding/json` (and the docker/go fork notary decodes with) matches
//! a JSON key to a struct field case-insensitively, with Unicode simple
//! folding: `Delegations`, `delegationſ` (U+017F) and `Keys` with the Kelvin
//! sign (U+212A) all land in the `delegations` / `keys` field, and a key no
//! field takes is dropped. Notary checks signatures over the map of exact
//! keys but takes the meaning from its structs, so such a body would mean one
//! thing here and another to notary. Notary bodies may therefore carry only
//! the exact fields of notary v0.7's `tuf/data` structs; `custom` (raw JSON
//! notary keeps as is) is not looked into.
//!
//! TUF allows unknown fields (python-tuf and tough keep them, matching keys
//! exactly), but go-tuf decodes with `encoding/json` too: a key that folds
//! to a TUF field without being it is refused there as well.

use serde_json::Value;

use super::{Dialect, RoleKind};
use crate::error::{Error, Result};

/// Go's case folding of one character, as `encoding/json` applies it when
/// it matches a key against an ASCII field name: ASCII letters fold to
/// lower case, `ſ` (U+017F) to `s`, the Kelvin sign (U+212A) to `k`. Every
/// other character (including the Turkish dotless `ı` and dotted `İ`, which
/// are not in the simple fold orbit of `i`) stays itself.
pub fn go_fold_char(c: char) -> char {
    match c {
        '\u{17f}' => 's',
        '\u{212a}' => 'k',
        c => c.to_ascii_lowercase(),
    }
}

/// Whether Go's decoder would put the JSON key `key` into the field named
/// `field` (an ASCII name): equal after [`go_fold_char`].
pub fn go_folds_to(key: &str, field: &str) -> bool {
    key.chars().count() == field.chars().count()
        && key
            .chars()
            .zip(field.chars())
            .all(|(a, b)| go_fold_char(a) == go_fold_char(b))
}

/// The shape of a value as the Go structs declare it.
#[derive(Debug)]
enum Shape {
    /// A struct: these fields, by exact name.
    Struct(&'static [(&'static str, Shape)]),
    /// A map: any key (matched exactly), values of one shape.
    Map(&'static Shape),
    /// A slice of one shape.
    List(&'static Shape),
    /// A string, number, boolean or base64 bytes: nothing inside.
    Scalar,
    /// Raw JSON kept as is (`custom`): not looked into.
    Raw,
}

use Shape::{List, Map, Raw, Scalar, Struct};

// notary v0.7 tuf/data: SignedCommon, Root, RootRole, Targets, Delegations,
// Role (no path_hash_prefixes in 0.7: absent from the struct tags of the
// Debian notary and notary-server binaries), FileMeta, Snapshot, Timestamp,
// TUFKey and KeyPair.
const N_KEY: Shape = Struct(&[
    ("keytype", Scalar),
    ("keyval", Struct(&[("private", Scalar), ("public", Scalar)])),
]);
const N_FILE_META: Shape = Struct(&[
    ("custom", Raw),
    ("hashes", Map(&Scalar)),
    ("length", Scalar),
]);
const N_ROOT: Shape = Struct(&[
    ("_type", Scalar),
    ("consistent_snapshot", Scalar),
    ("expires", Scalar),
    ("keys", Map(&N_KEY)),
    (
        "roles",
        Map(&Struct(&[("keyids", List(&Scalar)), ("threshold", Scalar)])),
    ),
    ("version", Scalar),
]);
const N_TARGETS: Shape = Struct(&[
    ("_type", Scalar),
    (
        "delegations",
        Struct(&[
            ("keys", Map(&N_KEY)),
            (
                "roles",
                List(&Struct(&[
                    ("keyids", List(&Scalar)),
                    ("name", Scalar),
                    ("paths", List(&Scalar)),
                    ("threshold", Scalar),
                ])),
            ),
        ]),
    ),
    ("expires", Scalar),
    ("targets", Map(&N_FILE_META)),
    ("version", Scalar),
]);
const N_META_LIST: Shape = Struct(&[
    ("_type", Scalar),
    ("expires", Scalar),
    ("meta", Map(&N_FILE_META)),
    ("version", Scalar),
]);

// TUF 1.0 (the spec as python-tuf 7 reads it, plus the legacy
// keyid_hash_algorithms go-tuf still declares).
const T_KEY: Shape = Struct(&[
    ("keyid_hash_algorithms", List(&Scalar)),
    ("keytype", Scalar),
    ("keyval", Struct(&[("public", Scalar)])),
    ("scheme", Scalar),
]);
const T_ROOT: Shape = Struct(&[
    ("_type", Scalar),
    ("consistent_snapshot", Scalar),
    ("expires", Scalar),
    ("keys", Map(&T_KEY)),
    (
        "roles",
        Map(&Struct(&[("keyids", List(&Scalar)), ("threshold", Scalar)])),
    ),
    ("spec_version", Scalar),
    ("version", Scalar),
]);
const T_TARGETS: Shape = Struct(&[
    ("_type", Scalar),
    (
        "delegations",
        Struct(&[
            ("keys", Map(&T_KEY)),
            (
                "roles",
                List(&Struct(&[
                    ("keyids", List(&Scalar)),
                    ("name", Scalar),
                    ("path_hash_prefixes", List(&Scalar)),
                    ("paths", List(&Scalar)),
                    ("terminating", Scalar),
                    ("threshold", Scalar),
                ])),
            ),
            (
                "succinct_roles",
                Struct(&[
                    ("bit_length", Scalar),
                    ("keyids", List(&Scalar)),
                    ("name_prefix", Scalar),
                    ("threshold", Scalar),
                ]),
            ),
        ]),
    ),
    ("expires", Scalar),
    ("spec_version", Scalar),
    (
        "targets",
        Map(&Struct(&[
            ("custom", Raw),
            ("hashes", Map(&Scalar)),
            ("length", Scalar),
        ])),
    ),
    ("version", Scalar),
]);
const T_META_LIST: Shape = Struct(&[
    ("_type", Scalar),
    ("expires", Scalar),
    (
        "meta",
        Map(&Struct(&[
            ("hashes", Map(&Scalar)),
            ("length", Scalar),
            ("version", Scalar),
        ])),
    ),
    ("spec_version", Scalar),
    ("version", Scalar),
]);

fn body_shape(dialect: Dialect, kind: RoleKind) -> &'static Shape {
    match (dialect, kind) {
        (Dialect::Notary, RoleKind::Root) => &N_ROOT,
        (Dialect::Notary, RoleKind::Targets) => &N_TARGETS,
        (Dialect::Notary, RoleKind::Snapshot | RoleKind::Timestamp) => &N_META_LIST,
        (Dialect::Tuf, RoleKind::Root) => &T_ROOT,
        (Dialect::Tuf, RoleKind::Targets) => &T_TARGETS,
        (Dialect::Tuf, RoleKind::Snapshot | RoleKind::Timestamp) => &T_META_LIST,
    }
}

/// Refuses a `signed` body of a `kind` role that a Go reader of `dialect`
/// would read differently: a key that folds to a field without being it
/// (both dialects), or a field notary's structs would drop (Notary).
pub fn check_body(dialect: Dialect, kind: RoleKind, signed: &Value) -> Result<()> {
    check(dialect, body_shape(dialect, kind), signed, "signed")
}

/// Whether one entry of a targets map (`signed.targets[path]`) holds a
/// key [`check_body`] would refuse for `dialect`. The verifier keeps only
/// such entries as values (the rest go straight to canonical bytes), so
/// `check_body` on that reduced map finds the same first problem.
pub fn target_entry_refused(dialect: Dialect, entry: &Value) -> bool {
    let Struct(fields) = body_shape(dialect, RoleKind::Targets) else {
        return false;
    };
    match fields.iter().find(|(f, _)| *f == "targets") {
        Some((_, Map(inner))) => walk(dialect, inner, entry).is_some(),
        _ => false,
    }
}

/// The same for a key object read on its own (a server's `timestamp.key`).
pub fn check_key(dialect: Dialect, key: &Value) -> Result<()> {
    let shape = match dialect {
        Dialect::Notary => &N_KEY,
        Dialect::Tuf => &T_KEY,
    };
    check(dialect, shape, key, "key")
}

fn check(dialect: Dialect, shape: &Shape, v: &Value, root: &str) -> Result<()> {
    match walk(dialect, shape, v) {
        None => Ok(()),
        Some(p) => {
            let mut path = root.to_string();
            for step in p.steps.iter().rev() {
                path.push_str(step);
            }
            let why = p.why;
            Err(Error::verification(format!("{path}: {why}")).hint(match dialect {
                Dialect::Notary => {
                    "notary never writes such a file: do not sign it; fetch the metadata again from the Notary server or ask who made it"
                }
                Dialect::Tuf => {
                    "TUF tools do not write such a file: do not sign it; ask who made it for one with exact field names"
                }
            }))
        }
    }
}

/// A refused key: the path to it, innermost step first, and why.
struct Problem {
    steps: Vec<String>,
    why: String,
}

impl Problem {
    fn at(mut self, step: String) -> Self {
        self.steps.push(step);
        self
    }
}

/// Walks `v` against `shape`; on a problem, returns the path to the
/// offending key and the reason (the path is written only then: a large
/// target map is walked without building one per key). Values of the wrong
/// JSON type are left to the role parsers (and make Go's decoder fail,
/// which is no second meaning).
fn walk(dialect: Dialect, shape: &Shape, v: &Value) -> Option<Problem> {
    match (shape, v) {
        (Struct(fields), Value::Object(m)) => {
            for (key, value) in m {
                let step = || format!(".{}", key.escape_debug());
                match fields.iter().find(|(f, _)| *f == key) {
                    Some((_, inner)) => {
                        if let Some(p) = walk(dialect, inner, value) {
                            return Some(p.at(step()));
                        }
                    }
                    None => {
                        let why = if let Some((f, _)) =
                            fields.iter().find(|(f, _)| go_folds_to(key, f))
                        {
                            folded(dialect, f)
                        } else if dialect == Dialect::Notary {
                            "not a field notary reads: its Go structs would drop it while the signature covers it; refusing a file Notary would read differently"
                                .into()
                        } else {
                            continue;
                        };
                        return Some(Problem {
                            steps: vec![step()],
                            why,
                        });
                    }
                }
            }
            None
        }
        (Map(inner), Value::Object(m)) => m.iter().find_map(|(key, value)| {
            walk(dialect, inner, value).map(|p| p.at(format!("[{key:?}]")))
        }),
        (List(inner), Value::Array(a)) => a
            .iter()
            .enumerate()
            .find_map(|(i, value)| walk(dialect, inner, value).map(|p| p.at(format!("[{i}]")))),
        _ => None,
    }
}

fn folded(dialect: Dialect, field: &str) -> String {
    match dialect {
        Dialect::Notary => format!(
            "folds to {field:?} as Notary reads JSON (Go matches keys case-insensitively); refusing a file Notary would read differently"
        ),
        Dialect::Tuf => format!(
            "folds to {field:?} as Go TUF clients (go-tuf) read JSON (Go matches keys case-insensitively); refusing a file clients would read differently"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::json::parse_strict;

    #[test]
    fn every_ascii_letter_folds_to_its_other_case_and_nothing_else() {
        for b in b'a'..=b'z' {
            let lower = char::from(b);
            let upper = lower.to_ascii_uppercase();
            assert!(go_folds_to(&upper.to_string(), &lower.to_string()));
            assert!(go_folds_to(&lower.to_string(), &lower.to_string()));
            for other in (b'a'..=b'z').filter(|o| *o != b) {
                assert!(!go_folds_to(
                    &char::from(other).to_string(),
                    &lower.to_string()
                ));
            }
        }
    }

    #[test]
    fn long_s_and_kelvin_fold_to_s_and_k_only() {
        for field in ["s", "S"] {
            assert!(go_folds_to("\u{17f}", field));
        }
        for field in ["k", "K"] {
            assert!(go_folds_to("\u{212a}", field));
        }
        assert!(go_folds_to("delegation\u{17f}", "delegations"));
        assert!(go_folds_to("\u{212a}eys", "keys"));
        assert!(!go_folds_to("\u{17f}", "k"));
        assert!(!go_folds_to("\u{212a}", "s"));
    }

    #[test]
    fn dotless_and_dotted_i_and_other_lookalikes_do_not_fold() {
        for c in ['\u{131}', '\u{130}', '\u{212b}', '\u{1e9e}', '\u{ff4b}'] {
            for b in b'a'..=b'z' {
                assert!(!go_folds_to(&c.to_string(), &char::from(b).to_string()));
            }
        }
        assert!(!go_folds_to("key\u{131}ds", "keyids"));
        // Non-letters match only themselves.
        assert!(!go_folds_to("\u{7f}type", "_type"));
        assert!(go_folds_to("_TYPE", "_type"));
    }

    fn body(text: &str) -> Value {
        parse_strict(text.as_bytes()).unwrap_or(Value::Null)
    }

    #[test]
    fn notary_folded_and_unknown_keys_are_named_by_path() {
        let t = body(
            r#"{"_type":"Targets","delegations":{"keys":{},"roles":[{"keyids":[],"name":"targets/a","Threshold":1}]},"expires":"x","targets":{},"version":1}"#,
        );
        let e = check_body(Dialect::Notary, RoleKind::Targets, &t).err();
        let why = e.map(|e| e.reason().to_string()).unwrap_or_default();
        assert!(
            why.starts_with("signed.delegations.roles[0].Threshold: folds to \"threshold\""),
            "{why}"
        );
        let t = body(
            r#"{"_type":"Snapshot","expires":"x","meta":{"root":{"hashes":{},"length":1,"version":2}},"version":1}"#,
        );
        let e = check_body(Dialect::Notary, RoleKind::Snapshot, &t).err();
        let why = e.map(|e| e.reason().to_string()).unwrap_or_default();
        assert!(
            why.starts_with("signed.meta[\"root\"].version: not a field notary reads"),
            "{why}"
        );
    }

    #[test]
    fn custom_is_not_looked_into_and_tuf_keeps_unknown_fields() {
        let t = body(
            r#"{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"x","targets":{"a":{"custom":{"Length":1,"x":2},"hashes":{},"length":1}},"version":1}"#,
        );
        assert!(check_body(Dialect::Notary, RoleKind::Targets, &t).is_ok());
        let t = body(
            r#"{"_type":"targets","expires":"x","spec_version":"1.0","targets":{},"version":1,"x-extra":{"Version":1}}"#,
        );
        assert!(check_body(Dialect::Tuf, RoleKind::Targets, &t).is_ok());
        let t = body(
            r#"{"_type":"targets","expires":"x","spec_version":"1.0","targets":{},"version":1,"Delegations":{}}"#,
        );
        assert!(check_body(Dialect::Tuf, RoleKind::Targets, &t).is_err());
    }
}

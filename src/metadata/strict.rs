//! The strict JSON reader (no duplicate object keys, integers only), and
//! the one-pass form the verifier reads files with: the target map of a
//! signed body (`signed.targets`, 100,000s of entries in a large
//! repository) goes straight to canonical bytes instead of into a value
//! tree. Only the entries a field check would refuse are kept as values, so
//! the role parsers and [`super::fields::check_body`] see the same first
//! problem they would see in the whole map, and nothing else in the
//! verifier reads target entries.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::fmt;

use super::Dialect;
use super::fields::target_entry_refused;
use super::json::{write_canonical, write_canonical_str};
use crate::error::{Error, Result};

/// Where in a metadata file a value sits, as far as the reader cares.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Anywhere else (or a plain strict parse).
    Any,
    /// The top-level object.
    Top,
    /// The `signed` object.
    Signed,
    /// `signed.targets`.
    Targets,
}

/// Parses JSON strictly into a value tree.
pub fn parse(bytes: &[u8]) -> Result<Value> {
    let mut unused = None;
    read(bytes, Ctx::Any, &mut unused)
}

/// Parses a metadata file strictly; when `signed.targets` is an object,
/// returns its canonical bytes beside a tree in which that object holds
/// only the entries a field check refuses.
pub fn parse_metadata(bytes: &[u8]) -> Result<(Value, Option<Vec<u8>>)> {
    let mut targets = None;
    let v = read(bytes, Ctx::Top, &mut targets)?;
    Ok((v, targets))
}

fn read(bytes: &[u8], ctx: Ctx, targets: &mut Option<Vec<u8>>) -> Result<Value> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = Strict {
        ctx,
        targets,
        cap: bytes.len(),
    };
    let v = seed
        .deserialize(&mut de)
        .map_err(|e| Error::input(format!("not valid JSON: {e}")))?;
    de.end()
        .map_err(|e| Error::input(format!("not valid JSON: {e}")))?;
    Ok(v)
}

/// Seed and visitor in one: reads a value at `ctx`.
struct Strict<'s> {
    ctx: Ctx,
    /// Where the canonical target map goes.
    targets: &'s mut Option<Vec<u8>>,
    /// The file's size: the canonical map is never longer.
    cap: usize,
}

impl Strict<'_> {
    fn at(&mut self, ctx: Ctx) -> Strict<'_> {
        Strict {
            ctx,
            targets: self.targets,
            cap: self.cap,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

fn duplicate<E: de::Error>(k: &str) -> E {
    E::custom(format!("duplicate object key {k:?}"))
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Value, E> {
        Err(E::custom(
            "a number that is not an integer, or is out of range (canonical JSON allows integers from -2^63 to 2^64-1 only)",
        ))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self.at(Ctx::Any))? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> std::result::Result<Value, A::Error> {
        if self.ctx == Ctx::Targets {
            let (canonical, kept) = target_map(&mut map, self.cap)?;
            *self.targets = Some(canonical);
            return Ok(Value::Object(kept));
        }
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if out.contains_key(&k) {
                return Err(duplicate(&k));
            }
            let ctx = match (self.ctx, k.as_str()) {
                (Ctx::Top, "signed") => Ctx::Signed,
                (Ctx::Signed, "targets") => Ctx::Targets,
                _ => Ctx::Any,
            };
            let v = map.next_value_seed(self.at(ctx))?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

/// A target map read: its canonical bytes, and the entries kept as values.
type TargetMap = (Vec<u8>, Map<String, Value>);

/// One member of the canonical map: where it starts, where its key ends
/// (after the closing quote) and where it ends.
type Member = (usize, usize, usize);

/// Reads a target map entry by entry: each entry is written in canonical
/// form and dropped, unless a field check would refuse it (the first such
/// entry in key order is kept for each dialect). Keys are refused twice as
/// the plain reader refuses them, at the same place in the file.
fn target_map<'de, A: MapAccess<'de>>(
    map: &mut A,
    cap: usize,
) -> std::result::Result<TargetMap, A::Error> {
    let mut buf = Vec::with_capacity(cap);
    buf.push(b'{');
    let mut members: Vec<Member> = Vec::new();
    // Files are written sorted: while keys ascend, no key can repeat; once
    // they do not, every key seen goes into a set.
    let mut last: Option<String> = None;
    let mut seen: Option<HashSet<Vec<u8>>> = None;
    let mut kept: [Option<(String, Value)>; 2] = [None, None];
    let mut unused = None;
    while let Some(k) = map.next_key::<String>()? {
        if seen.is_none() && last.as_ref().is_some_and(|l| k <= *l) {
            seen = Some(members.iter().map(|m| key_of(&buf, *m).to_vec()).collect());
        }
        let start = buf.len() + usize::from(!members.is_empty());
        if start > buf.len() {
            buf.push(b',');
        }
        write_canonical_str(&k, &mut buf);
        let key_end = buf.len();
        if let Some(set) = &mut seen
            && !set.insert(key_of(&buf, (start, key_end, key_end)).to_vec())
        {
            return Err(duplicate(&k));
        }
        let entry = map.next_value_seed(Strict {
            ctx: Ctx::Any,
            targets: &mut unused,
            cap: 0,
        })?;
        buf.push(b':');
        write_canonical(&entry, &mut buf);
        members.push((start, key_end, buf.len()));
        for (slot, d) in kept.iter_mut().zip([Dialect::Notary, Dialect::Tuf]) {
            if slot.as_ref().is_none_or(|(first, _)| k < *first) && target_entry_refused(d, &entry)
            {
                *slot = Some((k.clone(), entry.clone()));
            }
        }
        if seen.is_none() {
            last = Some(k);
        }
    }
    buf.push(b'}');
    if seen.is_some() {
        buf = sorted(&buf, &mut members);
    }
    let mut out = Map::new();
    for (k, v) in kept.into_iter().flatten() {
        out.insert(k, v);
    }
    Ok((buf, out))
}

/// The escaped key bytes of a member (between its quotes).
fn key_of(buf: &[u8], (start, key_end, _): Member) -> &[u8] {
    buf.get(start + 1..key_end - 1).unwrap_or_default()
}

/// The key as written before escaping (canonical JSON escapes only `"`
/// and `\`), for ordering by UTF-8 bytes.
fn unescaped(key: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let mut escaped = false;
    key.iter().copied().filter(move |b| {
        let keep = escaped || *b != b'\\';
        escaped = !escaped && *b == b'\\';
        keep
    })
}

/// The map rewritten with its members in key order.
fn sorted(buf: &[u8], members: &mut [Member]) -> Vec<u8> {
    members.sort_by(|a, b| unescaped(key_of(buf, *a)).cmp(unescaped(key_of(buf, *b))));
    let mut out = Vec::with_capacity(buf.len());
    out.push(b'{');
    for (i, (start, _, end)) in members.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(buf.get(*start..*end).unwrap_or_default());
    }
    out.push(b'}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::json::canonical;

    fn both(text: &str) -> Result<(Vec<u8>, Vec<u8>)> {
        let signed = |v: Value| v.get("signed").cloned().unwrap_or_default();
        let full = canonical(&signed(parse(text.as_bytes())?));
        let (v, t) = parse_metadata(text.as_bytes())?;
        let spliced = crate::metadata::json::canonical_with_targets(&signed(v), t);
        Ok((full, spliced))
    }

    #[test]
    fn one_pass_bytes_equal_the_tree_s_canonical_bytes() -> Result<()> {
        for text in [
            r#"{"signed":{"targets":{"b":{"length":1},"a\"x":{"hashes":{"z":"1","a":"2"}},"a":{},"a\\":[1,-2]},"_type":"targets","version":3},"signatures":[]}"#,
            r#"{"signatures":[],"signed":{"targets":{}}}"#,
            r#"{"signatures":[],"signed":{"targets":[1,2]}}"#,
            r#"{"signatures":[],"signed":{"x":{"targets":{"b":1,"a":2}},"targets":{"\u00e9":1,"e":2}}}"#,
        ] {
            let (full, spliced) = both(text)?;
            assert_eq!(
                String::from_utf8_lossy(&full),
                String::from_utf8_lossy(&spliced)
            );
        }
        Ok(())
    }

    #[test]
    fn duplicates_and_floats_are_refused_at_the_same_place() {
        for text in [
            r#"{"signed":{"targets":{"a":1,"b":2,"a":3}}}"#,
            r#"{"signed":{"targets":{"b":1,"a":2,"a":3}}}"#,
            r#"{"signed":{"targets":{"a":1,"a":2}}}"#,
            r#"{"signed":{"targets":{"a":{"length":1.5}}}}"#,
            r#"{"signed":{"targets":{"a":{"x":1,"x":2}}}}"#,
        ] {
            let plain = parse(text.as_bytes()).err().map(|e| e.reason().to_string());
            let lazy = parse_metadata(text.as_bytes())
                .err()
                .map(|e| e.reason().to_string());
            assert!(plain.is_some(), "{text}");
            assert_eq!(plain, lazy, "{text}");
        }
    }

    #[test]
    fn the_reduced_map_meets_the_field_check_as_the_whole_map_does() -> Result<()> {
        use crate::metadata::RoleKind;
        use crate::metadata::fields::check_body;
        let head = r#"{"signatures":[],"signed":{"_type":"targets","expires":"x","spec_version":"1.0","version":1,"targets":"#;
        for targets in [
            r#"{"a":{"length":1},"b":{"hashes":{"X":"1"},"custom":{"Length":1}}}"#,
            r#"{"z":{"Length":1},"b":{"x":1},"a":{"length":2}}"#,
            r#"{"b":{"lengtH":1},"a":{"extra":2,"hashes":{}}}"#,
            r#"{"a":{"ſize":1,"hasheſ":{}}}"#,
            r#"{"a":[{"Length":1}],"b":"x","c":{"custom":1,"Custom":2}}"#,
        ] {
            let text = format!("{head}{targets}}}}}");
            let signed = |v: Value| v.get("signed").cloned().unwrap_or_default();
            let full = signed(parse(text.as_bytes())?);
            let reduced = signed(parse_metadata(text.as_bytes())?.0);
            for d in [Dialect::Notary, Dialect::Tuf] {
                let why = |v: &Value| {
                    check_body(d, RoleKind::Targets, v)
                        .err()
                        .map(|e| e.reason().to_string())
                };
                assert_eq!(why(&full), why(&reduced), "{d} {targets}");
            }
        }
        Ok(())
    }

    #[test]
    fn refused_entries_are_kept_first_in_key_order() -> Result<()> {
        let text = r#"{"signed":{"targets":{"c":{"Length":1},"d":{"length":1},"b":{"x":1},"a":{"length":2}}}}"#;
        let (v, _) = parse_metadata(text.as_bytes())?;
        let kept = v
            .get("signed")
            .and_then(|s| s.get("targets"))
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect::<Vec<_>>());
        // b: an unknown field (refused by Notary); c: folds to length (both).
        assert_eq!(kept, Some(vec!["b".to_string(), "c".to_string()]));
        Ok(())
    }
}

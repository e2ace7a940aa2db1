//! JSON as the two dialects need it: a strict parser (no duplicate object
//! keys, integers only), the canonical form that signatures cover, and the two
//! file encodings the real tools write (python-tuf's indented form, Notary's
//! compact Go envelope) so a file we re-serialise comes out byte-identical.

use serde_json::Value;

use crate::error::Result;

/// Parses JSON, refusing duplicate object keys and non-integer numbers:
/// two clients that resolve a duplicate key differently would see two
/// different documents behind one signature.
pub fn parse_strict(bytes: &[u8]) -> Result<Value> {
    super::strict::parse(bytes)
}

/// The canonical form signatures are made over, shared by Notary
/// (docker/go canonical/json) and TUF (OLPC): keys sorted by UTF-8 bytes, no
/// whitespace, only `"` and `\` escaped, integers only. No Unicode
/// normalisation, unlike olpc-cjson.
pub fn canonical(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical(v, &mut out);
    out
}

/// The canonical bytes of a `signed` object whose `targets` member was
/// read in one pass ([`super::strict::parse_metadata`]): its members
/// around `targets`, and `targets` itself, which is moved, not copied.
pub fn canonical_with_targets(signed: &Value, targets: Option<Vec<u8>>) -> Vec<u8> {
    let (Some(mut t), Value::Object(m)) = (targets, signed) else {
        return canonical(signed);
    };
    let (mut head, mut tail) = (vec![b'{'], Vec::new());
    for (k, x) in m {
        if k.as_str() == "targets" {
            continue;
        }
        let before = k.as_str() < "targets";
        let out = if before { &mut head } else { &mut tail };
        // Members after `targets` always follow one.
        if !before || out.len() > 1 {
            out.push(b',');
        }
        write_canonical_str(k, out);
        out.push(b':');
        write_canonical(x, out);
    }
    if head.len() > 1 {
        head.push(b',');
    }
    head.extend_from_slice(b"\"targets\":");
    tail.push(b'}');
    t.reserve(head.len() + tail.len());
    t.extend_from_slice(&head);
    t.rotate_right(head.len());
    t.extend_from_slice(&tail);
    t
}

pub(crate) fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        // Floats never reach here: parse_strict refuses them and the tool
        // builds integers only.
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => write_canonical_str(s, out),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(x, out);
            }
            out.push(b']');
        }
        Value::Object(m) => {
            // serde_json's default Map is a BTreeMap<String, _>: its order is
            // byte order of the UTF-8 keys, which both specs require.
            out.push(b'{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical_str(k, out);
                out.push(b':');
                write_canonical(x, out);
            }
            out.push(b'}');
        }
    }
}

pub(crate) fn write_canonical_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    // Runs without a quote or backslash are copied whole: most strings
    // (target paths, hashes) are one run.
    let bytes = s.as_bytes();
    let mut from = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'"' || *b == b'\\' {
            out.extend_from_slice(bytes.get(from..i).unwrap_or_default());
            out.push(b'\\');
            from = i;
        }
    }
    out.extend_from_slice(bytes.get(from..).unwrap_or_default());
    out.push(b'"');
}

/// python-tuf's file form: `json.dumps(d, indent=1, separators=(",", ": "),
/// sort_keys=True)` with Python's default ASCII escaping. No final newline.
pub fn python_pretty(v: &Value) -> Vec<u8> {
    let mut out = String::new();
    write_pretty(v, 0, &mut out);
    out.into_bytes()
}

fn write_pretty(v: &Value, level: usize, out: &mut String) {
    match v {
        Value::Array(a) if !a.is_empty() => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                out.push_str(if i > 0 { ",\n" } else { "\n" });
                push_indent(level + 1, out);
                write_pretty(x, level + 1, out);
            }
            out.push('\n');
            push_indent(level, out);
            out.push(']');
        }
        Value::Object(m) if !m.is_empty() => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                out.push_str(if i > 0 { ",\n" } else { "\n" });
                push_indent(level + 1, out);
                write_python_str(k, out);
                out.push_str(": ");
                write_pretty(x, level + 1, out);
            }
            out.push('\n');
            push_indent(level, out);
            out.push('}');
        }
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
        Value::String(s) => write_python_str(s, out),
        other => out.push_str(&String::from_utf8_lossy(&canonical(other))),
    }
}

fn push_indent(level: usize, out: &mut String) {
    for _ in 0..level {
        out.push(' ');
    }
}

fn write_python_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// The signed body as it stands in a Notary file: the canonical bytes with
/// what Go's `json.Marshal` escapes when it writes the envelope. `<`, `>`,
/// `&`, U+2028 and U+2029 become `\u` escapes (HTML-safe compaction of the
/// `json.RawMessage`), and control characters, which canonical JSON writes
/// raw (and a JSON file may not hold raw), are escaped as Go escapes them in
/// strings: `\n`, `\r`, `\t`, else `\u00XX`. Readers undo the escapes
/// before re-canonicalising, so signatures still cover the raw form. All of
/// these occur only inside strings, so a plain replacement is exact.
pub fn go_file_escape(bytes: &[u8]) -> Vec<u8> {
    let s = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_go_escaped(c, &mut out);
    }
    out.into_bytes()
}

/// One character as Go's `encoding/json` writes it inside a string, except
/// `"` and `\`, which the caller handles.
fn push_go_escaped(c: char, out: &mut String) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
        c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push(c),
    }
}

/// A string as Go's `encoding/json` writes it (HTML-safe).
pub fn go_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => push_go_escaped(c, &mut out),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn duplicate_keys_are_refused() {
        assert!(parse_strict(br#"{"a":1,"a":2}"#).is_err());
        assert!(parse_strict(br#"{"a":{"b":1,"b":1}}"#).is_err());
    }

    #[test]
    fn floats_are_refused() {
        assert!(parse_strict(br#"{"a":1.5}"#).is_err());
        assert!(parse_strict(br#"{"a":1}"#).is_ok());
    }

    #[test]
    fn canonical_escapes_only_quote_and_backslash() -> Result<()> {
        let v = parse_strict("{\"b\":\"x\\\"y\\\\z\\n<é>\",\"a\":[1,true,null]}".as_bytes())?;
        let c = String::from_utf8(canonical(&v)).map_err(|e| Error::input(e.to_string()))?;
        assert_eq!(c, "{\"a\":[1,true,null],\"b\":\"x\\\"y\\\\z\n<é>\"}");
        Ok(())
    }

    #[test]
    fn notary_file_form_escapes_control_characters_as_go_does() -> Result<()> {
        let v = parse_strict("{\"t\":\"a\\nb\\u0001c\\td\\re\\u001f<&>\\u007f\"}".as_bytes())?;
        let raw = canonical(&v);
        assert!(
            parse_strict(&raw).is_err(),
            "canonical bytes hold raw controls"
        );
        let file = go_file_escape(&raw);
        assert_eq!(
            String::from_utf8_lossy(&file),
            "{\"t\":\"a\\nb\\u0001c\\td\\re\\u001f\\u003c\\u0026\\u003e\u{7f}\"}"
        );
        // The file reads back to the same value, so to the same signed bytes.
        assert_eq!(canonical(&parse_strict(&file)?), raw);
        Ok(())
    }

    #[test]
    fn tuf_file_form_escapes_control_characters_as_python_does() -> Result<()> {
        let v = parse_strict(
            "{\"t\":\"a\\nb\\u0001c\\td\\re\\u001f\\b\\f\\u007f<\\u00e9\\u2028\"}".as_bytes(),
        )?;
        let p = python_pretty(&v);
        // json.dumps(v, indent=1, separators=(",", ": "), sort_keys=True)
        assert_eq!(
            String::from_utf8_lossy(&p),
            "{\n \"t\": \"a\\nb\\u0001c\\td\\re\\u001f\\b\\f\\u007f<\\u00e9\\u2028\"\n}"
        );
        assert_eq!(canonical(&parse_strict(&p)?), canonical(&v));
        Ok(())
    }

    #[test]
    fn python_form_matches_json_dumps() -> Result<()> {
        let v = parse_strict("{\"b\":{},\"a\":[1,\"é\"]}".as_bytes())?;
        let p = String::from_utf8(python_pretty(&v)).map_err(|e| Error::input(e.to_string()))?;
        assert_eq!(p, "{\n \"a\": [\n  1,\n  \"\\u00e9\"\n ],\n \"b\": {}\n}");
        Ok(())
    }
}

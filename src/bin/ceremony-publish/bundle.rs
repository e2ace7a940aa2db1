//! An export bundle as the online side reads it: every file SHA256SUMS
//! names, checked against it, with names an export writes and nothing else
//! (the names become paths here and part of the upload's headers there).

use std::collections::BTreeMap;
use std::path::Path;

use crate::printable;
use ceremony::error::{Error, Result};
use ceremony::transfer::input::{FOLDER_BYTES, Limit, read_file_in};
use ceremony::transfer::sha256_hex;

/// A bundle's files by name, and the names to upload in order.
pub struct Bundle {
    /// Every file SHA256SUMS covers, checked.
    pub files: BTreeMap<String, Vec<u8>>,
    /// What UPLOAD lists, in order.
    pub upload: Vec<String>,
}

/// A file name the export writes: `root.json`, `N.root.json`,
/// `targets/releases.json`, `UPLOAD`. Anything else (a path out of the
/// bundle, a quote or line break that would break the upload's headers,
/// `+1.root.json` read as version 1) is refused.
fn bundle_name_ok(name: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/');
    let canonical_number =
        |n: &str| n == "0" || (!n.starts_with('0') && n.chars().all(|c| c.is_ascii_digit()));
    !name.is_empty()
        && name.len() <= 255
        && name.chars().all(ok_char)
        && name
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && name.strip_suffix(".root.json").is_none_or(|n| {
            !n.chars().next().is_some_and(|c| c.is_ascii_digit()) || canonical_number(n)
        })
}

/// Reads a bundle, checking every file against SHA256SUMS first; UPLOAD
/// must be one of the files it covers.
pub fn read_bundle(dir: &Path) -> Result<Bundle> {
    let sums_path = dir.join("SHA256SUMS");
    // The bundle was carried by someone else: no link inside it is
    // followed, and the whole is capped as an import caps it.
    let sums = read_file_in(dir, "SHA256SUMS", Limit::Small)?;
    let mut total = sums.len() as u64;
    let sums = String::from_utf8(sums)
        .map_err(|_| Error::input(format!("{}: not text", sums_path.display())))?;
    let mut files = BTreeMap::new();
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (hash, name) = line.split_once("  ").ok_or_else(|| {
            Error::input(format!("SHA256SUMS: bad line {}", printable(line, 200)))
        })?;
        if !bundle_name_ok(name) {
            return Err(Error::input(format!(
                "SHA256SUMS names {}, which is not a file an export writes",
                printable(name, 200)
            ))
            .hint("export again on the offline machine"));
        }
        let bytes = read_file_in(dir, name, Limit::Metadata)?;
        total += bytes.len() as u64;
        if total > FOLDER_BYTES {
            return Err(Error::input(format!(
                "{} holds more than the {FOLDER_BYTES} bytes a bundle may carry",
                dir.display()
            )));
        }
        if sha256_hex(&bytes) != hash {
            return Err(Error::verification(format!(
                "{name}: does not match SHA256SUMS (damaged or changed on the way)"
            ))
            .hint("export again on the offline machine"));
        }
        if files.insert(name.to_string(), bytes).is_some() {
            return Err(Error::input(format!("SHA256SUMS names {name} twice")));
        }
    }
    let upload_text = files.get("UPLOAD").ok_or_else(|| {
        Error::input("SHA256SUMS does not cover UPLOAD: nothing says what to publish")
            .hint("push a Notary export (`ceremony export`)")
    })?;
    let upload: Vec<String> = String::from_utf8_lossy(upload_text)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    for n in &upload {
        if n == "UPLOAD" || n == "SHA256SUMS" || !files.contains_key(n) {
            return Err(Error::input(format!(
                "UPLOAD names {}, which is not a metadata file SHA256SUMS covers",
                printable(n, 200)
            )));
        }
    }
    if upload.is_empty() {
        return Err(Error::input("UPLOAD lists nothing to publish"));
    }
    Ok(Bundle { files, upload })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_an_export_writes() {
        for ok in [
            "root.json",
            "1.root.json",
            "12.root.json",
            "targets/releases.json",
            "targets/a/b.json",
            "UPLOAD",
            "READBACK.txt",
        ] {
            assert!(bundle_name_ok(ok), "{ok}");
        }
        for bad in [
            "",
            "../root.json",
            "/etc/passwd",
            "targets/../../x.json",
            "targets//x.json",
            "./root.json",
            "targets/",
            "root\".json",
            "root.json\r",
            "a b.json",
            "01.root.json",
            "+1.root.json",
            "1 .root.json",
            "r\u{f6}ot.json",
        ] {
            assert!(!bundle_name_ok(bad), "{bad:?}");
        }
        assert!(!bundle_name_ok(&"a".repeat(256)));
    }
}

//! An export bundle as the online side reads it: a folder with
//! `SHA256SUMS`, or a folder of QR frame images as `ceremony export --qr
//! png` writes them (read by the same library code as `ceremony import`),
//! every file checked against `SHA256SUMS`, with names an export writes and
//! nothing else (the names become paths here and part of the upload's
//! headers there). A rehearsal's bundle is refused before anything else.

use std::collections::BTreeMap;
use std::path::Path;

use crate::printable;
use ceremony::ceremony::export::{is_rehearsal_mark, rehearsal_evidence};
use ceremony::ceremony::import;
use ceremony::error::{Error, Result};
use ceremony::transfer::input::{FOLDER_ENTRIES, Limit, read_file_in};

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

fn not_exported(name: &str) -> Error {
    Error::input(format!(
        "SHA256SUMS names {}, which is not a file an export writes",
        printable(name, 200)
    ))
    .hint("export again on the offline machine")
}

/// Refuses a rehearsal's bundle: exit 2, before any request is made.
fn rehearsal(why: &str) -> Error {
    Error::input(format!(
        "refusing a rehearsal's bundle: {why}; its keys are throwaway keys"
    ))
    .hint("nothing was sent; push the export of the real ceremony")
}

/// Looks for the mark among the folder's own entries (and its `qr/`
/// folder's), whether or not `SHA256SUMS` lists it.
fn marked_entry(dir: &Path) -> Result<Option<String>> {
    for sub in ["", "qr"] {
        let d = dir.join(sub);
        if !std::fs::symlink_metadata(&d).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        let entries = std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))?;
        for (seen, entry) in entries.enumerate() {
            if seen >= FOLDER_ENTRIES {
                return Err(Error::input(format!(
                    "{} holds more than {FOLDER_ENTRIES} entries",
                    d.display()
                ))
                .hint("push a folder holding one bundle"));
            }
            let name = entry
                .map_err(|e| Error::io(&d, e))?
                .file_name()
                .to_string_lossy()
                .to_string();
            if is_rehearsal_mark(&name) {
                return Ok(Some(printable(&name, 100)));
            }
        }
    }
    Ok(None)
}

/// Reads a bundle (files or frames), checking every file against
/// SHA256SUMS first; UPLOAD must be one of the files it covers.
pub fn read_bundle(dir: &Path) -> Result<Bundle> {
    if !std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
        return Err(Error::input(format!("{} is not a folder", dir.display()))
            .hint("push the folder `ceremony export` wrote, or a folder of its QR frames"));
    }
    if let Some(name) = marked_entry(dir)? {
        return Err(rehearsal(&format!("the folder holds {name}")));
    }
    // SHA256SUMS, when there is one, is judged before any file it names is
    // opened: a mark it lists (the file deleted, the line left), or a name
    // an export never writes.
    if std::fs::symlink_metadata(dir.join("SHA256SUMS")).is_ok() {
        let sums = read_file_in(dir, "SHA256SUMS", Limit::Small)?;
        let sums = String::from_utf8(sums)
            .map_err(|_| Error::input(format!("{}: not text", dir.join("SHA256SUMS").display())))?;
        for line in sums.lines().filter(|l| !l.trim().is_empty()) {
            let (_, name) = line.split_once("  ").ok_or_else(|| {
                Error::input(format!("SHA256SUMS: bad line {}", printable(line, 200)))
            })?;
            if is_rehearsal_mark(name) {
                return Err(rehearsal("SHA256SUMS lists the rehearsal mark"));
            }
            if !bundle_name_ok(name) {
                return Err(not_exported(name));
            }
        }
    }
    // The same reading as `ceremony import`: SHA256SUMS checked, or the
    // frames decoded, reassembled and then checked against it.
    let read = import::read_bundle(dir)?;
    if let Some(why) = rehearsal_evidence(&read) {
        return Err(rehearsal(&why));
    }
    // Files beside a `qr/` of the same export: the mark stripped from the
    // files may still be in the frames. Frames that do not read are not
    // what is pushed, so only a mark found in them counts.
    let qr = dir.join("qr");
    if read.iter().any(|(n, _)| n == "SHA256SUMS")
        && std::fs::symlink_metadata(&qr).is_ok_and(|m| m.is_dir())
        && let Some(why) = import::read_frames(&qr)
            .ok()
            .and_then(|f| rehearsal_evidence(&f))
    {
        return Err(rehearsal(&format!("its QR frames say so: {why}")));
    }
    let mut files = BTreeMap::new();
    for (name, bytes) in read {
        if !bundle_name_ok(&name) {
            return Err(not_exported(&name));
        }
        if name != "SHA256SUMS" {
            files.insert(name, bytes);
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

//! The transcript away from its ceremony directory: exported with the root
//! history its closes are checked against, and verified from such a copy
//! against a root the checker already trusts (a published root), walking
//! the root chain from there through the later roots the copy carries.
//! Trust comes only from that given root: the copy's own roots count only
//! where they follow from it.

use std::collections::BTreeMap;
use std::path::Path;
use time::OffsetDateTime;

use super::chain::{Context, verify};
use super::{FILE, Report, read_existing};
use crate::ceremony::Workspace;
use crate::error::{Error, Result};
use crate::metadata::root::Root;
use crate::metadata::{Dialect, Envelope};
use crate::signature::verify::{Options, verify_files};
use crate::transfer::input::{FOLDER_ENTRIES, FOLDER_FILES, Limit, not_regular, read_file_in};

/// The folder, next to the transcript in an export, that holds the root
/// history as `N.root.json`.
pub const ROOTS: &str = "root";

/// What a transcript export wrote.
#[derive(Debug, Clone)]
pub struct TranscriptExport {
    /// The files written, relative to the folder.
    pub written: Vec<String>,
    /// The transcript's report against the ceremony's own root history.
    pub report: Report,
}

/// The roots a copied transcript is checked against, from a trusted root.
#[derive(Debug, Clone)]
pub struct TrustedRoots {
    /// The dialect of the trusted root.
    pub dialect: Dialect,
    /// The GUN (Notary): given, or read from the root certificate.
    pub gun: Option<String>,
    /// The trusted root's version, then each later version that follows
    /// from it.
    pub roots: BTreeMap<u64, Root>,
}

impl TrustedRoots {
    /// Verifies transcript `bytes` against these roots.
    pub fn verify(&self, bytes: &[u8]) -> Report {
        let from = self.roots.keys().next().copied().unwrap_or(0);
        let roots_are = format!("the root chain from the trusted root (version {from} on)");
        verify(
            bytes,
            &Context {
                dialect: self.dialect,
                gun: self.gun.as_deref(),
                roots: &self.roots,
                roots_are: &roots_are,
            },
        )
    }
}

/// The root chain from `trusted` (the bytes of a root the checker already
/// trusts) through `later` (version → bytes; versions at or below the
/// trusted one are not looked at). Unreadable trusted root: input error;
/// a later root that does not follow from it: verification error. Time is
/// not judged: a transcript is checked long after its roots expired.
pub fn roots_from(
    trusted: &[u8],
    later: &BTreeMap<u64, Vec<u8>>,
    gun: Option<String>,
) -> Result<TrustedRoots> {
    let start = Envelope::parse(trusted).map_err(|e| e.context("the trusted root"))?;
    let from = start.version().unwrap_or(0);
    let files: BTreeMap<String, Vec<u8>> = later
        .range(from.saturating_add(1)..)
        .map(|(v, b)| (format!("{v}.root.json"), b.clone()))
        .collect();
    let opts = Options {
        dialect: None,
        gun,
        at: OffsetDateTime::now_utc(),
        trusted_root: Some(trusted.to_vec()),
        ignore_time: true,
    };
    let report = verify_files(&files, &opts).map_err(|e| e.context("the trusted root"))?;
    let report = report.into_result().map_err(|e| {
        e.context("the root chain from the trusted root does not verify")
            .hint("give a root of this repository that you trust, as published (often 1.root.json)")
    })?;
    let mut roots = BTreeMap::new();
    let first = Root::parse(report.dialect, &start.signed)?;
    roots.insert(first.common.version, first);
    // Every later version was checked as a rotation from the one before.
    for bytes in files.values() {
        let env = Envelope::parse(bytes)?;
        let root = Root::parse(report.dialect, &env.signed)?;
        roots.insert(root.common.version, root);
    }
    Ok(TrustedRoots {
        dialect: report.dialect,
        gun: report.gun,
        roots,
    })
}

/// The `N.root.json` files of `folder` (none when it does not exist):
/// regular files only, never through a symbolic link, at most
/// [`FOLDER_FILES`] of them.
pub fn read_roots(folder: &Path) -> Result<BTreeMap<u64, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let entries = match std::fs::read_dir(folder) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(folder, e)),
    };
    for (n, entry) in entries.enumerate() {
        if n >= FOLDER_ENTRIES || out.len() >= FOLDER_FILES {
            return Err(Error::input(format!(
                "{} holds more entries than a root history has",
                folder.display()
            )));
        }
        let entry = entry.map_err(|e| Error::io(folder, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(v) = name
            .strip_suffix(".root.json")
            .and_then(|v| v.parse::<u64>().ok())
        else {
            continue;
        };
        let kind = entry.file_type().map_err(|e| Error::io(&entry.path(), e))?;
        if let Some(what) = not_regular(kind) {
            return Err(Error::input(format!(
                "{} is {what}, not a root file",
                entry.path().display()
            )));
        }
        out.insert(v, read_file_in(folder, &name, Limit::Metadata)?);
    }
    Ok(out)
}

impl Workspace {
    /// Writes the transcript and the root history its closes are checked
    /// against (`root/N.root.json`) to the new folder `out`: built in a
    /// temporary folder beside it and renamed into place, so `out` is
    /// either absent, or complete. Refused when `out` exists and is not an
    /// empty folder, or when the transcript does not verify here.
    pub fn export_transcript(&self, out: &Path) -> Result<TranscriptExport> {
        let bytes = read_existing(&self.dir().join(FILE))?;
        if bytes.is_empty() {
            return Err(Error::input("this ceremony has no transcript yet"));
        }
        let report = self.verify_transcript(&bytes)?;
        if let Some(p) = &report.problem {
            return Err(Error::verification(format!(
                "the transcript does not verify at line {}: {}",
                p.line, p.reason
            ))
            .hint("nothing was written: see `ceremony transcript verify`"));
        }
        let mut files = vec![(FILE.to_string(), bytes)];
        for (v, b) in self.history()? {
            files.push((format!("{ROOTS}/{v}.root.json"), b));
        }
        write_folder(out, &files)?;
        Ok(TranscriptExport {
            written: files.into_iter().map(|(n, _)| n).collect(),
            report,
        })
    }
}

/// Writes `files` (relative names, at most one folder deep) as the new
/// folder `out`, atomically.
fn write_folder(out: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(out, e)),
        Ok(m) if !m.is_dir() => {
            return Err(
                Error::input(format!("{} exists and is not a folder", out.display()))
                    .hint("name a new folder"),
            );
        }
        Ok(_) => {
            let mut entries = std::fs::read_dir(out).map_err(|e| Error::io(out, e))?;
            if entries.next().is_some() {
                return Err(Error::input(format!(
                    "{} exists and is not empty; refusing to overwrite it",
                    out.display()
                ))
                .hint("name a new folder"));
            }
        }
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".transcript-export-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, e))?;
    for (name, bytes) in files {
        let path = tmp.path().join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        crate::transfer::write_new(&path, bytes)?;
    }
    // A rename replaces an empty folder, and fails on one that was filled
    // meanwhile; the temporary folder is removed when it fails.
    std::fs::rename(tmp.path(), out).map_err(|e| Error::io(out, e))?;
    let _ = tmp.keep();
    if let Ok(d) = std::fs::File::open(parent) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_folder_is_written_whole_and_a_used_one_refused() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("out");
        let files = vec![
            ("a".to_string(), b"1".to_vec()),
            ("root/1.root.json".to_string(), b"2".to_vec()),
        ];
        write_folder(&out, &files).unwrap();
        assert_eq!(std::fs::read(out.join("root/1.root.json")).unwrap(), b"2");
        assert!(write_folder(&out, &files).is_err());
        // An empty folder is taken; nothing else is left beside it.
        let empty = t.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        write_folder(&empty, &files).unwrap();
        assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 2);
    }
}

//! Export: the files the online side needs, verified as a whole before
//! anything is written, plus a SHA-256 manifest.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use time::OffsetDateTime;

use super::Workspace;
use crate::error::{Error, Result};
use crate::metadata::Dialect;
use crate::signature::verify::{Options, Report, verify_files};
use crate::transfer;

const EXPORTED: &str = "exported.json";

/// The SHA-256 of each role file as last exported.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Exported {
    files: BTreeMap<String, String>,
}

/// The file every export of a rehearsal carries; the online side refuses
/// a bundle that holds it.
pub const REHEARSAL_MARK: &str = "REHEARSAL";

/// What the mark file says: its first word is the mark, so a renamed mark
/// still gives the bundle away.
pub const REHEARSAL_TEXT: &[u8] =
    b"REHEARSAL: made with throwaway keys in a rehearsal; never publish it.\n";

/// Whether `name` (a bundle file's name or a folder entry, at any depth)
/// is the rehearsal mark: `REHEARSAL` in any case, with or without an
/// extension (`rehearsal`, `Rehearsal.txt`).
pub fn is_rehearsal_mark(name: &str) -> bool {
    let last = name.rsplit('/').next().unwrap_or(name);
    let stem = last.split('.').next().unwrap_or(last);
    stem.eq_ignore_ascii_case(REHEARSAL_MARK)
}

/// Why `files` (a bundle as read) are a rehearsal's, if they are: a file
/// named as the mark, a file that starts with the mark's text (the mark
/// renamed), or a `READBACK.txt` line for the mark (the mark deleted and
/// `SHA256SUMS` rewritten, the read-back left). Someone who also rewrites
/// `READBACK.txt` gets past this: the mark stops mistakes, not intent.
pub fn rehearsal_evidence(files: &[(String, Vec<u8>)]) -> Option<String> {
    let word = REHEARSAL_MARK.as_bytes();
    for (name, bytes) in files {
        if is_rehearsal_mark(name) {
            return Some(format!("it holds the rehearsal mark {name:?}"));
        }
        if bytes.len() > word.len()
            && bytes[..word.len()].eq_ignore_ascii_case(word)
            && bytes[word.len()] == b':'
        {
            return Some(format!("{name:?} is the rehearsal mark, renamed"));
        }
    }
    let readback = files.iter().find(|(n, _)| n == "READBACK.txt")?;
    String::from_utf8_lossy(&readback.1)
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(n, _)| n))
        .find(|n| is_rehearsal_mark(n))
        .map(|_| "READBACK.txt lists the rehearsal mark".to_string())
}

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct ExportOutcome {
    /// Every file written (including history and manifest).
    pub written: Vec<String>,
    /// The files to upload to the server, in order (Notary).
    pub upload: Vec<String>,
    /// The verification report of the whole repository.
    pub report: Report,
    /// The QR frames' texts, when QR was asked for.
    pub frames: Vec<String>,
    /// The packed bundle the frames carry ([`transfer::frames::pack`]),
    /// when QR was asked for: a screen cuts its own frames from it
    /// ([`crate::tui::qr::QrCarousel`]).
    pub payload: Vec<u8>,
}

/// How QR frames are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrKind {
    /// Numbered PNG images under `qr/`.
    Png,
    /// Numbered SVG images under `qr/`.
    Svg,
    /// Shown in the terminal by the caller, frame by frame.
    Terminal,
}

impl Workspace {
    /// Verifies the whole repository as it stands.
    pub fn verify_repo(&self, now: OffsetDateTime) -> Result<Report> {
        let files = self.repo_files()?;
        let opts = Options {
            dialect: Some(self.dialect),
            gun: self.gun.clone(),
            at: now,
            trusted_root: None,
            ignore_time: false,
        };
        verify_files(&files, &opts)
    }

    /// Writes the export to `out` (a new or empty directory). Notary: the
    /// role files changed since the last export (all with `all`), every
    /// `N.root.json`, `UPLOAD` listing what to POST, and `SHA256SUMS`. TUF:
    /// the whole metadata directory.
    pub fn export(
        &self,
        out: &Path,
        all: bool,
        qr: Option<QrKind>,
        now: OffsetDateTime,
    ) -> Result<ExportOutcome> {
        let files = self.repo_files()?;
        if files.is_empty() {
            return Err(Error::input("nothing to export: no signed root yet")
                .hint("`ceremony root sign` first"));
        }
        let report = self.verify_repo(now)?;
        if let Some(f) = report.files.iter().find(|f| !f.ok) {
            return Err(Error::verification(format!("refusing to export: {}: {}", f.name, f.detail))
                .hint("fix it first (`ceremony root status`; `ceremony snapshot sign` after a root rotation)"));
        }
        let previous: Exported = match self.read_state(EXPORTED)? {
            Some(b) => {
                serde_json::from_slice(&b).map_err(|e| Error::input(format!("{EXPORTED}: {e}")))?
            }
            None => Exported::default(),
        };
        let mut chosen: Vec<(String, Vec<u8>)> = Vec::new();
        let mut upload = Vec::new();
        match self.dialect {
            Dialect::Notary => {
                // Root, targets, its delegations (parents first), snapshot.
                let mut names: Vec<String> = vec!["root.json".into(), "targets.json".into()];
                names.extend(
                    self.delegated_roles()?
                        .into_iter()
                        .map(|r| format!("{r}.json")),
                );
                names.push("snapshot.json".into());
                for role in &names {
                    let role = role.as_str();
                    if let Some(b) = files.get(role) {
                        let digest = transfer::sha256_hex(b);
                        if all || previous.files.get(role) != Some(&digest) {
                            upload.push(role.to_string());
                            chosen.push((role.to_string(), b.clone()));
                        }
                    }
                }
                if upload.is_empty() {
                    return Err(Error::input("nothing changed since the last export")
                        .hint("pass --all to export every file again"));
                }
                for (name, b) in &files {
                    if name.ends_with(".root.json") {
                        chosen.push((name.clone(), b.clone()));
                    }
                }
            }
            Dialect::Tuf => {
                for (name, b) in &files {
                    chosen.push((name.clone(), b.clone()));
                }
            }
        }
        // Everything is built in memory first; nothing is written until all
        // of it (frames included) has been made and checked.
        if !upload.is_empty() {
            let list: String = upload.iter().map(|n| format!("{n}\n")).collect();
            chosen.push(("UPLOAD".into(), list.into_bytes()));
        }
        if self.rehearsal() {
            // Covered by SHA256SUMS: removing it breaks the bundle.
            chosen.push((REHEARSAL_MARK.into(), REHEARSAL_TEXT.to_vec()));
        }
        let readback: String = chosen
            .iter()
            .map(|(n, b)| format!("{n}: {}\n", transfer::words::digest_words(b, 6)))
            .collect();
        chosen.push(("READBACK.txt".into(), readback.into_bytes()));
        let manifest = transfer::manifest(&chosen);
        chosen.push(("SHA256SUMS".into(), manifest.into_bytes()));
        let mut images: Vec<(String, Vec<u8>)> = Vec::new();
        let mut frame_texts = Vec::new();
        let mut payload = Vec::new();
        if let Some(kind) = qr {
            payload = transfer::frames::pack(&chosen)?;
            frame_texts = transfer::frames::frames(&payload)?;
            for (i, f) in frame_texts.iter().enumerate() {
                let v = transfer::qr::version(f.as_bytes())?;
                if v > transfer::frames::MAX_VERSION {
                    return Err(Error::input(format!(
                        "frame {} would need QR version {v}",
                        i + 1
                    )));
                }
                match kind {
                    QrKind::Png => images.push((
                        format!("qr/frame-{:03}.png", i + 1),
                        transfer::qr::png(f.as_bytes())?,
                    )),
                    QrKind::Svg => images.push((
                        format!("qr/frame-{:03}.svg", i + 1),
                        transfer::qr::svg(f.as_bytes())?.into_bytes(),
                    )),
                    QrKind::Terminal => {}
                }
            }
        }
        prepare_out(out)?;
        self.make_dirs(out)?;
        // The marker goes first and leaves last, and SHA256SUMS is the last
        // file written: a folder cut short by a crash or a full disk is
        // refused by `verify`, `import` and the online side, and the next
        // command here takes it back out (the journal).
        let marker = out.join(INCOMPLETE_MARK);
        self.write_new(&marker, INCOMPLETE_TEXT)?;
        let (sums, rest): (Vec<_>, Vec<_>) = chosen.iter().partition(|(n, _)| n == "SHA256SUMS");
        let mut written = Vec::new();
        for (name, bytes) in rest.into_iter().chain(images.iter()).chain(sums) {
            // Notary delegations are named like targets/releases.json.
            if let Some(parent) = out.join(name).parent() {
                self.make_dirs(parent)?;
            }
            self.write_new(&out.join(name), bytes)?;
            written.push(name.clone());
        }
        self.remove_file(&marker)?;
        let mut record = previous;
        for (name, b) in &files {
            record.files.insert(name.clone(), transfer::sha256_hex(b));
        }
        let text = serde_json::to_vec_pretty(&record).map_err(|e| Error::input(e.to_string()))?;
        self.write_state(EXPORTED, &text)?;
        self.record_change(crate::ceremony::step::Outcome::Exported {
            out: out.display().to_string(),
            files: chosen
                .iter()
                .map(|(n, b)| (n.clone(), transfer::sha256_hex(b)))
                .collect(),
        })?;
        Ok(ExportOutcome {
            written,
            upload,
            report,
            frames: frame_texts,
            payload,
        })
    }
}

fn prepare_out(out: &Path) -> Result<()> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(|e| Error::io(out, e))?;
        if entries.next().is_some() {
            return Err(Error::input(format!(
                "{} exists and is not empty; refusing to overwrite",
                out.display()
            ))
            .hint("export into a new directory"));
        }
    }
    Ok(())
}

/// The file an export holds while it is being written; see [`Workspace::export`].
pub const INCOMPLETE_MARK: &str = "INCOMPLETE";

const INCOMPLETE_TEXT: &[u8] =
    b"INCOMPLETE: this export was cut short before it was finished. Do not carry or publish it; export again into a new folder.\n";

/// Refuses a folder an export did not finish writing.
pub fn refuse_incomplete(folder: &Path) -> Result<()> {
    if std::fs::symlink_metadata(folder.join(INCOMPLETE_MARK)).is_ok() {
        return Err(Error::input(format!(
            "{} holds an export that was cut short before it was finished",
            folder.display()
        ))
        .hint("do not carry or publish it: export again into a new folder"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
        (name.to_string(), bytes.to_vec())
    }

    #[test]
    fn the_mark_is_found_however_it_is_spelled_or_hidden() {
        for name in ["REHEARSAL", "rehearsal", "Rehearsal.txt", "x/REHEARSAL.md"] {
            assert!(is_rehearsal_mark(name), "{name}");
        }
        for name in ["root.json", "REHEARSALS", "not-rehearsal", "READBACK.txt"] {
            assert!(!is_rehearsal_mark(name), "{name}");
        }
        let plain = vec![
            file("root.json", b"{}"),
            file("READBACK.txt", b"root.json: a b\n"),
        ];
        assert_eq!(rehearsal_evidence(&plain), None);
        let mut renamed = plain.clone();
        renamed.push(file("notes", REHEARSAL_TEXT));
        assert!(rehearsal_evidence(&renamed).is_some());
        let readback = vec![file("READBACK.txt", b"root.json: a b\nREHEARSAL: c d\n")];
        assert!(rehearsal_evidence(&readback).is_some());
        let lower = vec![file("rehearsal", b"anything")];
        assert!(rehearsal_evidence(&lower).is_some());
    }
}

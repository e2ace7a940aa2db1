//! Import: material from the online side carried in as a bundle — files
//! with their SHA-256 manifest, or a folder of QR frame images. Every
//! checksum is checked before anything is used; then the server's keys are
//! imported, signed requests merged, and a targets.json to sign is staged.

use std::path::Path;
use time::OffsetDateTime;

use super::Workspace;
use super::root::SignOutcome;
use crate::error::{Error, Result};
use crate::metadata::Envelope;
use crate::metadata::roles::Targets;
use crate::transfer::frames::{self, Frame};
use crate::transfer::input::{
    FOLDER_BYTES, FOLDER_ENTRIES, FOLDER_FILES, Limit, check_relative_name, read_file, read_file_in,
};
use crate::transfer::request::Request;
use crate::transfer::{self, qr, sha256_hex};

/// What an import took in.
#[derive(Debug, Clone, Default)]
pub struct ImportOutcome {
    /// Every file the bundle held.
    pub files: Vec<String>,
    /// Keys imported, or already known.
    pub keys: Vec<ImportedKey>,
    /// The merge of signed requests, if any.
    pub merged: Option<SignOutcome>,
    /// Whether a targets body was staged for `targets sign`.
    pub staged_targets: bool,
    /// Files not taken in (history, manifests, …).
    pub ignored: Vec<String>,
    /// Readback words of the whole bundle.
    pub words: String,
}

/// A server key an import took in (or found already known).
#[derive(Debug, Clone)]
pub struct ImportedKey {
    /// Label and short ID, as `key list` shows it.
    pub display: String,
    /// Whether the ceremony held it before this import.
    pub known: bool,
    /// Its fingerprint words ([`transfer::words::key_phrase`] of its key
    /// ID), which `ceremony-publish fetch-keys` printed online.
    pub phrase: String,
}

fn is_image(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        matches!(
            e.to_ascii_lowercase().as_str(),
            "png" | "jpg" | "jpeg" | "gif" | "bmp"
        )
    })
}

/// Checks files against their SHA256SUMS (which must cover every file,
/// each name once).
fn check_manifest(files: &[(String, Vec<u8>)]) -> Result<()> {
    for (i, (name, _)) in files.iter().enumerate() {
        if files[..i].iter().any(|(n, _)| n == name) {
            return Err(Error::verification(format!(
                "the bundle holds {name:?} twice"
            )));
        }
    }
    let sums = files
        .iter()
        .find(|(n, _)| n == SUMS)
        .map(|(_, b)| b.as_slice())
        .ok_or_else(|| Error::input("the bundle has no SHA256SUMS"))?;
    let listed = parse_sums(sums)?;
    for (hash, name) in &listed {
        let (_, bytes) = files.iter().find(|(n, _)| n == name).ok_or_else(|| {
            Error::verification(format!("{name}: listed in SHA256SUMS but missing"))
        })?;
        if sha256_hex(bytes) != *hash {
            return Err(Error::verification(format!(
                "{name}: does not match SHA256SUMS (damaged or changed on the way)"
            )));
        }
    }
    if listed.len() + 1 != files.len() {
        return Err(Error::verification(
            "the bundle holds files SHA256SUMS does not cover",
        ));
    }
    Ok(())
}

const SUMS: &str = "SHA256SUMS";

/// The lines of a SHA256SUMS: a SHA-256 in lower-case hex, two spaces, a
/// name inside the bundle; each name once, SHA256SUMS itself never, at
/// most [`FOLDER_FILES`] lines.
fn parse_sums(sums: &[u8]) -> Result<Vec<(String, String)>> {
    let text =
        std::str::from_utf8(sums).map_err(|_| Error::input("SHA256SUMS is not UTF-8 text"))?;
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let shown: String = line.chars().take(100).collect();
        let (hash, name) = line
            .split_once("  ")
            .ok_or_else(|| Error::input(format!("SHA256SUMS: bad line {shown:?}")))?;
        if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(Error::input(format!("SHA256SUMS: bad line {shown:?}")));
        }
        check_relative_name(name).map_err(|e| e.context("SHA256SUMS"))?;
        if name == SUMS || out.iter().any(|(_, n)| n == name) {
            return Err(Error::input(format!(
                "SHA256SUMS lists {name:?} twice or lists itself"
            )));
        }
        if out.len() >= FOLDER_FILES {
            return Err(Error::input(format!(
                "SHA256SUMS lists more than the {FOLDER_FILES} files a bundle may hold"
            )));
        }
        out.push((hash.to_string(), name.to_string()));
    }
    Ok(out)
}

/// Whether `name` is in `dir`, as an entry of its own (a link counts: it
/// is refused when read).
fn has_entry(dir: &Path, name: &str) -> bool {
    std::fs::symlink_metadata(dir.join(name)).is_ok()
}

/// The files SHA256SUMS names (Notary delegations sit in subfolders) and
/// SHA256SUMS itself, each a regular file inside the bundle, together at
/// most [`FOLDER_BYTES`].
fn read_listed(dir: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let sums = read_file_in(dir, SUMS, Limit::Small)?;
    let mut total = sums.len() as u64;
    let mut files = Vec::new();
    for (_, name) in parse_sums(&sums)? {
        let bytes = read_file_in(dir, &name, Limit::Metadata)?;
        total += bytes.len() as u64;
        if total > FOLDER_BYTES {
            return Err(too_much(dir));
        }
        files.push((name, bytes));
    }
    files.push((SUMS.to_string(), sums));
    Ok(files)
}

fn too_much(dir: &Path) -> Error {
    Error::input(format!(
        "{} holds more than the {FOLDER_BYTES} bytes a bundle may carry",
        dir.display()
    ))
    .hint("check that this is the bundle you meant")
}

/// Reads a folder of QR frame images: at most [`frames::MAX_FRAMES`]
/// regular files, each checked for size before it is decoded, all read
/// within [`qr::images_deadline`].
pub fn read_frames(dir: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut names = Vec::new();
    for (seen, entry) in std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .enumerate()
    {
        if seen >= FOLDER_ENTRIES {
            return Err(Error::input(format!(
                "{} holds more than {FOLDER_ENTRIES} entries",
                dir.display()
            ))
            .hint("put the frames of one bundle in a folder of their own"));
        }
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if is_image(Path::new(&name)) {
            names.push(name);
        }
    }
    if names.is_empty() {
        return Err(Error::input(format!(
            "{} holds neither SHA256SUMS nor QR images",
            dir.display()
        )));
    }
    if names.len() > frames::MAX_FRAMES {
        return Err(Error::input(format!(
            "{} holds {} images, more than the {} frames an export makes",
            dir.display(),
            names.len(),
            frames::MAX_FRAMES
        ))
        .hint("put the frames of one bundle in a folder of their own"));
    }
    names.sort();
    let started = std::time::Instant::now();
    let budget = qr::images_deadline(names.len());
    let mut total = 0u64;
    let mut read = Vec::new();
    for name in names {
        let bytes = read_file_in(dir, &name, Limit::Image)?;
        total += bytes.len() as u64;
        if total > FOLDER_BYTES {
            return Err(too_much(dir));
        }
        let left = budget.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(Error::input(format!(
                "reading the images in {} took longer than {} s",
                dir.display(),
                budget.as_secs()
            ))
            .hint("crop each picture to its QR code"));
        }
        let text =
            qr::scan_image(&bytes, left.min(qr::IMAGE_DEADLINE)).map_err(|e| e.context(&name))?;
        read.push(Frame { source: name, text });
    }
    frames::unpack(&frames::reassemble(&read)?)
}

/// Reads a bundle: a folder with SHA256SUMS, a folder of QR images (or one
/// with a `qr/` folder), or one file.
pub fn read_bundle(path: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    // Anything but a folder is read as one file (a FIFO or device is
    // refused there, unopened).
    if !path.is_dir() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        return Ok(vec![(name, read_file(path, Limit::Metadata)?)]);
    }
    super::export::refuse_incomplete(path)?;
    let files = if has_entry(path, SUMS) {
        read_listed(path)?
    } else {
        // A `qr/` folder of the bundle's own, never one reached by a link.
        let qr = path.join("qr");
        let qr_dir = match std::fs::symlink_metadata(&qr) {
            Ok(m) if m.is_dir() => qr,
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::input(format!(
                    "{} is a symbolic link; a bundle must hold its frames itself",
                    qr.display()
                )));
            }
            _ => path.to_path_buf(),
        };
        read_frames(&qr_dir)?
    };
    check_manifest(&files)?;
    Ok(files)
}

impl Workspace {
    /// Takes in a bundle from the online side.
    pub fn import(&self, path: &Path, now: OffsetDateTime) -> Result<ImportOutcome> {
        let files = read_bundle(path)?;
        let mut out = ImportOutcome {
            files: files.iter().map(|(n, _)| n.clone()).collect(),
            words: transfer::words::digest_words(&transfer::frames::pack(&files)?, 6),
            ..Default::default()
        };
        // Decide about everything before changing anything.
        let mut keys = Vec::new();
        let mut requests = Vec::new();
        let mut targets = None;
        for (name, bytes) in &files {
            let role = name
                .strip_suffix(".key")
                .or_else(|| name.strip_suffix(".key.json"));
            if let Some(role @ ("timestamp" | "snapshot")) = role {
                let meta = self.read_public(bytes).map_err(|e| e.context(name))?;
                keys.push((role.to_string(), meta.id(self.dialect), bytes.clone()));
            } else if let Ok(r) = Request::parse(bytes) {
                requests.push((name.clone(), r));
            } else if name == "targets.json" {
                let env = Envelope::parse(bytes).map_err(|e| e.context(name))?;
                // Judged in full (fields as notary reads them, delegation
                // names) before anything is changed.
                Targets::parse(self.dialect, &env.signed, "targets")
                    .map_err(|e| e.context(name))?;
                let ours = self.role_file("targets")?;
                if ours.as_deref() != Some(bytes.as_slice()) {
                    targets = Some(env.signed);
                } else {
                    out.ignored.push(name.clone());
                }
            } else {
                out.ignored.push(name.clone());
            }
        }
        if !requests.is_empty() {
            out.merged = Some(self.merge_requests(&requests, now)?);
        }
        for (role, id, bytes) in keys {
            match self.key_by_id(&id)? {
                Some(k) => out.keys.push(ImportedKey {
                    display: k.display(),
                    known: true,
                    phrase: transfer::words::key_phrase(&k.id),
                }),
                None => {
                    let label = format!("server-{role}");
                    let label = if self.keys()?.iter().any(|k| k.label == label) {
                        None
                    } else {
                        Some(label)
                    };
                    let rec = self.import_key(&role, &bytes, label.as_deref(), now)?;
                    out.keys.push(ImportedKey {
                        display: rec.display(),
                        known: false,
                        phrase: transfer::words::key_phrase(&rec.id),
                    });
                }
            }
        }
        if let Some(body) = targets {
            self.stage_targets(&body)?;
            out.staged_targets = true;
        }
        Ok(out)
    }
}

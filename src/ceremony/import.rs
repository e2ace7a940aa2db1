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
use crate::transfer::input::{Limit, read_file};
use crate::transfer::request::Request;
use crate::transfer::{self, sha256_hex};

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

/// Checks files against their SHA256SUMS (which must cover every file).
fn check_manifest(files: &[(String, Vec<u8>)]) -> Result<()> {
    let sums = files
        .iter()
        .find(|(n, _)| n == "SHA256SUMS")
        .map(|(_, b)| String::from_utf8_lossy(b).to_string())
        .ok_or_else(|| Error::input("the bundle has no SHA256SUMS"))?;
    let mut covered = 0;
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (hash, name) = line
            .split_once("  ")
            .ok_or_else(|| Error::input(format!("SHA256SUMS: bad line {line:?}")))?;
        let (_, bytes) = files.iter().find(|(n, _)| n == name).ok_or_else(|| {
            Error::verification(format!("{name}: listed in SHA256SUMS but missing"))
        })?;
        if sha256_hex(bytes) != hash {
            return Err(Error::verification(format!(
                "{name}: does not match SHA256SUMS (damaged or changed on the way)"
            )));
        }
        covered += 1;
    }
    if covered + 1 != files.len() {
        return Err(Error::verification(
            "the bundle holds files SHA256SUMS does not cover",
        ));
    }
    Ok(())
}

/// Reads a bundle: a folder with SHA256SUMS, a folder of QR images (or one
/// with a `qr/` folder), or one file.
pub fn read_bundle(path: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    if path.is_file() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        return Ok(vec![(name, read_file(path, Limit::Metadata)?)]);
    }
    let qr_dir = if path.join("qr").is_dir() && !path.join("SHA256SUMS").exists() {
        path.join("qr")
    } else {
        path.to_path_buf()
    };
    let mut entries: Vec<std::path::PathBuf> = std::fs::read_dir(&qr_dir)
        .map_err(|e| Error::io(&qr_dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let files = if path.join("SHA256SUMS").exists() {
        // The files SHA256SUMS names (Notary delegations sit in
        // subfolders), and SHA256SUMS itself.
        let sums_path = path.join("SHA256SUMS");
        let sums = read_file(&sums_path, Limit::Small)?;
        let mut files = Vec::new();
        for line in String::from_utf8_lossy(&sums)
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let (_, name) = line
                .split_once("  ")
                .ok_or_else(|| Error::input(format!("SHA256SUMS: bad line {line:?}")))?;
            if name.contains("..") || name.starts_with('/') {
                return Err(Error::input(format!(
                    "SHA256SUMS names {name:?} outside the bundle"
                )));
            }
            let p = path.join(name);
            files.push((name.to_string(), read_file(&p, Limit::Metadata)?));
        }
        files.push(("SHA256SUMS".to_string(), sums));
        files
    } else {
        let images: Vec<&std::path::PathBuf> = entries.iter().filter(|p| is_image(p)).collect();
        if images.is_empty() {
            return Err(Error::input(format!(
                "{} holds neither SHA256SUMS nor QR images",
                path.display()
            )));
        }
        let mut read = Vec::new();
        for p in images {
            let bytes = read_file(p, Limit::Image)?;
            read.push(Frame {
                source: p
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default(),
                text: frames::read_image(&bytes),
            });
        }
        frames::unpack(&frames::reassemble(&read)?)?
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

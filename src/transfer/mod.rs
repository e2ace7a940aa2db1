//! Files that cross the air gap: atomic writes that never overwrite, and the
//! SHA-256 manifest of an export, QR images, and digests as words.

pub mod frames;
pub mod input;
pub mod qr;
pub mod request;
pub mod words;

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically (temp file in the same directory,
/// fsync, rename) and refuses to replace an existing file.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, bytes, false)
}

/// Writes `bytes` to `path` atomically, replacing what is there. Only for
/// the ceremony's own working state (staged metadata, settings).
pub fn replace(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, bytes, true)
}

fn write_atomic(path: &Path, bytes: &[u8], overwrite: bool) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !overwrite && path.exists() {
        return Err(Error::input(format!(
            "{} already exists; refusing to overwrite it",
            path.display()
        )));
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::io(path, e))?;
    if overwrite {
        tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    } else {
        tmp.persist_noclobber(path)
            .map_err(|e| Error::io(path, e.error))?;
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A `sha256sum`-compatible manifest line per file.
pub fn manifest(files: &[(String, Vec<u8>)]) -> String {
    let mut out = String::new();
    for (name, bytes) in files {
        out.push_str(&format!("{}  {}\n", sha256_hex(bytes), name));
    }
    out
}

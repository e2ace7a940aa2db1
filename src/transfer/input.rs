//! Reading files that someone else may have prepared: only regular files
//! (a FIFO or a device such as `/dev/zero` is refused before it is read,
//! and the file is opened without blocking so a FIFO swapped in at the last
//! moment cannot hang the tool), and never more than a stated number of
//! bytes, so a huge file is refused before it fills memory.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{Error, Result};

const MIB: u64 = 1024 * 1024;

/// What a file is read as, with the most the tool reads of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// A metadata file: large enough for a targets.json with about 250,000
    /// targets.
    Metadata,
    /// A signing request, which carries a root history.
    Request,
    /// A key, certificate, share, identity or other small file.
    Small,
    /// A QR image.
    Image,
    /// A passphrase file.
    Passphrase,
}

impl Limit {
    /// The most bytes read.
    pub fn bytes(self) -> u64 {
        match self {
            Limit::Metadata => 32 * MIB,
            Limit::Request => 16 * MIB,
            Limit::Small => MIB,
            Limit::Image => 8 * MIB,
            Limit::Passphrase => 4096,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Limit::Metadata => "a metadata file",
            Limit::Request => "a signing request",
            Limit::Small => "a key, share or certificate file",
            Limit::Image => "a QR image",
            Limit::Passphrase => "a passphrase file",
        }
    }
}

/// Reads `path`, which must be a regular file of at most `limit` bytes.
/// A symbolic link given by the person running the tool is followed.
pub fn read_file(path: &Path, limit: Limit) -> Result<Vec<u8>> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::input(format!(
            "{} is not a regular file (a directory, FIFO or device)",
            path.display()
        ))
        .hint("pass the file itself"));
    }
    let max = limit.bytes();
    if meta.len() > max {
        return Err(too_large(path, limit));
    }
    let mut out = Vec::with_capacity(meta.len() as usize);
    // The file may grow after the check: never read past the limit.
    file.take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::io(path, e))?;
    if out.len() as u64 > max {
        return Err(too_large(path, limit));
    }
    Ok(out)
}

fn too_large(path: &Path, limit: Limit) -> Error {
    Error::input(format!(
        "{} is larger than the {} bytes this tool reads for {}",
        path.display(),
        limit.bytes(),
        limit.what()
    ))
    .hint("check that this is the right file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_large_files_are_refused() -> Result<()> {
        assert!(read_file(Path::new("/dev/zero"), Limit::Metadata).is_err());
        assert!(read_file(Path::new("/"), Limit::Metadata).is_err());
        let dir = tempfile::tempdir().map_err(|e| Error::input(e.to_string()))?;
        let p = dir.path().join("big");
        std::fs::write(&p, vec![b'x'; 5000]).map_err(|e| Error::io(&p, e))?;
        assert!(read_file(&p, Limit::Passphrase).is_err());
        assert_eq!(read_file(&p, Limit::Small)?.len(), 5000);
        Ok(())
    }
}

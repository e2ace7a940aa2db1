//! Overwriting a file before it is removed.
//!
//! The file's blocks are overwritten in place with zeros and synced, so on
//! a plain disk with an in-place filesystem (ext4 without data journaling,
//! say) the old bytes are gone from the device. Where the storage writes
//! elsewhere — SSDs and USB sticks (wear levelling), copy-on-write
//! filesystems (btrfs, ZFS), data journaling, snapshots, backups — the old
//! blocks may survive; see `docs/threat-model.md`.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// What overwriting does and does not do, said where a key file is wiped.
pub const WHAT_IT_DOES: &str = "the key file was overwritten with zeros and synced before removal; \
on SSDs, USB sticks and copy-on-write or journaling filesystems old copies may survive on the device \
(still encrypted to the key's passphrase): wipe or destroy the medium to be sure";

/// Overwrites the regular file at `path` with zeros, in place, and syncs
/// it to the device. The file keeps its name and length.
pub fn zero_file(path: &Path) -> Result<()> {
    let io = |e| Error::io(path, e);
    let meta = std::fs::symlink_metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(Error::input(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    // No truncation: the same blocks are rewritten, not new ones allocated.
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io)?;
    let zeros = [0u8; 4096];
    let mut left = meta.len();
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        f.write_all(&zeros[..n]).map_err(io)?;
        left -= n as u64;
    }
    f.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroes_every_byte_and_keeps_the_length() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::input(e.to_string()))?;
        let p = dir.path().join("k.age");
        let old = vec![0xA5u8; 10_000];
        std::fs::write(&p, &old).map_err(|e| Error::io(&p, e))?;
        zero_file(&p)?;
        let now = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
        assert_eq!(now.len(), old.len());
        assert!(now.iter().all(|b| *b == 0));
        Ok(())
    }
}

//! Reading files that someone else may have prepared: only regular files
//! (a FIFO, a device such as `/dev/zero` or a socket is refused from its
//! metadata, before it is opened, and the open itself never blocks, so a
//! FIFO swapped in at the last moment cannot hang the tool), and never more
//! than a stated number of bytes, so a huge file is refused before it fills
//! memory. Files inside a folder someone else made (a bundle, a repository
//! to verify) are opened component by component without following any
//! symbolic link, so a link cannot lead the tool out of that folder.

use std::fs::{File, FileType};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use rustix::fd::AsFd;
use rustix::fs::{AtFlags, Mode, OFlags};

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

/// The most bytes read from all the files of one folder someone else
/// prepared (a bundle, a repository given to `verify`): two metadata files
/// of the largest size. Parsed JSON takes up to about twenty times its
/// size in memory, so this keeps a hostile folder well under 2 GiB.
pub const FOLDER_BYTES: u64 = 2 * 32 * MIB;

/// The most files read from one such folder.
pub const FOLDER_FILES: usize = 4096;

/// The most entries looked at in one such folder (files not read
/// included), so a folder of millions of entries is refused quickly.
pub const FOLDER_ENTRIES: usize = 16384;

/// What kind of file this is, in words, when it is not a regular file.
pub fn not_regular(t: FileType) -> Option<&'static str> {
    if t.is_file() {
        None
    } else if t.is_symlink() {
        Some("a symbolic link")
    } else if t.is_dir() {
        Some("a directory")
    } else if t.is_fifo() {
        Some("a FIFO")
    } else if t.is_socket() {
        Some("a socket")
    } else if t.is_char_device() || t.is_block_device() {
        Some("a device")
    } else {
        Some("not a regular file")
    }
}

fn refuse_kind(path: &Path, kind: &str) -> Error {
    Error::input(format!(
        "{} is {kind}, not a regular file; it was not opened",
        path.display()
    ))
    .hint("pass or copy the file itself")
}

/// Reads `path`, which must be a regular file of at most `limit` bytes.
/// A symbolic link given by the person running the tool is followed.
pub fn read_file(path: &Path, limit: Limit) -> Result<Vec<u8>> {
    // Look before opening: opening a device can itself do something.
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if let Some(kind) = not_regular(meta.file_type()) {
        return Err(refuse_kind(path, kind));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    read_capped(file, path, limit)
}

/// [`read_file`] for a file holding a secret (a passphrase, an age
/// identity, a share in clear): the bytes land in a buffer sized before
/// the read and are wiped on drop, also when the read is refused.
pub fn read_secret_file(path: &Path, limit: Limit) -> Result<crate::secret::SecretBytes> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if let Some(kind) = not_regular(meta.file_type()) {
        return Err(refuse_kind(path, kind));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if let Some(kind) = not_regular(meta.file_type()) {
        return Err(refuse_kind(path, kind));
    }
    if meta.len() > limit.bytes() {
        return Err(too_large(path, limit));
    }
    // Sized by the file: one that grew since is refused, not reallocated.
    crate::secret::SecretBytes::read_within(file, meta.len() as usize)
        .map_err(|e| Error::io(path, e))
}

/// Reads `name` (a relative path checked by [`check_relative_name`]) inside
/// `dir`, a folder someone else prepared: no component may be a symbolic
/// link, and the file must be a regular file of at most `limit` bytes.
/// `dir` itself, given by the person running the tool, may be a link.
pub fn read_file_in(dir: &Path, name: &str, limit: Limit) -> Result<Vec<u8>> {
    Folder::open(dir)?.read(name, limit)
}

/// A folder someone else prepared, opened once to read many files from it
/// (one open instead of one a file); the rules are [`read_file_in`]'s.
#[derive(Debug)]
pub struct Folder {
    fd: rustix::fd::OwnedFd,
    path: std::path::PathBuf,
}

/// Flags for opening a folder. NONBLOCK: a FIFO in a folder's place must
/// not hang the open.
const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NONBLOCK)
    .union(OFlags::CLOEXEC);

/// An error of a system call at `at`, naming a link or a non-folder where
/// a folder was expected.
fn io_error(e: rustix::io::Errno, at: &Path) -> Error {
    if e == rustix::io::Errno::LOOP || e == rustix::io::Errno::NOTDIR {
        Error::input(format!(
            "{} leads through a symbolic link or a non-folder; a bundle must hold the files themselves",
            at.display()
        ))
        .hint("copy the files into the folder instead of linking them")
    } else {
        Error::io(at, std::io::Error::from(e))
    }
}

impl Folder {
    /// Opens `dir` (given by the person running the tool: it may be a link).
    pub fn open(dir: &Path) -> Result<Folder> {
        let fd = rustix::fs::open(dir, DIR_FLAGS, Mode::empty()).map_err(|e| io_error(e, dir))?;
        Ok(Folder {
            fd,
            path: dir.to_path_buf(),
        })
    }

    /// Reads `name` (a relative path checked by [`check_relative_name`])
    /// inside the folder: no component may be a symbolic link, and the
    /// file must be a regular file of at most `limit` bytes.
    pub fn read(&self, name: &str, limit: Limit) -> Result<Vec<u8>> {
        check_relative_name(name)?;
        let shown = self.path.join(name);
        let mut parts: Vec<&str> = name.split('/').collect();
        let last = parts.pop().unwrap_or_default();
        // Subfolders are opened one by one from this one, never following
        // a link.
        let mut sub: Option<rustix::fd::OwnedFd> = None;
        let mut at = self.path.clone();
        for p in parts {
            at.push(p);
            let from = sub.as_ref().map_or(self.fd.as_fd(), |f| f.as_fd());
            let next = rustix::fs::openat(from, p, DIR_FLAGS | OFlags::NOFOLLOW, Mode::empty())
                .map_err(|e| io_error(e, &at))?;
            sub = Some(next);
        }
        let fd = sub.as_ref().map_or(self.fd.as_fd(), |f| f.as_fd());
        // Look before opening, without following a link.
        let st = rustix::fs::statat(fd, last, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| io_error(e, &shown))?;
        let kind = rustix::fs::FileType::from_raw_mode(st.st_mode);
        if kind != rustix::fs::FileType::RegularFile {
            let what = match kind {
                rustix::fs::FileType::Symlink => "a symbolic link",
                rustix::fs::FileType::Directory => "a directory",
                rustix::fs::FileType::Fifo => "a FIFO",
                rustix::fs::FileType::Socket => "a socket",
                _ => "a device",
            };
            return Err(refuse_kind(&shown, what));
        }
        let f = rustix::fs::openat(
            fd,
            last,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| io_error(e, &shown))?;
        read_capped(File::from(f), &shown, limit)
    }
}

/// Reads an open file: it must (still) be a regular file, at most `limit`
/// bytes, and is never read past the limit even if it grows meanwhile.
fn read_capped(file: File, path: &Path, limit: Limit) -> Result<Vec<u8>> {
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if let Some(kind) = not_regular(meta.file_type()) {
        return Err(refuse_kind(path, kind));
    }
    let max = limit.bytes();
    if meta.len() > max {
        return Err(too_large(path, limit));
    }
    let mut out = Vec::with_capacity(meta.len() as usize);
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

/// Checks a file name that someone else wrote (in SHA256SUMS, in a bundle
/// payload): relative, `/`-separated, no empty, `.` or `..` component, no
/// backslash, no control character, at most 255 bytes a component.
pub fn check_relative_name(name: &str) -> Result<()> {
    let why = if name.is_empty() {
        Some("it is empty")
    } else if name.starts_with('/') {
        Some("it is absolute")
    } else if name.contains('\\') {
        Some("it holds a backslash")
    } else if name.chars().any(char::is_control) {
        Some("it holds a control character")
    } else if name
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == ".." || c.len() > 255)
    {
        Some("it has an empty, `.`, `..` or overlong component")
    } else {
        None
    };
    match why {
        None => Ok(()),
        Some(why) => Err(
            Error::input(format!("the file name {name:?} is refused: {why}"))
                .hint("only plain names inside the folder are read; ask for files named plainly"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> Result<tempfile::TempDir> {
        tempfile::tempdir().map_err(|e| Error::input(e.to_string()))
    }

    #[test]
    fn devices_directories_and_large_files_are_refused() -> Result<()> {
        assert!(read_file(Path::new("/dev/zero"), Limit::Metadata).is_err());
        assert!(read_file(Path::new("/"), Limit::Metadata).is_err());
        let dir = tmp()?;
        let p = dir.path().join("big");
        std::fs::write(&p, vec![b'x'; 5000]).map_err(|e| Error::io(&p, e))?;
        assert!(read_file(&p, Limit::Passphrase).is_err());
        assert_eq!(read_file(&p, Limit::Small)?.len(), 5000);
        Ok(())
    }

    #[test]
    fn links_inside_a_folder_are_refused() -> Result<()> {
        let dir = tmp()?;
        let d = dir.path();
        let sub = d.join("targets");
        std::fs::create_dir(&sub).map_err(|e| Error::io(&sub, e))?;
        std::fs::write(sub.join("a.json"), b"{}").map_err(|e| Error::io(&sub, e))?;
        assert_eq!(read_file_in(d, "targets/a.json", Limit::Small)?, b"{}");
        std::os::unix::fs::symlink("/etc/passwd", d.join("x.json")).map_err(|e| Error::io(d, e))?;
        std::os::unix::fs::symlink(&sub, d.join("linked")).map_err(|e| Error::io(d, e))?;
        let e = read_file_in(d, "x.json", Limit::Small).err();
        assert!(e.is_some_and(|e| e.reason().contains("symbolic link")));
        assert!(read_file_in(d, "linked/a.json", Limit::Small).is_err());
        for bad in [
            "/etc/passwd",
            "../x",
            "a/../b",
            "a\\b",
            "a\nb",
            "",
            "a//b",
            "./a",
        ] {
            assert!(read_file_in(d, bad, Limit::Small).is_err(), "{bad:?}");
        }
        Ok(())
    }
}

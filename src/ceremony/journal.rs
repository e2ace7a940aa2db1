//! Crash safety for the ceremony directory: one process at a time (an
//! advisory lock on `DIR/.lock`), and a change that is not finished when
//! the process dies is undone as a whole (an undo journal, `DIR/.journal`).
//!
//! Before any file of the ceremony (or of an export it writes) is created,
//! replaced, appended to or removed, what was there is appended to the
//! journal and synced; then the file is written (each file atomically, see
//! [`crate::transfer::write_new`]). A change is finished when the journal is
//! removed: at the end of a command, or of each step of a run. A process
//! that opens a directory holding a journal first puts back, newest first,
//! everything it names, so the directory is again exactly as it was before
//! the unfinished change — whatever moment the process was killed at.
//!
//! A command that fails undoes its change at once ([`finish_all`]); a run
//! keeps each step it finished, and a step that fails is undone except for
//! the transcript lines that say what was refused ([`Held::rollback`]).
//!
//! The journal holds the old bytes of replaced files (metadata, key records,
//! age-encrypted key files): nothing that is not already in the directory.
//! Paths outside the directory (an export folder) are kept absolute; the
//! directory is the officer's own, as trusted as the keys in it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The lock file and the journal, in the ceremony directory.
pub const LOCK: &str = ".lock";
/// See the module documentation.
pub const JOURNAL: &str = ".journal";
/// A finished journal, between its commit and its wipe.
const DONE: &str = ".journal.done";

/// How long a second process waits for the directory before it refuses.
const WAIT: Duration = Duration::from_secs(15);

/// One thing to put back.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "kebab-case")]
enum Undo {
    /// A file: its old bytes (base64), or none when it did not exist.
    File { path: PathBuf, old: Option<String> },
    /// A file appended to: its old length.
    Append { path: PathBuf, len: u64 },
    /// A folder that did not exist.
    Dir { path: PathBuf },
}

/// A ceremony directory this process holds: the lock, and the journal of
/// the change in hand.
pub struct Held {
    dir: PathBuf,
    _lock: std::fs::File,
    journal: Mutex<Option<std::fs::File>>,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Held({})", self.dir.display())
    }
}

/// Every directory this process holds, held until it exits: the lock is
/// let go only by the process ending, and the change in hand is finished
/// or undone by [`finish_all`] (or by the next process, after a crash).
type Registry = Mutex<BTreeMap<PathBuf, Arc<Held>>>;

fn registry() -> &'static Registry {
    static R: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
    R.get_or_init(|| Mutex::new(BTreeMap::new()))
}

fn io(p: &Path, e: std::io::Error) -> Error {
    Error::io(p, e)
}

fn sync_dir(p: &Path) {
    if let Ok(d) = std::fs::File::open(p) {
        let _ = d.sync_all();
    }
}

/// Takes `dir` for this process (every [`super::Workspace`] of it shares
/// the hold): waits up to [`WAIT`] for another process to let go, then
/// refuses. An unfinished change left by a dead process is undone first.
pub fn hold(dir: &Path) -> Result<Arc<Held>> {
    let key = dir.canonicalize().map_err(|e| io(dir, e))?;
    let mut reg = registry()
        .lock()
        .map_err(|_| Error::input("the ceremony directory registry is poisoned"))?;
    if let Some(h) = reg.get(&key) {
        return Ok(h.clone());
    }
    let lock_path = key.join(LOCK);
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| io(&lock_path, e))?;
    let start = Instant::now();
    loop {
        match rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => break,
            Err(rustix::io::Errno::WOULDBLOCK) if start.elapsed() < WAIT => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(rustix::io::Errno::WOULDBLOCK) => {
                return Err(Error::input(format!(
                    "{} is in use by another ceremony command (waited {} s)",
                    dir.display(),
                    WAIT.as_secs()
                ))
                .hint("a ceremony directory takes one command at a time: let the other finish (or pause a run with q), then try again"));
            }
            Err(e) => return Err(io(&lock_path, e.into())),
        }
    }
    let held = Arc::new(Held {
        dir: key.clone(),
        _lock: lock,
        journal: Mutex::new(None),
    });
    wipe_and_remove(&key.join(DONE));
    held.undo_unfinished()?;
    reg.insert(key, held.clone());
    Ok(held)
}

/// The hold this process has on `dir`, if any.
pub fn held(dir: &Path) -> Option<Arc<Held>> {
    let key = dir.canonicalize().ok()?;
    registry().lock().ok()?.get(&key).cloned()
}

/// The end of a command: with `ok`, every held directory keeps its change;
/// else each change is undone, so a refused command leaves the directory
/// as it found it.
pub fn finish_all(ok: bool) -> Result<()> {
    let held: Vec<Arc<Held>> = match registry().lock() {
        Ok(r) => r.values().cloned().collect(),
        Err(_) => return Err(Error::input("the ceremony directory registry is poisoned")),
    };
    for h in held {
        if ok {
            h.commit()?;
        } else {
            h.rollback(None)?;
        }
    }
    Ok(())
}

/// The end of a command run through the library rather than the binary
/// (a test, a tool built on the crate): finishes every held directory as
/// [`finish_all`] does, then lets go of every hold, so another process
/// may take the directory while this one goes on running.
pub fn end_command(ok: bool) -> Result<()> {
    let done = finish_all(ok);
    if let Ok(mut r) = registry().lock() {
        // A held directory whose change could not be finished keeps its
        // hold: the journal is still on disk and the next holder undoes it.
        if done.is_ok() {
            r.clear();
        }
    }
    done
}

impl Held {
    fn rel(&self, p: &Path) -> PathBuf {
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        };
        // The directory by its canonical name, and `p` by its parent's: a
        // file about to be made has no canonical name of its own.
        let abs = match (
            abs.parent().and_then(|d| d.canonicalize().ok()),
            abs.file_name(),
        ) {
            (Some(d), Some(n)) => d.join(n),
            _ => abs,
        };
        abs.strip_prefix(&self.dir)
            .map(Path::to_path_buf)
            .unwrap_or(abs)
    }

    fn full(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }

    fn note(&self, u: Undo) -> Result<()> {
        let path = self.dir.join(JOURNAL);
        let mut j = self
            .journal
            .lock()
            .map_err(|_| Error::input("the journal is poisoned"))?;
        if j.is_none() {
            let f = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&path)
                .map_err(|e| io(&path, e))?;
            sync_dir(&self.dir);
            *j = Some(f);
        }
        let Some(f) = j.as_mut() else {
            return Err(Error::input("the journal could not be opened"));
        };
        let mut line = serde_json::to_vec(&u)
            .map_err(|e| Error::input(format!("cannot write the journal: {e}")))?;
        line.push(b'\n');
        f.write_all(&line)
            .and_then(|_| f.sync_data())
            .map_err(|e| io(&path, e))
    }

    /// Before `path` is written, replaced or removed: what is there now.
    pub fn before_write(&self, path: &Path) -> Result<()> {
        let old = match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_file() => {
                Some(STANDARD.encode(std::fs::read(path).map_err(|e| io(path, e))?))
            }
            Ok(_) => {
                return Err(Error::input(format!(
                    "{} is not a regular file",
                    path.display()
                )));
            }
            Err(_) => None,
        };
        self.note(Undo::File {
            path: self.rel(path),
            old,
        })
    }

    /// Before `path` is appended to: its length now.
    pub fn before_append(&self, path: &Path) -> Result<()> {
        match std::fs::symlink_metadata(path) {
            Ok(m) => self.note(Undo::Append {
                path: self.rel(path),
                len: m.len(),
            }),
            Err(_) => self.before_write(path),
        }
    }

    /// Makes `path` and the folders above it that are missing, each noted.
    pub fn make_dirs(&self, path: &Path) -> Result<()> {
        let missing: Vec<&Path> = path.ancestors().take_while(|a| !a.exists()).collect();
        for d in missing.into_iter().rev() {
            if d.as_os_str().is_empty() {
                continue;
            }
            self.note(Undo::Dir { path: self.rel(d) })?;
            std::fs::create_dir(d).map_err(|e| io(d, e))?;
        }
        Ok(())
    }

    /// The change in hand is finished: what it wrote stays.
    pub fn commit(&self) -> Result<()> {
        let mut j = self
            .journal
            .lock()
            .map_err(|_| Error::input("the journal is poisoned"))?;
        if j.take().is_some() {
            // Every write synced its file and folder already; the journal
            // goes last, and its removal is the moment the change is made.
            // The rename is the commit point; the wipe after it cannot
            // turn into a partial undo, whenever it is cut short.
            let path = self.dir.join(JOURNAL);
            let done = self.dir.join(DONE);
            std::fs::rename(&path, &done).map_err(|e| io(&path, e))?;
            sync_dir(&self.dir);
            wipe_and_remove(&done);
        }
        Ok(())
    }

    /// Undoes the change in hand now, except appends to `keep` (a run's
    /// transcript, whose lines say what was refused).
    pub fn rollback(&self, keep: Option<&Path>) -> Result<()> {
        let mut j = self
            .journal
            .lock()
            .map_err(|_| Error::input("the journal is poisoned"))?;
        if j.take().is_some() {
            let keep = keep.map(|k| self.rel(k));
            self.undo_journal(keep.as_deref())?;
        }
        Ok(())
    }

    fn undo_unfinished(&self) -> Result<()> {
        self.undo_journal(None)
    }

    /// Puts back everything the journal on disk names, newest first (but
    /// appends to `keep`), and removes it. A last line cut off by a crash
    /// names a write that never began (its line is synced before the
    /// write), so it is passed over.
    fn undo_journal(&self, keep: Option<&Path>) -> Result<()> {
        let path = self.dir.join(JOURNAL);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(&path, e)),
        };
        let undos: Vec<Undo> = bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .filter_map(|l| serde_json::from_slice(l).ok())
            .collect();
        for u in undos.iter().rev() {
            if let (Undo::Append { path, .. }, Some(k)) = (u, keep)
                && path == k
            {
                continue;
            }
            self.undo(u).map_err(|e| {
                e.context("undoing a change that a stopped command left unfinished")
                    .hint("the journal DIR/.journal is kept; restore the directory from its backup if this repeats")
            })?;
        }
        // An atomic write cut short leaves its temp file beside the target.
        let mut folders: Vec<PathBuf> = undos
            .iter()
            .filter_map(|u| match u {
                Undo::File { path, .. } | Undo::Append { path, .. } => {
                    self.full(path).parent().map(Path::to_path_buf)
                }
                Undo::Dir { .. } => None,
            })
            .collect();
        folders.sort();
        folders.dedup();
        for d in folders {
            remove_temp_files(&d);
        }
        // Undone: renamed first, so a wipe cut short never undoes again.
        let done = self.dir.join(DONE);
        std::fs::rename(&path, &done).map_err(|e| io(&path, e))?;
        sync_dir(&self.dir);
        wipe_and_remove(&done);
        Ok(())
    }

    fn undo(&self, u: &Undo) -> Result<()> {
        match u {
            Undo::File { path, old: None } => {
                let p = self.full(path);
                match std::fs::remove_file(&p) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&p, e)),
                    _ => {}
                }
                if let Some(d) = p.parent() {
                    sync_dir(d);
                }
            }
            Undo::File {
                path,
                old: Some(b64),
            } => {
                let p = self.full(path);
                let bytes = STANDARD
                    .decode(b64)
                    .map_err(|_| Error::input("the journal is damaged (not base64)"))?;
                crate::transfer::replace(&p, &bytes)?;
            }
            Undo::Append { path, len } => {
                let p = self.full(path);
                if let Ok(f) = std::fs::OpenOptions::new().write(true).open(&p) {
                    let now = f.metadata().map(|m| m.len()).unwrap_or(0);
                    if now > *len {
                        f.set_len(*len)
                            .and_then(|_| f.sync_all())
                            .map_err(|e| io(&p, e))?;
                    }
                }
            }
            Undo::Dir { path } => {
                let p = self.full(path);
                // Left-overs of an interrupted atomic write (temp files)
                // are the only things a noted folder can hold by now.
                remove_temp_files(&p);
                match std::fs::remove_dir(&p) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&p, e)),
                    _ => {}
                }
                if let Some(d) = p.parent() {
                    sync_dir(d);
                }
            }
        }
        Ok(())
    }
}

/// Overwrites a finished journal with zeros, in place and synced, and
/// removes it: it held the old bytes of files such as an encrypted key file
/// that `--only-shares` destroys. What an overwrite does not reach on flash
/// or copy-on-write storage is said in docs/threat-model.md.
fn wipe_and_remove(path: &Path) {
    wipe(path);
    let _ = std::fs::remove_file(path);
}

fn wipe(path: &Path) {
    if let Ok(f) = std::fs::OpenOptions::new().write(true).open(path) {
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let mut f = f;
        let zeros = [0u8; 8192];
        let mut left = len;
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            if f.write_all(&zeros[..n]).is_err() {
                return;
            }
            left -= n as u64;
        }
        let _ = f.sync_data();
    }
}

/// Removes the temp files of atomic writes (`.tmp…`, see `tempfile`) in `d`.
fn remove_temp_files(d: &Path) {
    if let Ok(entries) = std::fs::read_dir(d) {
        for e in entries.flatten() {
            let is_file = e.file_type().is_ok_and(|t| t.is_file());
            if is_file && e.file_name().to_string_lossy().starts_with(".tmp") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

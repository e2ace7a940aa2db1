//! `ceremony verify PATH`: read a file or a directory and print a verdict
//! per file.

use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{Error, Result};
use crate::metadata::Dialect;
use crate::metadata::reading::{self, Reading};
use crate::signature::verify::{Options, UNDECIDED, par_map, parse_envelope, verify_files};
use crate::transfer::input::{
    FOLDER_BYTES, FOLDER_ENTRIES, FOLDER_FILES, Folder, Limit, not_regular, read_file,
};

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A metadata file or a directory of them.
    path: PathBuf,
    /// notary or tuf (found from the files when not given).
    #[arg(long)]
    dialect: Option<String>,
    /// The Notary GUN (read from the root certificate when not given).
    #[arg(long)]
    gun: Option<String>,
    /// Judge expiry at this RFC 3339 time instead of now.
    #[arg(long)]
    at: Option<String>,
    /// The root a client already trusts.
    #[arg(long)]
    trusted_root: Option<PathBuf>,
    /// Read TUF expiry times with fractional seconds or a UTC offset (as
    /// go-tuf v2 and tough write them) instead of refusing them.
    #[arg(long)]
    lenient_times: bool,
    /// Accept TUF key IDs computed the python-tuf 0.x way, with
    /// `keyid_hash_algorithms`, instead of refusing them.
    #[arg(long)]
    legacy_keyids: bool,
}

/// What has been read from a folder so far, against the folder caps.
#[derive(Default)]
struct Read {
    /// Files to read, relative to the folder.
    names: Vec<String>,
    entries: usize,
}

/// Reads the `.json` files of `root` (and of its subfolders, `depth`
/// levels down): never through a symbolic link, never a FIFO, device or
/// socket (refused from the folder listing, before anything is opened),
/// and at most [`FOLDER_FILES`] files and [`FOLDER_ENTRIES`] entries looked
/// at. This lists them; [`read_listed`] reads them.
fn read_dir(root: &Path, prefix: &str, depth: u32, out: &mut Read) -> Result<()> {
    let dir = root.join(prefix);
    for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
        out.entries += 1;
        if out.entries > FOLDER_ENTRIES {
            return Err(Error::input(format!(
                "{} holds more than the {FOLDER_ENTRIES} entries verify looks at",
                root.display()
            ))
            .hint("verify a folder that holds one repository's metadata"));
        }
        let entry = entry.map_err(|e| Error::io(&dir, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        // The entry's own type: a link is not followed.
        let kind = entry.file_type().map_err(|e| Error::io(&entry.path(), e))?;
        if kind.is_dir() {
            if depth > 0 {
                read_dir(root, &format!("{prefix}{name}/"), depth - 1, out)?;
            }
            continue;
        }
        if !name.ends_with(".json") {
            continue;
        }
        if let Some(what) = not_regular(kind) {
            return Err(Error::input(format!(
                "{} is {what}; verify reads only regular files and did not open it",
                entry.path().display()
            ))
            .hint("copy the metadata files themselves into the folder"));
        }
        if out.names.len() >= FOLDER_FILES {
            return Err(Error::input(format!(
                "{} holds more than the {FOLDER_FILES} metadata files verify reads",
                root.display()
            )));
        }
        out.names.push(format!("{prefix}{name}"));
    }
    Ok(())
}

/// Reads the listed files on every core (opening a thousand small files is
/// mostly waiting on system calls), stopping once more than
/// [`FOLDER_BYTES`] bytes have been read. The first problem in name order is
/// the one reported.
fn read_listed(root: &Path, names: &[String]) -> Result<BTreeMap<String, Vec<u8>>> {
    let total = AtomicU64::new(0);
    let folder = Folder::open(root)?;
    let read = par_map(names, |rel| {
        if total.load(Ordering::Relaxed) > FOLDER_BYTES {
            return Err(too_much(root));
        }
        let bytes = folder.read(rel, Limit::Metadata)?;
        let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if total.fetch_add(len, Ordering::Relaxed).saturating_add(len) > FOLDER_BYTES {
            return Err(too_much(root));
        }
        Ok(bytes)
    });
    let mut files = BTreeMap::new();
    for (rel, bytes) in names.iter().zip(read) {
        files.insert(rel.clone(), bytes?);
    }
    Ok(files)
}

fn too_much(root: &Path) -> Error {
    Error::input(format!(
        "the metadata in {} is more than the {FOLDER_BYTES} bytes verify reads",
        root.display()
    ))
}

/// The name a lone file is judged under: its own when it is a known file
/// name, else one taken from its `_type`.
fn lone_file_name(path: &Path, bytes: &[u8]) -> Result<String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let known = [
        "root.json",
        "targets.json",
        "snapshot.json",
        "timestamp.json",
    ];
    if known.contains(&name.as_str()) || name.ends_with(".root.json") {
        return Ok(name);
    }
    let env = parse_envelope(bytes).map_err(|e| e.context(path.display()))?;
    let ty = env.type_field().unwrap_or("").to_ascii_lowercase();
    Ok(format!("{ty}.json"))
}

/// Runs `verify`.
pub fn run(a: &VerifyArgs, json: bool) -> Result<()> {
    let at = match &a.at {
        Some(s) => OffsetDateTime::parse(s, &Rfc3339)
            .ok()
            .and_then(crate::metadata::in_utc)
            .ok_or_else(|| {
                Error::input(format!(
                    "--at {s:?} is not an RFC 3339 time from year 0 to 9999 in UTC"
                ))
                .hint("use a time like 2030-01-01T00:00:00Z")
            })?,
        None => OffsetDateTime::now_utc(),
    };
    let dialect = a.dialect.as_deref().map(Dialect::parse).transpose()?;
    let trusted_root = match &a.trusted_root {
        Some(p) => Some(read_file(p, Limit::Metadata)?),
        None => None,
    };
    let mut files = BTreeMap::new();
    if a.path.is_dir() {
        crate::ceremony::export::refuse_incomplete(&a.path)?;
        let mut read = Read::default();
        read_dir(&a.path, "", 2, &mut read)?;
        files = read_listed(&a.path, &read.names)?;
    } else {
        let bytes = read_file(&a.path, Limit::Metadata)?;
        files.insert(lone_file_name(&a.path, &bytes)?, bytes);
    }
    if files.is_empty() {
        return Err(Error::input(format!(
            "no metadata files in {}",
            a.path.display()
        )));
    }
    let opts = Options {
        dialect,
        gun: a.gun.clone(),
        at,
        trusted_root,
        ignore_time: false,
    };
    let reading = Reading {
        lenient_times: a.lenient_times,
        legacy_keyids: a.legacy_keyids,
    };
    for flag in reading.flags() {
        crate::errln!("note: read with {flag}: stricter clients may refuse what this run accepts");
    }
    let report = reading::with(reading, || verify_files(&files, &opts))?;
    // First, where trust comes from.
    if let Some(s) = &report.start {
        let version = s
            .version
            .map(|v| format!("version {v}"))
            .unwrap_or_else(|| "version unreadable".into());
        if s.given {
            crate::errln!("the chain starts at the root given with --trusted-root ({version})");
        } else {
            crate::errln!(
                "trust on first use: the chain starts at {} ({version}), taken as it is: nothing vouches for it (pass --trusted-root FILE with a root you already trust)",
                s.name
            );
        }
    }
    if json {
        super::json::verify(&report)?;
    } else {
        // One write for the whole table, not one a line.
        let mut table = String::new();
        for f in &report.files {
            let ok = if f.ok { "ok" } else { "FAIL" };
            // A line a field: a newline in a file name cannot start a
            // line of its own.
            let name = crate::text::printable(&f.name);
            let detail = crate::text::printable(&f.detail);
            table.push_str(&format!("{ok:<5} {name:<24} {detail}\n"));
        }
        crate::out!("{table}");
    }
    for n in &report.notes {
        crate::errln!("note: {}", crate::text::printable(n));
    }
    if report.trusted() {
        crate::errln!(
            "trusted ({} metadata{})",
            report.dialect,
            report
                .gun
                .as_ref()
                .map(|g| format!(", GUN {g}"))
                .unwrap_or_default()
        );
        Ok(())
    } else {
        let first = report
            .files
            .iter()
            .find(|f| !f.ok)
            .map(|f| format!("{}: {}", f.name, f.detail))
            .unwrap_or_default();
        if report.undecided() {
            // Input that cannot be judged alone stands between the files
            // and trust (keys of unknown type, a field in a form strict
            // clients refuse): unusable input (exit 2), not a failed check.
            let hint = if first.ends_with(UNDECIDED) {
                "verify with a client that knows that key type, or have the role re-signed with a known one"
            } else {
                "the file is not in a form strict clients read: have it re-signed in the specification's form, or see the reason for the flag that reads it anyway"
            };
            return Err(Error::input(format!("not trusted: {first}")).hint(hint));
        }
        Err(Error::verification(format!("not trusted: {first}")))
    }
}

//! `ceremony verify PATH`: read a file or a directory and print a verdict
//! per file.

use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{Error, Result};
use crate::metadata::{Dialect, Envelope};
use crate::signature::verify::{Options, verify_files};
use crate::transfer::input::{Limit, read_file};

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
}

fn read_dir(
    dir: &Path,
    prefix: &str,
    depth: u32,
    out: &mut BTreeMap<String, Vec<u8>>,
) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        let p = entry.path();
        if p.is_dir() && depth > 0 {
            read_dir(&p, &format!("{prefix}{name}/"), depth - 1, out)?;
        } else if name.ends_with(".json") && p.is_file() {
            out.insert(format!("{prefix}{name}"), read_file(&p, Limit::Metadata)?);
        }
    }
    Ok(())
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
    let env = Envelope::parse(bytes).map_err(|e| e.context(path.display()))?;
    let ty = env.type_field().unwrap_or("").to_ascii_lowercase();
    Ok(format!("{ty}.json"))
}

/// Runs `verify`.
pub fn run(a: &VerifyArgs) -> Result<()> {
    let at = match &a.at {
        Some(s) => OffsetDateTime::parse(s, &Rfc3339)
            .map_err(|e| Error::input(format!("--at {s:?} is not an RFC 3339 time: {e}")))?,
        None => OffsetDateTime::now_utc(),
    };
    let dialect = a.dialect.as_deref().map(Dialect::parse).transpose()?;
    let trusted_root = match &a.trusted_root {
        Some(p) => Some(read_file(p, Limit::Metadata)?),
        None => None,
    };
    let mut files = BTreeMap::new();
    if a.path.is_dir() {
        read_dir(&a.path, "", 2, &mut files)?;
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
    let report = verify_files(&files, &opts)?;
    for f in &report.files {
        crate::outln!(
            "{:<5} {:<24} {}",
            if f.ok { "ok" } else { "FAIL" },
            f.name,
            f.detail
        );
    }
    for n in &report.notes {
        crate::errln!("note: {n}");
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
        Err(Error::verification(format!("not trusted: {first}")))
    }
}

//! `root adopt`, `root payload` and `root add-signature`: take over a
//! repository made elsewhere and bring in signatures made outside the tool.

use clap::Args;
use std::path::{Path, PathBuf};

use super::{hint, now, show_tally};
use crate::ceremony::Workspace;
use crate::error::{Error, Result};
use crate::metadata::format_time;
use crate::metadata::root::short;
use crate::transfer::input::{Limit, read_file};

/// `root adopt`.
#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// The repository's N.root.json files, its root.json, or a folder holding them.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The root your clients already trust: the chain must lead from it
    /// (without it, the oldest root given is taken on first use).
    #[arg(long, value_name = "ROOT.json")]
    trusted_root: Option<PathBuf>,
}

/// `root payload`.
#[derive(Debug, Args)]
pub struct PayloadArgs {
    /// The file to write (must not exist).
    out: PathBuf,
}

/// `root add-signature`.
#[derive(Debug, Args)]
pub struct AddSignatureArgs {
    /// The root key that signed: key ID, a prefix of 6 or more, or label.
    #[arg(long)]
    key: String,
    /// The signature: raw bytes (as `openssl dgst -sign` writes them), hex or
    /// base64; ECDSA as DER or as r||s (a hardware token's form).
    signature: PathBuf,
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// The root files a path names: the file itself, or a folder's
/// `N.root.json` files (its `root.json` when it has none).
fn root_files(path: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    if !path.is_dir() {
        return Ok(vec![(name_of(path), read_file(path, Limit::Metadata)?)]);
    }
    let mut numbered = Vec::new();
    for e in std::fs::read_dir(path).map_err(|e| Error::io(path, e))? {
        let p = e.map_err(|e| Error::io(path, e))?.path();
        let n = name_of(&p);
        if n.strip_suffix(".root.json")
            .is_some_and(|v| v.parse::<u64>().is_ok())
        {
            numbered.push((n, read_file(&p, Limit::Metadata)?));
        }
    }
    if numbered.is_empty() {
        let p = path.join("root.json");
        if !p.is_file() {
            return Err(Error::input(format!(
                "{} holds no N.root.json and no root.json",
                path.display()
            ))
            .hint("name the repository's metadata folder, or its root files"));
        }
        numbered.push(("root.json".into(), read_file(&p, Limit::Metadata)?));
    }
    Ok(numbered)
}

pub(super) fn adopt(ws: &Workspace, a: &AdoptArgs) -> Result<()> {
    let mut files = Vec::new();
    for p in &a.paths {
        files.extend(root_files(p)?);
    }
    let trusted = match &a.trusted_root {
        Some(p) => Some(read_file(p, Limit::Metadata)?),
        None => None,
    };
    let o = ws.root_adopt(&files, trusted.clone(), now())?;
    let (first, last) = (
        o.versions.first().copied().unwrap_or(0),
        o.versions.last().copied().unwrap_or(0),
    );
    crate::errln!("adopted root version(s) {first} to {last}: the chain verifies");
    if trusted.is_none() {
        crate::errln!(
            "trust on first use: nothing vouched for root version {first}; compare it with what your clients hold (or pass --trusted-root)"
        );
    }
    let role = o.root.role("root")?;
    crate::outln!(
        "root version {last}: threshold {} of {}, expires {}",
        role.threshold,
        role.keyids.len(),
        format_time(o.root.common.expires)
    );
    for id in &role.keyids {
        let kind = match o.root.keys.get(id) {
            Some(Ok(k)) => k.keytype().to_string(),
            _ => "unreadable".into(),
        };
        crate::outln!("  root key {} ({kind})", short(id));
    }
    hint(
        "stage the next version with `ceremony root rotate --add-key NEW --remove-key OLD …`; a key this tool does not sign with signs `ceremony root payload` outside it, then `ceremony root add-signature`",
    );
    Ok(())
}

pub(super) fn payload(ws: &Workspace, a: &PayloadArgs) -> Result<()> {
    let p = ws.root_payload(now())?;
    crate::transfer::write_new(&a.out, &p.bytes)?;
    crate::errln!(
        "wrote the {} bytes every signature on root version {} covers to {}",
        p.bytes.len(),
        p.version,
        a.out.display()
    );
    crate::outln!("sha256 {}", p.digest);
    hint(&format!(
        "sign it with the old key, e.g. RSA-PSS: openssl dgst -sha256 -sign old.pem -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -out sig.bin {}; ECDSA: openssl dgst -sha256 -sign old.pem -out sig.bin {} (DER or a token's r||s, either is taken); then `ceremony root add-signature --key ID sig.bin`",
        a.out.display(),
        a.out.display()
    ));
    Ok(())
}

pub(super) fn add_signature(ws: &Workspace, a: &AddSignatureArgs) -> Result<()> {
    let raw = read_file(&a.signature, Limit::Small)?;
    let from = name_of(&a.signature);
    let o = ws.add_detached_signature(&a.key, &from, &raw, now())?;
    crate::errln!("signature by {} verified and kept", o.signed_by.join(", "));
    show_tally(ws, &o.tally)?;
    if o.completed {
        crate::errln!(
            "root version {} is complete and added to the history",
            o.tally.version
        );
        hint("`ceremony export OUT` writes the files to upload");
    } else {
        hint("more signatures are needed: `ceremony root status` shows which");
    }
    Ok(())
}

//! `ceremony request …`: signing requests for keyholders at other machines.

use clap::Subcommand;
use std::path::{Path, PathBuf};

use super::shares::ShareAccess;
use super::{Cli, hint, now, show_tally};
use crate::ceremony::shares::recover_standalone;
use crate::error::{Error, Result};
use crate::key::private::PrivateKey;
use crate::share::seal;
use crate::transfer::input::{Limit, read_file};
use crate::transfer::request::Request;
use crate::transfer::{self, sha256_hex};

/// Request commands.
#[derive(Debug, Subcommand)]
pub enum RequestCmd {
    /// Write a signing request for the staged root.
    Create {
        /// The request file to write.
        out: PathBuf,
    },
    /// Add your signature to a request (no ceremony directory needed).
    Sign {
        /// The request.
        request: PathBuf,
        /// Your age-encrypted key file (keys/<id>.age from your machine).
        #[arg(long, conflicts_with = "from_shares")]
        key_file: Option<PathBuf>,
        /// Recover your key from these shares instead.
        #[arg(long = "from-shares", num_args = 1..)]
        from_shares: Vec<PathBuf>,
        #[command(flatten)]
        access: ShareAccess,
        /// Where to write the signed request (default: REQUEST with .signed.json).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Merge signed requests into the staged root.
    Merge {
        /// Signed requests.
        #[arg(required = true)]
        requests: Vec<PathBuf>,
    },
    /// Show a request: what it signs, its digest words, and its signatures.
    Show {
        /// The request.
        request: PathBuf,
    },
}

fn read_request(p: &Path) -> Result<Request> {
    let b = read_file(p, Limit::Request)?;
    Request::parse(&b).map_err(|e| e.context(p.display()))
}

fn show(r: &Request) -> Result<()> {
    crate::outln!("{} version {} ({})", r.role, r.version, r.dialect);
    crate::outln!("digest: {}", r.digest);
    crate::outln!("words:  {}", r.words());
    for (name, t) in r.tallies()? {
        crate::outln!(
            "{name}: {} of {} needed{}",
            t.valid.len(),
            t.threshold,
            if t.met() { " (met)" } else { "" }
        );
    }
    Ok(())
}

fn confirm(cli: &Cli, r: &Request) -> Result<()> {
    crate::errln!(
        "about to sign {} version {}; read the words back to the coordinator: {}",
        r.role,
        r.version,
        r.words()
    );
    super::prompt::confirm(
        cli.yes,
        "signing the request",
        "do the words match what the coordinator reads? sign?",
        "not signed: declined",
    )?;
    Ok(())
}

/// Runs a request command.
pub fn run(cli: &Cli, cmd: &RequestCmd) -> Result<()> {
    match cmd {
        RequestCmd::Create { out } => {
            let ws = cli.workspace()?;
            let f = ws.staged_for_request(now())?;
            let r = Request::new(
                ws.dialect(),
                ws.gun().map(str::to_string),
                "root",
                &f.env,
                &f.keys,
                f.thresholds,
            )?;
            transfer::write_new(out, &r.to_bytes())?;
            show(&r)?;
            hint(
                "carry it to each keyholder: `ceremony request sign REQUEST --key-file KEY`; then `ceremony request merge SIGNED…`",
            );
            Ok(())
        }
        RequestCmd::Show { request } => show(&read_request(request)?),
        RequestCmd::Sign {
            request,
            key_file,
            from_shares,
            access,
            out,
        } => {
            let mut r = read_request(request)?;
            let key = match (key_file, from_shares.is_empty()) {
                (Some(f), _) => {
                    let bytes = read_file(f, Limit::Small)?;
                    let pass = cli.passphrases().for_file(f)?;
                    PrivateKey::decrypt(&bytes, &pass).map_err(|e| e.context(f.display()))?
                }
                (None, false) => {
                    let ids = seal::load_identities(&access.identities)?;
                    let mut p = cli
                        .passphrases()
                        .with_custodian_files(&access.custodian_passphrase_files)?;
                    let (k, verdicts) = recover_standalone(from_shares, &ids, &mut p)?;
                    for v in verdicts.iter().filter(|v| v.problem.is_some()) {
                        crate::errln!(
                            "  BAD {}: {}",
                            v.file.display(),
                            v.problem.clone().unwrap_or_default()
                        );
                    }
                    k
                }
                (None, true) => {
                    return Err(Error::input("no key given")
                        .hint("pass --key-file FILE or --from-shares SHARE…"));
                }
            };
            confirm(cli, &r)?;
            let id = r.sign(&key)?;
            drop(key);
            let out = out.clone().unwrap_or_else(|| {
                let stem = request
                    .file_stem()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_else(|| "request".into());
                request.with_file_name(format!("{stem}.signed.json"))
            });
            transfer::write_new(&out, &r.to_bytes())?;
            crate::errln!("signed as key {}", &id[..12.min(id.len())]);
            show(&r)?;
            crate::outln!("{}", out.display());
            Ok(())
        }
        RequestCmd::Merge { requests } => {
            let ws = cli.workspace()?;
            let env = ws.staged_for_request(now())?.env;
            let staged_digest = sha256_hex(&env.canonical_signed());
            let mut sigs = Vec::new();
            for p in requests {
                let r = read_request(p)?;
                if r.digest != staged_digest {
                    return Err(Error::verification(format!(
                        "{}: signs another body (digest {}…), not the staged root ({}…)",
                        p.display(),
                        &r.digest[..12],
                        &staged_digest[..12]
                    ))
                    .hint("the request was made for a different staged version; make a new one with `request create`"));
                }
                if let Some(bad) = r.bad_signatures()?.into_iter().next() {
                    return Err(Error::verification(format!("{}: {bad}", p.display())));
                }
                for s in r.metadata_signatures() {
                    if !env.signatures.iter().any(|e| e == &s) {
                        sigs.push((p.display().to_string(), s));
                    }
                }
            }
            let o = ws.merge_root_signatures(&sigs, now())?;
            crate::errln!(
                "merged signatures by {}",
                if o.signed_by.is_empty() {
                    "nobody new".to_string()
                } else {
                    o.signed_by.join(", ")
                }
            );
            show_tally(&ws, &o.tally)?;
            if o.completed {
                crate::errln!(
                    "root version {} is complete and added to the history",
                    o.tally.version
                );
            }
            Ok(())
        }
    }
}

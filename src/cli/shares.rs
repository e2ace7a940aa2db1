//! `ceremony shares …` and the share options of `root sign`.

use clap::{Args, Subcommand};
use std::path::PathBuf;

use super::{Cli, hint, now};
use crate::ceremony::KeyRecord;
use crate::ceremony::shares::{CustodianSpec, ShareVerdict, SplitRequest};
use crate::error::{Error, Result};
use crate::key::private::PrivateKey;
use crate::share::seal;

/// Share commands.
#[derive(Debug, Subcommand)]
pub enum SharesCmd {
    /// Split a held key into M-of-N shares sealed to custodians.
    Split {
        /// The key (ID, prefix or label).
        #[arg(long)]
        key: String,
        /// Shares needed to recover (M).
        #[arg(long)]
        threshold: u8,
        /// NAME=age1… or NAME=passphrase, one per share.
        #[arg(long = "custodian", required = true)]
        custodians: Vec<String>,
        #[command(flatten)]
        access: ShareAccess,
        /// Then destroy the encrypted key file: the key exists only as shares.
        #[arg(long)]
        only_shares: bool,
    },
    /// Check one share alone against the signed manifest.
    Verify {
        /// The share file.
        share: PathBuf,
        #[command(flatten)]
        access: ShareAccess,
    },
    /// Recover a key from shares, naming every bad share.
    Recover {
        /// Share files.
        #[arg(required = true)]
        shares: Vec<PathBuf>,
        #[command(flatten)]
        access: ShareAccess,
        /// Keep the recovered key in the ceremony, age-encrypted.
        #[arg(long)]
        store: bool,
    },
    /// Replace a share set: new custodians and/or a new M-of-N for the same key.
    Reissue {
        /// The set to replace.
        #[arg(long)]
        set: String,
        /// Shares needed in the new set.
        #[arg(long)]
        threshold: u8,
        /// NAME=age1… or NAME=passphrase, one per new share.
        #[arg(long = "custodian", required = true)]
        custodians: Vec<String>,
        /// Shares of the old set, when the key is held only as shares.
        #[arg(long = "from-shares", num_args = 1..)]
        from_shares: Vec<PathBuf>,
        #[command(flatten)]
        access: ShareAccess,
    },
    /// List the share sets.
    List,
}

/// How shares are opened.
#[derive(Debug, Args, Default)]
pub struct ShareAccess {
    /// An age identity file (age-keygen output) of a custodian.
    #[arg(long = "identity")]
    pub identities: Vec<PathBuf>,
    /// NAME=FILE: the passphrase of a passphrase custodian.
    #[arg(long = "custodian-passphrase-file")]
    pub custodian_passphrase_files: Vec<String>,
}

/// A banner on stderr that a rehearsal's `what` is in hand: hard to miss
/// above whatever follows.
pub(crate) fn rehearsal_banner(what: &str) {
    let bar = "#".repeat(72);
    crate::errln!("{bar}");
    crate::errln!("##  REHEARSAL  REHEARSAL  REHEARSAL  REHEARSAL  REHEARSAL  REHEARSAL");
    crate::errln!("##  {what} from a rehearsal: throwaway keys, never for real use.");
    crate::errln!("{bar}");
}

fn print_verdicts(v: &[ShareVerdict]) {
    if v.iter().any(|x| x.rehearsal) {
        rehearsal_banner("these are shares");
    }
    for x in v {
        let who = x.custodian.as_deref().unwrap_or("?");
        match &x.problem {
            None => crate::errln!("  good  {} ({who})", x.file.display()),
            Some(p) => crate::errln!("  BAD   {} ({who}): {p}", x.file.display()),
        }
    }
}

/// Recovers keys from share files (for `root sign --from-shares`).
pub fn recover(
    cli: &Cli,
    files: &[PathBuf],
    access: &ShareAccess,
) -> Result<Vec<(KeyRecord, PrivateKey)>> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let ws = cli.workspace()?;
    let ids = seal::load_identities(&access.identities)?;
    let mut p = cli
        .passphrases()
        .with_custodian_files(&access.custodian_passphrase_files)?;
    let (rec, key, verdicts) = ws.shares_recover(files, &ids, &mut p)?;
    print_verdicts(&verdicts);
    crate::errln!(
        "recovered key {} from shares (held in memory only)",
        rec.display()
    );
    Ok(vec![(rec, key)])
}

fn custodians(specs: &[String]) -> Result<Vec<CustodianSpec>> {
    specs.iter().map(|s| CustodianSpec::parse(s)).collect()
}

fn confirm_destroy(cli: &Cli, ws: &crate::ceremony::Workspace, key: &str) -> Result<()> {
    use crate::ceremony::ui::Preview;
    let rec = ws.find_key(key)?;
    ws.confirm(&mut cli.ui(), Preview::DestroyKeyFile { key: &rec })?;
    Ok(())
}

/// Runs a share command.
pub fn run(cli: &Cli, cmd: &SharesCmd) -> Result<()> {
    let ws = cli.workspace()?;
    match cmd {
        SharesCmd::Split {
            key,
            threshold,
            custodians: c,
            access,
            only_shares,
        } => {
            let req = SplitRequest {
                key: key.clone(),
                threshold: *threshold,
                custodians: custodians(c)?,
                only_shares: *only_shares,
                replaces: None,
            };
            if *only_shares {
                confirm_destroy(cli, &ws, key)?;
            }
            let mut p = cli
                .passphrases()
                .with_custodian_files(&access.custodian_passphrase_files)?;
            let o = ws.shares_split(&req, None, &mut p, now())?;
            if o.manifest.rehearsal {
                rehearsal_banner("these are shares");
            }
            crate::errln!(
                "split {} into {}-of-{} shares (set {}); checked {} subsets recover it and M-1 shares do not",
                o.manifest.key_label,
                o.manifest.threshold,
                o.manifest.total,
                o.manifest.set_id,
                o.subsets_checked
            );
            if o.only_shares {
                crate::errln!(
                    "the encrypted key file is destroyed: the key now exists only as these shares"
                );
                crate::errln!("{}", crate::secret::wipe::WHAT_IT_DOES);
            }
            crate::outln!("{}", o.folder.display());
            hint(
                "hand each custodian their .share.age and .sheet.txt; each checks it with `ceremony shares verify FILE`",
            );
            Ok(())
        }
        SharesCmd::Verify { share, access } => {
            let ids = seal::load_identities(&access.identities)?;
            let mut p = cli
                .passphrases()
                .with_custodian_files(&access.custodian_passphrase_files)?;
            let (m, v) = ws.shares_verify(share, &ids, &mut p)?;
            if v.rehearsal {
                rehearsal_banner("this is a share");
            }
            if let Some(c) = m
                .custodians
                .iter()
                .find(|c| Some(&c.name) == v.custodian.as_ref())
            {
                crate::errln!(
                    "readback (compare with your sheet): {}",
                    crate::ceremony::shares::readback(&c.commitment)
                );
            }
            crate::outln!(
                "good: {}share {} of {} ({} needed) of key {} in set {}, custodian {}",
                if v.rehearsal { "REHEARSAL " } else { "" },
                m.custodians
                    .iter()
                    .find(|c| Some(&c.name) == v.custodian.as_ref())
                    .map(|c| c.index)
                    .unwrap_or(0),
                m.total,
                m.threshold,
                m.key_label,
                m.set_id,
                v.custodian.unwrap_or_default()
            );
            Ok(())
        }
        SharesCmd::Recover {
            shares,
            access,
            store,
        } => {
            let ids = seal::load_identities(&access.identities)?;
            let mut p = cli
                .passphrases()
                .with_custodian_files(&access.custodian_passphrase_files)?;
            let (rec, key, verdicts) = ws.shares_recover(shares, &ids, &mut p)?;
            print_verdicts(&verdicts);
            crate::errln!(
                "recovered key {}; its public key matches its key ID",
                rec.display()
            );
            if *store {
                ws.store_recovered(&rec, &key, &mut p)?;
                crate::errln!("stored age-encrypted in the ceremony");
            } else {
                hint(
                    "sign with it directly: `ceremony root sign --from-shares SHARE…`, or keep it with --store",
                );
            }
            crate::outln!("{}", rec.id);
            Ok(())
        }
        SharesCmd::Reissue {
            set,
            threshold,
            custodians: c,
            from_shares,
            access,
        } => {
            let (old, rec) = ws.load_manifest(set)?;
            let recovered = recover(cli, from_shares, access)?;
            let key = recovered
                .into_iter()
                .find(|(r, _)| r.id == rec.id)
                .map(|(_, k)| k);
            if key.is_none() && !rec.private {
                return Err(
                    Error::input(format!("key {} is held only as shares", rec.display()))
                        .hint("add --from-shares with enough shares of the old set"),
                );
            }
            let req = SplitRequest {
                key: old.key_id.clone(),
                threshold: *threshold,
                custodians: custodians(c)?,
                only_shares: false,
                replaces: Some(set.clone()),
            };
            let mut p = cli
                .passphrases()
                .with_custodian_files(&access.custodian_passphrase_files)?;
            let o = ws.shares_split(&req, key.as_ref(), &mut p, now())?;
            crate::errln!(
                "set {} replaces set {} ({}-of-{}); the old set is marked superseded",
                o.manifest.set_id,
                set,
                o.manifest.threshold,
                o.manifest.total
            );
            crate::outln!("{}", o.folder.display());
            Ok(())
        }
        SharesCmd::List => {
            let sets = ws.share_sets()?;
            if cli.json {
                return super::json::shares_list(&sets);
            }
            for set in sets {
                let m = &set.manifest;
                let names: Vec<&str> = m.custodians.iter().map(|c| c.name.as_str()).collect();
                crate::outln!(
                    "{}  key {}  {}-of-{}  {}{}{}",
                    m.set_id,
                    m.key_label,
                    m.threshold,
                    m.total,
                    names.join(","),
                    if set.superseded { "  (superseded)" } else { "" },
                    if m.rehearsal { "  REHEARSAL" } else { "" }
                );
            }
            Ok(())
        }
    }
}

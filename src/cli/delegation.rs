//! `ceremony delegation …`: edit the delegations of targets (staged until
//! `targets sign`).

use clap::Subcommand;

use super::{Cli, hint};
use crate::ceremony::delegations::DelegationSpec;
use crate::error::Result;

/// Delegation commands.
#[derive(Debug, Subcommand)]
pub enum DelegationCmd {
    /// Delegate to a role (replaces a delegation of the same name).
    Add {
        /// Role name: targets/releases (Notary), or any name (TUF).
        name: String,
        /// A key of the role (repeat for several).
        #[arg(long = "key", required = true)]
        keys: Vec<String>,
        /// Signatures the role needs.
        #[arg(long)]
        threshold: Option<u64>,
        /// Notary path prefix ("" = all paths, the default) or TUF path glob.
        #[arg(long = "paths")]
        paths: Vec<String>,
        /// TUF: hashed-bin prefix (hex), instead of --paths.
        #[arg(long = "path-hash-prefix")]
        path_hash_prefixes: Vec<String>,
        /// TUF: stop the search at this role when it matches.
        #[arg(long)]
        terminating: bool,
    },
    /// Docker's `trust signer add`: the key joins targets/NAME and targets/releases.
    AddSigner {
        /// The signer's name (alice, or targets/alice).
        name: String,
        /// The signer's key.
        #[arg(long)]
        key: String,
    },
    /// Remove a delegation.
    Remove {
        /// Role name.
        name: String,
    },
    /// List the delegations of targets.
    List,
}

/// Runs a delegation command.
pub fn run(cli: &Cli, cmd: &DelegationCmd) -> Result<()> {
    let ws = cli.workspace()?;
    match cmd {
        DelegationCmd::Add {
            name,
            keys,
            threshold,
            paths,
            path_hash_prefixes,
            terminating,
        } => {
            ws.delegation_add(&DelegationSpec {
                name: name.clone(),
                keys: keys.clone(),
                threshold: *threshold,
                paths: paths.clone(),
                path_hash_prefixes: path_hash_prefixes.clone(),
                terminating: *terminating,
            })?;
            crate::errln!("delegation {name} staged");
        }
        DelegationCmd::AddSigner { name, key } => {
            ws.delegation_add_signer(name, key)?;
            crate::errln!("signer {name} staged in its own role and in targets/releases");
        }
        DelegationCmd::Remove { name } => {
            ws.delegation_remove(name)?;
            crate::errln!("delegation {name} removed (staged)");
        }
        DelegationCmd::List => {
            for d in ws.delegation_list()? {
                crate::outln!(
                    "{}  threshold {}  keys [{}]  paths [{}]",
                    d.name,
                    d.threshold,
                    d.keys.join(", "),
                    d.scope.join(", ")
                );
            }
            return Ok(());
        }
    }
    hint(
        "sign the change with `ceremony targets sign`, then `ceremony snapshot sign` (unless the server holds the snapshot key)",
    );
    Ok(())
}

//! `ceremony request …`: signing requests for keyholders at other machines.
//! What a holder is shown comes from [`crate::ceremony::requests::review`]:
//! derived from the body and the verified history, never from the request's
//! own claims.

use clap::Subcommand;
use std::path::{Path, PathBuf};

use super::shares::{ShareAccess, rehearsal_banner};
use super::{Cli, hint, now, show_tally};
use crate::ceremony::Workspace;
use crate::ceremony::requests::{Review, Trust, review, sign_request};
use crate::ceremony::shares::recover_standalone;
use crate::ceremony::ui::{Preview, Ui};
use crate::error::{Error, Result};
use crate::key::private::PrivateKey;
use crate::metadata::format_time;
use crate::metadata::root::short;
use crate::metadata::root_diff::KeyView;
use crate::share::seal;
use crate::transfer;
use crate::transfer::input::{Limit, read_file};
use crate::transfer::request::Request;
use crate::{errln, outln};

/// Request commands.
#[derive(Debug, Subcommand)]
pub enum RequestCmd {
    /// Write a signing request for the staged root.
    Create {
        /// The request file to write.
        out: PathBuf,
    },
    /// Check a request against the root you trust and add your signature
    /// (no ceremony directory needed).
    Sign {
        /// The request.
        request: PathBuf,
        /// The root you already trust (the one published at the last ceremony).
        #[arg(long, value_name = "ROOT.json")]
        trusted_root: Option<PathBuf>,
        /// You hold no root to check against: take the request's own history
        /// on first use (shown, and recorded in the signed request).
        #[arg(long, conflicts_with = "trusted_root")]
        trust_on_first_use: bool,
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
    /// Show what a request signs, derived from its body, and its signatures.
    Show {
        /// The request.
        request: PathBuf,
        /// The root you already trust; without it the history is shown as
        /// taken on first use.
        #[arg(long, value_name = "ROOT.json")]
        trusted_root: Option<PathBuf>,
    },
}

fn read_request(p: &Path) -> Result<Request> {
    let b = read_file(p, Limit::Request)?;
    Request::parse(&b).map_err(|e| e.context(p.display()))
}

/// Labels the person running the tool holds herself (her ceremony
/// directory, when one is given): never labels from the request.
fn local_label(ws: Option<&Workspace>, id: &str) -> Option<String> {
    ws.and_then(|w| w.key_by_id(id).ok().flatten())
        .map(|k| k.label)
}

fn key_line(v: &KeyView, label: Option<String>, mine: bool) -> String {
    let mut s = format!(
        "{} {}",
        crate::text::printable(&v.id),
        crate::text::printable(&v.keytype)
    );
    match &v.fingerprint {
        Ok(f) => s.push_str(&format!(" fingerprint {f}")),
        Err(why) => s.push_str(&format!(" UNREADABLE ({why})")),
    }
    if let Some(c) = &v.cert {
        s.push_str(&format!(
            " CN={} valid {} to {}",
            crate::text::printable(c.common_name.as_deref().unwrap_or("(none)")),
            format_time(c.not_before),
            format_time(c.not_after)
        ));
    }
    if let Some(l) = label {
        s.push_str(&format!(" [{}]", crate::text::printable(&l)));
    }
    if mine {
        s.push_str(" [YOUR KEY]");
    }
    s
}

/// Prints a review: what the body does, computed from the bodies.
fn show_review(rv: &Review, ws: Option<&Workspace>, mine: Option<&str>) {
    let c = &rv.changes;
    outln!(
        "root version {} ({}{})",
        rv.version,
        rv.dialect,
        rv.gun
            .as_ref()
            .map(|g| format!(", GUN {g}"))
            .unwrap_or_default()
    );
    outln!("chain: {}", rv.checked.describe());
    outln!("digest: {}", rv.digest);
    outln!("words:  {}", rv.words);
    match (c.from_version, c.expires_before) {
        (Some(v), Some(e)) => {
            outln!("changes from version {v} (computed from the two roots):");
            outln!(
                "  expires: {} -> {}",
                format_time(e),
                format_time(c.expires_after)
            );
        }
        _ => {
            outln!("a first root: everything it holds (nothing before it):");
            outln!("  expires: {}", format_time(c.expires_after));
        }
    }
    if let Some((a, b)) = c.consistent_snapshot {
        outln!("  consistent_snapshot: {a} -> {b}");
    }
    if let Some((a, b)) = &c.spec_version {
        outln!("  spec_version: {a} -> {b}");
    }
    for r in &c.roles {
        let threshold = match r.threshold_before {
            Some(t) => format!("threshold {t} -> {}", r.threshold_after),
            None => format!("threshold {}", r.threshold_after),
        };
        outln!(
            "  {}: {threshold}{}",
            r.role,
            if r.changed() { "" } else { " (unchanged)" }
        );
        for (mark, ids) in [
            ("+ adds", &r.added),
            ("- removes", &r.removed),
            ("= keeps", &r.kept),
        ] {
            for id in ids {
                if let Some(v) = c.keys.get(id) {
                    outln!(
                        "    {mark} {}",
                        key_line(v, local_label(ws, id), mine == Some(id.as_str()))
                    );
                }
            }
        }
    }
    if !c.unused_keys.is_empty() {
        outln!(
            "  keys listed but used by no role: {}",
            c.unused_keys
                .iter()
                .map(|k| short(k))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !c.uninterpreted.is_empty() {
        outln!(
            "  fields this tool does not interpret: {}",
            c.uninterpreted
                .iter()
                .map(|f| crate::text::printable(f).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for line in tally_lines(rv) {
        outln!("{line}");
    }
    for w in &rv.warnings {
        errln!("warning: {w}");
    }
}

/// One line per threshold: signatures so far against what is needed.
fn tally_lines(rv: &Review) -> Vec<String> {
    rv.tallies
        .iter()
        .map(|(name, t)| {
            format!(
                "{name}: {} of {} needed{}",
                t.valid.len(),
                t.threshold,
                if t.met() { " (met)" } else { "" }
            )
        })
        .collect()
}

fn trust_from(trusted_root: Option<&Path>, first_use: bool) -> Result<Trust> {
    match (trusted_root, first_use) {
        (Some(p), _) => Ok(Trust::Root(read_file(p, Limit::Metadata)?)),
        (None, true) => Ok(Trust::FirstUse),
        (None, false) => Err(Error::input(
            "refusing to sign without a root you trust to check the request against",
        )
        .hint("pass --trusted-root ROOT.json (the root published at the last ceremony), or --trust-on-first-use if you hold none (it is shown and recorded)")),
    }
}

/// The holder's key, from its file or recovered from shares. A rehearsal's
/// shares are refused for a real request (`rehearsal` false).
fn load_key(
    cli: &Cli,
    key_file: Option<&Path>,
    from_shares: &[PathBuf],
    access: &ShareAccess,
    rehearsal: bool,
) -> Result<PrivateKey> {
    match (key_file, from_shares.is_empty()) {
        (Some(f), _) => {
            let bytes = read_file(f, Limit::Small)?;
            let pass = cli.passphrases().for_file(f)?;
            PrivateKey::decrypt(&bytes, &pass).map_err(|e| e.context(f.display()))
        }
        (None, false) => {
            let ids = seal::load_identities(&access.identities)?;
            let mut p = cli
                .passphrases()
                .with_custodian_files(&access.custodian_passphrase_files)?;
            let (k, verdicts) = recover_standalone(from_shares, &ids, &mut p)?;
            if verdicts.iter().any(|v| v.rehearsal) {
                if !rehearsal {
                    return Err(Error::input(
                        "REHEARSAL shares: these are a rehearsal's throwaway shares, and this request is not a rehearsal's",
                    )
                    .hint("bring your real shares; nothing was signed"));
                }
                rehearsal_banner("these are shares");
            }
            for v in verdicts.iter().filter(|v| v.problem.is_some()) {
                errln!(
                    "  BAD {}: {}",
                    v.file.display(),
                    v.problem.clone().unwrap_or_default()
                );
            }
            Ok(k)
        }
        (None, true) => {
            Err(Error::input("no key given").hint("pass --key-file FILE or --from-shares SHARE…"))
        }
    }
}

/// Runs a request command.
pub fn run(cli: &Cli, cmd: &RequestCmd) -> Result<()> {
    // A holder's own ceremony directory, when she names one, gives labels.
    let own_ws = || cli.workspace().ok();
    match cmd {
        RequestCmd::Create { out } => {
            let ws = cli.workspace()?;
            let r = ws.make_request(now())?;
            let rv = ws.review_own_request(&r, now())?;
            transfer::write_new(out, &r.to_bytes())?;
            if r.rehearsal {
                rehearsal_banner("this is a signing request");
            }
            if cli.json {
                return super::json::request(&rv);
            }
            show_review(&rv, Some(&ws), None);
            hint(if rv.version == 1 {
                "carry it to each keyholder: `ceremony request sign REQUEST --trust-on-first-use --key-file KEY` (a first root has nothing before it), read the words aloud; then `ceremony request merge SIGNED…`"
            } else {
                "carry it and the last published root to each keyholder: `ceremony request sign REQUEST --trusted-root ROOT.json --key-file KEY`, read the words aloud; then `ceremony request merge SIGNED…`"
            });
            Ok(())
        }
        RequestCmd::Show {
            request,
            trusted_root,
        } => {
            let r = read_request(request)?;
            if r.rehearsal {
                rehearsal_banner("this is a signing request");
            }
            let trust = trust_from(trusted_root.as_deref(), true)?;
            let rv = review(&r, &trust, now())?;
            if cli.json {
                return super::json::request(&rv);
            }
            show_review(&rv, own_ws().as_ref(), None);
            if rv.checked.first_use() {
                hint("check it against the root you trust: --trusted-root ROOT.json");
            }
            Ok(())
        }
        RequestCmd::Sign {
            request,
            trusted_root,
            trust_on_first_use,
            key_file,
            from_shares,
            access,
            out,
        } => {
            let mut r = read_request(request)?;
            if r.rehearsal {
                rehearsal_banner("this is a signing request");
            }
            let trust = trust_from(trusted_root.as_deref(), *trust_on_first_use)?;
            let rv = review(&r, &trust, now())?;
            let key = load_key(cli, key_file.as_deref(), from_shares, access, r.rehearsal)?;
            let id = rv.signer_id(&key).ok_or_else(|| {
                Error::input(format!(
                    "this key is neither a root key of the previous root nor of the new root (version {}): it has no place in this request",
                    rv.version
                ))
                .hint("check you hold the right key for this ceremony; nothing was signed")
            })?;
            show_review(&rv, own_ws().as_ref(), Some(&id));
            let confirmed = cli.ui().confirm(Preview::RequestSign {
                review: &rv,
                key: &id,
            })?;
            sign_request(&mut r, &rv, &key, &confirmed.describe(), now())?;
            drop(key);
            let out = out.clone().unwrap_or_else(|| {
                let stem = request
                    .file_stem()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_else(|| "request".into());
                // A rehearsal's signed request says so in its name too.
                let mark = if r.rehearsal && !stem.to_ascii_uppercase().contains("REHEARSAL") {
                    "REHEARSAL-"
                } else {
                    ""
                };
                request.with_file_name(format!("{mark}{stem}.signed.json"))
            });
            transfer::write_new(&out, &r.to_bytes())?;
            errln!("signed as key {}", short(&id));
            let after = review(&r, &trust, now())?;
            for line in tally_lines(&after) {
                errln!("{line}");
            }
            outln!("{}", out.display());
            Ok(())
        }
        RequestCmd::Merge { requests } => {
            let ws = cli.workspace()?;
            let mut read = Vec::new();
            for p in requests {
                read.push((p.display().to_string(), read_request(p)?));
            }
            if let Some((name, _)) = read.iter().find(|(_, r)| r.rehearsal) {
                if !ws.rehearsal() {
                    return Err(Error::input(format!(
                        "REHEARSAL: {name} is a rehearsal's signing request (throwaway keys), and this is a real ceremony directory"
                    ))
                    .hint("merge it into the rehearsal's directory (-C REHEARSAL-DIR); nothing was changed"));
                }
                rehearsal_banner("this is a signing request");
            }
            let o = ws.merge_requests(&read, now())?;
            errln!(
                "merged signatures by {}",
                if o.signed_by.is_empty() {
                    "nobody new".to_string()
                } else {
                    o.signed_by.join(", ")
                }
            );
            show_tally(&ws, &o.tally)?;
            if o.completed {
                errln!(
                    "root version {} is complete and added to the history",
                    o.tally.version
                );
            }
            Ok(())
        }
    }
}

//! The command line: parse, call the ceremony, show the outcome. Data goes to
//! stdout, narration and `hint:` lines to stderr. No crypto or metadata
//! logic lives here.

mod adopt;
mod airgap;
mod delegation;
pub mod json;
mod keys;
pub mod output;
mod packaging;
mod passphrase;
pub mod prompt;
mod request;
mod run;
mod shares;
mod transcript;
mod verify;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use time::{Duration, OffsetDateTime};

use crate::ceremony::export::QrKind;
use crate::ceremony::root::{RootInit, RootRotate, RootTally};
use crate::ceremony::{Workspace, parse_expiry};
use crate::error::{Error, Result};
use crate::key::Algorithm;
use crate::metadata::{Dialect, format_time};
use passphrase::CliPassphrases;

/// Offline root-key ceremonies for Notary / Docker Content Trust and TUF.
#[derive(Debug, Parser)]
#[command(name = "ceremony", version, about, long_about = None)]
pub struct Cli {
    /// The ceremony directory (default: the current directory or the
    /// nearest parent holding ceremony.json, then CEREMONY_DIR).
    #[arg(short = 'C', long = "dir", global = true, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Print the outcome as JSON (listing and status commands; see docs/json.md).
    #[arg(long, global = true)]
    json: bool,
    /// Read passphrases from the first line of FILE (else CEREMONY_PASSPHRASE, else a prompt).
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Answer yes to confirmations.
    #[arg(long, short = 'y', global = true)]
    yes: bool,
    /// Accept a new passphrase weaker than zxcvbn score 3 (recorded in the transcript).
    #[arg(long, global = true)]
    weak_passphrase: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a ceremony directory.
    Init {
        /// The new directory.
        dir: PathBuf,
        /// notary or tuf.
        #[arg(long)]
        dialect: String,
        /// The Notary GUN (e.g. registry.example.com/org/app).
        #[arg(long)]
        gun: Option<String>,
    },
    /// Generate, import and list keys.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Stage, sign and inspect root metadata.
    #[command(subcommand)]
    Root(RootCmd),
    /// Sign targets metadata with offline keys.
    #[command(subcommand)]
    Targets(RoleCmd),
    /// Sign snapshot metadata with offline keys.
    #[command(subcommand)]
    Snapshot(RoleCmd),
    /// Sign timestamp metadata with offline keys (TUF only).
    #[command(subcommand)]
    Timestamp(RoleCmd),
    /// Write the files the online side uploads, with a SHA-256 manifest.
    Export {
        /// A new or empty directory.
        out: PathBuf,
        /// Include every file, not only those changed since the last export.
        #[arg(long)]
        all: bool,
        /// Also as multi-part QR frames: png or svg images under OUT/qr/, or shown in the terminal.
        #[arg(long, value_name = "png|svg|terminal")]
        qr: Option<String>,
    },
    /// Take in a bundle from the online side: files with SHA256SUMS, or a folder of QR frames.
    Import {
        /// A bundle folder, a folder of QR images, or one file.
        path: PathBuf,
    },
    /// Verify metadata as a strict client would (exit 0 trusted, 1 not, 2 unusable).
    Verify(verify::VerifyArgs),
    /// Delegate targets to other roles (Notary targets/releases, signers; TUF roles).
    #[command(subcommand)]
    Delegation(delegation::DelegationCmd),
    /// Run a ceremony script step by step (see ceremony-scripts/README.md).
    Run(run::RunArgs),
    /// Signing requests for keyholders at other machines.
    #[command(subcommand)]
    Request(request::RequestCmd),
    /// Split keys into Shamir shares for custodians, check and recover them.
    #[command(subcommand)]
    Shares(shares::SharesCmd),
    /// Check that this machine is air-gapped (exit 0 yes, 1 no, 2 cannot tell).
    #[command(long_about = airgap::LONG_ABOUT)]
    Airgap(airgap::AirgapArgs),
    /// Show, verify or close the ceremony's signed, hash-chained transcript.
    #[command(subcommand)]
    Transcript(transcript::TranscriptCmd),
    /// Print a shell completion script to stdout (for packagers; see docs/install.md).
    #[command(hide = true)]
    Completions {
        /// bash, zsh or fish.
        shell: packaging::Shell,
    },
    /// Write the man pages (roff) into a directory (for packagers; see docs/install.md).
    #[command(hide = true)]
    Man {
        /// Where the pages go (made if missing).
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCmd {
    /// Generate a key; prints its key ID as the last line.
    Generate {
        /// root, targets, snapshot, timestamp, or a delegation (targets/releases).
        #[arg(long)]
        role: String,
        /// ed25519 or ecdsa-p256 (Notary default: ecdsa-p256; TUF: ed25519).
        #[arg(long)]
        algorithm: Option<String>,
        /// A name for the key.
        #[arg(long)]
        label: Option<String>,
        /// Validity of a Notary root certificate.
        #[arg(long, default_value = "10y")]
        cert_validity: String,
    },
    /// Import a public key (Notary key JSON, TUF key object, PEM key or certificate).
    Import {
        /// The key's role.
        #[arg(long)]
        role: String,
        /// A name for the key.
        #[arg(long)]
        label: Option<String>,
        /// The file.
        file: PathBuf,
    },
    /// List the keys: their roles in the current root, and where each is held (here, only as shares, elsewhere, lost).
    List,
    /// Record that a key is lost: it never signs again (cannot be undone).
    MarkLost {
        /// The key (ID, prefix or label).
        id: String,
        /// Why, kept in the key record (one line).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Write a key's public half (metadata key object; certificate for a Notary root) for `key import` elsewhere.
    ExportPublic {
        /// The key (ID, prefix or label).
        id: String,
        /// The file to write (must not exist).
        out: PathBuf,
    },
    /// Write a held key as a Notary key file, for `notary key import` online.
    ExportNotary {
        /// The key (ID, prefix or label).
        id: String,
        /// The file to write (must not exist).
        out: PathBuf,
        /// Read the key file's passphrase from FILE (else NOTARY_<ROLE>_PASSPHRASE, else a prompt).
        #[arg(long)]
        export_passphrase_file: Option<PathBuf>,
        /// Allow a root key (it belongs offline).
        #[arg(long)]
        allow_root: bool,
    },
}

#[derive(Debug, Subcommand)]
enum RootCmd {
    /// Stage root version 1.
    Init {
        /// A root key (repeat for several).
        #[arg(long = "root-key", required = true)]
        root_keys: Vec<String>,
        /// Root signatures required.
        #[arg(long)]
        threshold: Option<u64>,
        /// The targets key.
        #[arg(long = "targets-key", required = true)]
        targets_keys: Vec<String>,
        /// The snapshot key (may be the Notary server's, imported).
        #[arg(long = "snapshot-key", required = true)]
        snapshot_keys: Vec<String>,
        /// The timestamp key (the Notary server's, imported).
        #[arg(long = "timestamp-key", required = true)]
        timestamp_keys: Vec<String>,
        /// Expiry: a duration (365d, 10y) or an RFC 3339 date.
        #[arg(long)]
        expires: Option<String>,
        /// Accept a Notary root that expires within 6 months.
        #[arg(long)]
        allow_short_expiry: bool,
    },
    /// Stage the next root version.
    Rotate {
        /// Root key to add.
        #[arg(long = "add-key")]
        add: Vec<String>,
        /// Root key to remove (lost, compromised, retired).
        #[arg(long = "remove-key")]
        remove: Vec<String>,
        /// New root threshold.
        #[arg(long)]
        threshold: Option<u64>,
        /// New targets key.
        #[arg(long = "targets-key")]
        targets_keys: Vec<String>,
        /// New snapshot key.
        #[arg(long = "snapshot-key")]
        snapshot_keys: Vec<String>,
        /// New timestamp key.
        #[arg(long = "timestamp-key")]
        timestamp_keys: Vec<String>,
        /// Expiry: a duration (365d, 10y) or an RFC 3339 date.
        #[arg(long)]
        expires: Option<String>,
        /// Accept a Notary root that expires within 6 months.
        #[arg(long)]
        allow_short_expiry: bool,
    },
    /// Sign the staged root with every key held here that can sign.
    ///
    /// Keys that cannot sign (lost, not held here, key file missing, wrong
    /// passphrase, a file holding another key) are named with their reason
    /// and the others still sign; what was signed is kept. Exit 0 when at
    /// least one signature was added, else the error of why none could be
    /// (and nothing is changed). This holds with --key too: a named key
    /// that cannot sign is reported, the other named keys still sign.
    Sign {
        /// Sign with this key only (repeat for several); default: every held root key.
        #[arg(long = "key")]
        keys: Vec<String>,
        /// Recover a root key from these shares and sign with it (kept in memory only).
        #[arg(long = "from-shares", num_args = 1..)]
        from_shares: Vec<PathBuf>,
        #[command(flatten)]
        access: shares::ShareAccess,
    },
    /// Show what the staged root changes and which signatures it has and needs.
    Status,
    /// Put the staged root aside (kept under staged/).
    Discard,
    /// Take over a repository made elsewhere: its root history becomes this ceremony's.
    Adopt(adopt::AdoptArgs),
    /// Write the exact bytes a signature on the staged root covers, to sign outside the tool.
    Payload(adopt::PayloadArgs),
    /// Add a signature made outside the tool by a root key, checked before it is kept.
    AddSignature(adopt::AddSignatureArgs),
}

#[derive(Debug, Subcommand)]
enum RoleCmd {
    /// Sign the next version with keys held here.
    Sign(RoleSignArgs),
}

#[derive(Debug, Args)]
struct RoleSignArgs {
    /// A delegated role to sign instead of targets (targets only).
    #[arg(long)]
    role: Option<String>,
    /// Sign with this key only (repeat for several).
    #[arg(long = "key")]
    keys: Vec<String>,
    /// Expiry: a duration (30d, 3y) or an RFC 3339 date.
    #[arg(long)]
    expires: Option<String>,
}

pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub(crate) fn hint(text: &str) {
    crate::errln!("hint: {text}");
}

impl Cli {
    pub(crate) fn workspace(&self) -> Result<Workspace> {
        let dir = match &self.dir {
            Some(d) => d.clone(),
            None => crate::ceremony::discover(
                &std::env::current_dir().map_err(|e| Error::input(e.to_string()))?,
                std::env::var_os("CEREMONY_DIR").map(PathBuf::from),
            )?,
        };
        let mut ws = Workspace::open(&dir)?;
        if self.weak_passphrase {
            ws.allow_weak_passphrases();
        }
        Ok(ws)
    }

    pub(crate) fn passphrases(&self) -> CliPassphrases {
        CliPassphrases::new(self.passphrase_file.clone())
    }

    /// The command line's Ui: passphrases as [`Cli::passphrases`], and
    /// confirmations under the one rule (`--yes`, else a terminal).
    pub(crate) fn ui(&self) -> prompt::CliUi {
        prompt::CliUi::new(self.passphrases(), self.yes)
    }
}

impl Cli {
    /// Whether the command can come near a secret (a private key, a share,
    /// a passphrase). `verify`, `completions` and `man` read only public
    /// data: they need no memory lock, and a chain of a thousand roots is
    /// checked without locking every page it touches.
    pub fn may_touch_secrets(&self) -> bool {
        !matches!(
            self.command,
            Command::Verify(_) | Command::Completions { .. } | Command::Man { .. }
        )
    }
}

/// Runs the command line; the error decides the exit status. A command
/// that fails leaves every ceremony directory it changed as it found it.
pub fn run(cli: Cli) -> Result<()> {
    // Output that could not be written (a full disk under `--json > FILE`)
    // fails the command, and so its change is undone too.
    let outcome = match (dispatch(&cli), output::stdout_failure()) {
        (Ok(()), Some(why)) => Err(
            Error::input(format!("cannot write to standard output: {why}")).hint(
                "nothing was changed; make room where the output goes and run the command again",
            ),
        ),
        (o, _) => o,
    };
    match crate::ceremony::journal::finish_all(outcome.is_ok()) {
        Ok(()) => outcome,
        Err(e) if outcome.is_ok() => Err(e),
        Err(e) => {
            // The journal stays: the next command here undoes the change.
            crate::errln!(
                "warning: undoing the failed command's change: {}",
                e.reason()
            );
            outcome
        }
    }
}

fn dispatch(cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Init { dir, dialect, gun } => {
            let d = Dialect::parse(dialect)?;
            Workspace::init(dir, d, gun.as_deref())?;
            crate::errln!("created {} ceremony in {}", d, dir.display());
            hint(&format!(
                "generate root keys: ceremony -C {} key generate --role root",
                dir.display()
            ));
            Ok(())
        }
        Command::Key(k) => run_key(cli, k),
        Command::Root(r) => run_root(cli, r),
        Command::Targets(RoleCmd::Sign(a)) => run_role(cli, "targets", a),
        Command::Snapshot(RoleCmd::Sign(a)) => run_role(cli, "snapshot", a),
        Command::Timestamp(RoleCmd::Sign(a)) => run_role(cli, "timestamp", a),
        Command::Export { out, all, qr } => {
            let ws = cli.workspace()?;
            let kind = match qr.as_deref() {
                None => None,
                Some("png") => Some(QrKind::Png),
                Some("svg") => Some(QrKind::Svg),
                Some("terminal") => Some(QrKind::Terminal),
                Some(other) => {
                    return Err(Error::input(format!(
                        "--qr {other}: use png, svg or terminal"
                    )));
                }
            };
            if cli.json && kind == Some(QrKind::Terminal) {
                return Err(Error::input(
                    "--qr terminal draws frames on standard output, where --json writes its document",
                )
                .hint("use --qr png or svg with --json"));
            }
            let o = ws.export(out, *all, kind, now())?;
            if cli.json {
                json::export(out, &o)?;
            }
            if kind == Some(QrKind::Terminal) {
                show_frames(cli.yes, &o.frames, &o.payload)?;
            } else if !o.frames.is_empty() {
                crate::errln!(
                    "{} QR frames under {}/qr/ (any order; one may be lost)",
                    o.frames.len(),
                    out.display()
                );
            }
            for f in o.written.iter().filter(|_| !cli.json) {
                crate::outln!("{}", out.join(f).display());
            }
            if !o.upload.is_empty() {
                crate::errln!(
                    "upload to the Notary server, in one POST: {}",
                    o.upload.join(", ")
                );
            }
            hint(
                "carry the directory to the online machine and check SHA256SUMS there (sha256sum -c SHA256SUMS)",
            );
            Ok(())
        }
        Command::Verify(a) => verify::run(a, cli.json),
        Command::Import { path } => {
            let ws = cli.workspace()?;
            let o = ws.import(path, now())?;
            if cli.json {
                json::import(&ws, &o)?;
            }
            crate::errln!(
                "bundle checked: {} file(s); readback words {}",
                o.files.len(),
                o.words
            );
            for k in o.keys.iter().filter(|_| !cli.json) {
                let known = if k.known { " (already known)" } else { "" };
                crate::outln!(
                    "key {}{known}\n  fingerprint words: {}",
                    k.display,
                    k.phrase
                );
            }
            if let Some(m) = &o.merged {
                if !cli.json {
                    show_tally(&ws, &m.tally)?;
                }
                if m.completed {
                    crate::errln!(
                        "root version {} is complete and added to the history",
                        m.tally.version
                    );
                }
            }
            if o.staged_targets {
                crate::errln!("targets.json from the bundle is staged");
                hint("check it with `ceremony delegation list`, then `ceremony targets sign`");
            }
            if !o.ignored.is_empty() {
                crate::errln!("not taken in: {}", o.ignored.join(", "));
            }
            Ok(())
        }
        Command::Shares(c) => shares::run(cli, c),
        Command::Request(c) => request::run(cli, c),
        Command::Delegation(c) => delegation::run(cli, c),
        Command::Airgap(a) => airgap::run(a, cli.json),
        Command::Run(a) => run::run(cli, a),
        Command::Transcript(c) => transcript::run(cli, c),
        Command::Completions { shell } => packaging::completions(*shell),
        Command::Man { dir } => packaging::man(dir),
    }
}

fn run_key(cli: &Cli, k: &KeyCmd) -> Result<()> {
    let ws = cli.workspace()?;
    match k {
        KeyCmd::Generate {
            role,
            algorithm,
            label,
            cert_validity,
        } => {
            let alg = algorithm.as_deref().map(Algorithm::parse).transpose()?;
            let t = now();
            let validity = parse_expiry(cert_validity, t)? - t;
            if validity <= Duration::ZERO {
                return Err(Error::input("certificate validity must be positive"));
            }
            let rec = ws.generate_key(
                role,
                alg,
                label.as_deref(),
                validity,
                t,
                &mut cli.passphrases(),
            )?;
            crate::errln!(
                "generated {} key {} ({}), private key stored age-encrypted",
                rec.role,
                rec.label,
                rec.algorithm
            );
            if let Some(c) = &rec.canonical_id {
                crate::errln!(
                    "certificate CN={}; Notary key file ID (canonical) {c}",
                    ws.gun().unwrap_or("")
                );
            }
            crate::outln!("{}", rec.id);
            Ok(())
        }
        KeyCmd::Import { role, label, file } => {
            let bytes =
                crate::transfer::input::read_file(file, crate::transfer::input::Limit::Small)?;
            let rec = ws
                .import_key(role, &bytes, label.as_deref(), now())
                .map_err(|e| e.context(file.display()))?;
            crate::errln!(
                "imported {} key {} ({}), public key only",
                rec.role,
                rec.label,
                rec.algorithm
            );
            crate::outln!("{}", rec.id);
            Ok(())
        }
        KeyCmd::ExportPublic { id, out } => {
            let rec = ws.find_key(id)?;
            let mut text = serde_json::to_vec(&rec.key).map_err(|e| Error::input(e.to_string()))?;
            text.push(b'\n');
            crate::transfer::write_new(out, &text)?;
            crate::errln!("wrote the public key of {}", rec.display());
            hint(&format!(
                "on the coordinating machine: ceremony key import --role {} {}",
                rec.role,
                out.display()
            ));
            Ok(())
        }
        KeyCmd::ExportNotary {
            id,
            out,
            export_passphrase_file,
            allow_root,
        } => {
            let rec = ws.find_key(id)?;
            rec.refuse_if_lost("be exported")?;
            let role = rec.role;
            let pass = passphrase::export_passphrase(export_passphrase_file.as_deref(), &role)?;
            let rec = ws.export_notary_key(id, out, *allow_root, &pass, &mut cli.passphrases())?;
            if rec.role == "root" {
                crate::errln!(
                    "warning: a root key now exists outside the offline ceremony: guard or destroy {}",
                    out.display()
                );
            }
            crate::errln!(
                "wrote {} key {} as a Notary key file",
                rec.role,
                rec.display()
            );
            hint(&format!(
                "online: notary key import {} (its passphrase is the one just set)",
                out.display()
            ));
            Ok(())
        }
        KeyCmd::List => keys::list(&ws, cli.json),
        KeyCmd::MarkLost { id, reason } => keys::mark_lost(cli, &ws, id, reason.as_deref()),
    }
}

/// Shows QR frames one after another in the terminal; at a terminal each
/// waits for Enter (unless --yes), else they follow each other. At a
/// terminal the frames are cut from `payload` to fit it (a counter row
/// and a prompt row kept), not the export's full-size ones.
fn show_frames(yes: bool, frames: &[String], payload: &[u8]) -> Result<()> {
    use std::io::{BufRead, IsTerminal};
    let interactive = !yes && std::io::stdin().is_terminal();
    let fitted = match crate::tui::qr::terminal_frames(payload, 2) {
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => {
            crate::errln!("warning: {}; showing full-size frames", e.reason());
            None
        }
        None => None,
    };
    let frames = fitted.as_deref().unwrap_or(frames);
    for (i, f) in frames.iter().enumerate() {
        crate::outln!("frame {} of {}", i + 1, frames.len());
        crate::out!("{}", crate::transfer::qr::text(f.as_bytes())?);
        if interactive && i + 1 < frames.len() {
            crate::errout!("Enter for the next frame ");
            let mut s = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut s)
                .map_err(|e| Error::input(e.to_string()))?;
        }
    }
    Ok(())
}

pub(crate) fn show_tally(ws: &Workspace, t: &RootTally) -> Result<()> {
    let line = |name: String, tl: &crate::signature::Tally| -> Result<String> {
        let signed: Vec<String> = tl
            .valid
            .iter()
            .map(|id| ws.label_of(id))
            .collect::<Result<_>>()?;
        let missing: Vec<String> = tl
            .missing
            .iter()
            .map(|id| ws.label_of(id))
            .collect::<Result<_>>()?;
        Ok(format!(
            "{name}: {} of {} needed{}  signed: [{}]  not yet: [{}]",
            tl.valid.len(),
            tl.threshold,
            if tl.met() { " (met)" } else { "" },
            signed.join(", "),
            missing.join(", ")
        ))
    };
    if let Some((v, old)) = &t.old {
        crate::outln!(
            "{}",
            line(format!("previous root (version {v}) threshold"), old)?
        );
    }
    crate::outln!(
        "{}",
        line(
            format!("new root (version {}) threshold", t.version),
            &t.new
        )?
    );
    Ok(())
}

fn run_root(cli: &Cli, r: &RootCmd) -> Result<()> {
    let ws = cli.workspace()?;
    match r {
        RootCmd::Init {
            root_keys,
            threshold,
            targets_keys,
            snapshot_keys,
            timestamp_keys,
            expires,
            allow_short_expiry,
        } => {
            let plan = RootInit {
                root_keys: root_keys.clone(),
                threshold: *threshold,
                targets_keys: targets_keys.clone(),
                snapshot_keys: snapshot_keys.clone(),
                timestamp_keys: timestamp_keys.clone(),
                expires: expires.clone(),
                allow_short_expiry: *allow_short_expiry,
            };
            let env = ws.root_init(&plan, now())?;
            crate::errln!("staged root version 1");
            for w in ws.root_warnings(&env)? {
                crate::errln!("warning: {w}");
            }
            hint("check it with `ceremony root status`, then sign with `ceremony root sign`");
            Ok(())
        }
        RootCmd::Rotate {
            add,
            remove,
            threshold,
            targets_keys,
            snapshot_keys,
            timestamp_keys,
            expires,
            allow_short_expiry,
        } => {
            let plan = RootRotate {
                add: add.clone(),
                remove: remove.clone(),
                threshold: *threshold,
                targets_keys: targets_keys.clone(),
                snapshot_keys: snapshot_keys.clone(),
                timestamp_keys: timestamp_keys.clone(),
                expires: expires.clone(),
                allow_short_expiry: *allow_short_expiry,
            };
            let env = ws.root_rotate(&plan, now())?;
            crate::errln!("staged root version {}", env.version().unwrap_or(0));
            for c in ws.root_status(now())?.changes {
                crate::errln!("  {c}");
            }
            for w in ws.root_warnings(&env)? {
                crate::errln!("warning: {w}");
            }
            hint(
                "it needs the previous root's threshold and its own: `ceremony root sign`, then `ceremony root status`",
            );
            Ok(())
        }
        RootCmd::Sign {
            keys,
            from_shares,
            access,
        } => {
            use crate::ceremony::ui::Preview;
            let recovered = shares::recover(cli, from_shares, access)?;
            let plan = ws.plan_root_sign(keys, &recovered, now())?;
            let mut ui = cli.ui();
            ws.confirm(&mut ui, Preview::RootSign(&plan))?;
            let o = ws.commit_root_sign(&plan, &recovered, &mut ui, now())?;
            crate::errln!("signed by {}", o.signed_by.join(", "));
            for n in &o.not_signed {
                crate::errln!("not signed: {}", n.reason);
            }
            show_tally(&ws, &o.tally)?;
            if o.completed {
                crate::errln!(
                    "root version {} is complete and added to the history",
                    o.tally.version
                );
                if ws.dialect() == Dialect::Notary && ws.role_file("snapshot")?.is_some() {
                    hint(
                        "re-sign the snapshot over the new root (`ceremony snapshot sign`), then `ceremony export OUT`",
                    );
                } else {
                    hint("`ceremony export OUT` writes the files to upload");
                }
            } else {
                hint(
                    "more signatures are needed: sign with the remaining keys (`ceremony root sign --key ID`)",
                );
                if !o.not_signed.is_empty() {
                    hint(
                        "a key held by another tool (an RSA key, say) signs what `ceremony root payload FILE` writes; `ceremony root add-signature --key ID SIG` brings its signature in",
                    );
                }
            }
            if !o.not_signed.is_empty() && !o.completed {
                crate::errln!(
                    "the new signatures are kept in the staged root; {} key(s) did not sign (see above)",
                    o.not_signed.len()
                );
            }
            Ok(())
        }
        RootCmd::Status => {
            let s = ws.root_status(now())?;
            if cli.json {
                return json::root_status(&ws, &s);
            }
            for l in &s.lost {
                crate::outln!("lost: {}", l.text);
            }
            match s.current {
                Some(v) => crate::outln!("current root: version {v}"),
                None => crate::outln!("current root: none yet"),
            }
            match &s.staged {
                None => {
                    crate::outln!("staged: nothing");
                    if let Some(e) = s.expires {
                        crate::outln!("expires: {}", format_time(e));
                    }
                }
                Some(t) => {
                    crate::outln!(
                        "staged: version {}{}",
                        t.version,
                        if t.complete() {
                            " (all thresholds met)"
                        } else {
                            ""
                        }
                    );
                    for c in &s.changes {
                        crate::outln!("  {c}");
                    }
                    if let Some(e) = s.expires {
                        crate::outln!("expires: {}", format_time(e));
                    }
                    show_tally(&ws, t)?;
                }
            }
            Ok(())
        }
        RootCmd::Discard => {
            let kept = ws.root_discard(now())?;
            crate::errln!("the staged root was put aside as {kept}");
            Ok(())
        }
        RootCmd::Adopt(a) => adopt::adopt(&ws, a),
        RootCmd::Payload(a) => adopt::payload(&ws, a),
        RootCmd::AddSignature(a) => adopt::add_signature(&ws, a),
    }
}

fn run_role(cli: &Cli, role: &str, a: &RoleSignArgs) -> Result<()> {
    let ws = cli.workspace()?;
    let mut p = cli.passphrases();
    let t = now();
    let out = match role {
        "targets" => {
            ws.targets_sign(a.role.as_deref(), &a.keys, a.expires.as_deref(), &mut p, t)?
        }
        "snapshot" => ws.snapshot_sign(&a.keys, a.expires.as_deref(), &mut p, t)?,
        _ => ws.timestamp_sign(&a.keys, a.expires.as_deref(), &mut p, t)?,
    };
    crate::errln!(
        "signed {} version {} with {}",
        out.role,
        out.version,
        out.signed_by.join(", ")
    );
    crate::outln!("{}", out.file);
    Ok(())
}

//! `ceremony transcript show | verify | close | export`: the ceremony's
//! hash-chained transcript read back, checked against the ceremony's own
//! root history (or, for a copy, against a root the checker trusts),
//! signed with the root keys held here, and exported with its roots. What a transcript says is
//! input: it is shown only through the output macros.

use clap::Subcommand;
use serde::Serialize;
use std::path::{Path, PathBuf};

use super::Cli;
use crate::ceremony::Workspace;
use crate::ceremony::step::Outcome;
use crate::ceremony::transcript::{self, CloseReport, Entry, Record, Report};
use crate::error::{Error, Result};
use crate::transfer::input::{Limit, read_file};
use crate::{errln, outln};

/// `ceremony transcript …`.
#[derive(Debug, Subcommand)]
pub enum TranscriptCmd {
    /// Print the transcript, one entry a line.
    Show {
        /// A transcript file (default: the ceremony's transcript.jsonl).
        file: Option<PathBuf>,
    },
    /// Check the hash chain and every close's signatures against the
    /// ceremony's verified root history, or with --trusted-root against a
    /// root you trust, with no ceremony directory (exit 0 verified, 1 not,
    /// 2 unusable).
    Verify {
        /// A transcript file (default: the ceremony's transcript.jsonl).
        file: Option<PathBuf>,
        /// The transcript file, as a flag (the same as FILE).
        #[arg(long = "file", value_name = "TRANSCRIPT", conflicts_with = "file")]
        file_flag: Option<PathBuf>,
        /// A ceremony still under way: entries after the last close are
        /// reported, not refused.
        #[arg(long)]
        open: bool,
        /// Check a copy away from the ceremony against this root (one you
        /// trust, as published), walking on through the later roots in the
        /// root/ folder beside the transcript.
        #[arg(long, value_name = "ROOT.json")]
        trusted_root: Option<PathBuf>,
        /// The Notary GUN (read from the trusted root's certificate when not
        /// given).
        #[arg(long, requires = "trusted_root")]
        gun: Option<String>,
    },
    /// Sign everything recorded so far with the root keys held here.
    Close,
    /// Write the transcript and the root history it is checked against to
    /// a new folder, to verify elsewhere with --trusted-root.
    Export {
        /// The new folder (or an empty one).
        out: PathBuf,
    },
}

/// Runs a transcript command.
pub fn run(cli: &Cli, cmd: &TranscriptCmd) -> Result<()> {
    if let TranscriptCmd::Verify {
        file,
        file_flag,
        open,
        trusted_root: Some(trusted),
        gun,
    } = cmd
    {
        // Away from the ceremony: no ceremony directory is looked for.
        let file = file.as_deref().or(file_flag.as_deref());
        return verify_away(file, trusted, gun.clone(), *open, cli.json);
    }
    let ws = cli.workspace()?;
    match cmd {
        TranscriptCmd::Show { file } => {
            let (_, bytes) = read(&ws, file.as_deref())?;
            show(&bytes);
            Ok(())
        }
        TranscriptCmd::Verify {
            file,
            file_flag,
            open,
            ..
        } => {
            let (path, bytes) = read(&ws, file.as_deref().or(file_flag.as_deref()))?;
            let report = ws.verify_transcript(&bytes)?;
            verify(&|id| label(&ws, id), &path, &report, *open, cli.json)
        }
        TranscriptCmd::Export { out } => {
            let e = ws.export_transcript(out)?;
            for f in e.written.iter().filter(|_| !cli.json) {
                outln!("{}", out.join(f).display());
            }
            if e.report.unsigned > 0 {
                errln!(
                    "note: the last {} entr{} not signed by a close: verify the copy with --open, or close and export again",
                    e.report.unsigned,
                    if e.report.unsigned == 1 {
                        "y is"
                    } else {
                        "ies are"
                    }
                );
            }
            errln!(
                "exported the transcript ({} entries) and {} root file(s) to {}",
                e.report.entries,
                e.written.len() - 1,
                out.display()
            );
            Ok(())
        }
        TranscriptCmd::Close => {
            let mut ui = cli.ui();
            let c = ws.close_transcript(&mut ui, None, super::now())?;
            errln!(
                "signed the transcript up to entry {} with root version {} by {}",
                c.seq.saturating_sub(1),
                c.root_version,
                c.signed_by.join(", ")
            );
            for n in &c.not_signed {
                errln!("not signed: {n}");
            }
            errln!(
                "its words (write them down apart from this machine): {}",
                c.words
            );
            outln!("{}", c.digest);
            Ok(())
        }
    }
}

/// `transcript verify --trusted-root`: a copy checked against a root the
/// checker trusts and the later roots in `root/` beside it.
fn verify_away(
    file: Option<&Path>,
    trusted: &Path,
    gun: Option<String>,
    open: bool,
    json: bool,
) -> Result<()> {
    let path = file.ok_or_else(|| {
        Error::input("--trusted-root checks a copied transcript: name it")
            .hint("ceremony transcript verify --file TRANSCRIPT --trusted-root ROOT.json")
    })?;
    let bytes = read_copy(path)?;
    let trusted_bytes = read_file(trusted, Limit::Metadata)?;
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(transcript::ROOTS);
    let later = transcript::read_roots(&folder)?;
    let roots = transcript::roots_from(&trusted_bytes, &later, gun)?;
    let (from, to) = (
        roots.roots.keys().next().copied().unwrap_or(0),
        roots.roots.keys().next_back().copied().unwrap_or(0),
    );
    errln!(
        "the root chain starts at the root given with --trusted-root (version {from}){}",
        if to > from {
            format!(" and reaches version {to} through {}", folder.display())
        } else {
            String::new()
        }
    );
    let report = roots.verify(&bytes);
    verify(&|_| None, path, &report, open, json).map_err(|e| match report.problem {
        Some(_) => e.hint(
            "the copy was changed, or its closes were signed under a root older than the one given, or another repository's: give the oldest root of this repository you trust",
        ),
        None => e,
    })
}

fn read(ws: &Workspace, file: Option<&Path>) -> Result<(PathBuf, Vec<u8>)> {
    let path = file
        .map(Path::to_path_buf)
        .unwrap_or_else(|| ws.dir().join(transcript::FILE));
    Ok((path.clone(), read_copy(&path)?))
}

fn read_copy(path: &Path) -> Result<Vec<u8>> {
    if !path.exists() {
        return Err(
            Error::input(format!("{} does not exist", path.display())).hint(
                "a ceremony's transcript is written from its first change on (ceremony init, run, key generate …)",
            ),
        );
    }
    read_file(path, Limit::Metadata)
}

fn show(bytes: &[u8]) {
    for line in transcript::read_lines(bytes) {
        match &line.entry {
            Ok(e) => outln!("{:>4}  {}  {}", e.seq, e.at, describe(e)),
            Err(why) => {
                let text = String::from_utf8_lossy(&line.bytes);
                let cut: String = text.chars().take(120).collect();
                outln!("line {}: not an entry ({why}): {cut}", line.number);
            }
        }
    }
}

/// One line for an entry.
fn describe(e: &Entry) -> String {
    match &e.event {
        Record::Created { dialect, gun } => match gun {
            Some(g) => format!("ceremony created: {dialect}, GUN {g}"),
            None => format!("ceremony created: {dialect}"),
        },
        Record::RunStarted {
            script,
            digest,
            rehearsal,
            allow_network,
            next_step,
        } => format!(
            "{} script {script} (sha256 {}){}{}",
            if *next_step == 0 {
                "run of".to_string()
            } else {
                format!("run resumed at step {} of", next_step + 1)
            },
            crate::metadata::root::short(digest),
            if *rehearsal { ", REHEARSAL" } else { "" },
            if *allow_network {
                ", --allow-network"
            } else {
                ""
            }
        ),
        Record::StepDone { step, outcome } => format!(
            "step {} {:?} ({}): {}",
            step.index + 1,
            step.title,
            step.actor,
            super::run::describe(outcome)
        ),
        Record::StepFailed { step, reason } => format!(
            "step {} {:?} ({}) FAILED: {reason}",
            step.index + 1,
            step.title,
            step.actor
        ),
        Record::ReadBackRefused {
            what,
            witness,
            typed,
        } => format!("read-back REFUSED: {witness:?} typed {typed:?} for {what}"),
        Record::HandOutRefused { custodian, set_id } => {
            format!(
                "share hand-out REFUSED: {custodian} did not read back the check words of set {set_id}"
            )
        }
        Record::Confirmed { what, how, .. } => format!("{what}: {how}"),
        Record::Changed { outcome } => changed(outcome),
        Record::DelegationStaged { role, removed } => format!(
            "delegation {role} {} the staged targets",
            if *removed { "removed from" } else { "added to" }
        ),
        Record::RootDiscarded { kept_as } => format!("staged root put aside as {kept_as}"),
        Record::WeakPassphraseAccepted { what } => {
            format!("WEAK passphrase accepted for {what} (--weak-passphrase)")
        }
        Record::Close(c) => format!(
            "CLOSE: entries 1–{} (sha256 {}) signed with root version {} by {}",
            c.statement.last_seq,
            crate::metadata::root::short(&c.statement.transcript_sha256),
            c.statement.root_version,
            c.signatures
                .iter()
                .map(|s| crate::metadata::root::short(&s.keyid))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn changed(o: &Outcome) -> String {
    format!("changed: {}", super::run::describe(o))
}

/// `transcript verify`'s `--json` document.
#[derive(Serialize)]
struct VerifyDoc {
    schema: &'static str,
    ok: bool,
    file: String,
    open: bool,
    entries: usize,
    closes: Vec<CloseDoc>,
    unsigned: usize,
    problem: Option<ProblemDoc>,
}

#[derive(Serialize)]
struct CloseDoc {
    line: usize,
    seq: u64,
    root_version: u64,
    transcript_sha256: String,
    signed_by: Vec<KeyDoc>,
    threshold: u64,
    met: bool,
}

#[derive(Serialize)]
struct KeyDoc {
    id: String,
    label: Option<String>,
}

#[derive(Serialize)]
struct ProblemDoc {
    line: usize,
    reason: String,
}

fn label(ws: &Workspace, id: &str) -> Option<String> {
    ws.key_by_id(id).ok().flatten().map(|k| k.label)
}

/// A key's label, where one is known (in the ceremony directory).
type Labels<'a> = dyn Fn(&str) -> Option<String> + 'a;

fn signers(labels: &Labels<'_>, c: &CloseReport) -> String {
    c.signed_by
        .iter()
        .map(|id| {
            let short = crate::metadata::root::short(id);
            match labels(id) {
                Some(l) => format!("{l} ({short})"),
                None => short,
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn verify(labels: &Labels<'_>, path: &Path, r: &Report, open: bool, json: bool) -> Result<()> {
    let failure = r.failure(open);
    if json {
        super::json::print(&VerifyDoc {
            schema: "ceremony.transcript-verify/1",
            ok: failure.is_none(),
            file: path.display().to_string(),
            open,
            entries: r.entries,
            closes: r
                .closes
                .iter()
                .map(|c| CloseDoc {
                    line: c.line,
                    seq: c.seq,
                    root_version: c.root_version,
                    transcript_sha256: c.digest.clone(),
                    signed_by: c
                        .signed_by
                        .iter()
                        .map(|id| KeyDoc {
                            id: id.clone(),
                            label: labels(id),
                        })
                        .collect(),
                    threshold: c.threshold,
                    met: c.met(),
                })
                .collect(),
            unsigned: r.unsigned,
            problem: failure.as_ref().map(|p| ProblemDoc {
                line: p.line,
                reason: p.reason.clone(),
            }),
        })?;
    } else {
        outln!("transcript: {}", path.display());
        outln!("entries: {}", r.entries);
        for c in &r.closes {
            outln!(
                "close at line {}: entries 1–{} signed with root version {} by {} ({} signature(s), {} needed{})",
                c.line,
                c.seq.saturating_sub(1),
                c.root_version,
                signers(labels, c),
                c.signed_by.len(),
                c.threshold,
                if c.met() { ", met" } else { ", NOT met" }
            );
        }
        if r.unsigned > 0 && failure.is_none() {
            outln!(
                "not yet signed: the last {} entr{} (the ceremony is under way)",
                r.unsigned,
                if r.unsigned == 1 { "y" } else { "ies" }
            );
        }
    }
    match failure {
        None => {
            errln!(
                "verified: {} entries, {} close(s)",
                r.entries,
                r.closes.len()
            );
            Ok(())
        }
        Some(p) => Err(Error::verification(format!(
            "{}: line {}: {}",
            path.display(),
            p.line,
            p.reason
        ))
        .hint(if r.problem.is_some() {
            "the transcript was changed after it was written: compare it with a copy kept apart"
        } else {
            "close it (`ceremony transcript close`, or the script's close step), or pass --open for a ceremony under way"
        })),
    }
}

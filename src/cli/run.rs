//! `ceremony run SCRIPT`: a ceremony script, step by step, in the terminal
//! UI — or, with `--answers FILE`, with no terminal at all (rehearsals and
//! CI), through the same engine.

use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Cli;
use crate::ceremony::run::Runner;
use crate::ceremony::step::{Outcome, RunUi};
use crate::error::{Error, Result};
use crate::script::Script;
use crate::script::answers::Answers;
use crate::transfer::input::{Limit, read_file};
use crate::{errln, outln};

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The ceremony script (TOML; see ceremony-scripts/README.md).
    script: PathBuf,
    /// Answer every question from FILE, with no terminal (rehearsals, CI).
    #[arg(long, value_name = "FILE")]
    answers: Option<PathBuf>,
    /// Throwaway keys in a new temporary directory; REHEARSAL on every
    /// screen and in every exported file, which the online side refuses.
    #[arg(long)]
    rehearsal: bool,
    /// Go on when the air-gap check finds a network; recorded, and shown on
    /// every screen.
    #[arg(long)]
    allow_network: bool,
    /// A value for one of the script's inputs: NAME=VALUE (repeat).
    #[arg(long = "input", value_name = "NAME=VALUE")]
    inputs: Vec<String>,
}

fn read_text(p: &Path) -> Result<String> {
    String::from_utf8(read_file(p, Limit::Small)?)
        .map_err(|_| Error::input(format!("{} is not UTF-8 text", p.display())))
}

/// Where the run happens: `-C DIR`, a new temporary directory for a
/// rehearsal, or the ceremony directory found from here (to resume).
fn run_dir(cli: &Cli, rehearsal: bool) -> Result<PathBuf> {
    if let Some(d) = &cli.dir {
        return Ok(d.clone());
    }
    if rehearsal {
        let base = std::env::temp_dir();
        let t = tempfile::Builder::new()
            .prefix("ceremony-rehearsal-")
            .tempdir_in(&base)
            .map_err(|e| Error::io(&base, e))?;
        // Kept: a rehearsal can be paused and looked at afterwards.
        return Ok(t.keep().join("ceremony"));
    }
    cli.workspace().map(|w| w.dir().to_path_buf()).map_err(|_| {
        Error::input("no ceremony directory for the run")
            .hint("pass -C DIR (a new directory for a new ceremony), or --rehearsal")
    })
}

/// Runs `run`.
pub fn run(cli: &Cli, a: &RunArgs) -> Result<()> {
    let script =
        Script::parse(&read_text(&a.script)?).map_err(|e| e.context(a.script.display()))?;
    let mut given = BTreeMap::new();
    for i in &a.inputs {
        let (k, v) = i
            .split_once('=')
            .ok_or_else(|| Error::input(format!("--input {i:?} is not NAME=VALUE")))?;
        given.insert(k.to_string(), v.to_string());
    }
    let Some(answers_path) = &a.answers else {
        return Err(Error::input(
            "the terminal UI for `run` is not wired in this build: give --answers FILE",
        ));
    };
    let mut ui =
        Answers::parse(&read_text(answers_path)?).map_err(|e| e.context(answers_path.display()))?;
    for (k, v) in ui.inputs() {
        given.entry(k).or_insert(v);
    }
    let dir = run_dir(cli, a.rehearsal)?;
    // A real ceremony directory never becomes a rehearsal, not even for the
    // next script once its run is finished: refused before anything moves.
    if a.rehearsal
        && dir.join("ceremony.json").is_file()
        && !crate::ceremony::Workspace::open(&dir)?.rehearsal()
    {
        return Err(Error::input(
            "this ceremony was started for real: it cannot become a rehearsal",
        )
        .hint("rehearse in a new directory (--rehearsal without -C)"));
    }
    let mut runner = Runner::open(&dir, &script, given, a.allow_network, &mut ui)?;
    if a.rehearsal && !runner.ws.rehearsal() {
        if !runner.state.done.is_empty() {
            return Err(Error::input(
                "this ceremony was started for real: it cannot become a rehearsal",
            ));
        }
        runner.ws.mark_rehearsal()?;
    }
    headless(&mut runner, &mut ui)
}

/// Runs every remaining step with no terminal, narrating on stderr.
fn headless(runner: &mut Runner<'_>, ui: &mut dyn RunUi) -> Result<()> {
    let mark = if runner.ws.rehearsal() {
        "REHEARSAL "
    } else {
        ""
    };
    errln!(
        "{mark}ceremony {} ({}) in {}",
        runner.script.name,
        runner.script.title,
        runner.ws.dir().display()
    );
    let total = runner.script.steps.len();
    while let Some(i) = runner.next() {
        let s = &runner.script.steps[i];
        errln!("{mark}step {}/{total}: {} — {}", i + 1, s.title, s.actor);
        let say = crate::script::substitute(&s.say, &runner.state.inputs)
            .unwrap_or_else(|_| s.say.clone());
        errln!("  {say}");
        let outcome = runner
            .step(ui)
            .map_err(|e| e.context(format!("step {}", i + 1)))?;
        errln!("  done: {}", describe(&outcome));
    }
    errln!("{mark}ceremony {} complete", runner.script.name);
    outln!("{}", runner.ws.dir().display());
    Ok(())
}

/// One line for an outcome.
pub fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Airgap {
            ok, allowed_anyway, ..
        } => match (ok, allowed_anyway) {
            (true, _) => "air-gapped".into(),
            (false, true) => "NOT air-gapped; went on with --allow-network".into(),
            (false, false) => "not air-gapped".into(),
        },
        Outcome::RollCall { people } => people
            .iter()
            .map(|(r, n)| format!("{r}: {}", n.join(", ")))
            .collect::<Vec<_>>()
            .join("; "),
        Outcome::Imported { keys } => format!("took in {}", keys.join(", ")),
        Outcome::ReadBack { witness, .. } => format!("{witness} read the words back"),
        Outcome::KeyGenerated { label, id, role } => {
            format!("{role} key {label} ({})", crate::metadata::root::short(id))
        }
        Outcome::Split {
            set_id,
            threshold,
            custodians,
            ..
        } => format!(
            "set {set_id}, {threshold}-of-{}, handed to {}",
            custodians.len(),
            custodians.join(", ")
        ),
        Outcome::RootStaged { version } => format!("root version {version} staged"),
        Outcome::MarkedLost { key } => {
            format!("key {} marked lost", crate::metadata::root::short(key))
        }
        Outcome::RootSigned {
            version,
            signed_by,
            complete,
            ..
        } => format!(
            "root version {version} signed by {}{}",
            signed_by.join(", "),
            if *complete { "; complete" } else { "" }
        ),
        Outcome::SignerAdded { name } => format!("signer {name} added"),
        Outcome::RoleSigned { role, version } => format!("{role} version {version} signed"),
        Outcome::Exported { out, files } => format!("{} files to {out}", files.len()),
        Outcome::Verified { path, files } => format!("{path}: {files} files trusted"),
        Outcome::Closed => "closed".into(),
    }
}

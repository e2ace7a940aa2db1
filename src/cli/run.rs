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
use crate::tui;
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
    /// Hold this script again in a directory where its last run finished
    /// (the next rotation): that run is archived to runs/ and a new one
    /// starts. Without it, a finished run has nothing left to do.
    #[arg(long)]
    again: bool,
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
        crate::script::check::value(k, v)?;
        given.insert(k.to_string(), v.to_string());
    }
    let Some(answers_path) = &a.answers else {
        return in_terminal(cli, a, &script, given);
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
    let mut runner = Runner::open(&dir, &script, given, a.allow_network, a.again, &mut ui)?;
    if cli.weak_passphrase || ui.weak_passphrases() {
        runner.ws.allow_weak_passphrases();
    }
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

/// Runs the ceremony in the terminal UI, step by step, until it is done,
/// paused (q) or left (Ctrl-C); the terminal is restored in every case.
fn in_terminal(
    cli: &Cli,
    a: &RunArgs,
    script: &Script,
    given: BTreeMap<String, String>,
) -> Result<()> {
    // Refuse before anything is made: no terminal, no screens.
    if !tui::term::available() {
        return Err(Error::input(
            "`ceremony run` without --answers needs a terminal for its screens",
        )
        .hint("give --answers FILE to run with no terminal (rehearsals, CI)"));
    }
    let dir = run_dir(cli, a.rehearsal)?;
    let scope = match &script.gun {
        Some(_) => format!("{} {}", script.dialect, gun_of(script, &given)),
        None => script.dialect.to_string(),
    };
    let (term, guard) = tui::term::start()?;
    let chrome = tui::view::Chrome::new(&script.name, &scope, a.rehearsal);
    let mut ui = tui::TuiUi::new(term, tui::term::keys(), chrome)
        .with_drain(tui::term::drain)
        .with_poll(tui::term::poll);
    ui.script(script, a.allow_network);
    let mut runner = Runner::open(&dir, script, given, a.allow_network, a.again, &mut ui)?;
    if cli.weak_passphrase {
        runner.ws.allow_weak_passphrases();
    }
    if a.rehearsal && !runner.ws.rehearsal() {
        if !runner.state.done.is_empty() {
            return Err(Error::input(
                "this ceremony was started for real: it cannot become a rehearsal",
            ));
        }
        runner.ws.mark_rehearsal()?;
    }
    ui.chrome.rehearsal = runner.ws.rehearsal();
    if let Some(g) = runner.ws.gun() {
        ui.chrome.scope = tui::view::safe(&format!("{} {g}", script.dialect));
    }
    let mut failed: Option<String> = None;
    let paused = loop {
        ui.refresh(&runner);
        let Some(i) = runner.next() else { break false };
        if ui.step_screen(failed.take())? == tui::Choice::Pause {
            break true;
        }
        match runner.step(&mut ui) {
            Ok(o) => {
                ui.log(&format!("step {} done: {}", i + 1, describe(&o)));
                if let Some(note) = wipe_note(&o) {
                    ui.log(note);
                }
                ui.exported(&o)?;
            }
            Err(e) if ui.left() => return Err(e),
            Err(e) => {
                ui.log(&format!("step {} failed: {}", i + 1, e.reason()));
                failed = Some(e.reason().to_string());
            }
        }
    };
    let shown = runner.ws.dir().display().to_string();
    ui.done(&shown, paused)?;
    drop(guard);
    if paused {
        errln!(
            "paused at step {} of {}: resume with `ceremony -C {shown} run SCRIPT`",
            runner.next().map_or(0, |i| i + 1),
            runner.script.steps.len()
        );
    } else {
        errln!("ceremony {} complete", runner.script.name);
    }
    outln!("{shown}");
    Ok(())
}

/// The GUN as the script names it, inputs substituted where known.
fn gun_of(script: &Script, given: &BTreeMap<String, String>) -> String {
    let g = script.gun.clone().unwrap_or_default();
    crate::script::substitute(&g, given).unwrap_or(g)
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
    if runner.next().is_none() {
        errln!(
            "every step of this run is done; to hold {} again here, add --again",
            runner.script.name
        );
    }
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
        if let Some(note) = wipe_note(&outcome) {
            errln!("  {note}");
        }
    }
    errln!("{mark}ceremony {} complete", runner.script.name);
    outln!("{}", runner.ws.dir().display());
    Ok(())
}

/// What a split that destroyed the key file did and did not reach on disk.
fn wipe_note(o: &Outcome) -> Option<&'static str> {
    match o {
        Outcome::Split {
            only_shares: true, ..
        } => Some(crate::secret::wipe::WHAT_IT_DOES),
        _ => None,
    }
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
        Outcome::RootAdopted { versions, .. } => {
            format!("root history adopted ({} version(s))", versions.len())
        }
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
        Outcome::RequestWritten { version, file, .. } => {
            format!("signing request for root version {version} written to {file}")
        }
        Outcome::RequestsMerged {
            version,
            signed_by,
            complete,
            ..
        } => format!(
            "root version {version}: signatures of {} merged{}",
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

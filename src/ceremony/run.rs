//! Running a ceremony script: each step carried out through the workspace
//! and a [`RunUi`] (the terminal UI, or an answers file in rehearsals), its
//! outcome kept in `run.json` so a paused ceremony resumes at the next step.
//! The same engine functions as the command line do the work.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use time::OffsetDateTime;

use super::Workspace;
use super::shares::{CustodianSpec, SplitRequest, readback};
use super::step::{Answer, Ask, Outcome, RunUi, Step};
use super::transcript::{Record, StepRef};
use super::ui::{Event, Preview};
use crate::error::{Error, Result};
use crate::script::{Script, ScriptStep, substitute_step};
use crate::signature::verify::{Options, verify_files};
use crate::transfer::{self, words};

const STATE: &str = "run.json";
/// Where finished runs are kept when the next script starts.
const RUNS: &str = "runs";
/// How many wrong read-backs a step takes before it stops.
const ATTEMPTS: usize = 3;
/// Words a witness types back.
const READ_BACK_WORDS: usize = 4;

/// A run's progress, kept in the ceremony directory.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunState {
    /// The script's name.
    pub script: String,
    /// The script's SHA-256: a run resumes only with the same script.
    pub digest: String,
    /// The inputs given when the run started.
    pub inputs: BTreeMap<String, String>,
    /// Who holds which role, from the roll call.
    pub people: BTreeMap<String, Vec<String>>,
    /// Outcomes of the steps done, in order.
    pub done: Vec<Outcome>,
    /// The ceremony went on without the air-gap check passing.
    #[serde(default)]
    pub network_allowed: bool,
    /// How many steps the script has (0 in runs recorded before it was).
    #[serde(default)]
    pub total: usize,
}

impl RunState {
    /// Every step of the script done (or, for a run recorded without its
    /// step count, the ceremony closed).
    pub fn is_complete(&self) -> bool {
        (self.total > 0 && self.done.len() >= self.total)
            || matches!(self.done.last(), Some(Outcome::Closed))
    }
}

/// Moves a finished run to `runs/NNN-<script>.json`, never overwriting
/// one, so the directory can take the next script's run. Archiving the same
/// run twice (a crash before the new run.json was written) is a no-op.
fn archive(ws: &Workspace, old: &RunState) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(old).map_err(|e| Error::input(e.to_string()))?;
    let dir = ws.dir().join(RUNS);
    ws.make_dirs(&dir)?;
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| Error::io(&dir, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    if let Some(last) = names.last()
        // Not fs::read: a FIFO planted under runs/ would hang the run.
        && transfer::input::read_file(&dir.join(last), transfer::input::Limit::Metadata)
            .ok()
            .as_deref()
            == Some(bytes.as_slice())
    {
        return Ok(());
    }
    // The name comes from a script: only its plain characters reach a path.
    let name: String = old
        .script
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(64)
        .collect();
    let file = dir.join(format!("{:03}-{name}.json", names.len() + 1));
    ws.write_new(&file, &bytes)
}

/// Where a run stands: for the front-end's step list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    /// Done.
    Done,
    /// The step now.
    Current,
    /// Still to come.
    Pending,
}

/// A ceremony run over one ceremony directory.
pub struct Runner<'s> {
    /// The ceremony directory.
    pub ws: Workspace,
    /// The script.
    pub script: &'s Script,
    /// Progress.
    pub state: RunState,
    /// `--allow-network`.
    pub allow_network: bool,
    /// The transcript has this run's start.
    started: bool,
}

impl<'s> Runner<'s> {
    /// Opens `dir` for `script`: a new ceremony directory is made (with the
    /// script's dialect and GUN) when `dir` holds none; a run in progress
    /// resumes when it was started with the same script. A finished run of
    /// the same script is left as it is (nothing to do) unless `again` asks
    /// for a new run of it (next year's rotation). Inputs not given are
    /// asked.
    pub fn open(
        dir: &Path,
        script: &'s Script,
        mut inputs: BTreeMap<String, String>,
        allow_network: bool,
        again: bool,
        ui: &mut dyn RunUi,
    ) -> Result<Runner<'s>> {
        let existing = dir.join("ceremony.json").is_file();
        let state: Option<RunState> = if existing {
            let ws = Workspace::open(dir)?;
            match ws.read_state(STATE)? {
                Some(b) => Some(
                    serde_json::from_slice(&b)
                        .map_err(|e| Error::input(format!("{STATE}: {e}")))?,
                ),
                None => None,
            }
        } else {
            None
        };
        // A finished run of another script is archived once the new run's
        // inputs are in hand; an unfinished one holds the directory.
        let mut finished: Option<RunState> = None;
        if let Some(st) = state {
            if again && st.digest == script.digest && !st.is_complete() {
                return Err(Error::input(format!(
                    "the run of {:?} in {} is not finished: --again starts a new run only after one is complete",
                    st.script,
                    dir.display()
                ))
                .hint("resume it: run the same command without --again"));
            }
            if st.digest == script.digest && !again {
                crate::script::check::resume(script, &st)?;
                // A finished run is only shown (and --again named); new
                // inputs are for the run --again starts.
                if !st.is_complete() {
                    crate::script::check::same_inputs(&st.inputs, &inputs)?;
                }
                return Ok(Runner {
                    ws: Workspace::open(dir)?,
                    script,
                    state: st,
                    allow_network,
                    started: false,
                });
            }
            if !st.is_complete() {
                return Err(Error::input(format!(
                    "{} holds a run of script {:?} that is not this script (or it was changed since)",
                    dir.display(),
                    st.script
                ))
                .hint("resume with the same script file, or start in a new directory"));
            }
            finished = Some(st);
        }
        for (name, prompt) in &script.inputs {
            if !inputs.contains_key(name) {
                let v = match ui.ask(Ask::Input { name, prompt })? {
                    Answer::Text(t) => t,
                    _ => return Err(Error::input(format!("no value for input {name:?}"))),
                };
                inputs.insert(name.clone(), v);
            }
        }
        let ws = if existing {
            Workspace::open(dir)?
        } else {
            let gun = script
                .gun
                .as_deref()
                .map(|g| crate::script::substitute(g, &inputs))
                .transpose()?;
            Workspace::init(dir, script.dialect, gun.as_deref())?
        };
        if ws.dialect() != script.dialect {
            return Err(Error::input(format!(
                "{} is a {} ceremony; the script is for {}",
                dir.display(),
                ws.dialect(),
                script.dialect
            )));
        }
        if existing && let Some(g) = &script.gun {
            let want = crate::script::substitute(g, &inputs)?;
            if ws.gun() != Some(want.as_str()) {
                return Err(Error::input(format!(
                    "{} is the ceremony of GUN {:?}; the script was given {want:?}",
                    dir.display(),
                    ws.gun().unwrap_or("")
                ))
                .hint("give the script the GUN of this ceremony directory"));
            }
        }
        if let Some(old) = &finished {
            archive(&ws, old)?;
        }
        let runner = Runner {
            ws,
            script,
            state: RunState {
                script: script.name.clone(),
                digest: script.digest.clone(),
                inputs,
                total: script.steps.len(),
                ..RunState::default()
            },
            allow_network,
            started: false,
        };
        runner.save()?;
        runner.ws.commit()?;
        Ok(runner)
    }

    fn save(&self) -> Result<()> {
        let text =
            serde_json::to_vec_pretty(&self.state).map_err(|e| Error::input(e.to_string()))?;
        self.ws.write_state(STATE, &text)
    }

    /// The index of the next step, or None when the script is done.
    pub fn next(&self) -> Option<usize> {
        let n = self.state.done.len();
        (n < self.script.steps.len()).then_some(n)
    }

    /// Each step's state.
    pub fn states(&self) -> Vec<StepState> {
        let n = self.state.done.len();
        (0..self.script.steps.len())
            .map(|i| match i.cmp(&n) {
                std::cmp::Ordering::Less => StepState::Done,
                std::cmp::Ordering::Equal => StepState::Current,
                std::cmp::Ordering::Greater => StepState::Pending,
            })
            .collect()
    }

    /// Carries out the next step and records its outcome.
    pub fn step(&mut self, ui: &mut dyn RunUi) -> Result<Outcome> {
        let i = self
            .next()
            .ok_or_else(|| Error::input("the ceremony is done"))?;
        let s: &ScriptStep = &self.script.steps[i];
        let step = substitute_step(&s.step, &self.state.inputs)?;
        let at = StepRef {
            index: i,
            title: s.title.clone(),
            actor: s.actor.clone(),
        };
        if !self.started {
            self.ws.record(Record::RunStarted {
                script: self.script.name.clone(),
                digest: self.script.digest.clone(),
                rehearsal: self.ws.rehearsal(),
                allow_network: self.allow_network,
                next_step: i,
            })?;
            self.started = true;
        }
        let outcome = match self.execute(&step, ui) {
            Ok(o) => o,
            Err(e) => {
                // What the step wrote is undone (a share set whose hand-out
                // failed goes with it, so its shares open nothing here);
                // the transcript keeps its refusals and this line. A
                // transcript that cannot take the line shows its gap to
                // verify.
                self.ws.rollback_step()?;
                let _ = self.ws.record(Record::StepFailed {
                    step: at,
                    reason: e.reason().to_string(),
                });
                self.ws.commit()?;
                return Err(e);
            }
        };
        // A close records its own step, inside what it signs.
        if outcome != Outcome::Closed {
            self.ws.record(Record::StepDone {
                step: at,
                outcome: outcome.clone(),
            })?;
        }
        if let Outcome::Airgap { allowed_anyway, .. } = &outcome {
            self.state.network_allowed |= *allowed_anyway;
        }
        if let Outcome::RollCall { people } = &outcome {
            for (role, names) in people {
                self.state.people.insert(role.clone(), names.clone());
            }
        }
        self.state.done.push(outcome.clone());
        self.save()?;
        // The step is made: a crash from here on keeps it.
        self.ws.commit()?;
        Ok(outcome)
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    /// Asks a witness to read back the first words of `words` until she
    /// does, at most [`ATTEMPTS`] times; each refusal is shown to her.
    fn read_back(&self, title: &str, all: &str, ui: &mut dyn RunUi) -> Result<(String, String)> {
        let want: Vec<&str> = all.split(' ').take(READ_BACK_WORDS).collect();
        let mut refused: Option<String> = None;
        for _ in 0..ATTEMPTS {
            let answer = ui.ask(Ask::ReadBack {
                title,
                words: all,
                count: want.len(),
                refused: refused.as_deref(),
            })?;
            let Answer::ReadBack { witness, words } = answer else {
                return Err(Error::input("a read-back needs the witness and the words"));
            };
            let typed: Vec<String> = words.split_whitespace().map(str::to_lowercase).collect();
            if typed.iter().map(String::as_str).eq(want.iter().copied()) && !witness.is_empty() {
                return Ok((witness, words));
            }
            ui.event(Event::Note(format!(
                "read-back refused: {witness:?} typed {:?}, which are not the words shown",
                words
            )));
            self.ws.record(Record::ReadBackRefused {
                what: title.to_string(),
                witness,
                typed: words,
            })?;
            refused = Some("those are not the words on the screen: read them again".into());
        }
        Err(Error::verification(format!(
            "{title}: the words were not read back after {ATTEMPTS} attempts"
        ))
        .hint("stop and find out why the words differ before going on"))
    }

    fn execute(&mut self, step: &Step, ui: &mut dyn RunUi) -> Result<Outcome> {
        let ws = &self.ws;
        match step {
            Step::Airgap => {
                let g = super::airgap::require_airgap(self.allow_network)?;
                Ok(Outcome::Airgap {
                    ok: g.ok,
                    allowed_anyway: g.allowed_anyway,
                    findings: g.findings.iter().map(|f| f.text.clone()).collect(),
                })
            }
            Step::RollCall { roles } => {
                let mut people = Vec::new();
                for role in roles {
                    let duty = self
                        .script
                        .roles
                        .get(role)
                        .map(String::as_str)
                        .unwrap_or("");
                    let names = match ui.ask(Ask::Names { role, duty })? {
                        Answer::List(l) => l,
                        _ => Vec::new(),
                    };
                    crate::script::check::people(role, &names)?;
                    people.push((role.clone(), names));
                }
                Ok(Outcome::RollCall { people })
            }
            Step::Import { path } => {
                let o = ws.import(Path::new(path), Self::now())?;
                for k in &o.keys {
                    ui.event(Event::Note(format!("key {}: {}", k.display, k.phrase)));
                }
                Ok(Outcome::Imported {
                    keys: o.keys.iter().map(|k| k.display.clone()).collect(),
                })
            }
            Step::ImportKey { path, role, label } => {
                let bytes =
                    transfer::input::read_file(Path::new(path), transfer::input::Limit::Small)?;
                let rec = ws.import_key(role, &bytes, Some(label), Self::now())?;
                ui.event(Event::Note(format!(
                    "took in {} key {}: {}",
                    rec.role,
                    rec.display(),
                    words::key_phrase(&rec.id)
                )));
                Ok(Outcome::Imported {
                    keys: vec![rec.display()],
                })
            }
            Step::RequestSignatures { out } => {
                super::keyholders::request_step(ws, Path::new(out), ui, Self::now())
            }
            Step::CollectSignatures { from } => {
                super::keyholders::collect_step(ws, from, ui, Self::now())
            }
            Step::ReadBack { key } => {
                let rec = ws.find_key(key)?;
                let phrase = words::key_phrase(&rec.id);
                let (witness, words) = self.read_back(
                    &format!("the fingerprint of key {}", rec.display()),
                    &phrase,
                    ui,
                )?;
                Ok(Outcome::ReadBack {
                    key: rec.id,
                    witness,
                    words,
                })
            }
            Step::GenerateKey {
                role,
                label,
                algorithm,
            } => {
                let alg = algorithm
                    .as_deref()
                    .map(crate::key::Algorithm::parse)
                    .transpose()?;
                let now = Self::now();
                let rec =
                    ws.generate_key(role, alg, Some(label), time::Duration::days(3650), now, ui)?;
                ui.event(Event::Note(format!(
                    "generated {} key {}: {}",
                    rec.role,
                    rec.display(),
                    words::key_phrase(&rec.id)
                )));
                Ok(Outcome::KeyGenerated {
                    id: rec.id,
                    label: rec.label,
                    role: rec.role,
                })
            }
            Step::Split {
                key,
                threshold,
                only_shares,
            } => self.split_with(key, *threshold, *only_shares, None, ui),
            Step::Reissue { key, threshold } => self.reissue(key, *threshold, ui),
            Step::RootInit {
                root_keys,
                threshold,
                targets_keys,
                snapshot_keys,
                timestamp_keys,
                expires,
            } => {
                let env = ws.root_init(
                    &super::root::RootInit {
                        root_keys: root_keys.clone(),
                        threshold: *threshold,
                        targets_keys: targets_keys.clone(),
                        snapshot_keys: snapshot_keys.clone(),
                        timestamp_keys: timestamp_keys.clone(),
                        expires: expires.clone(),
                        allow_short_expiry: false,
                    },
                    Self::now(),
                )?;
                Ok(Outcome::RootStaged {
                    version: env.version().unwrap_or(1),
                })
            }
            Step::RootRotate {
                add,
                remove,
                threshold,
                expires,
            } => {
                let env = ws.root_rotate(
                    &super::root::RootRotate {
                        add: add.clone(),
                        remove: remove.clone(),
                        threshold: *threshold,
                        expires: expires.clone(),
                        ..Default::default()
                    },
                    Self::now(),
                )?;
                Ok(Outcome::RootStaged {
                    version: env.version().unwrap_or(0),
                })
            }
            Step::MarkLost { key, reason } => {
                let (rec, reason) = ws.plan_mark_lost(key, reason.as_deref())?;
                let c = ws.confirm(
                    ui,
                    Preview::MarkLost {
                        key: &rec,
                        reason: reason.as_deref(),
                    },
                )?;
                let rec = ws.mark_lost(&rec.id, reason.as_deref(), &c.describe(), Self::now())?;
                Ok(Outcome::MarkedLost { key: rec.id })
            }
            Step::SignRoot {
                keys,
                from_shares_of,
            } => self.sign_root(keys, from_shares_of.as_deref(), ui),
            Step::AddSigner { name, key } => {
                ws.delegation_add_signer(name, key)?;
                Ok(Outcome::SignerAdded { name: name.clone() })
            }
            Step::SignTargets { role } => {
                let o = ws.targets_sign(role.as_deref(), &[], None, ui, Self::now())?;
                Ok(Outcome::RoleSigned {
                    role: o.role,
                    version: o.version,
                })
            }
            Step::SignSnapshot => {
                let o = ws.snapshot_sign(&[], None, ui, Self::now())?;
                Ok(Outcome::RoleSigned {
                    role: o.role,
                    version: o.version,
                })
            }
            Step::SignTimestamp => {
                let o = ws.timestamp_sign(&[], None, ui, Self::now())?;
                Ok(Outcome::RoleSigned {
                    role: o.role,
                    version: o.version,
                })
            }
            Step::Export { out, all, qr } => {
                let kind = match qr.as_deref() {
                    None => None,
                    Some("png") => Some(super::export::QrKind::Png),
                    Some("svg") => Some(super::export::QrKind::Svg),
                    Some(o) => return Err(Error::input(format!("qr = {o:?}: use png or svg"))),
                };
                let out_path = Path::new(out);
                let o = ws.export(out_path, *all, kind, Self::now())?;
                let mut files = Vec::new();
                for f in &o.written {
                    let p = out_path.join(f);
                    let bytes = transfer::input::read_file(&p, transfer::input::Limit::Metadata)?;
                    files.push((f.clone(), transfer::sha256_hex(&bytes)));
                }
                Ok(Outcome::Exported {
                    out: out.clone(),
                    files,
                })
            }
            Step::VerifyExport { path } => self.verify_export(path),
            Step::Close => {
                let i = self.state.done.len();
                let step = self.script.steps.get(i).map(|s| StepRef {
                    index: i,
                    title: s.title.clone(),
                    actor: s.actor.clone(),
                });
                let c = ws.close_transcript(ui, step, Self::now())?;
                ui.event(Event::Note(format!(
                    "transcript signed up to entry {} with root version {} by {}; its words: {}",
                    c.seq.saturating_sub(1),
                    c.root_version,
                    c.signed_by.join(", "),
                    c.words
                )));
                Ok(Outcome::Closed)
            }
        }
    }

    /// The share set of `key` in use, and how many of its shares are needed.
    fn set_in_use(&self, key: &str) -> Result<Option<(String, u8)>> {
        let rec = self.ws.find_key(key)?;
        Ok(self
            .ws
            .share_sets()?
            .into_iter()
            .find(|s| s.manifest.key_id == rec.id && !s.superseded)
            .map(|s| (s.manifest.set_id, s.manifest.threshold)))
    }

    /// Asks the custodians for their shares of `key` and recovers it (the
    /// engine refuses shares of a superseded set).
    fn recover_from_custodians(
        &self,
        key: &str,
        ui: &mut dyn RunUi,
    ) -> Result<(super::KeyRecord, crate::key::private::PrivateKey)> {
        let (_, needed) = self.set_in_use(key)?.ok_or_else(|| {
            Error::input(format!("key {key} has no share set in use"))
                .hint("`ceremony shares list` shows the sets and which are superseded")
        })?;
        let files = match ui.ask(Ask::Shares { key, needed })? {
            Answer::List(l) => l,
            _ => return Err(Error::input("no share files given")),
        };
        let paths: Vec<std::path::PathBuf> = files.iter().map(std::path::PathBuf::from).collect();
        let (rec, k, verdicts) = self.ws.shares_recover(&paths, &[], ui)?;
        for v in &verdicts {
            if let Some(p) = &v.problem {
                ui.event(Event::Note(format!(
                    "share {} ({}): BAD: {p}",
                    v.file.display(),
                    v.custodian.as_deref().unwrap_or("?")
                )));
            }
        }
        if rec.id != self.ws.find_key(key)?.id {
            return Err(Error::verification(format!(
                "the shares recover key {}, not {key}",
                rec.display()
            )));
        }
        Ok((rec, k))
    }

    fn reissue(&mut self, key: &str, threshold: u8, ui: &mut dyn RunUi) -> Result<Outcome> {
        let (old, _) = self.set_in_use(key)?.ok_or_else(|| {
            Error::input(format!("key {key} has no share set in use to reissue"))
                .hint("split it first (`do = \"split\"`)")
        })?;
        let (_, k) = self.recover_from_custodians(key, ui)?;
        self.split_with(key, threshold, false, Some((old, k)), ui)
    }

    /// Splits `key` among the roll call's custodians and hands each her
    /// share; with `reissue`, from the recovered key, superseding the set.
    fn split_with(
        &mut self,
        key: &str,
        threshold: u8,
        only_shares: bool,
        reissue: Option<(String, crate::key::private::PrivateKey)>,
        ui: &mut dyn RunUi,
    ) -> Result<Outcome> {
        let names = self
            .state
            .people
            .get("custodians")
            .cloned()
            .unwrap_or_default();
        if names.is_empty() {
            return Err(Error::input(
                "no custodians were named: the script's roll call must call the role custodians",
            ));
        }
        let mut custodians = Vec::new();
        for n in &names {
            let recipient = match ui.ask(Ask::Input {
                name: &format!("recipient of {n}"),
                prompt: &format!(
                    "{n}'s age recipient (age1…), or `passphrase` if {n} types a passphrase"
                ),
            })? {
                Answer::Text(t) => t,
                _ => return Err(Error::input(format!("no recipient for {n}"))),
            };
            custodians.push(CustodianSpec::parse(&format!("{n}={recipient}"))?);
        }
        let rec = self.ws.find_key(key)?;
        if only_shares {
            self.ws.confirm(ui, Preview::DestroyKeyFile { key: &rec })?;
        }
        let (replaces, recovered) = match reissue {
            Some((set, k)) => (Some(set), Some(k)),
            None => (None, None),
        };
        let req = SplitRequest {
            key: key.to_string(),
            threshold,
            custodians,
            // The key file goes only once every custodian holds her share.
            only_shares: false,
            replaces: replaces.clone(),
        };
        let o = self
            .ws
            .shares_split(&req, recovered.as_ref(), ui, Self::now())?;
        if let Err(e) = self.hand_out(&o, ui) {
            // Kept, marked withdrawn, rather than undone with the failed
            // step: a sheet brought back later is then named as withdrawn.
            // (A crash during the hand-out undoes the whole set instead;
            // its shares then open nothing here either.)
            self.withdraw(&o.manifest.set_id, replaces.as_deref())?;
            self.ws.commit()?;
            return Err(e);
        }
        if only_shares && rec.private {
            self.ws.destroy_private(&rec)?;
        }
        let m = &o.manifest;
        Ok(Outcome::Split {
            set_id: m.set_id.clone(),
            threshold: m.threshold,
            custodians: m.custodians.iter().map(|c| c.name.clone()).collect(),
            only_shares,
            replaces,
        })
    }

    /// A set whose hand-out did not finish is withdrawn: marked superseded,
    /// so its shares are refused, and the set it was to replace (a reissue)
    /// is in use again. Resuming the step splits anew.
    fn withdraw(&self, set: &str, replaced: Option<&str>) -> Result<()> {
        self.ws.write_new(
            &self.ws.dir().join(format!("shares/{set}/SUPERSEDED")),
            format!(
                "withdrawn on {}: its hand-out was not completed\n",
                crate::metadata::format_time(Self::now())
            )
            .as_bytes(),
        )?;
        if let Some(old) = replaced {
            self.ws.remove_state(&format!("shares/{old}/SUPERSEDED"))?;
        }
        Ok(())
    }

    /// One custodian at a time takes her share and reads its check words.
    fn hand_out(&self, o: &super::shares::SplitOutcome, ui: &mut dyn RunUi) -> Result<()> {
        let m = &o.manifest;
        for c in &m.custodians {
            let files: Vec<String> = ["share.age", "sheet.txt", "qr.png"]
                .iter()
                .map(|ext| {
                    o.folder
                        .join(format!("{}.{ext}", c.name))
                        .display()
                        .to_string()
                })
                .collect();
            let check = readback(&c.commitment);
            let mut refused: Option<String> = None;
            let mut taken = false;
            for _ in 0..ATTEMPTS {
                let a = ui.ask(Ask::HandOut {
                    custodian: &c.name,
                    index: c.index,
                    total: m.total,
                    threshold: m.threshold,
                    set_id: &m.set_id,
                    files: &files,
                    words: &check,
                    refused: refused.as_deref(),
                })?;
                let typed = match a {
                    Answer::Text(t) | Answer::ReadBack { words: t, .. } => t,
                    Answer::List(l) => l.join(" "),
                };
                if typed
                    .split_whitespace()
                    .map(str::to_lowercase)
                    .eq(check.split(' ').map(str::to_string))
                {
                    taken = true;
                    break;
                }
                self.ws.record(Record::HandOutRefused {
                    custodian: c.name.clone(),
                    set_id: m.set_id.clone(),
                })?;
                refused = Some("those are not the check words on the sheet".into());
            }
            if !taken {
                return Err(Error::verification(format!(
                    "custodian {} did not read back the check words of her share; share set {} is withdrawn",
                    c.name, m.set_id
                ))
                .hint("every sheet of the withdrawn set is destroyed; find out why the words differ, then resume to split anew"));
            }
        }
        Ok(())
    }

    fn sign_root(
        &mut self,
        keys: &[String],
        from_shares_of: Option<&str>,
        ui: &mut dyn RunUi,
    ) -> Result<Outcome> {
        let mut recovered = Vec::new();
        if let Some(key) = from_shares_of {
            recovered.push(self.recover_from_custodians(key, ui)?);
        }
        let plan = self.ws.plan_root_sign(keys, &recovered, Self::now())?;
        self.ws.confirm(ui, Preview::RootSign(&plan))?;
        let o = self
            .ws
            .commit_root_sign(&plan, &recovered, ui, Self::now())?;
        for n in &o.not_signed {
            ui.event(Event::NotSigned {
                key: n.key.clone(),
                reason: n.reason.clone(),
            });
        }
        Ok(Outcome::RootSigned {
            version: plan.version,
            signed_by: o.signed_by,
            complete: o.completed,
            digest: plan.digest,
        })
    }

    fn verify_export(&self, path: &str) -> Result<Outcome> {
        let files = super::import::read_bundle(Path::new(path))?;
        let metadata: BTreeMap<String, Vec<u8>> = files
            .into_iter()
            .filter(|(n, _)| n.ends_with(".json"))
            .collect();
        let trusted = self.ws.latest_root()?.map(|(_, b)| b);
        let report = verify_files(
            &metadata,
            &Options {
                dialect: Some(self.ws.dialect()),
                gun: self.ws.gun().map(str::to_string),
                at: Self::now(),
                trusted_root: trusted,
                ignore_time: false,
            },
        )?
        .into_result()
        .map_err(|e| e.context(format!("the export in {path} read back")))?;
        Ok(Outcome::Verified {
            path: path.to_string(),
            files: report.files.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_complete_when_every_step_is_done_or_it_closed() {
        let key = Outcome::MarkedLost { key: "k".into() };
        let mut st = RunState {
            total: 2,
            done: vec![key.clone()],
            ..RunState::default()
        };
        assert!(!st.is_complete());
        st.done.push(key.clone());
        assert!(st.is_complete());
        // A run recorded before the step count was: only a close ends it.
        let mut old = RunState {
            done: vec![key],
            ..RunState::default()
        };
        assert!(!old.is_complete());
        old.done.push(Outcome::Closed);
        assert!(old.is_complete());
    }
}

//! [`TuiUi`]: the terminal's [`RunUi`]. Each engine callback (a question, a
//! passphrase, a confirmation) runs a small modal loop over one screen until
//! it is answered; events go to the transcript at the bottom of the frame.
//! It is generic over the ratatui backend and the source of key presses, so
//! a test drives it with a `TestBackend` and a list of keys.

use crossterm::event::{Event as TermEvent, KeyEventKind};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::collections::BTreeMap;

use super::screen::{Action, Form, Screen, Tone};
use super::view::{self, Chrome, Network, StepLine};
use super::{forms, plan};
use crate::ceremony::run::Runner;
use crate::ceremony::step::{Answer, Ask, Outcome, RunUi};
use crate::ceremony::ui::{Confirmation, Event, Preview, Ui};
use crate::ceremony::{KeyRecord, Passphrases};
use crate::error::{Error, Result};
use crate::secret::Passphrase;

/// Where key presses come from: the terminal, or a test's list.
pub type Keys = Box<dyn FnMut() -> std::io::Result<TermEvent>>;

/// How many wrong read-backs a confirmation takes (as the runner's).
const ATTEMPTS: usize = 3;

/// What the person at the step screen chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Carry out the step.
    Run,
    /// Pause: leave, to resume from the directory later.
    Pause,
}

/// The terminal UI of `ceremony run`.
pub struct TuiUi<B: Backend> {
    term: Terminal<B>,
    keys: Keys,
    /// The frame shown around every screen.
    pub chrome: Chrome,
    help: bool,
    left: bool,
    labels: BTreeMap<String, String>,
    witnesses: Vec<String>,
    read_back_try: usize,
    /// Why the last new passphrase was refused, shown on the next form.
    weak_refused: Option<String>,
    clock: fn() -> String,
    drain: fn(),
    poll: fn(std::time::Duration) -> bool,
}

impl<B: Backend> std::fmt::Debug for TuiUi<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TuiUi(…)")
    }
}

fn now_hms() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}

fn cancelled() -> Error {
    Error::input("the step was abandoned at the screen")
        .hint("nothing was recorded for it: Enter on the step screen tries it again")
}

/// Field `i`'s value, the field then zeroized and emptied (so a refused
/// answer is typed afresh, and no buffer of it is left behind).
fn take(f: &mut Form, i: usize) -> String {
    let v = f.value(i).to_string();
    if let Some(x) = f.fields.get_mut(i) {
        zeroize::Zeroize::zeroize(&mut *x.value);
    }
    v
}

impl<B: Backend> TuiUi<B> {
    /// A UI drawing on `term`, reading `keys`, in the frame `chrome`.
    pub fn new(term: Terminal<B>, keys: Keys, chrome: Chrome) -> TuiUi<B> {
        TuiUi {
            term,
            keys,
            chrome,
            help: false,
            left: false,
            labels: BTreeMap::new(),
            witnesses: Vec::new(),
            read_back_try: 0,
            weak_refused: None,
            clock: now_hms,
            drain: || {},
            poll: |_| true,
        }
    }

    /// Times in the transcript from `clock` (tests use a fixed one).
    pub fn with_clock(mut self, clock: fn() -> String) -> Self {
        self.clock = clock;
        self
    }

    /// Before each question, keys pressed while the engine worked are
    /// dropped with `drain`: nobody answers a screen she has not seen.
    pub fn with_drain(mut self, drain: fn()) -> Self {
        self.drain = drain;
        self
    }

    /// QR frames move on by themselves while `poll` (is a key waiting,
    /// within this long?) says no; without it (tests) they move by keys only.
    pub fn with_poll(mut self, poll: fn(std::time::Duration) -> bool) -> Self {
        self.poll = poll;
        self
    }

    /// The terminal (tests read its backend).
    pub fn terminal(&self) -> &Terminal<B> {
        &self.term
    }

    /// Whether Ctrl-C was pressed: the run is to end now.
    pub fn left(&self) -> bool {
        self.left
    }

    /// Fills the frame from `script` before a run is open (its inputs are
    /// asked first): every step to come, and the network badge.
    pub fn script(&mut self, script: &crate::script::Script, allow_network: bool) {
        self.chrome.steps = script
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| StepLine {
                title: view::safe(&s.title),
                state: if i == 0 {
                    crate::ceremony::run::StepState::Current
                } else {
                    crate::ceremony::run::StepState::Pending
                },
            })
            .collect();
        self.chrome.current = Some(0);
        self.chrome.actor = "operator".into();
        self.chrome.say = "Before the first step: the ceremony's inputs.".into();
        if allow_network {
            self.chrome.network = Network::Allowed;
        }
    }

    /// Takes the frame from where `runner` stands.
    pub fn refresh(&mut self, runner: &Runner<'_>) {
        let states = runner.states();
        self.chrome.steps = runner
            .script
            .steps
            .iter()
            .zip(states)
            .map(|(s, state)| StepLine {
                title: view::safe(&s.title),
                state,
            })
            .collect();
        self.chrome.current = runner.next();
        if let Some(s) = runner.next().and_then(|i| runner.script.steps.get(i)) {
            let say = crate::script::substitute(&s.say, &runner.state.inputs)
                .unwrap_or_else(|_| s.say.clone());
            self.chrome.actor = view::safe(&s.actor);
            self.chrome.say = view::safe(&say);
        } else {
            self.chrome.actor.clear();
            self.chrome.say.clear();
        }
        let checked = runner
            .state
            .done
            .iter()
            .any(|o| matches!(o, Outcome::Airgap { ok: true, .. }));
        self.chrome.network = if runner.allow_network || runner.state.network_allowed {
            Network::Allowed
        } else if checked {
            Network::AirGapOk
        } else {
            Network::NotChecked
        };
        if let Ok(keys) = runner.ws.keys() {
            self.labels = keys.into_iter().map(|k| (k.id, k.label)).collect();
        }
        self.witnesses = runner
            .state
            .people
            .get("witness")
            .or_else(|| runner.state.people.get("witnesses"))
            .cloned()
            .unwrap_or_default();
    }

    /// Adds a line to the transcript shown, with the time.
    pub fn log(&mut self, line: &str) {
        let t = (self.clock)();
        self.chrome.push_log(&format!("{t} {line}"));
    }

    /// Draws `screen` now.
    pub fn draw(&mut self, screen: &Screen) -> Result<()> {
        let (chrome, help) = (&self.chrome, self.help);
        self.term
            .draw(|f| view::draw(f, chrome, screen, help))
            .map(|_| ())
            .map_err(|e| Error::input(format!("cannot draw on the terminal: {e}")))
    }

    /// Clears the whole terminal (between custodians).
    fn clear(&mut self) -> Result<()> {
        self.term
            .clear()
            .map_err(|e| Error::input(format!("cannot clear the terminal: {e}")))
    }

    /// Shows `screen` until a key press asks something of its owner.
    fn modal(&mut self, screen: &mut Screen) -> Result<Action> {
        (self.drain)();
        loop {
            self.draw(screen)?;
            let ev = (self.keys)()
                .map_err(|e| Error::input(format!("cannot read the keyboard: {e}")))?;
            let TermEvent::Key(k) = ev else {
                // A resize (or anything else) only redraws, at the new size.
                if let TermEvent::Resize(..) = ev {
                    let _ = self.term.autoresize();
                }
                continue;
            };
            if k.kind != KeyEventKind::Press {
                continue;
            }
            if self.help {
                self.help = false;
                continue;
            }
            match screen.key(k) {
                Action::None => {}
                Action::Help => self.help = true,
                Action::Leave => {
                    self.left = true;
                    return Err(Error::input("the ceremony was left with Ctrl-C")
                        .hint("the step in hand was not recorded; run the same command with -C DIR to resume"));
                }
                a => return Ok(a),
            }
        }
    }

    /// Shows `form` until it is submitted; Esc abandons the step. The
    /// screen shows "working" as soon as it is answered, so nothing of it
    /// (a custodian's share) stays up.
    fn form(&mut self, form: Form) -> Result<Form> {
        let mut s = Screen::Form(form);
        let a = self.modal(&mut s)?;
        self.draw(&Screen::Busy)?;
        match (a, s) {
            (Action::Submit, Screen::Form(f)) => Ok(f),
            _ => Err(cancelled()),
        }
    }

    /// The step screen: Enter runs the step, q pauses.
    pub fn step_screen(&mut self, failed: Option<String>) -> Result<Choice> {
        let mut s = Screen::Step { failed };
        loop {
            match self.modal(&mut s)? {
                Action::Submit => {
                    self.draw(&Screen::Busy)?;
                    return Ok(Choice::Run);
                }
                Action::Pause => return Ok(Choice::Pause),
                _ => {}
            }
        }
    }

    /// The end of the run; Enter leaves.
    pub fn done(&mut self, dir: &str, paused: bool) -> Result<()> {
        let mut s = Screen::Done {
            dir: dir.to_string(),
            paused,
        };
        if paused {
            return self.draw(&s);
        }
        loop {
            if let Action::Submit | Action::Cancel = self.modal(&mut s)? {
                return Ok(());
            }
        }
    }

    /// After an export or a signing request: the files written, and their
    /// QR frames (`r`), read back from disk so what is shown is what was
    /// written.
    pub fn exported(&mut self, outcome: &Outcome) -> Result<()> {
        let (form, read): (Form, ReadFiles) = match outcome {
            Outcome::Exported { out, files } => {
                let out = out.clone();
                (
                    forms::exported(&out, files),
                    Box::new(move || {
                        crate::ceremony::import::read_bundle(std::path::Path::new(&out))
                    }),
                )
            }
            Outcome::RequestWritten {
                version,
                file,
                keyholders,
                ..
            } => {
                let path = std::path::PathBuf::from(file);
                let words = self.request_words(&path);
                let form = forms::request_written(*version, file, &words, keyholders);
                (
                    form,
                    Box::new(move || {
                        let bytes = crate::transfer::input::read_file(
                            &path,
                            crate::transfer::input::Limit::Request,
                        )?;
                        let name = path
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_else(|| "request.json".into());
                        Ok(vec![(name, bytes)])
                    }),
                )
            }
            _ => return Ok(()),
        };
        let mut s = Screen::Notice(form);
        loop {
            match self.modal(&mut s)? {
                Action::Submit | Action::Cancel => return Ok(()),
                // `r`: the same files as QR frames, for a camera on the
                // other side; then back to this screen.
                Action::Pause => {
                    let files = read()?;
                    self.qr_frames(&files)?
                }
                _ => {}
            }
        }
    }

    /// The digest words of the request in `path`, as its file says.
    fn request_words(&self, path: &std::path::Path) -> String {
        crate::transfer::input::read_file(path, crate::transfer::input::Limit::Request)
            .ok()
            .and_then(|b| crate::transfer::request::Request::parse(&b).ok())
            .map(|r| r.words())
            .unwrap_or_default()
    }

    /// `files` as full-screen QR frames: ←/→ step, Space pauses, Enter or
    /// Esc goes back. The frames move on by themselves.
    fn qr_frames(&mut self, files: &[(String, Vec<u8>)]) -> Result<()> {
        let payload = crate::transfer::frames::pack(files)?;
        let size = self
            .term
            .size()
            .map_err(|e| Error::input(format!("cannot read the terminal size: {e}")))?;
        let mut qr = super::qr::QrCarousel::new(&payload, (size.width, size.height))?;
        if self.chrome.rehearsal {
            qr = qr.with_title("REHEARSAL");
        }
        let every = std::time::Duration::from_millis(900);
        loop {
            self.term
                .draw(|f| f.render_widget(&qr, f.area()))
                .map_err(|e| Error::input(format!("cannot draw on the terminal: {e}")))?;
            if !(self.poll)(every) {
                qr.tick();
                continue;
            }
            let ev = (self.keys)()
                .map_err(|e| Error::input(format!("cannot read the keyboard: {e}")))?;
            match ev {
                TermEvent::Resize(w, h) => {
                    let _ = self.term.autoresize();
                    // Too small a window keeps the frames it had and says so.
                    let _ = qr.resize((w, h));
                }
                TermEvent::Key(k) if k.kind == KeyEventKind::Press => {
                    use crossterm::event::{KeyCode, KeyModifiers};
                    if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
                        self.left = true;
                        return Err(Error::input("the ceremony was left with Ctrl-C"));
                    }
                    match k.code {
                        KeyCode::Right | KeyCode::Char('l') => qr.next(),
                        KeyCode::Left | KeyCode::Char('h') => qr.prev(),
                        KeyCode::Char(' ') => qr.toggle_pause(),
                        KeyCode::Enter | KeyCode::Esc | KeyCode::Char('q') => break,
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        self.clear()
    }

    fn label(&self, id: &str) -> String {
        self.labels
            .get(id)
            .cloned()
            .unwrap_or_else(|| crate::metadata::root::short(id))
    }

    fn first_witness(&self) -> String {
        self.witnesses.first().cloned().unwrap_or_default()
    }

    /// A read-back of `words` (their first four) in `form`, which has the
    /// witness and words fields, at most [`ATTEMPTS`] times; returns who
    /// read them. Each refusal is shown and written to the transcript.
    fn confirm_words(&mut self, mut form: Form, words: &str, what: &str) -> Result<String> {
        let want: Vec<&str> = words.split(' ').take(forms::READ_BACK_WORDS).collect();
        for attempt in 1..=ATTEMPTS {
            let mut f = self.form(form)?;
            let witness = f.value(0).trim().to_string();
            let typed: Vec<String> = f
                .value(1)
                .split_whitespace()
                .map(str::to_lowercase)
                .collect();
            if !witness.is_empty() && typed.iter().map(String::as_str).eq(want.iter().copied()) {
                return Ok(witness);
            }
            self.log(&format!(
                "read-back refused: {witness:?} typed {:?} for {what}",
                f.value(1)
            ));
            let _ = take(&mut f, 1);
            f.refused = Some(format!(
                "those are not the words on the screen: read them again (attempt {} of {ATTEMPTS})",
                attempt + 1
            ));
            form = f;
        }
        Err(Error::verification(format!(
            "{what}: the words were not read back after {ATTEMPTS} attempts"
        ))
        .hint("stop and find out why the words differ before going on"))
    }

    /// A passphrase from `form` (one field, or two to type it twice).
    fn passphrase(&mut self, mut form: Form) -> Result<Passphrase> {
        let twice = form.fields.len() > 1;
        // The engine refused the last one as weak and asks again.
        form.refused = self.weak_refused.take();
        loop {
            let mut f = self.form(form)?;
            let why = if f.value(0).is_empty() {
                Some("an empty passphrase")
            } else if twice && f.value(0) != f.value(1) {
                Some("the two passphrases differ: type both again")
            } else {
                None
            };
            match why {
                // Copied out of the field, which zeroizes its own buffer.
                None => return Ok(Passphrase::from(f.value(0))),
                Some(w) => {
                    // Both typed again; the values are zeroized, not kept.
                    for i in 0..2 {
                        if let Some(x) = f.fields.get_mut(i) {
                            zeroize::Zeroize::zeroize(&mut *x.value);
                        }
                    }
                    f.focus = 0;
                    f.refused = Some(w.into());
                    form = f;
                }
            }
        }
    }

    /// A line of text from the form's one field, not empty.
    fn text(&mut self, mut form: Form) -> Result<String> {
        loop {
            let mut f = self.form(form)?;
            let v = f.value(0).trim().to_string();
            if !v.is_empty() {
                return Ok(v);
            }
            f.refused = Some("nothing was typed".into());
            form = f;
        }
    }

    fn recipient(&mut self, name: &str) -> Result<String> {
        let mut form = forms::recipient(name);
        loop {
            let mut f = self.form(form)?;
            let by_age = matches!(f.choice, Some((_, _, 1)));
            let r = f.value(0).trim().to_string();
            if !by_age {
                return Ok("passphrase".into());
            }
            if r.starts_with("age1") && r.len() > 10 {
                return Ok(r);
            }
            f.refused = Some("an age recipient starts with age1".into());
            form = f;
        }
    }
}

impl<B: Backend> Passphrases for TuiUi<B> {
    fn unlock(&mut self, key: &KeyRecord) -> Result<Passphrase> {
        self.passphrase(forms::unlock(&key.display()))
    }

    fn new_key(&mut self, label: &str) -> Result<Passphrase> {
        self.passphrase(forms::new_passphrase(label))
    }

    fn custodian(&mut self, name: &str, new: bool) -> Result<Passphrase> {
        self.passphrase(forms::custodian(name, new))
    }

    /// A weak passphrase is asked for again on its form, with why: the
    /// step goes on (a run started with --weak-passphrase accepts it).
    fn ask_again(&mut self, why: &Error) -> bool {
        self.log(&format!("new passphrase refused: {}", why.reason()));
        self.weak_refused = Some(format!(
            "{}. Type a stronger one.",
            why.reason().trim_end_matches('.')
        ));
        true
    }
}

impl<B: Backend> Ui for TuiUi<B> {
    fn confirm(&mut self, preview: Preview<'_>) -> Result<Confirmation> {
        match preview {
            Preview::RootSign(p) => {
                let view = plan::SignView::of(p, &|id| self.label(id));
                let form = plan::root_sign_form(&view, &self.first_witness());
                let witness = self.confirm_words(form, &p.words, &preview.what())?;
                Ok(Confirmation::ReadBack { witness })
            }
            Preview::RequestSign { review, key } => {
                let f = Form::new(&format!("Sign root version {} as {key}", review.version))
                    .line(Tone::Plain, &format!("digest   {}", review.digest))
                    .pin(
                        Tone::Plain,
                        "The administrator reads the digest words aloud. Witness, type the first four.",
                    );
                let f = forms::read_back_fields(
                    forms::pin_words(f, &review.words, forms::READ_BACK_WORDS),
                    &self.first_witness(),
                );
                let witness = self.confirm_words(f, &review.words, &preview.what())?;
                Ok(Confirmation::ReadBack { witness })
            }
            Preview::DestroyKeyFile { key } | Preview::MarkLost { key, .. } => {
                let reason = match preview {
                    Preview::MarkLost { reason, .. } => reason,
                    _ => None,
                };
                let typed = self.text(forms::irreversible(&preview.what(), &key.label, reason))?;
                if typed != key.label {
                    return Err(
                        Error::input(format!("{} was not confirmed", preview.what()))
                            .hint("nothing was changed"),
                    );
                }
                Ok(Confirmation::AtTerminal)
            }
        }
    }

    fn event(&mut self, e: Event) {
        let line = match e {
            Event::Signed { key } => format!("signed with {key}"),
            Event::NotSigned { reason, .. } => format!("not signed: {reason}"),
            Event::Note(n) => n,
        };
        self.log(&line);
        // Progress shows as it happens; a failed draw shows at the next one.
        let _ = self.draw(&Screen::Busy);
    }
}

impl<B: Backend> RunUi for TuiUi<B> {
    fn ask(&mut self, ask: Ask<'_>) -> Result<Answer> {
        match ask {
            Ask::Input { name, prompt } => match name.strip_prefix("recipient of ") {
                Some(c) => self.recipient(c).map(Answer::Text),
                None => self.text(forms::input(name, prompt)).map(Answer::Text),
            },
            Ask::Names { role, duty } => {
                let names = self.text(forms::names(role, duty))?;
                Ok(Answer::List(split_list(&names)))
            }
            Ask::ReadBack {
                title,
                words,
                count,
                refused,
            } => {
                self.read_back_try = if refused.is_some() {
                    self.read_back_try + 1
                } else {
                    1
                };
                let mut f = forms::read_back(title, words, count, &self.first_witness());
                if let Some(r) = refused {
                    f.refused = Some(format!(
                        "{r} (attempt {} of {ATTEMPTS})",
                        self.read_back_try
                    ));
                }
                let mut f = self.form(f)?;
                Ok(Answer::ReadBack {
                    witness: f.value(0).trim().to_string(),
                    words: take(&mut f, 1),
                })
            }
            Ask::HandOut {
                custodian,
                index,
                total,
                threshold,
                set_id,
                files,
                refused,
                ..
            } => {
                if refused.is_none() {
                    // A new custodian: nothing of the last one stays up.
                    self.clear()?;
                    let mut s = Screen::Next {
                        name: custodian.to_string(),
                    };
                    loop {
                        match self.modal(&mut s)? {
                            Action::Submit => break,
                            Action::Cancel => return Err(cancelled()),
                            _ => {}
                        }
                    }
                }
                let mut f = forms::hand_out(&forms::HandOut {
                    custodian,
                    index,
                    total,
                    threshold,
                    set_id,
                    files,
                });
                f.refused = refused.map(str::to_string);
                let mut f = self.form(f)?;
                Ok(Answer::Text(take(&mut f, 0)))
            }
            Ask::SignedRequests { keyholders, from } => {
                let paths = self.text(forms::keyholders(keyholders, from))?;
                Ok(Answer::List(split_list(&paths)))
            }
            Ask::Shares { key, needed } => {
                let paths = self.text(forms::shares(key, needed))?;
                Ok(Answer::List(split_list(&paths)))
            }
        }
    }
}

/// Reads the files a notice screen shows as QR frames, from disk.
type ReadFiles = Box<dyn Fn() -> Result<Vec<(String, Vec<u8>)>>>;

/// `a, b, c` as a list, empty items dropped.
fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

//! The screens inside the frame: the step screen, forms (inputs, names,
//! read-backs, passphrases, choices), the interstitial between custodians
//! and the end of the run. Each is a plain value with a pure key handler,
//! so screens are drawn and driven in tests without a terminal.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use zeroize::Zeroizing;

use super::view::{Chrome, safe};

/// What a key press asks of the screen's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing beyond redrawing.
    None,
    /// The form is filled in (or, on the step screen, run the step).
    Submit,
    /// Leave the form: the step is abandoned and not recorded.
    Cancel,
    /// Pause the ceremony (step screen only).
    Pause,
    /// Ctrl-C: leave now.
    Leave,
    /// Show or hide the help overlay.
    Help,
}

/// How an information line is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Plain text, wrapped.
    Plain,
    /// A heading or a fact that matters.
    Strong,
    /// Words to read aloud.
    Words,
    /// A warning.
    Warn,
    /// Dimmed.
    Quiet,
}

/// The most bytes a passphrase field holds.
const SECRET_CAPACITY: usize = 1024;

/// Whether `c` may be typed into `f`: a secret never outgrows its buffer.
fn fits(f: &Field, c: char) -> bool {
    let limit = if f.masked { SECRET_CAPACITY } else { 4096 };
    f.value.len() + c.len_utf8() <= limit
}

/// One field of a form.
pub struct Field {
    /// Its label.
    pub label: String,
    /// What was typed; zeroized on drop (it may be a passphrase).
    pub value: Zeroizing<String>,
    /// Never shown: a passphrase.
    pub masked: bool,
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The value may be a secret: never in Debug.
        write!(
            f,
            "Field({:?}, {} chars)",
            self.label,
            self.value.chars().count()
        )
    }
}

impl Field {
    /// A visible field, optionally filled in already.
    pub fn text(label: &str, value: &str) -> Field {
        Field {
            label: label.into(),
            value: Zeroizing::new(value.into()),
            masked: false,
        }
    }

    /// A passphrase field.
    pub fn secret(label: &str) -> Field {
        Field {
            label: label.into(),
            // Room enough that typing never reallocates: a grown String
            // would leave the old buffer, unzeroized, on the heap.
            value: Zeroizing::new(String::with_capacity(SECRET_CAPACITY)),
            masked: true,
        }
    }
}

/// A form: lines to read, an optional choice, fields, and the last refusal.
#[derive(Debug, Default)]
pub struct Form {
    /// The form's heading.
    pub heading: String,
    /// What the form shows above its fields.
    pub info: Vec<(Tone, String)>,
    /// A choice between options (← →), shown before the fields.
    pub choice: Option<(String, Vec<String>, usize)>,
    /// The fields.
    pub fields: Vec<Field>,
    /// The focused field.
    pub focus: usize,
    /// Why the last answer was refused, with the attempt now.
    pub refused: Option<String>,
    /// Shown under the fields.
    pub footnote: Option<String>,
    /// Lines kept in view just above the fields, however little room
    /// there is (the words to read back).
    pub pinned: Vec<(Tone, String)>,
    /// Rows of the information scrolled past (PgUp / PgDn).
    pub scroll: u16,
}

impl Form {
    /// A form with a heading.
    pub fn new(heading: &str) -> Form {
        Form {
            heading: safe(heading),
            ..Form::default()
        }
    }

    /// Adds a line (made safe).
    pub fn line(mut self, tone: Tone, text: &str) -> Form {
        self.info.push((tone, safe(text)));
        self
    }

    /// Adds a line kept in view above the fields (made safe).
    pub fn pin(mut self, tone: Tone, text: &str) -> Form {
        self.pinned.push((tone, safe(text)));
        self
    }

    /// Adds a field.
    pub fn field(mut self, f: Field) -> Form {
        self.fields.push(f);
        self
    }

    /// The value of field `i` (empty when there is none).
    pub fn value(&self, i: usize) -> &str {
        self.fields.get(i).map(|f| f.value.as_str()).unwrap_or("")
    }

    fn key(&mut self, k: KeyEvent) -> Action {
        let n = self.fields.len();
        match k.code {
            KeyCode::Enter => {
                if self.focus + 1 < n && self.fields[self.focus + 1].value.is_empty() {
                    self.focus += 1;
                    Action::None
                } else {
                    Action::Submit
                }
            }
            KeyCode::Esc => Action::Cancel,
            KeyCode::F(1) => Action::Help,
            KeyCode::PageDown => {
                self.scroll = self.scroll.saturating_add(4);
                Action::None
            }
            KeyCode::PageUp => {
                self.scroll = self.scroll.saturating_sub(4);
                Action::None
            }
            KeyCode::Tab | KeyCode::Down if n > 0 => {
                self.focus = (self.focus + 1) % n;
                Action::None
            }
            KeyCode::BackTab | KeyCode::Up if n > 0 => {
                self.focus = (self.focus + n - 1) % n;
                Action::None
            }
            KeyCode::Left | KeyCode::Right => {
                if let Some((_, opts, sel)) = &mut self.choice
                    && !opts.is_empty()
                {
                    let m = opts.len();
                    *sel = if k.code == KeyCode::Left {
                        (*sel + m - 1) % m
                    } else {
                        (*sel + 1) % m
                    };
                }
                Action::None
            }
            KeyCode::Backspace => {
                if let Some(f) = self.fields.get_mut(self.focus) {
                    f.value.pop();
                }
                Action::None
            }
            KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                if let Some(f) = self.fields.get_mut(self.focus) {
                    f.value.clear();
                }
                Action::None
            }
            KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                if let Some(f) = self.fields.get_mut(self.focus)
                    && fits(f, c)
                {
                    f.value.push(c);
                }
                Action::None
            }
            _ => Action::None,
        }
    }

    fn draw(&self, f: &mut Frame<'_>, chrome: &Chrome, area: Rect) {
        // The heading and the step's instruction, one line each (cut at the
        // edge: the step screen showed the instruction in full).
        let head_rows = if area.height < 20 { 2 } else { 3 };
        let [top, area] =
            Layout::vertical([Constraint::Length(head_rows), Constraint::Min(1)]).areas(area);
        let head = vec![
            Line::styled(
                self.heading.clone(),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Line::styled(
                format!("{}: {}", capital(&chrome.actor), chrome.say),
                Style::default().fg(Color::Gray),
            ),
        ];
        f.render_widget(Paragraph::new(head), top);
        let mut bottom: Vec<Line<'static>> = Vec::new();
        for (tone, text) in &self.pinned {
            bottom.push(info_line(*tone, text));
        }
        if let Some((label, opts, sel)) = &self.choice {
            let mut spans = vec![Span::raw(format!("{label:<12}"))];
            for (i, o) in opts.iter().enumerate() {
                let st = if i == *sel {
                    Style::default().add_modifier(Modifier::REVERSED)
                } else {
                    Style::default()
                };
                spans.push(Span::styled(format!(" {} ", safe(o)), st));
                spans.push(Span::raw(" "));
            }
            bottom.push(Line::from(spans));
        }
        for (i, fld) in self.fields.iter().enumerate() {
            let shown = if fld.masked {
                "•".repeat(fld.value.chars().count().min(40))
            } else {
                safe(&fld.value)
            };
            let cursor = if i == self.focus { "▌" } else { "" };
            let st = if i == self.focus {
                Style::default().fg(Color::White)
            } else {
                Style::default().fg(Color::Gray)
            };
            bottom.push(Line::from(vec![
                Span::styled(format!("{:<12}", fld.label), st),
                Span::styled(format!("[ {shown}{cursor} ]"), st),
            ]));
        }
        if let Some(why) = &self.refused {
            bottom.push(Line::styled(
                format!("REFUSED: {}", safe(why)),
                Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            ));
        }
        if let Some(n) = &self.footnote {
            bottom.push(info_line(Tone::Quiet, n));
        }
        // The fields and what must stay in view take the bottom; the
        // information above is cut at its end when the terminal is small.
        let need = rows(&bottom, area.width).min(area.height);
        let [info, fields] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(need)]).areas(area);
        let lines: Vec<Line<'static>> = self
            .info
            .iter()
            .map(|(tone, text)| info_line(*tone, text))
            .collect();
        // What does not fit scrolls (PgDn), and the last row says so: a
        // witness must not confirm what she could not see.
        let total = rows(&lines, info.width);
        let (info, more) = if total > info.height && info.height > 1 {
            let [a, b] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(info);
            (a, Some(b))
        } else {
            (info, None)
        };
        let max = total.saturating_sub(info.height);
        let scroll = self.scroll.min(max);
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0)),
            info,
        );
        if let Some(m) = more {
            let below = max - scroll;
            let text = if below > 0 {
                format!("▼ {below} more rows: PgDn (PgUp goes back)")
            } else {
                "▲ PgUp for the rows above".to_string()
            };
            f.render_widget(
                Paragraph::new(Line::styled(
                    text,
                    Style::default()
                        .fg(Color::Yellow)
                        .add_modifier(Modifier::BOLD),
                )),
                m,
            );
        }
        f.render_widget(Paragraph::new(bottom).wrap(Wrap { trim: false }), fields);
    }
}

/// Rows `lines` take when wrapped at `width` (near enough: one cell a char).
fn rows(lines: &[Line<'_>], width: u16) -> u16 {
    let w = usize::from(width.max(1));
    let n: usize = lines.iter().map(|l| l.width().max(1).div_ceil(w)).sum();
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn info_line(tone: Tone, text: &str) -> Line<'static> {
    let st = match tone {
        Tone::Plain => Style::default(),
        Tone::Strong => Style::default().add_modifier(Modifier::BOLD),
        Tone::Words => Style::default()
            .fg(Color::LightCyan)
            .add_modifier(Modifier::BOLD),
        Tone::Warn => Style::default().fg(Color::Red),
        Tone::Quiet => Style::default().fg(Color::DarkGray),
    };
    Line::styled(text.to_string(), st)
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A screen inside the frame.
#[derive(Debug)]
pub enum Screen {
    /// The current step, waiting for Enter; the last failure, if any.
    Step {
        /// Why the last attempt at this step failed.
        failed: Option<String>,
    },
    /// The engine is working (key generation, signing).
    Busy,
    /// A form.
    Form(Form),
    /// Between custodians: the screen cleared, the next one called.
    Next {
        /// Who steps up.
        name: String,
    },
    /// Facts to look at, then Enter (an export's files).
    Notice(Form),
    /// The run is over.
    Done {
        /// The ceremony directory.
        dir: String,
        /// Paused rather than finished.
        paused: bool,
    },
}

impl Screen {
    /// Handles one key press.
    pub fn key(&mut self, k: KeyEvent) -> Action {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            return Action::Leave;
        }
        match self {
            Screen::Form(form) => form.key(k),
            Screen::Busy => Action::None,
            Screen::Step { .. } => match k.code {
                KeyCode::Enter => Action::Submit,
                KeyCode::Char('q') => Action::Pause,
                KeyCode::Char('?') | KeyCode::F(1) => Action::Help,
                _ => Action::None,
            },
            // `r` on a notice asks for its QR frames (an export's).
            Screen::Notice(_) if k.code == KeyCode::Char('r') => Action::Pause,
            Screen::Next { .. } | Screen::Notice(_) | Screen::Done { .. } => match k.code {
                KeyCode::Enter => Action::Submit,
                KeyCode::Char('?') | KeyCode::F(1) => Action::Help,
                KeyCode::Esc => Action::Cancel,
                _ => Action::None,
            },
        }
    }

    /// The key line under the frame.
    pub fn keys(&self) -> &'static str {
        match self {
            Screen::Step { .. } => "Enter carry out this step · ? help · q pause · Ctrl-C leave",
            Screen::Busy => "working…",
            Screen::Form(_) => {
                "Enter submit · Tab next field · PgDn more · Esc abandon the step · F1 help"
            }
            Screen::Next { .. } => "Enter when the custodian is at the screen · F1 help",
            Screen::Notice(_) => "Enter continue · ? help",
            Screen::Done { .. } => "Enter leave",
        }
    }

    /// Draws the screen into `area`, the body of the frame.
    pub fn draw(&self, f: &mut Frame<'_>, chrome: &Chrome, area: Rect) {
        match self {
            Screen::Form(form) | Screen::Notice(form) => form.draw(f, chrome, area),
            Screen::Step { failed } => {
                let mut lines = instruction(chrome);
                lines.push(Line::from(""));
                if let Some(why) = failed {
                    lines.push(Line::styled(
                        format!("The step failed: {}", safe(why)),
                        Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
                    ));
                    lines.push(Line::from(
                        "Nothing was recorded for it. Enter tries it again; q pauses.",
                    ));
                } else {
                    lines.push(Line::styled(
                        "Read the instruction aloud, then press Enter.",
                        Style::default().fg(Color::Gray),
                    ));
                }
                f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
            }
            Screen::Busy => {
                let mut lines = instruction(chrome);
                lines.push(Line::from(""));
                lines.push(Line::styled(
                    "Working… keys are slow to unlock on purpose.",
                    Style::default().fg(Color::Gray),
                ));
                f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
            }
            Screen::Next { name } => {
                let lines = vec![
                    Line::from(""),
                    Line::styled(
                        format!("Next: {}, step up.", safe(name)),
                        Style::default().add_modifier(Modifier::BOLD),
                    ),
                    Line::from(""),
                    Line::from("The screen was cleared. Everyone else: look away."),
                    Line::from("Press Enter when the custodian is at the screen."),
                ];
                f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
            }
            Screen::Done { dir, paused } => {
                let head = if *paused {
                    "The ceremony is paused."
                } else {
                    "The ceremony is complete."
                };
                let lines = vec![
                    Line::styled(head, Style::default().add_modifier(Modifier::BOLD)),
                    Line::from(""),
                    Line::from(format!("Its directory: {}", safe(dir))),
                    Line::from(if *paused {
                        "Run the same command with -C and this directory to resume."
                    } else {
                        "The transcript and exports are in it. Press Enter to leave."
                    }),
                ];
                f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
            }
        }
    }
}

/// The current step's title, actor and instruction.
fn instruction(chrome: &Chrome) -> Vec<Line<'static>> {
    let title = chrome
        .current
        .and_then(|i| chrome.steps.get(i))
        .map(|s| s.title.clone())
        .unwrap_or_default();
    vec![
        Line::styled(title, Style::default().add_modifier(Modifier::BOLD)),
        Line::from(""),
        Line::from(vec![
            Span::styled(
                format!("{}: ", capital(&chrome.actor)),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(chrome.say.clone()),
        ]),
    ]
}

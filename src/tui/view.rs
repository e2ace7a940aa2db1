//! The frame drawn around every screen, as a plain value: the script and its
//! scope, where the run stands, the badges (air gap, rehearsal), the step
//! list, the current instruction and the transcript so far. Drawing it needs
//! no terminal, so every screen can be drawn into a `TestBackend`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::screen::Screen;
use crate::ceremony::run::StepState;

/// What the frame says about the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// The air-gap check has not run yet.
    NotChecked,
    /// The air-gap check passed.
    AirGapOk,
    /// `--allow-network`: the ceremony goes on with a network.
    Allowed,
}

/// One line of the step list.
#[derive(Debug, Clone)]
pub struct StepLine {
    /// The step's short title.
    pub title: String,
    /// Done, current or to come.
    pub state: StepState,
}

/// Everything the frame shows, already made safe for the terminal.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The script's name (`initial-root`).
    pub script: String,
    /// `tuf`, or `notary <gun>`.
    pub scope: String,
    /// A rehearsal: a banner and a different border on every screen.
    pub rehearsal: bool,
    /// The network badge.
    pub network: Network,
    /// The steps.
    pub steps: Vec<StepLine>,
    /// The current step's index, if the run is not done.
    pub current: Option<usize>,
    /// Who acts in the current step.
    pub actor: String,
    /// What the administrator reads aloud, inputs substituted.
    pub say: String,
    /// The transcript so far, oldest first.
    pub log: Vec<String>,
}

impl Chrome {
    /// A frame with nothing in it yet, for `script`.
    pub fn new(script: &str, scope: &str, rehearsal: bool) -> Chrome {
        Chrome {
            script: safe(script),
            scope: safe(scope),
            rehearsal,
            network: Network::NotChecked,
            steps: Vec::new(),
            current: None,
            actor: String::new(),
            say: String::new(),
            log: Vec::new(),
        }
    }

    /// Adds a transcript line (made safe here).
    pub fn push_log(&mut self, line: &str) {
        self.log.push(safe(line));
    }
}

/// `s` as one line that cannot repaint the terminal: anything read from a
/// file or typed is hostile.
pub fn safe(s: &str) -> String {
    crate::text::printable(s).into_owned()
}

/// The border colour: yellow in a rehearsal, so it is never mistaken.
pub fn border_colour(rehearsal: bool) -> Color {
    if rehearsal {
        Color::Yellow
    } else {
        Color::Cyan
    }
}

/// Draws `screen` in the frame, and the help overlay over it when `help`.
pub fn draw(f: &mut Frame<'_>, chrome: &Chrome, screen: &Screen, help: bool) {
    let area = f.area();
    let border = Style::default().fg(border_colour(chrome.rehearsal));
    let n = chrome.steps.len();
    let where_ = match chrome.current {
        Some(i) => format!(" step {}/{n} ", i + 1),
        None => format!(" done {n}/{n} "),
    };
    let (badge, badge_style) = match chrome.network {
        Network::AirGapOk => (" AIR-GAP OK ", Style::default().fg(Color::Green)),
        Network::Allowed => (
            " NETWORK ALLOWED ",
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        ),
        Network::NotChecked => (" AIR-GAP NOT CHECKED ", Style::default()),
    };
    // Where the run stands on the top border, the badges on the bottom
    // one: at 80 columns a long GUN leaves no room for both.
    let mut badges = vec![Span::styled(badge, badge_style)];
    if chrome.rehearsal {
        badges.push(Span::styled(" REHEARSAL ", rehearsal_style()));
    }
    let outer = Block::bordered()
        .border_style(border)
        .title_top(Line::from(format!(" {} · {} ", chrome.script, chrome.scope)).left_aligned())
        .title_top(Line::from(Span::styled(where_, border)).right_aligned())
        .title_bottom(Line::from(badges).right_aligned());
    let inner = outer.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(outer, area);

    let log_rows: u16 = if inner.height >= 30 { 6 } else { 3 };
    let banner_rows: u16 = u16::from(chrome.rehearsal);
    let [banner, middle, rule, log, keys] = Layout::vertical([
        Constraint::Length(banner_rows),
        Constraint::Min(4),
        Constraint::Length(1),
        Constraint::Length(log_rows),
        Constraint::Length(1),
    ])
    .areas(inner);
    if chrome.rehearsal {
        f.render_widget(
            Paragraph::new(Line::from(
                "REHEARSAL — throwaway keys; nothing made here may be published",
            ))
            .centered()
            .style(rehearsal_style()),
            banner,
        );
    }
    let list_w = if middle.width >= 110 { 36 } else { 28 };
    let [list, body] =
        Layout::horizontal([Constraint::Length(list_w), Constraint::Min(20)]).areas(middle);
    draw_steps(f, chrome, list, border);
    let body = Rect {
        x: body.x + 1,
        width: body.width.saturating_sub(1),
        ..body
    };
    screen.draw(f, chrome, body);
    f.render_widget(
        Block::new().borders(Borders::TOP).border_style(border),
        rule,
    );
    let shown: Vec<Line<'_>> = chrome
        .log
        .iter()
        .skip(chrome.log.len().saturating_sub(usize::from(log_rows)))
        .map(|l| Line::from(l.as_str()))
        .collect();
    f.render_widget(Paragraph::new(shown), log);
    f.render_widget(
        Paragraph::new(Line::from(screen.keys())).style(Style::default().fg(Color::DarkGray)),
        keys,
    );
    if help {
        draw_help(f, area, border);
    }
}

/// `text` in at most `room` characters: cut, with "…", when longer.
fn fit(text: &str, room: usize) -> String {
    if text.chars().count() <= room {
        return text.to_string();
    }
    let mut t: String = text.chars().take(room.saturating_sub(1)).collect();
    t.push('…');
    t
}

fn rehearsal_style() -> Style {
    Style::default()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD)
}

/// The step list, scrolled so the current step stays in view.
fn draw_steps(f: &mut Frame<'_>, chrome: &Chrome, area: Rect, border: Style) {
    let rows = usize::from(area.height);
    let cur = chrome.current.unwrap_or(chrome.steps.len());
    let start = cur
        .saturating_sub(rows / 2)
        .min(chrome.steps.len().saturating_sub(rows));
    // The mark, the number and the right border take 6 columns; a title
    // longer than the rest ends in "…" (the body shows it whole).
    let room = usize::from(area.width).saturating_sub(6);
    let lines: Vec<Line<'_>> = chrome
        .steps
        .iter()
        .enumerate()
        .skip(start)
        .take(rows)
        .map(|(i, s)| {
            let (mark, style) = match s.state {
                StepState::Done => ("✓", Style::default().fg(Color::Green)),
                StepState::Current => ("▶", Style::default().add_modifier(Modifier::BOLD)),
                StepState::Pending => ("·", Style::default().fg(Color::DarkGray)),
            };
            Line::styled(
                format!("{mark} {:>2} {}", i + 1, fit(&s.title, room)),
                style,
            )
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(Block::new().borders(Borders::RIGHT).border_style(border)),
        area,
    );
}

fn draw_help(f: &mut Frame<'_>, area: Rect, border: Style) {
    let w = area.width.min(60);
    let h = area.height.min(15);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let text = vec![
        Line::from("Enter    carry out the step / submit the form"),
        Line::from("Tab ↓    next field        Shift-Tab ↑  previous field"),
        Line::from("← →      change a choice"),
        Line::from("Esc      leave the form: the step is not recorded"),
        Line::from("q        pause (on the step screen); run the same"),
        Line::from("         command with -C DIR to resume at this step"),
        Line::from("Ctrl-C   leave now; the step in hand is not recorded"),
        Line::from("? / F1   this help; any key closes it"),
        Line::from(""),
        Line::from("Passphrases are never shown; shares are handed out"),
        Line::from("one custodian per screen."),
    ];
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" help ").border_style(border)),
        r,
    );
}

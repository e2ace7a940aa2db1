//! QR frames shown full-screen in the terminal: a carousel of the frames
//! of one payload, each cut so that its QR code, drawn with half blocks
//! (two modules to a character cell's height, one to its width) inside a
//! light quiet zone, fits the area it is given. Today's fixed 400-byte
//! frames are 97 columns by about 50 rows and wrap at 80×24; these are
//! made for the terminal they are shown on, and made again on resize.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Widget;

use crate::error::Result;
use crate::transfer::{frames, qr};

/// Light modules drawn around each code (phones and `rqrr` need a margin
/// of light they can count on, whatever the terminal's own colours).
pub const QUIET: usize = 2;

/// Rows above the code: the frame counter.
pub const HEADER_ROWS: u16 = 1;

/// The style of the code's cells: dark modules black on white, so the
/// code reads the same on a dark or a light terminal theme.
pub const CODE_STYLE: Style = Style::new().fg(Color::Black).bg(Color::White);

/// The frames of one payload, the one shown, and whether it moves on by
/// itself.
#[derive(Debug, Clone)]
pub struct QrCarousel {
    payload: Vec<u8>,
    area: (u16, u16),
    texts: Vec<String>,
    codes: Vec<Vec<Vec<bool>>>,
    current: usize,
    paused: bool,
    title: String,
}

/// The widest QR code (in modules, quiet zone not counted) that fits an
/// area of `cols` × `rows` cells below the header.
pub fn modules_for(area: (u16, u16)) -> usize {
    let (cols, rows) = (usize::from(area.0), usize::from(area.1));
    let rows = rows.saturating_sub(usize::from(HEADER_ROWS));
    cols.min(2 * rows).saturating_sub(2 * QUIET)
}

/// Frames of `payload` cut to fit the terminal standard output is, with
/// `reserved` rows kept for text around each code; `None` when standard
/// output is not a terminal (the caller keeps its full-size frames).
pub fn terminal_frames(payload: &[u8], reserved: u16) -> Option<Result<Vec<String>>> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let (cols, rows) = crossterm::terminal::size().ok()?;
    let rows = rows.saturating_sub(reserved.saturating_sub(HEADER_ROWS));
    Some(frames::frames_fitting(payload, modules_for((cols, rows))))
}

impl QrCarousel {
    /// Cuts `payload` (a packed bundle, [`frames::pack`]) into frames whose
    /// codes fit `area` (columns, rows). Refused when the area is too
    /// small for any frame, or the payload needs more frames than a
    /// reader takes at that size.
    pub fn new(payload: &[u8], area: (u16, u16)) -> Result<Self> {
        let (texts, codes) = cut(payload, area)?;
        Ok(QrCarousel {
            payload: payload.to_vec(),
            area,
            texts,
            codes,
            current: 0,
            paused: false,
            title: String::new(),
        })
    }

    /// A word shown before the frame counter (`REHEARSAL`), escaped.
    pub fn with_title(mut self, title: &str) -> Self {
        self.title = crate::text::printable(title).chars().take(40).collect();
        self
    }

    /// The frames' texts, in order.
    pub fn frames(&self) -> &[String] {
        &self.texts
    }

    /// How many frames there are.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether there are no frames (never, once made).
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The frame shown, from 0.
    pub fn position(&self) -> usize {
        self.current
    }

    /// Shows frame `k` (from 0), if there is one.
    pub fn show(&mut self, k: usize) {
        if k < self.len() {
            self.current = k;
        }
    }

    /// The next frame (after the last, the first again).
    pub fn next(&mut self) {
        if !self.is_empty() {
            self.current = (self.current + 1) % self.len();
        }
    }

    /// The previous frame (before the first, the last).
    pub fn prev(&mut self) {
        if !self.is_empty() {
            self.current = (self.current + self.len() - 1) % self.len();
        }
    }

    /// One tick of the clock: the next frame, unless paused.
    pub fn tick(&mut self) {
        if !self.paused {
            self.next();
        }
    }

    /// Stops or restarts the automatic advance.
    pub fn toggle_pause(&mut self) {
        self.paused = !self.paused;
    }

    /// Whether the automatic advance is stopped.
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// The area the frames were cut for.
    pub fn area(&self) -> (u16, u16) {
        self.area
    }

    /// Cuts the frames again for a new area, from the first frame (frames
    /// of different sizes do not mix in a reader). When the new area is too
    /// small the old frames are kept and the widget asks for a larger
    /// window.
    pub fn resize(&mut self, area: (u16, u16)) -> Result<()> {
        if area == self.area {
            return Ok(());
        }
        self.area = area;
        let (texts, codes) = cut(&self.payload, area)?;
        self.texts = texts;
        self.codes = codes;
        self.current = 0;
        Ok(())
    }
}

type Cut = (Vec<String>, Vec<Vec<Vec<bool>>>);

fn cut(payload: &[u8], area: (u16, u16)) -> Result<Cut> {
    let texts = frames::frames_fitting(payload, modules_for(area))?;
    let codes = texts
        .iter()
        .map(|t| qr::modules(t.as_bytes()))
        .collect::<Result<Vec<_>>>()?;
    Ok((texts, codes))
}

/// The half block for a cell whose upper and lower modules are dark or not.
fn half_block(top: bool, bottom: bool) -> &'static str {
    match (top, bottom) {
        (true, true) => "█",
        (true, false) => "▀",
        (false, true) => "▄",
        (false, false) => " ",
    }
}

impl Widget for &QrCarousel {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Some(code) = self.codes.get(self.current) else {
            return;
        };
        let mut header = format!("frame {}/{}", self.current + 1, self.len());
        if !self.title.is_empty() {
            header = format!("{}  {header}", self.title);
        }
        if self.paused {
            header.push_str("  (paused)");
        }
        header.push_str("  ←/→ frame · space pause");
        buf.set_stringn(
            area.x,
            area.y,
            &header,
            usize::from(area.width),
            Style::new().add_modifier(Modifier::BOLD),
        );
        let side = code.len() + 2 * QUIET;
        let (cols, rows) = (side, side.div_ceil(2));
        let below = area.height.saturating_sub(HEADER_ROWS);
        if cols > usize::from(area.width) || rows > usize::from(below) {
            let msg = format!(
                "window too small for this frame: it needs {cols}×{} cells",
                rows + usize::from(HEADER_ROWS)
            );
            if area.height > HEADER_ROWS {
                buf.set_stringn(
                    area.x,
                    area.y + HEADER_ROWS,
                    &msg,
                    usize::from(area.width),
                    Style::new(),
                );
            }
            return;
        }
        let dark = |x: usize, y: usize| -> bool {
            x >= QUIET
                && y >= QUIET
                && code
                    .get(y - QUIET)
                    .and_then(|row| row.get(x - QUIET))
                    .copied()
                    .unwrap_or(false)
        };
        // Centred across, just below the header.
        let left = area.x + (area.width - cols as u16) / 2;
        let top = area.y + HEADER_ROWS;
        for r in 0..rows {
            for c in 0..cols {
                let cell = &mut buf[(left + c as u16, top + r as u16)];
                cell.set_symbol(half_block(dark(c, 2 * r), dark(c, 2 * r + 1)));
                cell.set_style(CODE_STYLE);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_fits_the_area_it_was_cut_for() -> Result<()> {
        let payload = frames::pack(&[("root.json".into(), vec![b'x'; 2500])])?;
        for area in [(80, 24), (120, 40), (60, 20)] {
            let c = QrCarousel::new(&payload, area)?;
            for t in c.frames() {
                assert!(qr::width(t.as_bytes())? <= modules_for(area));
            }
        }
        assert!(QrCarousel::new(&payload, (20, 8)).is_err());
        Ok(())
    }

    #[test]
    fn navigation_wraps_and_pause_stops_the_clock() -> Result<()> {
        let payload = frames::pack(&[("a".into(), vec![7u8; 600])])?;
        let mut c = QrCarousel::new(&payload, (80, 24))?;
        let n = c.len();
        assert!(n > 2);
        c.prev();
        assert_eq!(c.position(), n - 1);
        c.next();
        assert_eq!(c.position(), 0);
        c.tick();
        assert_eq!(c.position(), 1);
        c.toggle_pause();
        c.tick();
        assert_eq!(c.position(), 1);
        c.resize((120, 40))?;
        assert_eq!(c.position(), 0);
        assert!(c.len() < n, "larger codes, fewer frames");
        Ok(())
    }
}

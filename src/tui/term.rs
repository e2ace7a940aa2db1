//! The real terminal: raw mode and the alternate screen while the UI runs,
//! restored when the guard drops (a normal end, an error, Ctrl-C) and by
//! ratatui's panic hook when the process panics.

use std::io::IsTerminal;

use super::app::Keys;
use crate::error::{Error, Result};

/// Restores the terminal when dropped.
#[derive(Debug)]
pub struct Guard(());

impl Drop for Guard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Whether both stdin and stdout are a terminal.
pub fn available() -> bool {
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

/// Takes over the terminal; the guard gives it back.
pub fn start() -> Result<(ratatui::DefaultTerminal, Guard)> {
    if !available() {
        return Err(
            Error::input("`ceremony run` needs a terminal for its screens")
                .hint("give --answers FILE to run with no terminal (rehearsals, CI)"),
        );
    }
    // try_init installs a panic hook that restores the terminal first.
    let t = ratatui::try_init()
        .map_err(|e| Error::input(format!("cannot set up the terminal: {e}")))?;
    Ok((t, Guard(())))
}

/// Key presses and resizes from the terminal.
pub fn keys() -> Keys {
    Box::new(crossterm::event::read)
}

/// Whether a key (or resize) arrives within `d`; an error counts as one,
/// so the caller reads it and sees the error.
pub fn poll(d: std::time::Duration) -> bool {
    crossterm::event::poll(d).unwrap_or(true)
}

/// Drops key presses already waiting (typed while the engine worked).
pub fn drain() {
    while crossterm::event::poll(std::time::Duration::ZERO).unwrap_or(false) {
        if crossterm::event::read().is_err() {
            break;
        }
    }
}

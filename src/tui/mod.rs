//! The terminal UI. This branch holds only the QR carousel; the screens
//! come with the rest of the TUI.

pub mod qr;

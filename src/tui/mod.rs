//! The terminal UI of `ceremony run`: a thin front-end over the runner. The
//! frame and screens are plain values drawn by pure functions ([`view`],
//! [`screen`]), so each screen is tested in a `TestBackend`; [`TuiUi`] is
//! the [`RunUi`](crate::ceremony::step::RunUi) that runs one modal loop per
//! engine question; [`term`] owns the real terminal.

mod app;
pub mod forms;
pub mod plan;
pub mod qr;
pub mod screen;
pub mod term;
pub mod view;

pub use app::{Choice, Keys, TuiUi};

//! `ceremony`: offline root-key ceremonies for Notary / Docker Content Trust
//! and TUF 1.0.
//!
//! ```text
//!  key ──► metadata (notary | tuf) ──► signature ──► transfer (files)
//!   │              ▲                        │
//!   └──────────────┴── ceremony (the ceremony directory) ◄──┘
//!                             ▲
//!                            cli            (thin front-end)
//! ```
//!
//! Data flows one way: `key` knows nothing of TUF, `metadata` holds no
//! secrets and does no I/O, `signature` is where keys meet canonical bytes and
//! where whole repositories are verified, `ceremony` owns the ceremony
//! directory, and `cli` only collects input and shows outcomes.

#![forbid(unsafe_code)]

pub mod ceremony;
pub mod cli;
pub mod error;
pub mod key;
pub mod metadata;
pub mod script;
pub mod secret;
pub mod share;
pub mod signature;
pub mod text;
pub mod transfer;
pub mod tui;

pub use error::{Error, Result};

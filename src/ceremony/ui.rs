//! What the engine needs from a person, as one trait: secrets, confirmations
//! of a typed preview, and news of what happened. The command line, the
//! terminal UI and an answers file each implement it; no engine code reads
//! a terminal or prints.
//!
//! A step that changes the ceremony is first *planned* (a value that says
//! exactly what will happen, including the digest of what will be signed),
//! the plan is shown and confirmed through [`Ui::confirm`], and only then
//! committed; the commit refuses if what it would sign is no longer what the
//! plan showed.

use super::{KeyRecord, Passphrases};
use crate::ceremony::requests::Review;
use crate::ceremony::root::RootSignPlan;
use crate::error::Result;

/// What a person is asked to confirm, with everything shown to her.
#[derive(Debug, Clone, Copy)]
pub enum Preview<'a> {
    /// Signing a staged root.
    RootSign(&'a RootSignPlan),
    /// Signing a signing request at a holder's machine, as `key`.
    RequestSign {
        /// What the holder's tool derived from the request.
        review: &'a Review,
        /// The key ID she signs as.
        key: &'a str,
    },
    /// Destroying a key's encrypted file after a verified split.
    DestroyKeyFile {
        /// The key.
        key: &'a KeyRecord,
    },
    /// Marking a key lost, for ever.
    MarkLost {
        /// The key.
        key: &'a KeyRecord,
        /// The officer's reason.
        reason: Option<&'a str>,
    },
}

impl Preview<'_> {
    /// What is being confirmed, as a short phrase ("signing root version 3").
    pub fn what(&self) -> String {
        match self {
            Preview::RootSign(p) => format!("signing root version {}", p.version),
            Preview::RequestSign { review, .. } => {
                format!("signing the request for root version {}", review.version)
            }
            Preview::DestroyKeyFile { .. } => {
                "--only-shares (destroying the encrypted key file after the split)".into()
            }
            Preview::MarkLost { key, .. } => format!("marking key {} lost", key.display()),
        }
    }

    /// The words a witness reads back, when the preview has them.
    pub fn words(&self) -> Option<&str> {
        match self {
            Preview::RootSign(p) => Some(&p.words),
            Preview::RequestSign { review, .. } => Some(&review.words),
            Preview::DestroyKeyFile { .. } | Preview::MarkLost { .. } => None,
        }
    }
}

/// How a confirmation was given; recorded by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// The person at the terminal answered yes.
    AtTerminal,
    /// A witness read the preview's words back correctly.
    ReadBack {
        /// Who read them.
        witness: String,
    },
    /// `--yes` was given; nobody was asked.
    ByYesFlag,
    /// An answers file said yes (a rehearsal or a scripted run).
    ByAnswersFile,
}

impl Confirmation {
    /// A short phrase for records and narration.
    pub fn describe(&self) -> String {
        match self {
            Confirmation::AtTerminal => "confirmed at the terminal".into(),
            Confirmation::ReadBack { witness } => {
                format!("confirmed by {witness}, who read the words back")
            }
            Confirmation::ByYesFlag => "confirmed by --yes, no question asked".into(),
            Confirmation::ByAnswersFile => "confirmed by the answers file".into(),
        }
    }
}

/// Something that happened, for the front-end to show as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    /// A key signed.
    Signed {
        /// `label (id)` of the key.
        key: String,
    },
    /// A key that could have signed did not.
    NotSigned {
        /// `label (id)` of the key.
        key: String,
        /// Why.
        reason: String,
    },
    /// Anything else worth a line.
    Note(String),
}

/// What the engine asks of a person.
pub trait Ui: Passphrases {
    /// Shows `preview` and asks to go ahead. A refusal is an error that
    /// changes nothing.
    fn confirm(&mut self, preview: Preview<'_>) -> Result<Confirmation>;

    /// Tells the person what happened.
    fn event(&mut self, event: Event);
}

//! The typed step vocabulary: what a ceremony script's steps say to do,
//! and what each one did. A script deserializes into [`Step`]s; the runner
//! carries each out through [`Workspace`] and a [`RunUi`], and records the
//! [`Outcome`]. Outcomes hold public facts only (key IDs, set IDs, versions,
//! digests), so they can be shown, recorded and written to the transcript.

use serde::{Deserialize, Serialize};

use super::ui::Ui;
use crate::error::Result;

/// One thing a ceremony does. `do = "…"` in a script names the variant;
/// string fields may use `${input}` for the ceremony's inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Step {
    /// Refuse to go on while this machine is on a network.
    Airgap,
    /// Record who holds each role in the room.
    RollCall {
        /// The roles to call, as the script names them.
        roles: Vec<String>,
    },
    /// Take in a bundle from the online side (the server's keys).
    Import {
        /// The bundle folder, QR frame folder or file.
        path: String,
    },
    /// Take in the public half of a key made elsewhere (a keyholder's, at
    /// her own machine).
    ImportKey {
        /// The public key file (Notary key JSON, TUF key object, PEM).
        path: String,
        /// Its role.
        role: String,
        /// Its label here.
        label: String,
    },
    /// A witness reads back a key's fingerprint words.
    ReadBack {
        /// The key (label or ID).
        key: String,
    },
    /// Generate a key; its private half is stored age-encrypted.
    GenerateKey {
        /// root, targets, snapshot, timestamp or a delegation.
        role: String,
        /// The key's label.
        label: String,
        /// ed25519 or ecdsa-p256 (default: the dialect's).
        #[serde(default)]
        algorithm: Option<String>,
    },
    /// Split a key into shares for custodians (named at the roll call under
    /// the role `custodians`), then hand each her share.
    Split {
        /// The key.
        key: String,
        /// Shares needed.
        threshold: u8,
        /// Then destroy the key file: the key exists only as shares.
        #[serde(default)]
        only_shares: bool,
    },
    /// Custodians bring shares of a key (a threshold of its share set in
    /// use); it is recovered and split anew among the custodians of the roll
    /// call, each handed her share as in `split`, and the old set is marked
    /// superseded.
    Reissue {
        /// The key.
        key: String,
        /// Shares needed in the new set.
        threshold: u8,
    },
    /// Stage root version 1.
    RootInit {
        /// Root keys.
        root_keys: Vec<String>,
        /// Root threshold.
        #[serde(default)]
        threshold: Option<u64>,
        /// Targets key(s).
        targets_keys: Vec<String>,
        /// Snapshot key(s).
        snapshot_keys: Vec<String>,
        /// Timestamp key(s).
        timestamp_keys: Vec<String>,
        /// Expiry (duration or date).
        #[serde(default)]
        expires: Option<String>,
    },
    /// Stage the next root version.
    RootRotate {
        /// Root keys to add.
        #[serde(default)]
        add: Vec<String>,
        /// Root keys to remove.
        #[serde(default)]
        remove: Vec<String>,
        /// New root threshold.
        #[serde(default)]
        threshold: Option<u64>,
        /// Expiry (duration or date).
        #[serde(default)]
        expires: Option<String>,
    },
    /// Mark a key lost.
    MarkLost {
        /// The key.
        key: String,
        /// Why.
        #[serde(default)]
        reason: Option<String>,
    },
    /// Sign the staged root with the keys held here (or recovered from
    /// shares the custodians bring).
    SignRoot {
        /// Only these keys (default: every held root key).
        #[serde(default)]
        keys: Vec<String>,
        /// Custodians bring shares of this key to recover it for signing.
        #[serde(default)]
        from_shares_of: Option<String>,
    },
    /// Write a signing request for the staged root, for keyholders who
    /// sign at their own machines.
    RequestSignatures {
        /// The folder the request is written to.
        out: String,
    },
    /// Take back the keyholders' signed requests and merge their
    /// signatures; the run waits here until they are brought.
    CollectSignatures {
        /// The folder the signed copies are brought to.
        from: String,
    },
    /// Add a Docker signer: `targets/<name>` and `targets/releases`.
    AddSigner {
        /// The signer's name.
        name: String,
        /// Its key.
        key: String,
    },
    /// Sign targets (or a delegated role).
    SignTargets {
        /// A delegated role instead of targets.
        #[serde(default)]
        role: Option<String>,
    },
    /// Sign the snapshot.
    SignSnapshot,
    /// Sign the timestamp (TUF).
    SignTimestamp,
    /// Write the files to carry out.
    Export {
        /// A new or empty folder.
        out: String,
        /// Every file, not only those changed since the last export.
        #[serde(default)]
        all: bool,
        /// Also as QR frames: png or svg.
        #[serde(default)]
        qr: Option<String>,
    },
    /// Read an export back in and verify it as a client would.
    VerifyExport {
        /// The folder.
        path: String,
    },
    /// Close: sign the transcript with the root key(s) held here.
    Close,
}

impl Step {
    /// A short name for lists and records.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Airgap => "airgap",
            Step::RollCall { .. } => "roll-call",
            Step::Import { .. } => "import",
            Step::ImportKey { .. } => "import-key",
            Step::ReadBack { .. } => "read-back",
            Step::GenerateKey { .. } => "generate-key",
            Step::Split { .. } => "split",
            Step::Reissue { .. } => "reissue",
            Step::RootInit { .. } => "root-init",
            Step::RootRotate { .. } => "root-rotate",
            Step::MarkLost { .. } => "mark-lost",
            Step::SignRoot { .. } => "sign-root",
            Step::RequestSignatures { .. } => "request-signatures",
            Step::CollectSignatures { .. } => "collect-signatures",
            Step::AddSigner { .. } => "add-signer",
            Step::SignTargets { .. } => "sign-targets",
            Step::SignSnapshot => "sign-snapshot",
            Step::SignTimestamp => "sign-timestamp",
            Step::Export { .. } => "export",
            Step::VerifyExport { .. } => "verify-export",
            Step::Close => "close",
        }
    }
}

/// What a step did: public facts only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "did", rename_all = "kebab-case")]
pub enum Outcome {
    /// The air-gap check passed (or was overridden, said so).
    Airgap {
        /// No finding.
        ok: bool,
        /// Went on with `--allow-network`.
        allowed_anyway: bool,
        /// What was found.
        findings: Vec<String>,
    },
    /// Who holds which role.
    RollCall {
        /// (role, names).
        people: Vec<(String, Vec<String>)>,
    },
    /// Keys taken in, by label and ID.
    Imported {
        /// `label (id)` of each key.
        keys: Vec<String>,
    },
    /// A witness read the words back.
    ReadBack {
        /// The key.
        key: String,
        /// Who read them.
        witness: String,
        /// The words.
        words: String,
    },
    /// A key was generated.
    KeyGenerated {
        /// Its ID.
        id: String,
        /// Its label.
        label: String,
        /// Its role.
        role: String,
    },
    /// A key was split and handed out.
    Split {
        /// The share set.
        set_id: String,
        /// M.
        threshold: u8,
        /// Who received a share.
        custodians: Vec<String>,
        /// The key file was destroyed.
        only_shares: bool,
        /// The set this one supersedes (a reissue).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replaces: Option<String>,
    },
    /// A repository's root history made elsewhere became this ceremony's.
    RootAdopted {
        /// The versions taken in.
        versions: Vec<u64>,
        /// SHA-256 of the newest one's file.
        sha256: String,
    },
    /// A root was staged.
    RootStaged {
        /// Its version.
        version: u64,
    },
    /// A key was marked lost.
    MarkedLost {
        /// The key.
        key: String,
    },
    /// A root was signed.
    RootSigned {
        /// Its version.
        version: u64,
        /// Who signed now.
        signed_by: Vec<String>,
        /// Whether it joined the history.
        complete: bool,
        /// SHA-256 of the signed body.
        digest: String,
    },
    /// A signing request was written for keyholders elsewhere.
    RequestWritten {
        /// The staged version it asks to sign.
        version: u64,
        /// The file.
        file: String,
        /// SHA-256 of the file.
        sha256: String,
        /// SHA-256 of the body to sign.
        digest: String,
        /// Labels of the root keys not held here.
        keyholders: Vec<String>,
    },
    /// Keyholders' signed requests were taken back and merged.
    RequestsMerged {
        /// The staged version.
        version: u64,
        /// Each file read, with its SHA-256.
        files: Vec<(String, String)>,
        /// Labels of the keys whose signatures came in.
        signed_by: Vec<String>,
        /// Whether the root joined the history.
        complete: bool,
        /// SHA-256 of the signed body.
        digest: String,
    },
    /// A delegation was added.
    SignerAdded {
        /// The signer.
        name: String,
    },
    /// A role was signed.
    RoleSigned {
        /// The role.
        role: String,
        /// Its version.
        version: u64,
    },
    /// Files were exported.
    Exported {
        /// The folder.
        out: String,
        /// SHA-256 of each file written, by name.
        files: Vec<(String, String)>,
    },
    /// An export was read back and verified.
    Verified {
        /// The folder.
        path: String,
        /// Files judged trusted.
        files: usize,
    },
    /// The ceremony was closed and its transcript signed.
    Closed,
}

/// A question the runner asks the people in the room, beyond passphrases
/// and confirmations.
#[derive(Debug, Clone)]
pub enum Ask<'a> {
    /// A value for a ceremony input (`${name}`).
    Input {
        /// Its name.
        name: &'a str,
        /// What it is.
        prompt: &'a str,
    },
    /// The names of the people holding a role.
    Names {
        /// The role.
        role: &'a str,
        /// What the role does.
        duty: &'a str,
    },
    /// A witness types back the first `count` of `words`.
    ReadBack {
        /// What the words are of.
        title: &'a str,
        /// All the words, as shown.
        words: &'a str,
        /// How many to type.
        count: usize,
        /// Why the last attempt was refused, if it was.
        refused: Option<&'a str>,
    },
    /// A custodian takes her share and reads its check words back.
    HandOut {
        /// Her name.
        custodian: &'a str,
        /// Share k of n.
        index: u8,
        /// n.
        total: u8,
        /// M.
        threshold: u8,
        /// The set.
        set_id: &'a str,
        /// The share's files (sealed share, sheet, QR).
        files: &'a [String],
        /// The check words printed on her sheet.
        words: &'a str,
        /// Why the last attempt was refused, if it was.
        refused: Option<&'a str>,
    },
    /// Keyholders at other machines bring signed requests: the paths of
    /// the files or folders to read.
    SignedRequests {
        /// Who may sign and who has, by label.
        keyholders: &'a crate::ceremony::keyholders::Keyholders,
        /// The folder the script names for them.
        from: &'a str,
    },
    /// Custodians bring shares of a key: the paths of their share files.
    Shares {
        /// The key.
        key: &'a str,
        /// How many are needed.
        needed: u8,
    },
}

/// An answer to an [`Ask`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A line of text (an input value, read-back words).
    Text(String),
    /// A list (names, share file paths).
    List(Vec<String>),
    /// Read-back words and who read them.
    ReadBack {
        /// The witness.
        witness: String,
        /// What she typed.
        words: String,
    },
}

/// The [`Ui`] a ceremony run needs: the questions of [`Ask`] besides.
pub trait RunUi: Ui {
    /// Asks the room; an answer the caller cannot use is asked again by it.
    fn ask(&mut self, ask: Ask<'_>) -> Result<Answer>;
}

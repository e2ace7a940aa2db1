//! The one error type of the crate: a one-line reason, an optional hint for
//! what to do next, and a kind that decides the exit status.

use std::fmt;

/// What went wrong, as far as the exit status is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Metadata, a signature or a chain did not verify (exit 1).
    Verification,
    /// The input cannot be used: malformed file, wrong flag, wrong passphrase,
    /// a file that would be overwritten (exit 2).
    Input,
}

/// An error with a one-line reason and an optional hint.
#[derive(Debug, Clone)]
pub struct Error {
    kind: Kind,
    reason: String,
    hint: Option<String>,
}

/// Result with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Unusable input (exit 2).
    pub fn input(reason: impl Into<String>) -> Self {
        Error {
            kind: Kind::Input,
            reason: reason.into(),
            hint: None,
        }
    }

    /// Verification failed (exit 1).
    pub fn verification(reason: impl Into<String>) -> Self {
        Error {
            kind: Kind::Verification,
            reason: reason.into(),
            hint: None,
        }
    }

    /// Adds what to do next.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Prefixes the reason with where it happened (a file name, a key).
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.reason = format!("{what}: {}", self.reason);
        self
    }

    /// The kind, which decides the exit status.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The one-line reason.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// What to do next, when known.
    pub fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The process exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            Kind::Verification => 1,
            Kind::Input => 2,
        }
    }

    /// An I/O error on a path, as unusable input.
    pub fn io(path: &std::path::Path, err: std::io::Error) -> Self {
        Error::input(format!("{}: {err}", path.display()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Error {}

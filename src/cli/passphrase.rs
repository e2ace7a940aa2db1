//! Passphrases for the command line: `--passphrase-file`, then
//! `CEREMONY_PASSPHRASE`, then a prompt on the terminal.

use secrecy::ExposeSecret;
use std::path::PathBuf;
use zeroize::Zeroizing;

use crate::ceremony::{KeyRecord, Passphrases};
use crate::error::{Error, Result};
use crate::secret::Passphrase;

/// Where the CLI takes passphrases from.
pub struct CliPassphrases {
    file: Option<PathBuf>,
}

impl CliPassphrases {
    /// Uses `file` when given, else the environment, else a prompt.
    pub fn new(file: Option<PathBuf>) -> Self {
        CliPassphrases { file }
    }

    fn non_interactive(&self) -> Result<Option<Passphrase>> {
        if let Some(path) = &self.file {
            let raw = Zeroizing::new(std::fs::read(path).map_err(|e| Error::io(path, e))?);
            let text = std::str::from_utf8(&raw)
                .map_err(|_| Error::input("passphrase file is not UTF-8"))?;
            // The first line, without its line ending.
            let line = text.split('\n').next().unwrap_or("").trim_end_matches('\r');
            if line.is_empty() {
                return Err(Error::input(format!(
                    "{}: empty passphrase",
                    path.display()
                )));
            }
            return Ok(Some(Passphrase::from(line.to_string())));
        }
        if let Ok(v) = std::env::var("CEREMONY_PASSPHRASE") {
            let v = Zeroizing::new(v);
            if v.is_empty() {
                return Err(Error::input("CEREMONY_PASSPHRASE is set but empty"));
            }
            return Ok(Some(Passphrase::from(v.to_string())));
        }
        Ok(None)
    }

    fn prompt(text: &str) -> Result<Passphrase> {
        let p = rpassword::prompt_password(text).map_err(|e| {
            Error::input(format!("cannot read a passphrase from the terminal: {e}"))
                .hint("pass --passphrase-file FILE or set CEREMONY_PASSPHRASE")
        })?;
        let p = Passphrase::from(p);
        if p.expose_secret().is_empty() {
            return Err(Error::input("empty passphrase"));
        }
        Ok(p)
    }
}

impl Passphrases for CliPassphrases {
    fn unlock(&mut self, key: &KeyRecord) -> Result<Passphrase> {
        match self.non_interactive()? {
            Some(p) => Ok(p),
            None => Self::prompt(&format!(
                "Passphrase for {} key {}: ",
                key.role,
                key.display()
            )),
        }
    }

    fn new_key(&mut self, label: &str) -> Result<Passphrase> {
        if let Some(p) = self.non_interactive()? {
            return Ok(p);
        }
        let a = Self::prompt(&format!("New passphrase for key {label}: "))?;
        let b = Self::prompt("Repeat it: ")?;
        if a.expose_secret() != b.expose_secret() {
            return Err(Error::input("the two passphrases differ"));
        }
        Ok(a)
    }
}

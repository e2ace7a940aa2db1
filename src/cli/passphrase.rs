//! Passphrases for the command line: `--passphrase-file`, then
//! `CEREMONY_PASSPHRASE`, then a prompt on the terminal.

use secrecy::ExposeSecret;
use std::path::PathBuf;

use crate::ceremony::{KeyRecord, Passphrases};
use crate::error::{Error, Result};
use crate::secret::Passphrase;

/// Where the CLI takes passphrases from.
pub struct CliPassphrases {
    file: Option<PathBuf>,
    custodians: Vec<(String, PathBuf)>,
}

impl CliPassphrases {
    /// Uses `file` when given, else the environment, else a prompt.
    pub fn new(file: Option<PathBuf>) -> Self {
        CliPassphrases {
            file,
            custodians: Vec::new(),
        }
    }

    /// Adds `NAME=FILE` custodian passphrase files.
    pub fn with_custodian_files(mut self, specs: &[String]) -> Result<Self> {
        for s in specs {
            let (name, file) = s
                .split_once('=')
                .ok_or_else(|| Error::input(format!("{s:?} is not NAME=FILE")))?;
            self.custodians
                .push((name.to_string(), PathBuf::from(file)));
        }
        Ok(self)
    }

    /// The passphrase of a key file outside any ceremony directory.
    pub fn for_file(&self, file: &std::path::Path) -> Result<Passphrase> {
        match self.non_interactive()? {
            Some(p) => Ok(p),
            None => Self::prompt(&format!("Passphrase for key file {}: ", file.display())),
        }
    }

    fn non_interactive(&self) -> Result<Option<Passphrase>> {
        if let Some(path) = &self.file {
            return read_first_line(path).map(Some);
        }
        if let Some(v) = crate::secret::env::get("CEREMONY_PASSPHRASE") {
            if v.expose_secret().is_empty() {
                return Err(Error::input("CEREMONY_PASSPHRASE is set but empty"));
            }
            return Ok(Some(v));
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

/// The first line of a passphrase file, without its line ending.
fn read_first_line(path: &std::path::Path) -> Result<Passphrase> {
    let raw =
        crate::transfer::input::read_secret_file(path, crate::transfer::input::Limit::Passphrase)?;
    let text =
        std::str::from_utf8(&raw).map_err(|_| Error::input("passphrase file is not UTF-8"))?;
    let line = text.split('\n').next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        return Err(Error::input(format!(
            "{}: empty passphrase",
            path.display()
        )));
    }
    Ok(Passphrase::from(line.to_string()))
}

/// The passphrase protecting an exported Notary key file: from `file`, else
/// the variable notary itself reads for that role (`NOTARY_ROOT_PASSPHRASE`,
/// `NOTARY_TARGETS_PASSPHRASE`, `NOTARY_SNAPSHOT_PASSPHRASE`,
/// `NOTARY_DELEGATION_PASSPHRASE`), else typed twice.
pub fn export_passphrase(file: Option<&std::path::Path>, role: &str) -> Result<Passphrase> {
    let var = match role {
        "root" => "NOTARY_ROOT_PASSPHRASE",
        "targets" => "NOTARY_TARGETS_PASSPHRASE",
        "snapshot" => "NOTARY_SNAPSHOT_PASSPHRASE",
        _ => "NOTARY_DELEGATION_PASSPHRASE",
    };
    let from_env = crate::secret::env::get(var).filter(|v| !v.expose_secret().is_empty());
    match (file, from_env) {
        (Some(f), _) => read_first_line(f),
        (None, Some(p)) => Ok(p),
        (None, None) => {
            let a = CliPassphrases::prompt("Passphrase for the Notary key file: ")?;
            let b = CliPassphrases::prompt("Repeat it: ")?;
            if a.expose_secret() != b.expose_secret() {
                return Err(Error::input("the two passphrases differ"));
            }
            Ok(a)
        }
    }
}

impl CliPassphrases {
    fn custodian_passphrase(&mut self, name: &str, new: bool) -> Result<Passphrase> {
        if let Some((_, f)) = self.custodians.iter().find(|(n, _)| n == name) {
            return read_first_line(f);
        }
        let a = Self::prompt(&format!("Passphrase of custodian {name}: "))?;
        if new {
            let b = Self::prompt("Repeat it: ")?;
            if a.expose_secret() != b.expose_secret() {
                return Err(Error::input("the two passphrases differ"));
            }
        }
        Ok(a)
    }
}

impl Passphrases for CliPassphrases {
    fn custodian(&mut self, name: &str, new: bool) -> Result<Passphrase> {
        self.custodian_passphrase(name, new)
    }

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

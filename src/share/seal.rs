//! Sealing a share to its custodian with age: to an X25519 recipient
//! (`age1…`) or to a passphrase the custodian chose. The armored result is
//! what the custodian keeps; `age -d` opens it without this tool.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::secret::{Passphrase, SecretBytes};

/// Whom a share is sealed to.
pub enum Custodian {
    /// An age X25519 public key.
    X25519(age::x25519::Recipient),
    /// A passphrase (scrypt).
    Passphrase(Passphrase),
}

impl Custodian {
    /// Reads an `age1…` recipient.
    pub fn parse_recipient(s: &str) -> Result<Self> {
        s.parse::<age::x25519::Recipient>()
            .map(Custodian::X25519)
            .map_err(|e| {
                Error::input(format!("{s:?} is not an age X25519 recipient: {e}"))
                    .hint("an age recipient looks like age1… (from age-keygen -y)")
            })
    }

    /// What the manifest records: the recipient, or `passphrase`.
    pub fn describe(&self) -> String {
        match self {
            Custodian::X25519(r) => r.to_string(),
            Custodian::Passphrase(_) => "passphrase".into(),
        }
    }
}

/// Encrypts `plain` to the custodian, ASCII-armored.
pub fn seal(plain: &[u8], to: &Custodian) -> Result<Vec<u8>> {
    let fail = |e: &dyn std::fmt::Display| Error::input(format!("cannot seal share: {e}"));
    let scrypt;
    let recipient: &dyn age::Recipient = match to {
        Custodian::X25519(r) => r,
        Custodian::Passphrase(p) => {
            scrypt = crate::key::scrypt::recipient(p);
            &scrypt
        }
    };
    let enc = age::Encryptor::with_recipients(std::iter::once(recipient)).map_err(|e| fail(&e))?;
    let mut out = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(|e| fail(&e))?;
    let mut w = enc.wrap_output(armor).map_err(|e| fail(&e))?;
    w.write_all(plain)
        .and_then(|_| w.finish())
        .and_then(|a| a.finish())
        .map_err(|e| fail(&e))?;
    Ok(out)
}

/// Whether an age file is sealed to a passphrase (else to recipients).
pub fn needs_passphrase(file: &[u8]) -> Result<bool> {
    let d = age::Decryptor::new(age::armor::ArmoredReader::new(file))
        .map_err(|e| Error::input(format!("not an age file: {e}")))?;
    Ok(d.is_scrypt())
}

/// Reads age identity files (`age-keygen` output).
pub fn load_identities(paths: &[std::path::PathBuf]) -> Result<Vec<Box<dyn age::Identity>>> {
    let mut out: Vec<Box<dyn age::Identity>> = Vec::new();
    for p in paths {
        let bytes =
            crate::transfer::input::read_secret_file(p, crate::transfer::input::Limit::Small)?;
        let f = age::IdentityFile::from_buffer(bytes.as_slice()).map_err(|e| Error::io(p, e))?;
        let ids = f
            .into_identities()
            .map_err(|e| Error::input(format!("{}: not an age identity file: {e}", p.display())))?;
        for i in ids {
            out.push(i);
        }
    }
    Ok(out)
}

/// Decrypts a sealed share with identities, or with `passphrase` when it
/// was sealed to one.
pub fn open(
    file: &[u8],
    identities: &[Box<dyn age::Identity>],
    passphrase: Option<&Passphrase>,
    what: &Path,
) -> Result<SecretBytes> {
    let d = age::Decryptor::new(age::armor::ArmoredReader::new(file))
        .map_err(|e| Error::input(format!("{}: not an age file: {e}", what.display())))?;
    let scrypt;
    let mut reader = if d.is_scrypt() {
        let p = passphrase
            .ok_or_else(|| Error::input(format!("{} is sealed to a passphrase", what.display())))?;
        scrypt = crate::key::scrypt::identity(p);
        d.decrypt(std::iter::once(&scrypt as &dyn age::Identity))
    } else {
        d.decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
    }
    .map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => Error::input(format!(
            "{}: none of the given identities opens it",
            what.display()
        ))
        .hint("pass the custodian's identity with --identity FILE"),
        age::DecryptError::DecryptionFailed => Error::input(format!(
            "{}: wrong passphrase or damaged file",
            what.display()
        )),
        age::DecryptError::ExcessiveWork { required, .. } => {
            crate::key::scrypt::excessive_work(required, &what.display().to_string())
        }
        other => Error::input(format!("{}: cannot decrypt: {other}", what.display())),
    })?;
    // The plaintext is shorter than the armored file holding it.
    SecretBytes::read_within(&mut reader, file.len()).map_err(|_| {
        Error::input(format!(
            "{}: the encrypted share is damaged",
            what.display()
        ))
    })
}

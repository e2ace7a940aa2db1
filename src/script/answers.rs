//! An answers file: a [`RunUi`] with no terminal, for rehearsals and CI.
//! It answers every question of a ceremony script from a TOML file, prints
//! what a screen would show to stderr, and confirms as "the answers file".
//!
//! ```toml
//! [inputs]          # values of the script's ${inputs}
//! out = "/tmp/export"
//! [people]          # the roll call
//! operator = ["otto"]
//! witness = ["wendy"]
//! custodians = ["ann", "ben", "cat"]
//! [recipients]      # each custodian's age recipient, or "passphrase"
//! ann = "age1…"
//! [passphrases]
//! keys = "…"        # every key's passphrase (new keys and unlocking)
//! weak = true       # accept new ones below zxcvbn score 3 (recorded)
//! [passphrases.custodians]
//! ben = "…"
//! [shares]          # share files custodians bring, by key label
//! root-1 = ["shares/…/ann.share.age", "…"]
//! [witness]
//! name = "wendy"
//! read_back = "as-shown"   # or "wrong-first": one wrong read-back, then right
//! [hand_out]
//! wrong = ["ben"]          # custodians whose sheet words never match (rehearsing a mix-up)
//! ```
//!
//! Passphrases in a file are for rehearsals: a real ceremony types them.

use serde::Deserialize;
use std::collections::BTreeMap;

use crate::ceremony::step::{Answer, Ask, RunUi};
use crate::ceremony::ui::{Confirmation, Event, Preview, Ui};
use crate::ceremony::{KeyRecord, Passphrases};
use crate::error::{Error, Result};
use crate::secret::{ExposeSecret, Passphrase};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Secrets {
    #[serde(default)]
    keys: Option<Passphrase>,
    #[serde(default)]
    custodians: BTreeMap<String, Passphrase>,
    /// Accept new passphrases below the strength rule (`--weak-passphrase`).
    #[serde(default)]
    weak: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Witness {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    read_back: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HandOut {
    /// Custodians who never read their sheet's words right (a sheet mix-up).
    #[serde(default)]
    wrong: Vec<String>,
}

/// The parsed file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    inputs: BTreeMap<String, String>,
    #[serde(default)]
    people: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    recipients: BTreeMap<String, String>,
    #[serde(default)]
    passphrases: Secrets,
    #[serde(default)]
    shares: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    witness: Witness,
    #[serde(default)]
    hand_out: HandOut,
}

/// A [`RunUi`] answering from a file.
pub struct Answers {
    file: File,
    wrong_given: bool,
    /// What was shown, in order: the headless screen.
    pub shown: Vec<String>,
}

impl std::fmt::Debug for Answers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Answers(…)")
    }
}

impl Answers {
    /// Reads an answers file.
    pub fn parse(text: &str) -> Result<Answers> {
        let file: File = toml::from_str(text)
            .map_err(|e| super::check::toml_error("not an answers file", text, &e))?;
        // Refused here, before a ceremony directory is made or changed.
        for (name, v) in &file.inputs {
            super::check::value(name, v)?;
        }
        for (role, names) in &file.people {
            super::check::people(role, names)?;
        }
        // As on the command line: a key or share is never sealed with an
        // empty passphrase, whatever a file handed over says.
        let empty = |p: &Passphrase| p.expose_secret().is_empty();
        if file.passphrases.keys.as_ref().is_some_and(empty) {
            return Err(Error::input("passphrases.keys is empty"));
        }
        if let Some((name, _)) = file.passphrases.custodians.iter().find(|(_, p)| empty(p)) {
            return Err(Error::input(format!(
                "passphrases.custodians.{} is empty",
                crate::text::printable(name)
            )));
        }
        for (key, files) in &file.shares {
            super::check::share_files(key, files)?;
        }
        // An empty witness name stays allowed: it rehearses a read-back
        // the runner refuses.
        if let Some(w) = file.witness.name.as_ref().filter(|w| !w.is_empty()) {
            super::check::person("witness.name", w)?;
        }
        if let Some(m) = &file.witness.read_back
            && m != "as-shown"
            && m != "wrong-first"
        {
            return Err(Error::input(format!(
                "witness.read_back = {m:?}: use as-shown or wrong-first"
            )));
        }
        Ok(Answers {
            file,
            wrong_given: false,
            shown: Vec::new(),
        })
    }

    /// Whether the file accepts weak new passphrases
    /// (`[passphrases] weak = true`, as `--weak-passphrase`).
    pub fn weak_passphrases(&self) -> bool {
        self.file.passphrases.weak
    }

    /// The inputs the file gives.
    pub fn inputs(&self) -> BTreeMap<String, String> {
        self.file.inputs.clone()
    }

    fn show(&mut self, line: String) {
        crate::errln!("{line}");
        self.shown.push(line);
    }

    fn key_passphrase(&self, what: &str) -> Result<Passphrase> {
        self.file.passphrases.keys.as_ref().cloned().ok_or_else(|| {
            Error::input(format!(
                "the answers file has no passphrases.keys for {what}"
            ))
        })
    }
}

impl Passphrases for Answers {
    fn unlock(&mut self, key: &KeyRecord) -> Result<Passphrase> {
        self.key_passphrase(&key.label)
    }
    fn new_key(&mut self, label: &str) -> Result<Passphrase> {
        self.key_passphrase(label)
    }
    fn custodian(&mut self, name: &str, _new: bool) -> Result<Passphrase> {
        self.file
            .passphrases
            .custodians
            .get(name)
            .cloned()
            .ok_or_else(|| {
                Error::input(format!(
                    "the answers file has no passphrases.custodians.{name}"
                ))
            })
    }
}

impl Ui for Answers {
    fn confirm(&mut self, p: Preview<'_>) -> Result<Confirmation> {
        self.show(format!("confirm: {}", p.what()));
        if let Some(w) = p.words() {
            self.show(format!("  words: {w}"));
        }
        Ok(Confirmation::ByAnswersFile)
    }

    fn event(&mut self, e: Event) {
        let line = match e {
            Event::Signed { key } => format!("signed with {key}"),
            Event::NotSigned { reason, .. } => format!("not signed: {reason}"),
            Event::Note(n) => n,
        };
        self.show(line);
    }
}

impl RunUi for Answers {
    fn ask(&mut self, ask: Ask<'_>) -> Result<Answer> {
        match ask {
            Ask::Input { name, .. } => {
                if let Some(c) = name.strip_prefix("recipient of ") {
                    return self
                        .file
                        .recipients
                        .get(c)
                        .cloned()
                        .map(Answer::Text)
                        .ok_or_else(|| {
                            Error::input(format!("the answers file has no recipients.{c}"))
                        });
                }
                self.file
                    .inputs
                    .get(name)
                    .cloned()
                    .map(Answer::Text)
                    .ok_or_else(|| Error::input(format!("the answers file has no inputs.{name}")))
            }
            Ask::Names { role, .. } => {
                let names = self.file.people.get(role).cloned().ok_or_else(|| {
                    Error::input(format!("the answers file has no people.{role}"))
                })?;
                self.show(format!("roll call: {role}: {}", names.join(", ")));
                Ok(Answer::List(names))
            }
            Ask::ReadBack {
                title,
                words,
                count,
                refused,
            } => {
                self.show(format!("read back {title}: {words}"));
                if let Some(r) = refused {
                    self.show(format!("  refused: {r}"));
                }
                let witness = self
                    .file
                    .witness
                    .name
                    .clone()
                    .unwrap_or_else(|| "witness".into());
                let wrong_first = self.file.witness.read_back.as_deref() == Some("wrong-first");
                let typed: Vec<&str> = words.split(' ').take(count).collect();
                let words = if wrong_first && !self.wrong_given {
                    self.wrong_given = true;
                    typed.iter().rev().copied().collect::<Vec<_>>().join(" ")
                } else {
                    typed.join(" ")
                };
                Ok(Answer::ReadBack { witness, words })
            }
            Ask::HandOut {
                custodian,
                index,
                total,
                words,
                ..
            } => {
                self.show(format!(
                    "share {index} of {total} for {custodian}: check words {words}"
                ));
                if self.file.hand_out.wrong.iter().any(|c| c == custodian) {
                    let wrong: Vec<&str> = words.split(' ').rev().collect();
                    return Ok(Answer::Text(wrong.join(" ")));
                }
                Ok(Answer::Text(words.to_string()))
            }
            Ask::SignedRequests { keyholders, from } => {
                for l in keyholders.lines() {
                    self.show(l);
                }
                // The folder the script names is where the copies come.
                Ok(Answer::List(vec![from.to_string()]))
            }
            Ask::Shares { key, .. } => self
                .file
                .shares
                .get(key)
                .cloned()
                .map(Answer::List)
                .ok_or_else(|| Error::input(format!("the answers file has no shares.{key}"))),
        }
    }
}

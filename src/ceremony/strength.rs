//! New passphrases are judged with zxcvbn before anything is sealed with
//! them: a key's passphrase when it is generated or stored again, a
//! custodian's share passphrase, a Notary key file's export passphrase.
//! Every one of them passes through [`Workspace::new_passphrase`] or
//! [`Workspace::check_new_passphrase`], so no front-end can skip the rule.
//! Below [`MIN_SCORE`] one is refused unless the front-end allowed weak
//! passphrases (`--weak-passphrase`, an answers file's
//! `[passphrases] weak = true`); then the fact, never the passphrase, is
//! recorded with the change it protects. Unlocking is never judged: an old
//! key must stay usable.

use secrecy::ExposeSecret;

use super::transcript::Record;
use super::{Passphrases, Workspace};
use crate::error::{Error, Result};
use crate::secret::Passphrase;

/// The lowest zxcvbn score (0–4) a new passphrase may have: 3 is "safely
/// unguessable" (about 10^10 guesses), what zxcvbn itself calls enough.
pub const MIN_SCORE: u8 = 3;

/// What a new passphrase protects, as refusals and the transcript name it.
#[derive(Debug, Clone, Copy)]
pub enum NewPassphrase<'a> {
    /// The key file of key `label` (of `role`) in the ceremony directory.
    Key {
        /// The key's label.
        label: &'a str,
        /// Its role.
        role: &'a str,
    },
    /// Custodian `name`'s share of key `key` (its label).
    Custodian {
        /// The custodian.
        name: &'a str,
        /// The label of the key split.
        key: &'a str,
    },
    /// A Notary key file exported for key `label`.
    Export {
        /// The key's label.
        label: &'a str,
        /// Its role.
        role: &'a str,
    },
}

impl NewPassphrase<'_> {
    /// What it protects, in words ("key root-1").
    pub fn what(&self) -> String {
        match self {
            NewPassphrase::Key { label, .. } => format!("key {label}"),
            NewPassphrase::Custodian { name, key } => format!("{name}'s share of key {key}"),
            NewPassphrase::Export { label, .. } => format!("the Notary key file of {label}"),
        }
    }

    /// Words a guesser would try first: the names around the passphrase.
    fn inputs(&self) -> Vec<&str> {
        match *self {
            NewPassphrase::Key { label, role } | NewPassphrase::Export { label, role } => {
                vec![label, role]
            }
            NewPassphrase::Custodian { name, key } => vec![name, key],
        }
    }
}

/// A passphrase's zxcvbn score (0–4) and zxcvbn's warning, if any, with
/// `inputs` counted as guessable.
pub fn score(pass: &Passphrase, inputs: &[&str]) -> (u8, Option<String>) {
    let e = zxcvbn::zxcvbn(pass.expose_secret(), inputs);
    let warning = e
        .feedback()
        .and_then(|f| f.warning())
        .map(|w| w.to_string());
    (u8::from(e.score()), warning)
}

/// The refusal of a weak passphrase: one line with the score and zxcvbn's
/// warning, the hint naming the way round it.
fn refusal(what: &str, score: u8, warning: Option<&str>) -> Error {
    let why = warning.map(|w| format!(": {w}")).unwrap_or_default();
    Error::input(format!(
        "the new passphrase for {what} is too weak (zxcvbn score {score} of 4, at least {MIN_SCORE} needed){why}"
    ))
    .hint("choose a longer one, e.g. four or more unrelated words; or pass --weak-passphrase (answers file: [passphrases] weak = true) to accept it, which the transcript records")
}

impl Workspace {
    /// Lets new passphrases below [`MIN_SCORE`] through, each recorded in
    /// the transcript (`--weak-passphrase`).
    pub fn allow_weak_passphrases(&mut self) {
        self.weak_passphrases = true;
    }

    /// Asks `passphrases` for a new passphrase for `what` and judges it;
    /// a weak one is asked for again while the front-end wants to
    /// ([`Passphrases::ask_again`]: a screen shows why), else refused.
    pub fn new_passphrase(
        &self,
        passphrases: &mut dyn Passphrases,
        what: NewPassphrase<'_>,
    ) -> Result<Passphrase> {
        loop {
            let pass = match what {
                NewPassphrase::Custodian { name, .. } => passphrases.custodian(name, true)?,
                NewPassphrase::Key { label, .. } | NewPassphrase::Export { label, .. } => {
                    passphrases.new_key(label)?
                }
            };
            match self.check_new_passphrase(&pass, what) {
                Ok(()) => return Ok(pass),
                Err(e) if passphrases.ask_again(&e) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Judges `pass`, new for `what`: refused below [`MIN_SCORE`] unless
    /// weak passphrases are allowed, when the fact is held back for the
    /// transcript's next record (the change it protects), so a command
    /// refused later records nothing.
    pub fn check_new_passphrase(&self, pass: &Passphrase, what: NewPassphrase<'_>) -> Result<()> {
        let mut inputs = what.inputs();
        inputs.extend(self.gun.as_deref());
        let (score, warning) = score(pass, &inputs);
        if score >= MIN_SCORE {
            return Ok(());
        }
        if !self.weak_passphrases {
            return Err(refusal(&what.what(), score, warning.as_deref()));
        }
        // The score stays out: the transcript is public, and how weak a
        // passphrase is tells a guesser where to start.
        self.pending
            .push(Record::WeakPassphraseAccepted { what: what.what() });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Passphrase {
        Passphrase::from(s.to_string())
    }

    #[test]
    fn common_and_guessable_passphrases_score_low() {
        assert!(score(&p("password1"), &[]).0 < MIN_SCORE);
        assert!(score(&p("hunter2"), &[]).0 < MIN_SCORE);
        // The names around it count as guessed.
        let gun = "registry.example.com/acme/app";
        assert!(score(&p(gun), &[]).0 >= MIN_SCORE);
        assert!(score(&p(gun), &[gun]).0 < MIN_SCORE);
        assert!(score(&p("quartz otter lantern mosaic"), &[]).0 >= MIN_SCORE);
    }

    #[test]
    fn odd_text_is_scored_not_a_panic() {
        // Numerals outside ASCII once made zxcvbn's date matcher panic.
        for s in [
            "६೬𝟨1",
            "０１２３４５６７８９",
            "ö",
            "\u{0}\u{7f}",
            "🏆🔥 and words",
            "a\u{301}",
        ] {
            let _ = score(&p(s), &[s, "ö/ä", ""]);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn any_passphrase_and_names_are_scored(pass in "\\PC{0,40}", name in "\\PC{0,20}") {
            let (s, _) = score(&p(&pass), &[&name]);
            proptest::prop_assert!(s <= 4);
        }

        #[test]
        fn date_and_sequence_like_text_is_scored(pass in "[0-9०-९０-９𝟎-𝟗/. aA-]{0,24}") {
            let (s, _) = score(&p(&pass), &[]);
            proptest::prop_assert!(s <= 4);
        }
    }

    #[test]
    fn the_refusal_names_score_warning_and_the_flag() {
        let (s, w) = score(&p("password"), &[]);
        let e = refusal("key root-1", s, w.as_deref());
        let text = format!("{e}");
        assert!(text.contains("zxcvbn score 0 of 4"), "{text}");
        assert!(text.contains("top-10"), "{text}");
        assert!(e.hint_text().unwrap_or("").contains("--weak-passphrase"));
    }
}

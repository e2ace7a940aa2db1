//! The forms of the ceremony screens, built from what the engine asks:
//! pure functions, so a test draws exactly what the room sees.

use super::screen::{Field, Form, Tone};

/// Words a witness types back.
pub const READ_BACK_WORDS: usize = 4;

/// A value for one of the script's inputs.
pub fn input(name: &str, prompt: &str) -> Form {
    Form::new(&format!("The ceremony's input {name}"))
        .line(Tone::Plain, prompt)
        .field(Field::text("Value", ""))
}

/// The roll call of one role.
pub fn names(role: &str, duty: &str) -> Form {
    Form::new(&format!("Roll call: {role}"))
        .line(Tone::Plain, duty)
        .line(Tone::Quiet, "Type each name, separated by commas.")
        .field(Field::text("Names", ""))
}

/// How a custodian's share is sealed: her passphrase or an age recipient.
pub fn recipient(name: &str) -> Form {
    let mut f = Form::new(&format!("How {name}'s share is sealed"))
        .line(
            Tone::Plain,
            &format!(
                "Either {name} types a passphrase for her share when it is made, or it is sealed to her age recipient (age1…)."
            ),
        )
        .field(Field::text("Recipient", ""));
    f.choice = Some((
        "Seal with".into(),
        vec!["her passphrase".into(), "an age recipient".into()],
        0,
    ));
    f.footnote = Some("← → chooses; for a recipient, type or paste it.".into());
    f
}

/// A new key's passphrase, typed twice.
pub fn new_passphrase(label: &str) -> Form {
    Form::new(&format!("A passphrase for the new key {label}"))
        .line(
            Tone::Plain,
            "Operator: type a passphrase for the key file, twice. It is never shown.",
        )
        .line(Tone::Plain, "Witness: watch that nothing is written down.")
        .field(Field::secret("Passphrase"))
        .field(Field::secret("Again"))
}

/// A key file's passphrase, to unlock it.
pub fn unlock(key: &str) -> Form {
    Form::new(&format!("Unlock key {key}"))
        .line(
            Tone::Plain,
            "Operator: type the key file's passphrase. It is never shown.",
        )
        .field(Field::secret("Passphrase"))
}

/// A custodian's share passphrase: typed twice when the share is made.
pub fn custodian(name: &str, new: bool) -> Form {
    let f = Form::new(&format!("{name}'s share passphrase"));
    if new {
        f.line(
            Tone::Plain,
            &format!("{name}, type a passphrase for your share, twice. Everyone else: look away."),
        )
        .field(Field::secret("Passphrase"))
        .field(Field::secret("Again"))
    } else {
        f.line(
            Tone::Plain,
            &format!("{name}, type your share's passphrase. Everyone else: look away."),
        )
        .field(Field::secret("Passphrase"))
    }
}

/// The words to read back, kept in view: the first `count` bright, the
/// rest dim after them.
pub fn pin_words(f: Form, words: &str, count: usize) -> Form {
    let all: Vec<&str> = words.split_whitespace().collect();
    let (first, rest) = all.split_at(count.min(all.len()));
    let f = f.pin(Tone::Words, &format!("  {}", first.join("  ")));
    if rest.is_empty() {
        f
    } else {
        f.pin(Tone::Quiet, &format!("  then: {}", rest.join(" ")))
    }
}

/// The witness's name and the words she types, the words focused.
pub fn read_back_fields(f: Form, witness: &str) -> Form {
    let mut f = f
        .field(Field::text("Witness", witness))
        .field(Field::text("Words", ""));
    f.focus = 1;
    f
}

/// A witness reads back the words of `title` (a fingerprint).
pub fn read_back(title: &str, words: &str, count: usize, witness: &str) -> Form {
    let f = Form::new(&format!("Read back {title}")).line(
        Tone::Plain,
        &format!("The administrator reads these words aloud. Witness, type the first {count}."),
    );
    read_back_fields(pin_words(f, words, count), witness)
}

/// What a custodian is handed: one custodian per screen.
#[derive(Debug, Clone, Copy)]
pub struct HandOut<'a> {
    /// Her name.
    pub custodian: &'a str,
    /// Share k of n.
    pub index: u8,
    /// n.
    pub total: u8,
    /// M.
    pub threshold: u8,
    /// The share set.
    pub set_id: &'a str,
    /// Her files.
    pub files: &'a [String],
}

/// A custodian takes her share and reads back her sheet's check words
/// (not shown: she reads them off her sheet, which proves it is hers).
pub fn hand_out(h: &HandOut<'_>) -> Form {
    let folder = h
        .files
        .first()
        .and_then(|p| std::path::Path::new(p).parent())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let names: Vec<String> = h
        .files
        .iter()
        .map(|p| {
            std::path::Path::new(p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.clone())
        })
        .collect();
    let mut f = Form::new(&format!(
        "Share {} of {} — for {}   ({} of {} are needed)",
        h.index,
        h.total,
        h.custodian.to_uppercase(),
        h.threshold,
        h.total
    ))
    .line(
        Tone::Plain,
        &format!("{}, take the printed sheet and the files", h.custodian),
    )
    .line(Tone::Strong, &format!("  {}", names.join("  ")))
    .line(Tone::Quiet, &format!("  in {folder}"))
    .line(
        Tone::Plain,
        &format!(
            "Check that the sheet names you, set {}, share {} of {}.",
            h.set_id, h.index, h.total
        ),
    )
    .pin(
        Tone::Plain,
        "Read back the check words printed on your sheet:",
    )
    .field(Field::text("Words", ""));
    f.footnote = Some("Everyone else: look away until the screen clears.".into());
    f
}

/// Custodians bring shares of `key`.
pub fn shares(key: &str, needed: u8) -> Form {
    Form::new(&format!("Shares of {key}"))
        .line(
            Tone::Plain,
            &format!("Custodians bring their shares: {needed} are needed."),
        )
        .line(
            Tone::Quiet,
            "Type each share file's path, separated by commas.",
        )
        .field(Field::text("Files", ""))
}

/// The keyholder screen: who may sign the staged root, who is here, who
/// has signed; the folder (or files) their signed copies are read from.
pub fn keyholders(k: &crate::ceremony::keyholders::Keyholders, from: &str) -> Form {
    let mut f = Form::new(&format!(
        "Keyholders: signatures for root version {}",
        k.tally.version
    ));
    let lines = k.lines();
    let counts = lines.len() - k.keys.len();
    for (i, l) in lines.iter().enumerate() {
        let tone = if i < counts {
            Tone::Strong
        } else {
            Tone::Plain
        };
        f = f.line(tone, l);
    }
    f = f.line(
        Tone::Quiet,
        "Keyholders compare the digest words with their own screens.",
    );
    let mut f = pin_words(f, &k.words, READ_BACK_WORDS)
        .pin(
            Tone::Plain,
            "Signed copies from: a folder, or files a, b, c",
        )
        .field(Field::text("From", from));
    f.footnote = Some("Enter: read and check them. Esc: not yet.".into());
    f
}

/// An irreversible step, confirmed by typing the key's label.
pub fn irreversible(what: &str, label: &str, reason: Option<&str>) -> Form {
    let mut f = Form::new(&capitalised(what)).line(Tone::Warn, "This cannot be undone.");
    if let Some(r) = reason {
        f = f.line(Tone::Plain, &format!("Reason: {r}"));
    }
    f.pin(
        Tone::Plain,
        &format!("Type the key's label, {label}, to go on."),
    )
    .field(Field::text("Label", ""))
}

/// The files an export wrote.
pub fn exported(out: &str, files: &[(String, String)]) -> Form {
    let mut f = Form::new("The export is written").line(Tone::Plain, &format!("Folder: {out}"));
    for (name, digest) in files {
        f = f.line(
            Tone::Plain,
            &format!(
                "  {name:<20} sha256 {}…",
                digest.get(..16).unwrap_or(digest)
            ),
        );
    }
    f.footnote = Some(
        "Check the files on the removable media, then press Enter. r shows them as QR frames."
            .into(),
    );
    f
}

/// A signing request written for keyholders at other machines.
pub fn request_written(version: u64, file: &str, words: &str, away: &[String]) -> Form {
    let mut f = Form::new(&format!("Signing request for root version {version}"))
        .line(Tone::Plain, &format!("Written: {file}"));
    f = if away.is_empty() {
        f.line(Tone::Quiet, "No keyholder elsewhere is still to sign.")
    } else {
        f.line(
            Tone::Strong,
            &format!("To sign at their own machines: {}", away.join(", ")),
        )
    };
    let mut f = f
        .line(
            Tone::Plain,
            "Each checks it against the root she trusts: ceremony request sign FILE --trusted-root ROOT.json --key-file KEY",
        )
        .line(Tone::Plain, "Administrator: read the digest words aloud.")
        .line(Tone::Words, &format!("  {words}"));
    f.footnote = Some("Enter goes on. r shows the request as QR frames.".into());
    f
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

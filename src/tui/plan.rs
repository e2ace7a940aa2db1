//! The root-signing confirmation: what the staged root changes, its
//! expiry, the signature tally of the old and the new root by label, who
//! signs now, and the digest words a witness reads back.

use super::forms;
use super::screen::{Form, Tone};
use crate::ceremony::root::RootSignPlan;
use crate::signature::Tally;

/// One root's signatures: its version, its threshold, and each key by
/// label with whether it has signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyView {
    /// The root version.
    pub version: u64,
    /// Signatures needed.
    pub threshold: u64,
    /// (signed, label) for each of its root keys.
    pub keys: Vec<(bool, String)>,
}

/// What the screen shows of a [`RootSignPlan`], by label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignView {
    /// The staged version.
    pub version: u64,
    /// Its expiry (a date).
    pub expires: String,
    /// What it changes, one line each.
    pub changes: Vec<String>,
    /// Labels of the keys that sign now.
    pub signers: Vec<String>,
    /// Why other keys do not sign here.
    pub not_signing: Vec<String>,
    /// Warnings.
    pub warnings: Vec<String>,
    /// The previous root's tally (none for version 1).
    pub old: Option<TallyView>,
    /// The staged root's tally.
    pub new: TallyView,
    /// The digest as words.
    pub words: String,
}

impl SignView {
    /// The view of `p`; `label` names a key ID.
    pub fn of(p: &RootSignPlan, label: &dyn Fn(&str) -> String) -> SignView {
        let tally = |version: u64, t: &Tally| TallyView {
            version,
            threshold: t.threshold,
            keys: t
                .valid
                .iter()
                .map(|id| (true, label(id)))
                .chain(t.missing.iter().map(|id| (false, label(id))))
                .collect(),
        };
        SignView {
            version: p.version,
            expires: p.expires.date().to_string(),
            changes: p.changes.clone(),
            // `label (id)`: the label is enough next to the tally.
            signers: p
                .signers
                .iter()
                .map(|s| s.split(" (").next().unwrap_or(s).to_string())
                .collect(),
            not_signing: p.not_signing.iter().map(|n| n.reason.clone()).collect(),
            warnings: p.warnings.clone(),
            old: p.tally.old.as_ref().map(|(v, t)| tally(*v, t)),
            new: tally(p.version, &p.tally.new),
            words: p.words.clone(),
        }
    }
}

/// The form shown before a root is signed, with the read-back fields
/// (`witness` filled in).
pub fn root_sign_form(v: &SignView, witness: &str) -> Form {
    let mut f = Form::new(&format!("Sign root version {}", v.version))
        .line(Tone::Plain, &format!(" expires    {}", v.expires));
    for w in &v.warnings {
        f = f.line(Tone::Warn, &format!(" warning    {w}"));
    }
    for row in tally_rows(v) {
        f = f.line(Tone::Strong, &row);
    }
    for (i, c) in v.changes.iter().enumerate() {
        let head = if i == 0 { " changes" } else { "" };
        f = f.line(Tone::Plain, &format!("{head:<11} {c}"));
    }
    let signers = if v.signers.is_empty() {
        "nobody here".to_string()
    } else {
        v.signers.join(", ")
    };
    f = f.line(Tone::Plain, &format!(" signs now  {signers}"));
    for n in &v.not_signing {
        f = f.line(Tone::Quiet, &format!(" not here   {n}"));
    }
    let f = f.pin(Tone::Plain, "Witness, type the first four digest words:");
    forms::read_back_fields(
        forms::pin_words(f, &v.words, forms::READ_BACK_WORDS),
        witness,
    )
}

/// The old and the new root's tallies side by side, one key a row.
fn tally_rows(v: &SignView) -> Vec<String> {
    let column = |name: &str, t: &TallyView| {
        let mut c = vec![format!(" {name} v{} needs {}", t.version, t.threshold)];
        c.extend(
            t.keys
                .iter()
                .map(|(ok, l)| format!("  {} {l}", if *ok { "✓" } else { "·" })),
        );
        c
    };
    let new = column("new root", &v.new);
    let old = match &v.old {
        Some(t) => column("old root", t),
        None => vec![" old root: none".into()],
    };
    let n = new.len().max(old.len());
    (0..n)
        .map(|i| {
            let l = old.get(i).map(String::as_str).unwrap_or("");
            let r = new.get(i).map(String::as_str).unwrap_or("");
            format!("{l:<24}{r}").trim_end().to_string()
        })
        .collect()
}

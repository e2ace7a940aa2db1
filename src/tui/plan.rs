//! The root-signing confirmation: what the staged root changes, its
//! expiry, the signature tally of the old and the new root by label, who
//! signs now, and the digest words a witness reads back.

use super::forms;
use super::screen::{Form, Tone};
use crate::ceremony::root::RootSignPlan;
use crate::signature::Tally;

/// The form shown before a root is signed, with the read-back fields
/// (`witness` filled in). `label` names a key ID.
pub fn root_sign_form(p: &RootSignPlan, label: &dyn Fn(&str) -> String, witness: &str) -> Form {
    let mut f = Form::new(&format!("Sign root version {}", p.version))
        .line(Tone::Plain, &format!(" expires    {}", p.expires.date()));
    for (i, c) in p.changes.iter().enumerate() {
        let head = if i == 0 { " changes" } else { "" };
        f = f.line(Tone::Plain, &format!("{head:<11} {c}"));
    }
    let signers: Vec<&str> = p
        .signers
        .iter()
        .map(|s| s.split(" (").next().unwrap_or(s))
        .collect();
    f = f.line(
        Tone::Plain,
        &format!(
            " signs now  {}",
            if signers.is_empty() {
                "nobody here".into()
            } else {
                signers.join(", ")
            }
        ),
    );
    for n in &p.not_signing {
        f = f.line(Tone::Quiet, &format!(" not here   {}", n.reason));
    }
    for w in &p.warnings {
        f = f.line(Tone::Warn, &format!(" warning    {w}"));
    }
    for row in tally_rows(p, label) {
        f = f.line(Tone::Strong, &row);
    }
    let f = f.pin(
        Tone::Plain,
        "The administrator reads the digest words aloud. Witness, type the first four.",
    );
    forms::read_back_fields(
        forms::pin_words(f, &p.words, forms::READ_BACK_WORDS),
        witness,
    )
}

/// The old and the new root's tallies side by side, one key a row.
fn tally_rows(p: &RootSignPlan, label: &dyn Fn(&str) -> String) -> Vec<String> {
    let column = |head: String, t: &Tally| {
        let mut c = vec![head];
        c.extend(t.valid.iter().map(|id| format!("  ✓ {}", label(id))));
        c.extend(t.missing.iter().map(|id| format!("  · {}", label(id))));
        c
    };
    let new = column(
        format!(" new root v{} needs {}", p.version, p.tally.new.threshold),
        &p.tally.new,
    );
    let old = match &p.tally.old {
        Some((v, t)) => column(format!(" old root v{v} needs {}", t.threshold), t),
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

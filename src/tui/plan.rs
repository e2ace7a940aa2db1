//! The root-signing confirmation: what the staged root changes, its
//! expiry, the signature tally of the old and the new root by label, who
//! signs now, and the digest words a witness reads back.

use super::screen::{Form, Tone};
use crate::ceremony::root::RootSignPlan;
use crate::signature::Tally;

/// The form shown before a root is signed; the caller adds the read-back
/// fields. `label` names a key ID.
pub fn root_sign_form(p: &RootSignPlan, label: &dyn Fn(&str) -> String) -> Form {
    let mut f = Form::new(&format!("Sign root version {}", p.version))
        .line(Tone::Plain, &format!(" expires    {}", p.expires.date()));
    for (i, c) in p.changes.iter().enumerate() {
        let head = if i == 0 { " changes" } else { "" };
        f = f.line(Tone::Plain, &format!("{head:<11} {c}"));
    }
    f = f.line(
        Tone::Plain,
        &format!(" signs now  {}", if p.signers.is_empty() { "nobody here".into() } else { p.signers.join(", ") }),
    );
    for n in &p.not_signing {
        f = f.line(Tone::Quiet, &format!(" not here   {}", n.reason));
    }
    for w in &p.warnings {
        f = f.line(Tone::Warn, &format!(" warning    {w}"));
    }
    f = f.line(Tone::Plain, "");
    for row in tally_rows(p, label) {
        f = f.line(Tone::Plain, &row);
    }
    f.line(Tone::Plain, "")
        .line(
            Tone::Plain,
            "The administrator reads the digest words aloud. Witness, type the first four.",
        )
        .line(Tone::Words, &format!("    {}", p.words.replace(' ', "  ")))
}

/// The old and the new root's tallies side by side, one key a row.
fn tally_rows(p: &RootSignPlan, label: &dyn Fn(&str) -> String) -> Vec<String> {
    let column = |head: String, t: &Tally| {
        let mut c = vec![head];
        c.extend(t.valid.iter().map(|id| format!("✓ {}", label(id))));
        c.extend(t.missing.iter().map(|id| format!("· {}", label(id))));
        c
    };
    let new = column(
        format!(" new root (v{}) needs {}", p.version, p.tally.new.threshold),
        &p.tally.new,
    );
    let old = match &p.tally.old {
        Some((v, t)) => column(format!(" old root (v{v}) needs {}", t.threshold), t),
        None => vec![" no old root (version 1)".into()],
    };
    let n = new.len().max(old.len());
    (0..n)
        .map(|i| {
            let l = old.get(i).map(String::as_str).unwrap_or("");
            let r = new.get(i).map(String::as_str).unwrap_or("");
            let l = if i == 0 { l.to_string() } else { format!(" {l}") };
            let r = if i == 0 { r.to_string() } else { format!(" {r}") };
            format!("{l:<30}{r}").trim_end().to_string()
        })
        .collect()
}

//! Checks on what a script, an answers file or a paused run brings: they
//! may come from someone else. Text that reaches a screen holds no control,
//! line-breaking or invisible character (it would repaint or forge what the
//! room reads); names are few, distinct and non-empty; a paused run's record
//! fits the script it resumes.

use std::collections::BTreeMap;

use crate::ceremony::run::RunState;
use crate::ceremony::step::{Outcome, Step};
use crate::error::{Error, Result};
use crate::text::{has_hazard, printable};

/// The most people one role takes: a share set has at most 255 shares.
const MAX_PEOPLE: usize = 255;
/// The longest name of a person, in characters.
const MAX_NAME: usize = 64;
/// The most steps a script has.
const MAX_STEPS: usize = 200;
/// The most inputs, or roles, a script has.
const MAX_FEW: usize = 64;
/// The longest text of one field of a script, in bytes.
const MAX_TEXT: usize = 4096;
/// The longest value of an input (a path, a GUN), in bytes.
const MAX_VALUE: usize = 4096;

/// A TOML error as one line: where, and what, without the offending line
/// itself, which the parser would quote (in an answers file it may hold a
/// passphrase). Quoted values in the message are left out for the same
/// reason.
pub fn toml_error(what: &str, text: &str, e: &toml::de::Error) -> Error {
    let at = e
        .span()
        .map(|s| {
            let before = text.as_bytes().get(..s.start).unwrap_or(text.as_bytes());
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
            format!(" (line {line}, column {column})")
        })
        .unwrap_or_default();
    let message = e.message().lines().next().unwrap_or("").trim();
    Error::input(format!("{what}{at}: {}", redact(message)))
}

/// `message` with every `"…"` quoted value replaced by `"…"`, and cut short.
fn redact(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(open) = rest.find('"') {
        let Some(close) = rest[open + 1..].find('"') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str("\"…\"");
        rest = &rest[open + 1 + close + 1..];
    }
    out.push_str(rest);
    out.chars().take(200).collect()
}

/// A script's own text (a title, a role, a field): one plain line.
pub fn text(what: &str, s: &str) -> Result<()> {
    if s.len() > MAX_TEXT {
        return Err(Error::input(format!(
            "{what} is longer than {MAX_TEXT} bytes"
        )));
    }
    if has_hazard(s) {
        return Err(Error::input(format!(
            "{what} holds a control, line-breaking or invisible character: {}",
            printable(&cut(s))
        ))
        .hint("a script's text is plain, one line per field"));
    }
    Ok(())
}

/// A ceremony is read aloud in one sitting: a script of more steps, inputs
/// or roles than these is not one (and each step rewrites `run.json`).
pub fn sizes(steps: usize, inputs: usize, roles: usize) -> Result<()> {
    for (n, most, what) in [
        (steps, MAX_STEPS, "steps"),
        (inputs, MAX_FEW, "inputs"),
        (roles, MAX_FEW, "roles"),
    ] {
        if n > most {
            return Err(
                Error::input(format!("the script has {n} {what}: at most {most}"))
                    .hint("split the ceremony into several scripts"),
            );
        }
    }
    Ok(())
}

/// An input's name: what `${name}` refers to, and what an answers file
/// keys: letters, digits, `-` and `_` (so it is never mistaken for one of
/// the runner's own questions, such as `recipient of NAME`).
pub fn input_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(Error::input(format!(
            "input name {:?} must be letters, digits, - and _",
            printable(&cut(name))
        )));
    }
    Ok(())
}

/// A roll call names some of the script's roles, each once.
pub fn roll_call(at: &str, roles: &[String], known: &BTreeMap<String, String>) -> Result<()> {
    if roles.is_empty() {
        return Err(Error::input(format!("{at}: a roll call with no roles")));
    }
    for (i, r) in roles.iter().enumerate() {
        if !known.contains_key(r) {
            return Err(Error::input(format!(
                "{at}: the roll call names {:?}, which is not one of the script's roles",
                printable(&cut(r))
            )));
        }
        if roles[..i].contains(r) {
            return Err(Error::input(format!(
                "{at}: the roll call names {:?} twice",
                printable(&cut(r))
            )));
        }
    }
    Ok(())
}

/// A value given for an input: one plain line of sensible length.
pub fn value(name: &str, v: &str) -> Result<()> {
    if v.len() > MAX_VALUE {
        return Err(Error::input(format!(
            "the value of input {} is longer than {MAX_VALUE} bytes",
            printable(name)
        )));
    }
    if has_hazard(v) {
        return Err(Error::input(format!(
            "the value of input {} holds a control, line-breaking or invisible character: {}",
            printable(name),
            printable(&cut(v))
        )));
    }
    Ok(())
}

/// The names called for `role`: at least one, at most [`MAX_PEOPLE`], each
/// a plain, trimmed, non-empty line, none twice; custodians' names also
/// name files, so they follow the custodian rule.
pub fn people(role: &str, names: &[String]) -> Result<()> {
    let role_shown = printable(role);
    if names.is_empty() {
        return Err(Error::input(format!(
            "nobody named for the role {role_shown}"
        )));
    }
    if names.len() > MAX_PEOPLE {
        return Err(Error::input(format!(
            "{} names for the role {role_shown}: at most {MAX_PEOPLE}",
            names.len()
        )));
    }
    for (i, n) in names.iter().enumerate() {
        person(&format!("a name for the role {role_shown}"), n)?;
        if role == "custodians" {
            crate::ceremony::shares::check_custodian_name(n)?;
        }
        if names[..i].contains(n) {
            return Err(Error::input(format!(
                "{} is named twice for the role {role_shown}",
                printable(n)
            ))
            .hint("each person is named once"));
        }
    }
    Ok(())
}

/// The share files named for one key: no more than a set has.
pub fn share_files(key: &str, files: &[String]) -> Result<()> {
    if files.len() > MAX_PEOPLE {
        return Err(Error::input(format!(
            "{} share files for {}: a set has at most {MAX_PEOPLE}",
            files.len(),
            printable(&cut(key))
        )));
    }
    Ok(())
}

/// One person's name (a roll-call name, a witness).
pub fn person(what: &str, n: &str) -> Result<()> {
    if n.trim().is_empty() {
        return Err(Error::input(format!("{what} is empty")));
    }
    if n.trim() != n {
        return Err(Error::input(format!(
            "{what} {:?} starts or ends with a space",
            printable(n)
        )));
    }
    if n.chars().count() > MAX_NAME {
        return Err(Error::input(format!(
            "{what} is longer than {MAX_NAME} characters"
        )));
    }
    if has_hazard(n) {
        return Err(Error::input(format!(
            "{what} holds a control, line-breaking or invisible character: {}",
            printable(&cut(n))
        )));
    }
    Ok(())
}

/// A paused run's record (`run.json`) must fit the script resuming it: no
/// more steps done than the script has, each outcome of the kind its step
/// gives, and inputs and names that would have been accepted when given.
/// A record that does not was edited by hand: resuming would skip steps.
pub fn resume(script: &super::Script, st: &RunState) -> Result<()> {
    let steps = &script.steps;
    let edited = |why: String| {
        Error::input(format!("run.json does not fit the script: {why}"))
            .hint("run.json was changed by hand; start the ceremony again in a new directory")
    };
    if st.done.len() > steps.len() {
        return Err(edited(format!(
            "it records {} steps done of the script's {}",
            st.done.len(),
            steps.len()
        )));
    }
    for (i, (s, o)) in steps.iter().zip(&st.done).enumerate() {
        let step = &s.step;
        if !fits(step, o) {
            return Err(edited(format!(
                "step {} ({}) is recorded with the outcome of another kind of step",
                i + 1,
                step.name()
            )));
        }
    }
    for (role, names) in &st.people {
        people(role, names).map_err(|e| edited(e.reason().to_string()))?;
    }
    for (name, v) in &st.inputs {
        value(name, v).map_err(|e| edited(e.reason().to_string()))?;
    }
    Ok(())
}

/// A paused run goes on with the inputs it started with; a value given
/// now that differs would be silently ignored (an export written to the
/// old folder), so it is refused.
pub fn same_inputs(
    recorded: &BTreeMap<String, String>,
    given: &BTreeMap<String, String>,
) -> Result<()> {
    for (name, v) in given {
        if let Some(was) = recorded.get(name)
            && was != v
        {
            return Err(Error::input(format!(
                "the paused run started with {name} = {:?}; now {:?} is given",
                printable(&cut(was)),
                printable(&cut(v))
            ))
            .hint("resume with the inputs the run started with"));
        }
    }
    Ok(())
}

/// Whether outcome `o` is what `step` gives. The match on `step` is
/// exhaustive so that a new kind of step cannot be forgotten here.
fn fits(step: &Step, o: &Outcome) -> bool {
    match step {
        Step::Airgap => matches!(o, Outcome::Airgap { .. }),
        Step::RollCall { .. } => matches!(o, Outcome::RollCall { .. }),
        Step::Import { .. } | Step::ImportKey { .. } => matches!(o, Outcome::Imported { .. }),
        Step::ReadBack { .. } => matches!(o, Outcome::ReadBack { .. }),
        Step::GenerateKey { .. } => matches!(o, Outcome::KeyGenerated { .. }),
        Step::Split { .. } | Step::Reissue { .. } => matches!(o, Outcome::Split { .. }),
        Step::RootInit { .. } | Step::RootRotate { .. } => {
            matches!(o, Outcome::RootStaged { .. })
        }
        Step::MarkLost { .. } => matches!(o, Outcome::MarkedLost { .. }),
        Step::SignRoot { .. } => matches!(o, Outcome::RootSigned { .. }),
        Step::RequestSignatures { .. } => matches!(o, Outcome::RequestWritten { .. }),
        Step::CollectSignatures { .. } => matches!(o, Outcome::RequestsMerged { .. }),
        Step::AddSigner { .. } => matches!(o, Outcome::SignerAdded { .. }),
        Step::SignTargets { .. } | Step::SignSnapshot | Step::SignTimestamp => {
            matches!(o, Outcome::RoleSigned { .. })
        }
        Step::Export { .. } => matches!(o, Outcome::Exported { .. }),
        Step::VerifyExport { .. } => matches!(o, Outcome::Verified { .. }),
        Step::Close => matches!(o, Outcome::Closed),
    }
}

/// The first characters of `s`, for a message.
fn cut(s: &str) -> String {
    let mut c: String = s.chars().take(60).collect();
    if c.len() < s.len() {
        c.push('…');
    }
    c
}

//! Ceremony scripts: TOML files in `ceremony-scripts/` that name the roles
//! in the room, the inputs the ceremony needs, and numbered steps, each
//! with who acts, what the administrator reads aloud, and what the tool
//! does (a [`Step`]). The format is in `ceremony-scripts/README.md`.

pub mod answers;
pub mod check;

use serde::Deserialize;
use std::collections::BTreeMap;

use crate::ceremony::step::Step;
use crate::error::{Error, Result};
use crate::metadata::Dialect;

/// A parsed, checked script.
#[derive(Debug, Clone)]
pub struct Script {
    /// Short name (`initial-root`).
    pub name: String,
    /// One line for the screen's title.
    pub title: String,
    /// notary or tuf.
    pub dialect: Dialect,
    /// The Notary GUN, usually `${gun}`.
    pub gun: Option<String>,
    /// Inputs by name, with what each is.
    pub inputs: BTreeMap<String, String>,
    /// Roles by name, with what each does.
    pub roles: BTreeMap<String, String>,
    /// The steps, in order.
    pub steps: Vec<ScriptStep>,
    /// SHA-256 (hex) of the script's text: a paused ceremony resumes only
    /// with the same script.
    pub digest: String,
}

/// One numbered step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptStep {
    /// A short title for the step list.
    pub title: String,
    /// The role that acts.
    pub actor: String,
    /// What the administrator reads aloud: full sentences.
    pub say: String,
    /// What the tool does.
    pub step: Step,
}

impl ScriptStep {
    /// Reads one `[[step]]` table: `title`, `actor` and `say`, and the rest
    /// as a [`Step`] (which refuses fields it does not know).
    fn from_toml(v: toml::Value) -> std::result::Result<ScriptStep, String> {
        let toml::Value::Table(mut t) = v else {
            return Err("a step is not a table".into());
        };
        let mut text = |name: &str| match t.remove(name) {
            Some(toml::Value::String(s)) => Ok(s),
            Some(_) => Err(format!("`{name}` is not a string")),
            None => Err(format!("missing `{name}`")),
        };
        let (title, actor, say) = (text("title")?, text("actor")?, text("say")?);
        let step: Step = toml::Value::Table(t)
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_string())?;
        Ok(ScriptStep {
            title,
            actor,
            say,
            step,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: String,
    title: String,
    dialect: String,
    #[serde(default)]
    gun: Option<String>,
    #[serde(default)]
    inputs: BTreeMap<String, String>,
    roles: BTreeMap<String, String>,
    #[serde(rename = "step")]
    steps: Vec<toml::Value>,
}

impl Script {
    /// Parses and checks a script: every step's action known, every actor
    /// a role, every `${input}` declared, a Notary script naming its GUN.
    pub fn parse(text: &str) -> Result<Script> {
        let raw: Raw = toml::from_str(text)
            .map_err(|e| check::toml_error("not a ceremony script", text, &e))?;
        let dialect = Dialect::parse(&raw.dialect)?;
        if dialect == Dialect::Notary && raw.gun.is_none() {
            return Err(Error::input(
                "a Notary script must name its gun (e.g. gun = \"${gun}\")",
            ));
        }
        check::sizes(raw.steps.len(), raw.inputs.len(), raw.roles.len())?;
        let mut steps = Vec::new();
        for (i, v) in raw.steps.into_iter().enumerate() {
            let s = ScriptStep::from_toml(v)
                .map_err(|why| Error::input(format!("step {}: {why}", i + 1)))?;
            if !raw.roles.contains_key(&s.actor) {
                return Err(Error::input(format!(
                    "step {} ({}): its actor {:?} is not one of the script's roles",
                    i + 1,
                    s.title,
                    s.actor
                )));
            }
            steps.push(s);
        }
        if steps.is_empty() {
            return Err(Error::input("the script has no steps"));
        }
        let script = Script {
            name: raw.name,
            title: raw.title,
            dialect,
            gun: raw.gun,
            inputs: raw.inputs,
            roles: raw.roles,
            steps,
            digest: crate::transfer::sha256_hex(text.as_bytes()),
        };
        script.check_text()?;
        script.check_inputs()?;
        Ok(script)
    }

    /// Every string the script holds reaches a screen or a path: each must
    /// be one plain line ([`check::text`]).
    fn check_text(&self) -> Result<()> {
        check::text("the script's name", &self.name)?;
        check::text("the script's title", &self.title)?;
        if let Some(g) = &self.gun {
            check::text("the script's gun", g)?;
        }
        for (what, map) in [("input", &self.inputs), ("role", &self.roles)] {
            for (k, v) in map {
                check::text(&format!("the name of {what} {k:?}"), k)?;
                check::text(&format!("the description of {what} {k}"), v)?;
            }
        }
        for name in self.inputs.keys() {
            check::input_name(name)?;
        }
        for (i, s) in self.steps.iter().enumerate() {
            let at = format!("step {}", i + 1);
            if let Step::RollCall { roles } = &s.step {
                check::roll_call(&at, roles, &self.roles)?;
            }
            check::text(&format!("{at}'s title"), &s.title)?;
            check::text(&format!("{at}'s say"), &s.say)?;
            for t in strings(&s.step)? {
                check::text(&format!("a field of {at}"), &t)?;
            }
        }
        Ok(())
    }

    /// Every `${name}` the script uses must be one of its inputs, and every
    /// `${` must be closed.
    fn check_inputs(&self) -> Result<()> {
        let mut texts: Vec<String> = self.gun.iter().cloned().collect();
        for s in &self.steps {
            texts.push(s.say.clone());
            texts.extend(strings(&s.step)?);
        }
        for t in texts {
            if unclosed(&t) {
                return Err(Error::input(format!(
                    "the script has a ${{ with no closing }} in {:?}",
                    crate::text::printable(&t)
                )));
            }
            for name in references(&t) {
                if !self.inputs.contains_key(&name) {
                    return Err(Error::input(format!(
                        "the script uses ${{{name}}} but declares no such input"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// Every string in a step's fields.
fn strings(step: &Step) -> Result<Vec<String>> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(m) => m.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let v = serde_json::to_value(step).map_err(|e| Error::input(e.to_string()))?;
    let mut out = Vec::new();
    walk(&v, &mut out);
    Ok(out)
}

/// Whether `text` has a `${` that no `}` closes.
fn unclosed(text: &str) -> bool {
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        match rest[at + 2..].find('}') {
            Some(end) => rest = &rest[at + 2 + end + 1..],
            None => return true,
        }
    }
    false
}

/// The `${name}` references in `text`.
pub fn references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        let after = &rest[at + 2..];
        match after.find('}') {
            Some(end) => {
                out.push(after[..end].to_string());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

/// `text` with every `${name}` replaced by its value.
pub fn substitute(text: &str, inputs: &BTreeMap<String, String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| Error::input(format!("unclosed ${{ in {text:?}")))?;
        let name = &after[..end];
        let value = inputs
            .get(name)
            .ok_or_else(|| Error::input(format!("no value for input {name:?}")))?;
        // Values come from whoever runs the ceremony (or a run.json): they
        // are inserted once, never expanded again, and never hold what
        // could repaint a screen.
        check::value(name, value)?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A step with every string field's `${name}` replaced.
pub fn substitute_step(step: &Step, inputs: &BTreeMap<String, String>) -> Result<Step> {
    let v = serde_json::to_value(step).map_err(|e| Error::input(e.to_string()))?;
    let v = substitute_value(v, inputs)?;
    serde_json::from_value(v).map_err(|e| Error::input(format!("a step after substitution: {e}")))
}

fn substitute_value(
    v: serde_json::Value,
    inputs: &BTreeMap<String, String>,
) -> Result<serde_json::Value> {
    use serde_json::Value;
    Ok(match v {
        Value::String(s) => Value::String(substitute(&s, inputs)?),
        Value::Array(a) => Value::Array(
            a.into_iter()
                .map(|x| substitute_value(x, inputs))
                .collect::<Result<_>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, x)| Ok((k, substitute_value(x, inputs)?)))
                .collect::<Result<_>>()?,
        ),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
name = "t"
title = "A test"
dialect = "tuf"
[inputs]
out = "where"
[roles]
operator = "types"
[[step]]
title = "Generate"
actor = "operator"
say = "Generate a key."
do = "generate-key"
role = "root"
label = "r1"
[[step]]
title = "Export"
actor = "operator"
say = "Export to ${out}."
do = "export"
out = "${out}"
"#;

    #[test]
    fn a_script_parses_and_substitutes() -> Result<()> {
        let s = Script::parse(SMALL)?;
        assert_eq!(s.steps.len(), 2);
        let inputs = BTreeMap::from([("out".to_string(), "/media/x".to_string())]);
        let step = substitute_step(&s.steps[1].step, &inputs)?;
        assert_eq!(
            step,
            Step::Export {
                out: "/media/x".into(),
                all: false,
                qr: None
            }
        );
        Ok(())
    }

    #[test]
    fn unknown_actions_fields_actors_and_inputs_are_refused() {
        for (from, to) in [
            ("do = \"export\"", "do = \"exfiltrate\""),
            ("label = \"r1\"", "label = \"r1\"\nlabels = 2"),
            (
                "actor = \"operator\"\nsay = \"Export",
                "actor = \"nobody\"\nsay = \"Export",
            ),
            ("${out}.\"", "${elsewhere}.\""),
        ] {
            let text = SMALL.replacen(from, to, 1);
            assert!(Script::parse(&text).is_err(), "{to}");
        }
    }
}

//! Lost keys. A key whose private half is gone, or may be in someone else's
//! hands, is marked lost for good: its record says when and why, its
//! encrypted file (if any) is kept but never opened again, it never signs
//! (from its file, from shares, or by being added to a role), and the root
//! status and rotation point at every role that still names it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{KeyRecord, Workspace};
use crate::error::{Error, Result};
use crate::metadata::format_time;
use crate::metadata::root::{Root, TOP_ROLES};

/// When and why a key was marked lost.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Lost {
    /// When it was marked (RFC 3339).
    pub on: String,
    /// Why, in the officer's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How the marking was confirmed (at the terminal, or by `--yes`).
    #[serde(default)]
    pub confirmed: String,
    /// Whether an encrypted key file was held when the key was marked: it
    /// is kept (evidence, not a backup) and never opened again.
    #[serde(default)]
    pub key_file_kept: bool,
}

/// A lost key that a root still names, and in which roles.
#[derive(Debug, Clone)]
pub struct LostInRoot {
    /// The key's record.
    pub rec: KeyRecord,
    /// The top-level roles of that root that list it.
    pub roles: Vec<String>,
}

/// The longest reason kept in a key record.
const MAX_REASON: usize = 200;

impl KeyRecord {
    /// Whether the key was marked lost.
    pub fn is_lost(&self) -> bool {
        self.lost.is_some()
    }

    /// Whether this ceremony can sign with the key from its own file: held
    /// here and not lost.
    pub fn can_sign_here(&self) -> bool {
        self.private && !self.is_lost()
    }

    /// `marked lost on DATE (reason)`, for a lost key.
    pub fn lost_note(&self) -> Option<String> {
        self.lost.as_ref().map(|l| {
            format!(
                "marked lost on {}{}",
                l.on,
                l.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            )
        })
    }

    /// Refuses a lost key for `what` ("sign", "be added to a role", …).
    pub fn refuse_if_lost(&self, what: &str) -> Result<()> {
        match self.lost_note() {
            None => Ok(()),
            Some(note) => Err(Error::input(format!(
                "key {} was {note}: it cannot {what}",
                self.display()
            ))
            .hint(self.lost_hint())),
        }
    }

    /// What to do instead of using a lost key, by the role it was made for.
    fn lost_hint(&self) -> String {
        let take_out = match self.role.as_str() {
            "root" => format!("`ceremony root rotate --remove-key {}`", self.spec()),
            "targets" | "snapshot" | "timestamp" => {
                format!("`ceremony root rotate --{}-key NEW`", self.role)
            }
            _ => "`ceremony delegation add ROLE` with the other keys".to_string(),
        };
        format!(
            "a lost key stays lost: take it out of the roles that name it ({take_out}) and use a new key"
        )
    }

    /// How to name this key on a command line: its label when that needs
    /// no quoting, else its ID.
    pub fn spec(&self) -> String {
        let plain = !self.label.is_empty()
            && self
                .label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if plain {
            self.label.clone()
        } else {
            self.id.clone()
        }
    }
}

fn check_reason(reason: Option<&str>) -> Result<Option<String>> {
    let Some(r) = reason else { return Ok(None) };
    let r = r.trim();
    if r.is_empty() {
        return Ok(None);
    }
    if r.chars().count() > MAX_REASON || r.chars().any(char::is_control) {
        return Err(Error::input(format!(
            "--reason must be one line of at most {MAX_REASON} characters"
        )));
    }
    Ok(Some(r.to_string()))
}

impl Workspace {
    /// Checks that `spec` names a key that can be marked lost, before any
    /// question is asked: the key, and the reason as it will be kept.
    pub fn plan_mark_lost(
        &self,
        spec: &str,
        reason: Option<&str>,
    ) -> Result<(KeyRecord, Option<String>)> {
        let rec = self.find_key(spec)?;
        if let Some(l) = &rec.lost {
            return Err(Error::input(format!(
                "key {} is already marked lost on {}",
                rec.display(),
                l.on
            ))
            .hint("nothing to do: a lost key stays lost"));
        }
        Ok((rec, check_reason(reason)?))
    }

    /// Marks the key `spec` lost: the record says when, why and how it was
    /// confirmed. The encrypted key file, if any, stays where it is and is
    /// never opened again. There is no way back.
    pub fn mark_lost(
        &self,
        spec: &str,
        reason: Option<&str>,
        confirmed: &str,
        now: OffsetDateTime,
    ) -> Result<KeyRecord> {
        let (mut rec, reason) = self.plan_mark_lost(spec, reason)?;
        let key_file = self.path(&format!("keys/{}.age", rec.id));
        rec.lost = Some(Lost {
            on: format_time(now),
            reason,
            confirmed: confirmed.to_string(),
            key_file_kept: rec.private && key_file.symlink_metadata().is_ok(),
        });
        // Not "held" any more either, so that a tool from before lost keys
        // (which ignores the mark) does not open the file.
        rec.private = false;
        let text = serde_json::to_vec_pretty(&rec).map_err(|e| Error::input(e.to_string()))?;
        self.write_state(&format!("keys/{}.json", rec.id), &text)?;
        self.record_change(crate::ceremony::step::Outcome::MarkedLost {
            key: rec.id.clone(),
        })?;
        Ok(rec)
    }

    /// The lost keys `root` still names, with their roles.
    pub fn lost_in_root(&self, root: &Root) -> Result<Vec<LostInRoot>> {
        let mut out = Vec::new();
        for rec in self.keys()?.into_iter().filter(KeyRecord::is_lost) {
            let mut roles = Vec::new();
            for name in TOP_ROLES {
                if root.role(name)?.keyids.contains(&rec.id) {
                    roles.push(name.to_string());
                }
            }
            if !roles.is_empty() {
                out.push(LostInRoot { rec, roles });
            }
        }
        Ok(out)
    }
}

impl LostInRoot {
    /// What to add to `ceremony root rotate` to take the key out: the exact
    /// `--remove-key` for a root key, a replacement for the other roles.
    pub fn remedy(&self) -> String {
        self.roles
            .iter()
            .map(|r| match r.as_str() {
                "root" => format!("--remove-key {}", self.rec.spec()),
                other => format!("--{other}-key NEW (replacing {})", self.rec.spec()),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A lost key a root still names, as `root status` reports it.
#[derive(Debug, Clone)]
pub struct LostLine {
    /// What and what to do, one line.
    pub text: String,
    /// True when the staged root keeps (or adds) the key: signing it would
    /// publish a root that still trusts a lost key.
    pub staged_keeps: bool,
}

impl Workspace {
    /// For `root status`: each lost key the current or the staged root
    /// still names, and what to do about it.
    pub fn lost_report(
        &self,
        current: Option<&Root>,
        staged: Option<&Root>,
    ) -> Result<Vec<LostLine>> {
        let in_current = match current {
            Some(r) => self.lost_in_root(r)?,
            None => Vec::new(),
        };
        let in_staged = match staged {
            Some(r) => self.lost_in_root(r)?,
            None => Vec::new(),
        };
        let mut out = Vec::new();
        for l in &in_current {
            if in_staged.iter().any(|x| x.rec.id == l.rec.id) {
                continue;
            }
            let tail = match staged {
                Some(s) => format!("the staged version {} takes it out", s.common.version),
                None => format!("rotate it out: `ceremony root rotate {}`", l.remedy()),
            };
            out.push(LostLine {
                text: format!(
                    "key {} was {} and is a {} key of the current root (version {}): {tail}",
                    l.rec.display(),
                    l.rec.lost_note().unwrap_or_default(),
                    l.roles.join(", "),
                    current.map_or(0, |c| c.common.version)
                ),
                staged_keeps: false,
            });
        }
        if let Some(s) = staged {
            for l in &in_staged {
                out.push(LostLine {
                    text: self.lost_staged_line(l, s.common.version),
                    staged_keeps: true,
                });
            }
        }
        Ok(out)
    }

    /// Refuses a staged root that adds a lost key to any role (one staged
    /// before the key was marked): the rule `root rotate` applies holds at
    /// signing too. A lost key the previous root already had is only warned
    /// about.
    pub fn refuse_lost_additions(&self, staged: &Root, prev: Option<&Root>) -> Result<()> {
        for l in self.lost_in_root(staged)? {
            let added: Vec<&str> = l
                .roles
                .iter()
                .filter(|r| {
                    prev.is_none_or(|p| !p.role(r).is_ok_and(|k| k.keyids.contains(&l.rec.id)))
                })
                .map(String::as_str)
                .collect();
            if !added.is_empty() {
                return Err(Error::input(format!(
                    "the staged root version {} adds key {} as a {} key, and that key was {}: a lost key cannot be added to a root",
                    staged.common.version,
                    l.rec.display(),
                    added.join(", "),
                    l.rec.lost_note().unwrap_or_default()
                ))
                .hint("`ceremony root discard`, then stage the root again with another key"));
            }
        }
        Ok(())
    }

    /// The warning for a lost key a staged root keeps, with the exact flag
    /// that takes it out.
    pub fn lost_staged_line(&self, l: &LostInRoot, version: u64) -> String {
        format!(
            "key {} was {} and stays a {} key of the staged version {version}: `ceremony root discard`, then stage the rotation again adding {}",
            l.rec.display(),
            l.rec.lost_note().unwrap_or_default(),
            l.roles.join(", "),
            l.remedy()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_from_before_lost_keys_still_read() -> Result<()> {
        let old = br#"{"id":"ab","role":"root","label":"a","algorithm":"ed25519","key":{},"private":true,"created":"2025-01-01T00:00:00Z"}"#;
        let rec: KeyRecord =
            serde_json::from_slice(old).map_err(|e| Error::input(e.to_string()))?;
        assert!(!rec.is_lost());
        assert!(rec.can_sign_here());
        assert!(rec.refuse_if_lost("sign").is_ok());
        // And a record without a mark is written as before: no `lost` field.
        let text = serde_json::to_string(&rec).map_err(|e| Error::input(e.to_string()))?;
        assert!(!text.contains("lost"), "{text}");
        Ok(())
    }

    #[test]
    fn a_lost_record_refuses_and_names_when_and_why() -> Result<()> {
        let text = br#"{"id":"ab","role":"root","label":"a b","algorithm":"ed25519","key":{},"private":true,"created":"2025-01-01T00:00:00Z","lost":{"on":"2025-02-03T04:05:06Z","reason":"stolen"}}"#;
        let rec: KeyRecord =
            serde_json::from_slice(text).map_err(|e| Error::input(e.to_string()))?;
        assert!(!rec.can_sign_here());
        let Err(e) = rec.refuse_if_lost("sign") else {
            panic!("a lost key was accepted");
        };
        assert!(
            e.reason()
                .contains("marked lost on 2025-02-03T04:05:06Z (stolen)")
        );
        // A label that needs quoting is named by its ID in suggested commands.
        assert!(e.hint_text().is_some_and(|h| h.contains("--remove-key ab")));
        Ok(())
    }

    #[test]
    fn reasons_are_one_short_line() {
        assert!(check_reason(Some("line\nbreak")).is_err());
        assert!(check_reason(Some(&"x".repeat(MAX_REASON + 1))).is_err());
        assert_eq!(check_reason(Some("  ")).ok(), Some(None));
        assert_eq!(
            check_reason(Some(" stolen ")).ok(),
            Some(Some("stolen".into()))
        );
    }
}

//! `key list` and `key mark-lost`.

use super::{Cli, hint, now};
use crate::ceremony::Workspace;
use crate::ceremony::ui::Preview;
use crate::error::Result;

/// `key list`: one line per key with its roles in the current root and
/// where its private half is.
pub(super) fn list(ws: &Workspace, json: bool) -> Result<()> {
    let l = ws.key_listing()?;
    if json {
        return super::json::key_list(&l);
    }
    let in_root = match l.root_version {
        Some(v) => format!("IN ROOT v{v}"),
        None => "IN ROOT".into(),
    };
    crate::outln!(
        "{:<18} {:<16} {:<11} {:<64} {:<24} PRIVATE KEY",
        "ROLE",
        "LABEL",
        "ALGORITHM",
        "KEY ID",
        in_root
    );
    for k in &l.keys {
        let roles = if k.in_root.is_empty() {
            "-".to_string()
        } else {
            k.in_root.join(",")
        };
        crate::outln!(
            "{:<18} {:<16} {:<11} {:<64} {:<24} {}",
            k.rec.role,
            k.rec.label,
            k.rec.algorithm,
            k.rec.id,
            roles,
            k.describe()
        );
    }
    for p in &l.problems {
        crate::errln!("warning: {p}");
    }
    Ok(())
}

/// `key mark-lost`: shows the key and what marking means, asks, records.
pub(super) fn mark_lost(cli: &Cli, ws: &Workspace, id: &str, reason: Option<&str>) -> Result<()> {
    let (rec, reason) = ws.plan_mark_lost(id, reason)?;
    let c = ws.confirm(
        &mut cli.ui(),
        Preview::MarkLost {
            key: &rec,
            reason: reason.as_deref(),
        },
    )?;
    let rec = ws.mark_lost(&rec.id, reason.as_deref(), &c.describe(), now())?;
    crate::errln!(
        "key {} is {}",
        rec.display(),
        rec.lost_note().unwrap_or_default()
    );
    // The marking is kept; a staged root that cannot be read now only
    // costs the advice.
    let lost = ws.root_status(now()).map(|s| s.lost).unwrap_or_default();
    for l in &lost {
        crate::errln!("  {}", l.text);
    }
    if lost.is_empty() {
        hint("no root names it; `ceremony key list` shows every key");
    } else {
        hint("rotate it out (see above), then `ceremony root sign` and `ceremony export OUT`");
    }
    crate::outln!("{}", rec.id);
    Ok(())
}

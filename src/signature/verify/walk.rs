//! The walk over targets and its delegations, bounded however the graph is
//! drawn. Each role is walked once (a visited set, as TUF clients keep), so
//! a role that delegates to itself or to an ancestor ends the walk instead
//! of repeating it; a TUF role more delegations below `targets` than
//! python-tuf would ever follow is reported, not loaded; and the number of
//! delegations and of key IDs they name is capped, so a hostile graph costs
//! bounded time and memory.
//!
//! A role named by more than one delegation is walked once but must meet
//! every delegation that names it: a client may reach it through any of
//! them first (python-tuf verifies it against the parent it came through).
//! A role delegating to itself is the one delegation no client ever uses,
//! so it is only noted.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::Refusal;
use super::{Chain, Envs, Report, envelope, explain, snapshot_entry};
use crate::error::{Error, Result};
use crate::metadata::roles::{MetaList, Targets};
use crate::metadata::root::{KeyEntry, RoleKeys};
use crate::metadata::{Dialect, Parsed, format_time};
use crate::signature::{Checked, check_unique_signatures, tally_checked};

/// python-tuf 7's `max_delegations`: a client visits at most this many
/// roles besides `targets` when it looks for a target (`while
/// len(visited) <= 32`), so a role more than this many delegations below
/// `targets` is never loaded by it.
pub const MAX_DELEGATION_DEPTH: usize = 32;
/// The most delegations walked in one repository (PEP 458's hashed bins
/// use 16,384).
pub const MAX_DELEGATIONS: usize = 16_384;
/// The most key IDs all delegations together may name.
pub const MAX_DELEGATED_KEYIDS: usize = 1 << 20;

/// A role waiting to be checked.
struct Pending {
    role: String,
    file: String,
    depth: usize,
    /// The delegating role; None for `targets`, which the root delegates.
    parent: Option<String>,
    keys: RoleKeys,
}

/// A role whose file was checked and trusted.
struct Walked {
    file: String,
    targets: Targets,
}

/// A further delegation to a role already taken into the walk.
struct Again {
    role: String,
    parent: String,
    keys: RoleKeys,
}

/// What the walk needs from the rest of the verification.
pub(super) struct Repo<'a> {
    pub files: &'a BTreeMap<String, Vec<u8>>,
    pub envs: &'a Envs,
    pub chain: &'a Chain,
    pub snapshot: Option<&'a MetaList>,
    pub at: time::OffsetDateTime,
}

/// Checks `targets` (in file `tname`) and every role it delegates to.
/// Err when the graph is larger than this tool walks.
pub(super) fn walk<'a>(
    repo: &Repo<'a>,
    tname: String,
    targets_keys: RoleKeys,
    report: &mut Report,
) -> Result<()> {
    let dialect = report.dialect;
    let root = &repo.chain.root;
    let mut queue = VecDeque::from([Pending {
        role: "targets".into(),
        file: tname,
        depth: 0,
        parent: None,
        keys: targets_keys,
    }]);
    let mut reached: BTreeSet<String> = BTreeSet::from(["targets".to_string()]);
    let mut walked: BTreeMap<String, Walked> = BTreeMap::new();
    let mut checked: BTreeMap<String, Checked<'a>> = BTreeMap::new();
    let mut again: Vec<Again> = Vec::new();
    let (mut edges, mut keyids) = (0usize, 0usize);

    while let Some(p) = queue.pop_front() {
        let Some(Ok(env)) = repo.envs.get(&p.file) else {
            continue;
        };
        let parent_keys = match &p.parent {
            None => &root.keys,
            Some(name) => match walked.get(name) {
                Some(w) => &w.targets.keys,
                None => continue,
            },
        };
        let c = checked
            .entry(p.file.clone())
            .or_insert_with(|| Checked::over(&env.canonical));
        let t = match check_role(repo, dialect, &p, env, c, parent_keys) {
            Ok(t) => t,
            Err(why) => {
                report.fail(&p.file, why);
                continue;
            }
        };
        report.pass(&p.file, t.1);
        let t = t.0;
        for d in &t.roles {
            edges += 1;
            keyids = keyids.saturating_add(d.keyids.len());
            if edges > MAX_DELEGATIONS || keyids > MAX_DELEGATED_KEYIDS {
                return Err(Error::input(format!(
                    "the delegations go beyond what this tool walks ({MAX_DELEGATIONS} delegations naming {MAX_DELEGATED_KEYIDS} key IDs in all); stopped at {} in {}",
                    d.name, p.file
                ))
                .hint("verify this repository with its own client"));
            }
            let rk = RoleKeys {
                keyids: d.keyids.clone(),
                threshold: d.threshold,
            };
            if d.name == p.role {
                report.notes.push(format!(
                    "{} delegates to itself: a client skips a role it has visited, so that delegation is never used",
                    p.role
                ));
                continue;
            }
            if !reached.insert(d.name.clone()) {
                again.push(Again {
                    role: d.name.clone(),
                    parent: p.role.clone(),
                    keys: rk,
                });
                continue;
            }
            let meta = repo
                .snapshot
                .and_then(|s| s.meta.get(&snapshot_entry(dialect, &d.name)).cloned());
            let Some(f) = super::delegated_file(repo.files, dialect, root, &d.name, meta.as_ref())
            else {
                report.notes.push(format!(
                    "delegated role {} has no file here (not checked)",
                    d.name
                ));
                continue;
            };
            let depth = p.depth + 1;
            if dialect == Dialect::Tuf && depth > MAX_DELEGATION_DEPTH {
                report.fail(
                    &f,
                    format!(
                        "{} is {depth} delegations below targets; a client follows at most {MAX_DELEGATION_DEPTH} (python-tuf's max_delegations), so none would load it",
                        d.name
                    ),
                );
                continue;
            }
            if envelope(repo.envs, &f, report).is_some() {
                queue.push_back(Pending {
                    role: d.name.clone(),
                    file: f,
                    depth,
                    parent: Some(p.role.clone()),
                    keys: rk,
                });
            }
        }
        walked.insert(
            p.role.clone(),
            Walked {
                file: p.file.clone(),
                targets: t,
            },
        );
    }

    // Roles named again: checked against that delegation too, walked once.
    for a in again {
        let (Some(child), Some(parent)) = (walked.get(&a.role), walked.get(&a.parent)) else {
            continue;
        };
        let (Some(Ok(env)), Some(c)) = (repo.envs.get(&child.file), checked.get_mut(&child.file))
        else {
            continue;
        };
        let t = tally_checked(dialect, &env.env, c, &a.keys, &parent.targets.keys, None);
        if t.met() {
            report.notes.push(format!(
                "{} is delegated again by {}: it meets that delegation too (walked once)",
                a.role, a.parent
            ));
        } else {
            report.demote(
                &child.file,
                format!(
                    "{} also delegates {}, and this file does not meet that delegation: {}",
                    a.parent,
                    a.role,
                    explain(&t)
                ),
            );
        }
    }
    Ok(())
}

/// Checks one role's file (its delegations' names are judged as it is
/// parsed): snapshot's description of it, its signatures against the
/// delegation that reached it, expiry.
fn check_role(
    repo: &Repo<'_>,
    dialect: Dialect,
    p: &Pending,
    parsed: &Parsed,
    c: &mut Checked<'_>,
    parent_keys: &BTreeMap<String, KeyEntry>,
) -> std::result::Result<(Targets, String), Refusal> {
    let bytes = repo
        .files
        .get(&p.file)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let described = repo
        .snapshot
        .and_then(|s| s.meta.get(&snapshot_entry(dialect, &p.role)).cloned());
    let env = &parsed.env;
    let t = Targets::parse(dialect, &env.signed, &p.role).map_err(Refusal::from)?;
    if let Some(m) = &described {
        m.check(bytes)
            .map_err(|e| format!("does not match snapshot: {e}"))?;
        if m.version.is_some_and(|v| v != t.common.version) {
            return Err(format!(
                "is version {}, snapshot names {}",
                t.common.version,
                m.version.unwrap_or(0)
            )
            .into());
        }
    } else if repo.snapshot.is_some() && p.role != "targets" {
        return Err("not listed in snapshot (a client would not load it)".into());
    }
    check_unique_signatures(env).map_err(|e| e.reason().to_string())?;
    let tl = tally_checked(dialect, env, c, &p.keys, parent_keys, None);
    if tl.refuses(t.common.expires <= repo.at) {
        return Err(format!("threshold not met: {}", explain(&tl)).into());
    }
    if t.common.expires <= repo.at {
        return Err(format!("expired on {}", format_time(t.common.expires)).into());
    }
    let detail = format!(
        "{} version {}, signatures {}, expires {}",
        p.role,
        t.common.version,
        tl.fraction(),
        format_time(t.common.expires)
    );
    Ok((t, detail))
}

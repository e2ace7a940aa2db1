//! `--json`: the machine-readable form of listing and status commands.
//!
//! Every document is one JSON object on stdout whose `schema` field names
//! its kind and version (`ceremony.key-list/1`). The documents are built
//! here from the engine's typed outcomes, field by field, so that the
//! engine's internals can change without changing what scripts read;
//! `docs/json.md` and `docs/schema/*.json` describe them, and the tests
//! check every command's output against those schemas. Times are
//! `YYYY-MM-DDTHH:MM:SSZ`; key IDs are lowercase hex as metadata lists them.

use serde::Serialize;
use time::OffsetDateTime;

use crate::ceremony::Workspace;
use crate::ceremony::custody::{Custody, KeyListing};
use crate::ceremony::export::ExportOutcome;
use crate::ceremony::import::ImportOutcome;
use crate::ceremony::requests::{Checked, Review};
use crate::ceremony::root::{RootStatus, RootTally};
use crate::ceremony::shares::ShareSetInfo;
use crate::error::{Error, Result};
use crate::metadata::format_time;
use crate::metadata::root_diff::KeyView as DiffKey;
use crate::signature::Tally;
use crate::signature::verify::Report;
use crate::transfer::words;

/// Prints `doc` as one line of JSON on stdout.
pub fn print<T: Serialize>(doc: &T) -> Result<()> {
    let text =
        serde_json::to_string(doc).map_err(|e| Error::input(format!("cannot write JSON: {e}")))?;
    crate::outln!("{text}");
    Ok(())
}

fn time(t: OffsetDateTime) -> String {
    format_time(t)
}

/// A key named in a tally or listing: ID and, where the ceremony knows it,
/// its label.
#[derive(Serialize)]
struct KeyRef {
    id: String,
    label: Option<String>,
}

fn key_ref(ws: Option<&Workspace>, id: &str) -> KeyRef {
    KeyRef {
        id: id.to_string(),
        label: ws
            .and_then(|w| w.key_by_id(id).ok().flatten())
            .map(|k| k.label),
    }
}

#[derive(Serialize)]
struct TallyDoc {
    threshold: u64,
    met: bool,
    signed: Vec<KeyRef>,
    missing: Vec<KeyRef>,
    problems: Vec<String>,
}

fn tally(ws: Option<&Workspace>, t: &Tally) -> TallyDoc {
    TallyDoc {
        threshold: t.threshold,
        met: t.met(),
        signed: t.valid.iter().map(|id| key_ref(ws, id)).collect(),
        missing: t.missing.iter().map(|id| key_ref(ws, id)).collect(),
        problems: t.problems.clone(),
    }
}

// ---- key list -------------------------------------------------------------

#[derive(Serialize)]
struct KeyListDoc {
    schema: &'static str,
    root_version: Option<u64>,
    keys: Vec<KeyDoc>,
    problems: Vec<String>,
}

#[derive(Serialize)]
struct KeyDoc {
    id: String,
    canonical_id: Option<String>,
    label: String,
    role: String,
    algorithm: String,
    words: String,
    in_root: Vec<String>,
    custody: &'static str,
    share_sets: Vec<SetDoc>,
    lost: Option<LostDoc>,
    created: String,
}

#[derive(Serialize)]
struct SetDoc {
    set_id: String,
    threshold: u8,
    total: u8,
}

#[derive(Serialize)]
struct LostDoc {
    on: String,
    reason: Option<String>,
}

/// `key list --json`.
pub fn key_list(l: &KeyListing) -> Result<()> {
    print(&KeyListDoc {
        schema: "ceremony.key-list/1",
        root_version: l.root_version,
        keys: l
            .keys
            .iter()
            .map(|k| KeyDoc {
                id: k.rec.id.clone(),
                canonical_id: k.rec.canonical_id.clone(),
                label: k.rec.label.clone(),
                role: k.rec.role.clone(),
                algorithm: k.rec.algorithm.clone(),
                words: words::key_phrase(&k.rec.id),
                in_root: k.in_root.clone(),
                custody: match k.custody {
                    Custody::Held => "held",
                    Custody::FileMissing => "file-missing",
                    Custody::SharesOnly => "shares-only",
                    Custody::Elsewhere => "elsewhere",
                    Custody::Lost => "lost",
                },
                share_sets: k
                    .sets
                    .iter()
                    .map(|s| SetDoc {
                        set_id: s.set_id.clone(),
                        threshold: s.threshold,
                        total: s.total,
                    })
                    .collect(),
                lost: k.rec.lost.as_ref().map(|l| LostDoc {
                    on: l.on.clone(),
                    reason: l.reason.clone(),
                }),
                created: k.rec.created.clone(),
            })
            .collect(),
        problems: l.problems.clone(),
    })
}

// ---- root status ----------------------------------------------------------

#[derive(Serialize)]
struct RootStatusDoc {
    schema: &'static str,
    current: Option<u64>,
    staged: Option<StagedDoc>,
    changes: Vec<String>,
    expires: Option<String>,
    lost: Vec<String>,
}

#[derive(Serialize)]
struct StagedDoc {
    version: u64,
    complete: bool,
    previous: Option<PreviousDoc>,
    own: TallyDoc,
}

#[derive(Serialize)]
struct PreviousDoc {
    version: u64,
    tally: TallyDoc,
}

fn staged(ws: &Workspace, t: &RootTally) -> StagedDoc {
    StagedDoc {
        version: t.version,
        complete: t.complete(),
        previous: t.old.as_ref().map(|(v, old)| PreviousDoc {
            version: *v,
            tally: tally(Some(ws), old),
        }),
        own: tally(Some(ws), &t.new),
    }
}

/// `root status --json`.
pub fn root_status(ws: &Workspace, s: &RootStatus) -> Result<()> {
    print(&RootStatusDoc {
        schema: "ceremony.root-status/1",
        current: s.current,
        staged: s.staged.as_ref().map(|t| staged(ws, t)),
        changes: s.changes.clone(),
        expires: s.expires.map(time),
        lost: s.lost.iter().map(|l| l.text.clone()).collect(),
    })
}

// ---- shares list ----------------------------------------------------------

#[derive(Serialize)]
struct SharesListDoc {
    schema: &'static str,
    sets: Vec<ShareSetDoc>,
}

#[derive(Serialize)]
struct ShareSetDoc {
    set_id: String,
    key_id: String,
    key_label: String,
    threshold: u8,
    total: u8,
    created: String,
    superseded: bool,
    replaces: Option<String>,
    custodians: Vec<CustodianDoc>,
}

#[derive(Serialize)]
struct CustodianDoc {
    name: String,
    index: u8,
    recipient: String,
}

/// `shares list --json`.
pub fn shares_list(sets: &[ShareSetInfo]) -> Result<()> {
    print(&SharesListDoc {
        schema: "ceremony.shares-list/1",
        sets: sets
            .iter()
            .map(|s| {
                let m = &s.manifest;
                ShareSetDoc {
                    set_id: m.set_id.clone(),
                    key_id: m.key_id.clone(),
                    key_label: m.key_label.clone(),
                    threshold: m.threshold,
                    total: m.total,
                    created: m.created.clone(),
                    superseded: s.superseded,
                    replaces: m.replaces.clone(),
                    custodians: m
                        .custodians
                        .iter()
                        .map(|c| CustodianDoc {
                            name: c.name.clone(),
                            index: c.index,
                            recipient: c.recipient.clone(),
                        })
                        .collect(),
                }
            })
            .collect(),
    })
}

// ---- request show ---------------------------------------------------------

#[derive(Serialize)]
struct RequestDoc {
    schema: &'static str,
    dialect: String,
    gun: Option<String>,
    version: u64,
    digest: String,
    words: String,
    chain: ChainDoc,
    expires_before: Option<String>,
    expires_after: String,
    roles: Vec<RoleDoc>,
    unused_keys: Vec<String>,
    tallies: Vec<NamedTallyDoc>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct ChainDoc {
    /// `trusted-root` or `first-use`.
    checked: &'static str,
    trusted_version: Option<u64>,
    trusted_sha256: Option<String>,
    steps: Option<u64>,
    first_use_start: Option<u64>,
    text: String,
}

#[derive(Serialize)]
struct RoleDoc {
    role: String,
    threshold_before: Option<u64>,
    threshold_after: u64,
    added: Vec<KeyDetailDoc>,
    removed: Vec<KeyDetailDoc>,
    kept: Vec<KeyDetailDoc>,
}

#[derive(Serialize)]
struct KeyDetailDoc {
    id: String,
    keytype: String,
    fingerprint: Option<String>,
    cert_cn: Option<String>,
    cert_not_before: Option<String>,
    cert_not_after: Option<String>,
}

#[derive(Serialize)]
struct NamedTallyDoc {
    name: String,
    tally: TallyDoc,
}

fn key_detail(v: Option<&DiffKey>, id: &str) -> KeyDetailDoc {
    KeyDetailDoc {
        id: id.to_string(),
        keytype: v.map(|v| v.keytype.clone()).unwrap_or_default(),
        fingerprint: v.and_then(|v| v.fingerprint.clone().ok()),
        cert_cn: v.and_then(|v| v.cert.as_ref().and_then(|c| c.common_name.clone())),
        cert_not_before: v.and_then(|v| v.cert.as_ref().map(|c| time(c.not_before))),
        cert_not_after: v.and_then(|v| v.cert.as_ref().map(|c| time(c.not_after))),
    }
}

/// `request show --json` (and `request create --json`).
pub fn request(rv: &Review) -> Result<()> {
    let c = &rv.changes;
    let chain = match &rv.checked {
        Checked::TrustedRoot {
            version,
            sha256,
            steps,
        } => ChainDoc {
            checked: "trusted-root",
            trusted_version: Some(*version),
            trusted_sha256: Some(sha256.clone()),
            steps: Some(*steps),
            first_use_start: None,
            text: rv.checked.describe(),
        },
        Checked::FirstUse { start } => ChainDoc {
            checked: "first-use",
            trusted_version: None,
            trusted_sha256: None,
            steps: None,
            first_use_start: *start,
            text: rv.checked.describe(),
        },
    };
    let keys = |ids: &[String]| -> Vec<KeyDetailDoc> {
        ids.iter()
            .map(|id| key_detail(c.keys.get(id), id))
            .collect()
    };
    print(&RequestDoc {
        schema: "ceremony.request/1",
        dialect: rv.dialect.name().to_string(),
        gun: rv.gun.clone(),
        version: rv.version,
        digest: rv.digest.clone(),
        words: rv.words.clone(),
        chain,
        expires_before: c.expires_before.map(time),
        expires_after: time(c.expires_after),
        roles: c
            .roles
            .iter()
            .map(|r| RoleDoc {
                role: r.role.clone(),
                threshold_before: r.threshold_before,
                threshold_after: r.threshold_after,
                added: keys(&r.added),
                removed: keys(&r.removed),
                kept: keys(&r.kept),
            })
            .collect(),
        unused_keys: c.unused_keys.clone(),
        tallies: rv
            .tallies
            .iter()
            .map(|(name, t)| NamedTallyDoc {
                name: name.clone(),
                tally: tally(None, t),
            })
            .collect(),
        warnings: rv.warnings.clone(),
    })
}

// ---- verify ---------------------------------------------------------------

#[derive(Serialize)]
struct VerifyDoc {
    schema: &'static str,
    trusted: bool,
    dialect: String,
    gun: Option<String>,
    start: Option<StartDoc>,
    files: Vec<FileDoc>,
    notes: Vec<String>,
}

#[derive(Serialize)]
struct StartDoc {
    name: String,
    version: Option<u64>,
    /// True when given with --trusted-root; false: taken on first use.
    given: bool,
}

#[derive(Serialize)]
struct FileDoc {
    name: String,
    ok: bool,
    detail: String,
}

fn verify_doc(r: &Report) -> VerifyDoc {
    VerifyDoc {
        schema: "ceremony.verify/1",
        trusted: r.trusted(),
        dialect: r.dialect.name().to_string(),
        gun: r.gun.clone(),
        start: r.start.as_ref().map(|s| StartDoc {
            name: s.name.clone(),
            version: s.version,
            given: s.given,
        }),
        files: r
            .files
            .iter()
            .map(|f| FileDoc {
                name: f.name.clone(),
                ok: f.ok,
                detail: f.detail.clone(),
            })
            .collect(),
        notes: r.notes.clone(),
    }
}

/// `verify --json`.
pub fn verify(r: &Report) -> Result<()> {
    print(&verify_doc(r))
}

// ---- import, export -------------------------------------------------------

#[derive(Serialize)]
struct ImportDoc {
    schema: &'static str,
    files: Vec<String>,
    words: String,
    keys: Vec<ImportedKeyDoc>,
    merged: Option<MergedDoc>,
    staged_targets: bool,
    ignored: Vec<String>,
}

#[derive(Serialize)]
struct ImportedKeyDoc {
    key: String,
    known: bool,
    words: String,
}

#[derive(Serialize)]
struct MergedDoc {
    signed_by: Vec<String>,
    completed: bool,
    root: StagedDoc,
}

/// `import --json`.
pub fn import(ws: &Workspace, o: &ImportOutcome) -> Result<()> {
    print(&ImportDoc {
        schema: "ceremony.import/1",
        files: o.files.clone(),
        words: o.words.clone(),
        keys: o
            .keys
            .iter()
            .map(|k| ImportedKeyDoc {
                key: k.display.clone(),
                known: k.known,
                words: k.phrase.clone(),
            })
            .collect(),
        merged: o.merged.as_ref().map(|m| MergedDoc {
            signed_by: m.signed_by.clone(),
            completed: m.completed,
            root: staged(ws, &m.tally),
        }),
        staged_targets: o.staged_targets,
        ignored: o.ignored.clone(),
    })
}

#[derive(Serialize)]
struct ExportDoc {
    schema: &'static str,
    out: String,
    written: Vec<String>,
    upload: Vec<String>,
    frames: usize,
    verify: VerifyDoc,
}

/// `export --json`.
pub fn export(out: &std::path::Path, o: &ExportOutcome) -> Result<()> {
    print(&ExportDoc {
        schema: "ceremony.export/1",
        out: out.display().to_string(),
        written: o.written.clone(),
        upload: o.upload.clone(),
        frames: o.frames.len(),
        verify: verify_doc(&o.report),
    })
}

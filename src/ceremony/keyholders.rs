//! Signing by request as a ceremony step: the room writes a request for the
//! staged root, keyholders at other machines review and sign it with their
//! own tool (`ceremony request sign`), and the room takes the signed copies
//! back. What the room is shown of each keyholder comes from the staged root
//! and the signatures that verify over it, never from what a returned file
//! claims about itself.

use std::path::{Path, PathBuf};
use time::OffsetDateTime;

use super::Workspace;
use super::custody::Custody;
use super::root::{RootTally, SignOutcome};
use super::step::{Answer, Ask, Outcome, RunUi};
use super::ui::Event;
use crate::error::{Error, Result};
use crate::metadata::root::short;
use crate::transfer::input::{Limit, read_file};
use crate::transfer::request::Request;
use crate::transfer::{self, sha256_hex};

/// More files than this in a folder of returned requests is not a handful
/// of keyholders' answers: refused rather than read.
const MAX_RETURNED: usize = 64;

/// One root key that may sign the staged root, as this ceremony knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyholder {
    /// Its key ID.
    pub id: String,
    /// Its label in this ceremony directory (a short ID if it has none).
    pub label: String,
    /// A root key of the previous root.
    pub old: bool,
    /// A root key of the staged root.
    pub new: bool,
    /// Where its private half is, as this ceremony knows.
    pub custody: Custody,
    /// A valid signature by it is on the staged root.
    pub signed: bool,
}

/// Who may sign the staged root and who has.
#[derive(Debug, Clone)]
pub struct Keyholders {
    /// The counts against the previous and the staged root.
    pub tally: RootTally,
    /// Each root key of either root, old ones first.
    pub keys: Vec<Keyholder>,
    /// SHA-256 of the staged body.
    pub digest: String,
    /// The digest as words, for keyholders to compare with their screens.
    pub words: String,
}

impl Keyholder {
    /// Its holder signs at another machine (or its file went with her).
    pub fn away(&self) -> bool {
        matches!(self.custody, Custody::Elsewhere | Custody::FileMissing)
    }
}

impl Keyholders {
    /// Labels of the keys that must sign elsewhere and have not yet.
    pub fn away(&self) -> Vec<String> {
        self.keys
            .iter()
            .filter(|k| !k.signed && k.away())
            .map(|k| k.label.clone())
            .collect()
    }

    /// The counts and one line per key, as every front-end shows them.
    pub fn lines(&self) -> Vec<String> {
        let count = |t: &crate::signature::Tally| {
            format!(
                "{} of {} needed{}",
                t.valid.len(),
                t.threshold,
                if t.met() { " (met)" } else { "" }
            )
        };
        let mut out = Vec::new();
        if let Some((v, t)) = &self.tally.old {
            out.push(format!("old root v{v}: {}", count(t)));
        }
        out.push(format!(
            "new root v{}: {}",
            self.tally.version,
            count(&self.tally.new)
        ));
        for k in &self.keys {
            let roots = match (k.old, k.new) {
                (true, true) => "old+new",
                (true, false) => "old    ",
                _ => "    new",
            };
            let state = match (&k.custody, k.signed) {
                (_, true) => "✓ signed",
                (Custody::Lost, _) => "✗ lost: never signs",
                (Custody::Held, _) => "· held here",
                (Custody::SharesOnly, _) => "· as shares here",
                _ => "· waiting: signs elsewhere",
            };
            out.push(format!(
                "  {:<10} {roots} {state}",
                crate::text::printable(&k.label)
            ));
        }
        out
    }
}

/// A request written for the keyholders.
#[derive(Debug, Clone)]
pub struct WrittenRequest {
    /// Where.
    pub path: PathBuf,
    /// SHA-256 of the file.
    pub sha256: String,
    /// The staged version.
    pub version: u64,
    /// SHA-256 of the body to sign.
    pub digest: String,
    /// The digest as words.
    pub words: String,
}

/// Signed requests taken back.
#[derive(Debug, Clone)]
pub struct Collected {
    /// Each file read, with its SHA-256.
    pub files: Vec<(String, String)>,
    /// What merging their signatures did.
    pub outcome: SignOutcome,
    /// What each new signer's tool noted (not covered by any signature).
    pub notes: Vec<String>,
}

/// The files `paths` name: a file itself, a folder its `.json` entries
/// (sorted, so the record is the same on every machine). A `.json` entry
/// that is not a regular file (a link, a device) is refused by name:
/// skipping it would hide what was brought, following it would read what
/// was not.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::symlink_metadata(p).map_err(|e| Error::io(p, e))?;
        if !meta.is_dir() {
            out.push(p.clone());
            continue;
        }
        let mut found = Vec::new();
        for e in std::fs::read_dir(p).map_err(|e| Error::io(p, e))? {
            let e = e.map_err(|e| Error::io(p, e))?;
            let path = e.path();
            let is_json = path.extension().is_some_and(|x| x == "json");
            if !is_json {
                continue;
            }
            let kind = e.file_type().map_err(|err| Error::io(&path, err))?;
            if let Some(what) = crate::transfer::input::not_regular(kind) {
                return Err(Error::input(format!(
                    "{} is {what}, not a signed copy",
                    path.display()
                ))
                .hint("put the keyholders' signed files themselves in the folder"));
            }
            found.push(path);
            if found.len() > MAX_RETURNED {
                return Err(Error::input(format!(
                    "{} holds more than {MAX_RETURNED} .json files; it is not a folder of returned requests",
                    p.display()
                ))
                .hint("put only the keyholders' signed requests in the folder"));
            }
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

impl Workspace {
    /// Who may sign the staged root, who is here and who has signed.
    pub fn keyholders(&self, now: OffsetDateTime) -> Result<Keyholders> {
        let tally = self.root_status(now)?.staged.ok_or_else(|| {
            Error::input("no root is staged")
                .hint("stage one first (`do = \"root-rotate\"` or `root-init`)")
        })?;
        let body = self.staged_for_request(now)?.env.canonical_signed();
        let digest = sha256_hex(&body);
        let sets = self.share_sets_by_key(&mut Vec::new())?;
        let mut keys: Vec<Keyholder> = Vec::new();
        let mut add = |id: &str, signed: bool, old: bool| -> Result<()> {
            if let Some(k) = keys.iter_mut().find(|k| k.id == id) {
                k.old |= old;
                k.new |= !old;
                k.signed |= signed;
                return Ok(());
            }
            let (label, custody) = match self.key_by_id(id)? {
                Some(rec) => {
                    let mine = sets.get(id).cloned().unwrap_or_default();
                    (rec.label.clone(), self.custody(&rec, &mine))
                }
                None => (short(id), Custody::Elsewhere),
            };
            keys.push(Keyholder {
                id: id.to_string(),
                label,
                old,
                new: !old,
                custody,
                signed,
            });
            Ok(())
        };
        if let Some((_, t)) = &tally.old {
            for id in &t.valid {
                add(id, true, true)?;
            }
            for id in &t.missing {
                add(id, false, true)?;
            }
        }
        for id in &tally.new.valid {
            add(id, true, false)?;
        }
        for id in &tally.new.missing {
            add(id, false, false)?;
        }
        Ok(Keyholders {
            words: transfer::words::digest_phrase(&body),
            tally,
            keys,
            digest,
        })
    }

    /// Writes a signing request for the staged root into `folder` (made if
    /// missing) as `root-v<N>.request.json`. A file already there is kept
    /// only if it is this very request (a step resumed after a crash).
    pub fn write_request(&self, folder: &Path, now: OffsetDateTime) -> Result<WrittenRequest> {
        let req = self.make_request(now)?;
        let bytes = req.to_bytes();
        self.make_dirs(folder)?;
        let path = folder.join(format!("root-v{}.request.json", req.version));
        match std::fs::read(&path) {
            Ok(old) if old == bytes => {}
            Ok(_) => {
                return Err(Error::input(format!(
                    "{} already exists and is not this request",
                    path.display()
                ))
                .hint("give the step an empty folder, or move the old file away"));
            }
            Err(_) => self.write_new(&path, &bytes)?,
        }
        Ok(WrittenRequest {
            path,
            sha256: sha256_hex(&bytes),
            version: req.version,
            words: req.words(),
            digest: req.digest,
        })
    }

    /// Reads the signed requests in `paths` (files, or folders of `.json`
    /// files) and merges their signatures into the staged root. Every
    /// signature is checked against the staged and previous roots; nothing
    /// changes unless all files are good and one brings a new signature.
    pub fn collect_requests(&self, paths: &[PathBuf], now: OffsetDateTime) -> Result<Collected> {
        let files = expand(paths)?;
        if files.is_empty() {
            let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            return Err(Error::input(format!(
                "no signed requests in {} yet",
                shown.join(", ")
            ))
            .hint("carry the request to the keyholders; when their signed copies are there, run the same command again to resume at this step"));
        }
        let mut read = Vec::new();
        let mut shown = Vec::new();
        for f in &files {
            let b = read_file(f, Limit::Request)?;
            let r = Request::parse(&b).map_err(|e| e.context(f.display()))?;
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| f.display().to_string());
            shown.push((crate::text::printable(&name).into_owned(), sha256_hex(&b)));
            read.push((f.display().to_string(), r));
        }
        // Only a signature the staged root does not carry yet is news; a
        // file with none (the unsigned request brought back) changes
        // nothing and is said so. Whether the news is good is for the
        // merge to check, against the roots themselves.
        let on_root = self.staged_for_request(now)?.env.signatures;
        let mut fresh: Vec<String> = Vec::new();
        for (_, r) in &read {
            for sig in r.metadata_signatures() {
                if !on_root.contains(&sig) && !fresh.contains(&sig.keyid) {
                    fresh.push(sig.keyid.clone());
                }
            }
        }
        if fresh.is_empty() {
            return Err(Error::input(format!(
                "{} file(s) read, but none carries a signature the staged root lacks",
                files.len()
            ))
            .hint("a keyholder may have brought the unsigned request back; ask her to sign it with `ceremony request sign`"));
        }
        let outcome = self.merge_requests(&read, now)?;
        let mut notes = Vec::new();
        for (_, r) in &read {
            for rec in r.records.iter().filter(|x| fresh.contains(&x.keyid)) {
                notes.push(format!(
                    "{}: her tool noted: {}; {} ({})",
                    self.label_of(&rec.keyid)?,
                    crate::text::printable(&rec.checked_against),
                    crate::text::printable(&rec.confirmed),
                    crate::text::printable(&rec.at)
                ));
            }
        }
        Ok(Collected {
            files: shown,
            outcome,
            notes,
        })
    }
}

/// The `request-signatures` step: the request is written and its words
/// shown, with who is to sign it elsewhere.
pub fn request_step(
    ws: &Workspace,
    out: &Path,
    ui: &mut dyn RunUi,
    now: OffsetDateTime,
) -> Result<Outcome> {
    let held = ws.keyholders(now)?;
    let away = held.away();
    if away.is_empty() {
        ui.event(Event::Note(
            "every root key that is still to sign is held here: nobody needs the request".into(),
        ));
    }
    let w = ws.write_request(out, now)?;
    ui.event(Event::Note(format!(
        "signing request for root version {} written: {}",
        w.version,
        w.path.display()
    )));
    ui.event(Event::Note(format!("its digest words: {}", w.words)));
    if !away.is_empty() {
        ui.event(Event::Note(format!(
            "to sign at their own machines: {}",
            away.join(", ")
        )));
    }
    Ok(Outcome::RequestWritten {
        version: w.version,
        file: w.path.display().to_string(),
        sha256: w.sha256,
        digest: w.digest,
        keyholders: away,
    })
}

/// The `collect-signatures` step: the room is shown who may sign and who
/// has; the signed copies brought to `from` (or the files the room names)
/// are checked and merged, and the new count shown.
pub fn collect_step(
    ws: &Workspace,
    from: &str,
    ui: &mut dyn RunUi,
    now: OffsetDateTime,
) -> Result<Outcome> {
    let held = ws.keyholders(now)?;
    let paths = match ui.ask(Ask::SignedRequests {
        keyholders: &held,
        from,
    })? {
        Answer::List(l) if !l.is_empty() => l,
        _ => vec![from.to_string()],
    };
    let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let c = ws.collect_requests(&paths, now)?;
    for (name, sha) in &c.files {
        ui.event(Event::Note(format!(
            "read {name} (sha256 {}…)",
            sha.get(..16).unwrap_or(sha)
        )));
    }
    for n in &c.notes {
        ui.event(Event::Note(n.clone()));
    }
    for s in &c.outcome.signed_by {
        ui.event(Event::Signed { key: s.clone() });
    }
    let after = ws.keyholders(now).ok();
    if let Some(a) = &after {
        for l in a.lines().into_iter().take(2) {
            ui.event(Event::Note(l));
        }
    }
    if c.outcome.completed {
        ui.event(Event::Note(format!(
            "root version {} has every signature it needs and joined the history",
            c.outcome.tally.version
        )));
    }
    Ok(Outcome::RequestsMerged {
        version: c.outcome.tally.version,
        files: c.files,
        signed_by: c.outcome.signed_by,
        complete: c.outcome.completed,
        digest: held.digest,
    })
}

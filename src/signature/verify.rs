//! Verifying a repository as a strict client would: the root chain from a
//! trusted root (each version exactly N+1, signed by the previous root's
//! threshold and its own), then timestamp → snapshot → targets → delegations
//! against the final root. The answer is a report per file, not a bool.

mod ahead;
pub use ahead::par_map;
mod walk;

pub use walk::{MAX_DELEGATED_KEYIDS, MAX_DELEGATION_DEPTH, MAX_DELEGATIONS};

use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

use super::{CertPolicy, Checked, Tally, check_unique_signatures, tally_checked};
use crate::error::{Error, Result};
use crate::metadata::names::role_name_problem;
use crate::metadata::roles::{FileMeta, MetaList};
use crate::metadata::root::{KeyEntry, RoleKeys, Root};
use crate::metadata::{Dialect, Envelope, Parsed, RoleKind, format_time};

/// How to verify.
#[derive(Debug, Clone)]
pub struct Options {
    /// The dialect; found from the files when None.
    pub dialect: Option<Dialect>,
    /// Notary GUN; read from the trusted root's certificate when None.
    pub gun: Option<String>,
    /// The time expiry is judged at.
    pub at: OffsetDateTime,
    /// A root the client already trusts (default: the lowest `N.root.json`).
    pub trusted_root: Option<Vec<u8>>,
    /// Check the root chain without judging any time (expiry of the final
    /// root, certificate validity): for the ceremony's own history, which
    /// may hold an expired root that a rotation is about to replace.
    pub ignore_time: bool,
}

/// The verdict on one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVerdict {
    /// File name.
    pub name: String,
    /// Trusted or not.
    pub ok: bool,
    /// Why, in one line.
    pub detail: String,
    /// Not trusted because the file could not be judged — a field in a
    /// form no strict client reads, or only keys of a type this tool does
    /// not know could meet a threshold — rather than because a check failed.
    pub unusable: bool,
}

/// Why a file is refused, and whether that makes it unusable input (exit 2)
/// rather than a failed check (exit 1). Plain text is a failed check, unless
/// it ends in [`UNDECIDED`]; an [`Error`] keeps its own kind.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// Why, in one line.
    pub detail: String,
    /// See [`FileVerdict::unusable`].
    pub unusable: bool,
}

impl From<String> for Refusal {
    fn from(detail: String) -> Self {
        let unusable = detail.ends_with(UNDECIDED);
        Refusal { detail, unusable }
    }
}

impl From<&str> for Refusal {
    fn from(detail: &str) -> Self {
        Refusal::from(detail.to_string())
    }
}

impl From<&Error> for Refusal {
    fn from(e: &Error) -> Self {
        let r = Refusal::from(e.reason().to_string());
        Refusal {
            unusable: r.unusable || e.exit_code() == 2,
            ..r
        }
    }
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        Refusal::from(&e)
    }
}

/// The verdict on a set of files.
#[derive(Debug, Clone)]
pub struct Report {
    /// The dialect used.
    pub dialect: Dialect,
    /// The GUN used (Notary).
    pub gun: Option<String>,
    /// One verdict per file, in the order they were checked.
    pub files: Vec<FileVerdict>,
    /// Remarks that are not verdicts (files not checked, inferred GUN).
    pub notes: Vec<String>,
    /// Where the root chain starts, once known.
    pub start: Option<Start>,
}

/// The root the chain starts at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// The file, or `trusted root` for one given as already trusted.
    pub name: String,
    /// Its version, when it could be read.
    pub version: Option<u64>,
    /// Whether it was given as already trusted; else it was taken on first
    /// use and nothing vouches for it.
    pub given: bool,
}

/// How the detail of a file ends when its verdict hangs only on keys of a
/// type this tool does not know (see [`super::Tally::undecided`]).
pub const UNDECIDED: &str =
    "undecided: only the signatures of unknown type could meet the threshold (unusable input)";

impl FileVerdict {
    /// Whether the file is refused as unusable input rather than failed.
    pub fn undecided(&self) -> bool {
        !self.ok && self.unusable
    }
}

impl Report {
    /// True when the files are not trusted and every refusal is
    /// [`FileVerdict::undecided`]: nothing but keys of unknown type
    /// decides, so the answer is "unusable input", not "failed".
    pub fn undecided(&self) -> bool {
        let mut refused = self.files.iter().filter(|f| !f.ok).peekable();
        refused.peek().is_some() && refused.all(FileVerdict::undecided)
    }

    /// True when every checked file is trusted.
    pub fn trusted(&self) -> bool {
        !self.files.is_empty() && self.files.iter().all(|f| f.ok)
    }

    /// The first failure, as an error.
    pub fn into_result(self) -> Result<Report> {
        match self.files.iter().find(|f| !f.ok) {
            Some(f) => Err(Error::verification(format!("{}: {}", f.name, f.detail))),
            None => Ok(self),
        }
    }

    fn pass(&mut self, name: &str, detail: String) {
        self.files.push(FileVerdict {
            name: name.into(),
            ok: true,
            detail,
            unusable: false,
        });
    }

    fn fail(&mut self, name: &str, why: impl Into<Refusal>) {
        let why = why.into();
        self.files.push(FileVerdict {
            name: name.into(),
            ok: false,
            detail: why.detail,
            unusable: why.unusable,
        });
    }

    /// Turns a file's verdict into a failure found later.
    fn demote(&mut self, name: &str, detail: String) {
        match self.files.iter_mut().find(|f| f.name == name) {
            Some(f) => {
                f.ok = false;
                f.detail = detail;
            }
            None => self.fail(name, detail),
        }
    }
}

fn root_version_of(name: &str) -> Option<u64> {
    name.strip_suffix(".root.json")?.parse().ok()
}

struct Chain {
    root: Root,
    bytes: Vec<u8>,
}

/// Each file as read: the parse, or why it could not be read.
type Envs = BTreeMap<String, std::result::Result<Parsed, Refusal>>;

/// Verifies the files of a repository (`name → bytes`, names as a server or
/// client stores them). Err means unusable input; a verdict of "not trusted"
/// is a report whose [`Report::trusted`] is false.
pub fn verify_files(files: &BTreeMap<String, Vec<u8>>, opts: &Options) -> Result<Report> {
    // Files are independent until the walk: parsed on every core.
    let list: Vec<(&String, &Vec<u8>)> = files.iter().collect();
    let parsed = ahead::par_map(&list, |(_, bytes)| {
        // A file that does not parse fails its place in the walk (exit 1),
        // as it always has; only the forms the peers disagree on, met
        // later, are unusable input.
        parse_file(bytes).map_err(|e| Refusal::from(e.reason().to_string()))
    });
    let envs: Envs = list
        .iter()
        .zip(parsed)
        .map(|((name, _), p)| ((*name).clone(), p))
        .collect();
    let dialect = match opts.dialect {
        Some(d) => d,
        None => detect(&envs, opts.trusted_root.as_deref())?,
    };
    let mut report = Report {
        dialect,
        gun: opts.gun.clone(),
        files: Vec::new(),
        notes: Vec::new(),
        start: None,
    };

    let outcome = judge(files, &envs, opts, &mut report);
    // Freeing every parsed file is serial work the answer does not wait
    // for: it runs on a thread of its own (a command that ends now does
    // not wait for it either).
    drop_aside(envs);
    outcome.map(|()| report)
}

/// The root chain, then the top-level roles it vouches for.
fn judge(
    files: &BTreeMap<String, Vec<u8>>,
    envs: &Envs,
    opts: &Options,
    report: &mut Report,
) -> Result<()> {
    let Some(chain) = walk_root_chain(files, envs, opts, report)? else {
        return Ok(());
    };
    if report.files.iter().any(|f| !f.ok) {
        return Ok(());
    }
    check_top_level(files, envs, &chain, opts, report)?;
    // Only a trusted verdict needs saying what it does not cover; after a
    // failure, the walk stopped early anyway.
    if report.trusted() {
        note_unjudged(files, envs, report);
    }
    Ok(())
}

/// Names what a trusted verdict does not cover: files nothing led to, and
/// a snapshot judged without a timestamp above it.
fn note_unjudged(files: &BTreeMap<String, Vec<u8>>, envs: &Envs, report: &mut Report) {
    let judged: BTreeSet<&str> = report.files.iter().map(|f| f.name.as_str()).collect();
    for name in files.keys() {
        if judged.contains(name.as_str()) {
            continue;
        }
        let what = match envs.get(name) {
            Some(Err(why)) => {
                format!(
                    "not judged: {name} (it does not even parse: {}); no role leads to it",
                    why.detail
                )
            }
            _ => format!("not judged: {name}; no role in the chain leads to it"),
        };
        report.notes.push(what);
    }
    let has_snapshot = judged.iter().any(|n| n.ends_with("snapshot.json"));
    if has_snapshot && !judged.contains("timestamp.json") {
        report.notes.push(
            "no timestamp.json: the snapshot was judged without a timestamp's hash and version (a client checks it through one)"
                .into(),
        );
    }
}

/// Drops `value` on another thread. When no thread can start, the refused
/// closure is dropped here, and `value` with it.
fn drop_aside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

/// Parses a metadata file, naming a byte-order mark (which JSON metadata
/// never has, and which the JSON parser reports only as a bad first byte).
pub fn parse_envelope(bytes: &[u8]) -> Result<Envelope> {
    refuse_bom(bytes)?;
    Envelope::parse(bytes)
}

/// Reads a metadata file for verification (see [`Parsed`]), refusing a
/// byte-order mark as [`parse_envelope`] does.
pub fn parse_file(bytes: &[u8]) -> Result<Parsed> {
    refuse_bom(bytes)?;
    Parsed::parse(bytes)
}

fn refuse_bom(bytes: &[u8]) -> Result<()> {
    if bytes.starts_with(b"\xef\xbb\xbf") {
        return Err(Error::input(
            "starts with a byte-order mark (BOM); metadata is JSON without one",
        )
        .hint("save the file as UTF-8 without a BOM, or use the file as published"));
    }
    Ok(())
}

fn detect(envs: &Envs, trusted: Option<&[u8]>) -> Result<Dialect> {
    let mut found = None;
    let trusted_env = trusted
        .map(parse_envelope)
        .transpose()
        .map_err(|e| e.context("the trusted root"))?;
    for env in envs
        .values()
        .filter_map(|e| e.as_ref().ok().map(|p| &p.env))
        .chain(trusted_env.as_ref())
    {
        if let Some(d) = env.detect_dialect() {
            match found {
                None => found = Some(d),
                Some(f) if f != d => {
                    return Err(Error::input("the files mix Notary and TUF metadata")
                        .hint("verify each repository on its own, or pass --dialect"));
                }
                Some(_) => {}
            }
        }
    }
    if let Some(d) = found {
        return Ok(d);
    }
    // Say why a file could not be read rather than only that no dialect
    // was found: that is what the person needs to fix.
    if let Some((name, Err(why))) = envs.iter().find(|(_, e)| e.is_err()) {
        return Err(Error::input(format!("{name}: {}", why.detail))
            .hint("check that this is the metadata file as published"));
    }
    Err(
        Error::input("cannot tell the dialect: no readable metadata with a known _type")
            .hint("pass --dialect notary or --dialect tuf"),
    )
}

fn walk_root_chain(
    files: &BTreeMap<String, Vec<u8>>,
    envs: &Envs,
    opts: &Options,
    report: &mut Report,
) -> Result<Option<Chain>> {
    let dialect = report.dialect;
    let history: BTreeMap<u64, String> = files
        .keys()
        .filter_map(|n| root_version_of(n).map(|v| (v, n.clone())))
        .collect();

    // The trusted start.
    let (start_name, start_bytes) = match (
        &opts.trusted_root,
        history.iter().next(),
        files.get("root.json"),
    ) {
        (Some(b), _, _) => ("trusted root".to_string(), b.clone()),
        (None, Some((_, n)), _) => (n.clone(), files.get(n).cloned().unwrap_or_default()),
        (None, None, Some(b)) => ("root.json".to_string(), b.clone()),
        (None, None, None) => {
            return Err(Error::input(
                "no root metadata: nothing to verify the other files against",
            )
            .hint("include N.root.json / root.json, or pass --trusted-root FILE"));
        }
    };
    let start_parsed = parse_file(&start_bytes).map_err(|e| e.context(&start_name))?;
    let start_env = &start_parsed.env;
    report.start = Some(Start {
        name: start_name.clone(),
        version: start_env.version(),
        given: opts.trusted_root.is_some(),
    });
    let start_root = match parse_root(dialect, start_env) {
        Ok(r) => r,
        Err(e) => {
            report.fail(&start_name, &e);
            return Ok(None);
        }
    };
    if start_root.common.version == u64::MAX {
        report.fail(&start_name, last_version_refused());
        return Ok(None);
    }
    if dialect == Dialect::Notary && report.gun.is_none() {
        match infer_gun(&start_root) {
            Some(g) => {
                report
                    .notes
                    .push(format!("GUN taken from the root certificate: {g}"));
                report.gun = Some(g);
            }
            None => {
                return Err(
                    Error::input("cannot tell the GUN from the root certificates")
                        .hint("pass --gun GUN"),
                );
            }
        }
    }
    let gun = report.gun.clone().unwrap_or_default();
    let newest = history
        .keys()
        .next_back()
        .copied()
        .unwrap_or(start_root.common.version);
    let root_json = match envs.get("root.json") {
        Some(Ok(e)) => Some(e.env.clone()),
        Some(Err(why)) => {
            report.fail("root.json", why.clone());
            return Ok(None);
        }
        None => None,
    };
    let last_version = match &root_json {
        Some(e) => e.version().unwrap_or(0).max(newest),
        None => newest,
    };

    // The start must carry its own threshold.
    let start_final = start_root.common.version >= last_version;
    let time_at = (!opts.ignore_time).then_some(opts.at);
    let policy = |at_check: bool| {
        (dialect == Dialect::Notary).then(|| CertPolicy {
            gun: gun.clone(),
            at: if at_check { time_at } else { None },
        })
    };
    let own = tally_checked(
        dialect,
        start_env,
        &mut Checked::over(&start_parsed.canonical),
        start_root.role("root")?,
        &start_root.keys,
        policy(start_final).as_ref(),
    );
    if let Err(e) = check_unique_signatures(start_env) {
        report.fail(&start_name, e.reason());
        return Ok(None);
    }
    let start_expired = start_final && time_at.is_some_and(|t| start_root.common.expires <= t);
    if own.refuses(start_expired) {
        report.fail(
            &start_name,
            format!("not signed by its own root threshold: {}", explain(&own)),
        );
        return Ok(None);
    }
    if start_expired {
        report.fail(
            &start_name,
            format!("expired on {}", format_time(start_root.common.expires)),
        );
        return Ok(None);
    }
    report.pass(
        &start_name,
        format!(
            "version {} (trusted start), root signatures {}, expires {}",
            start_root.common.version,
            own.fraction(),
            format_time(start_root.common.expires)
        ),
    );
    let mut current = Chain {
        root: start_root,
        bytes: start_bytes,
    };
    let mut ahead = ahead::root_history(dialect, &history, envs);
    // The version before `current`, once the walk has moved past the start.
    let mut previous: Option<Root> = None;

    // Each next version must exist, be exactly N+1 and carry both thresholds.
    // The start is below u64::MAX (refused above), and so is every
    // version checked below: the next one always exists.
    let mut v = current.root.common.version.saturating_add(1);
    while v <= last_version {
        let by_history = history
            .get(&v)
            .map(|n| (n.clone(), files.get(n).cloned().unwrap_or_default()));
        let candidate = match by_history {
            Some(x) => x,
            None => match &root_json {
                Some(e) if e.version() == Some(v) => (
                    "root.json".to_string(),
                    files.get("root.json").cloned().unwrap_or_default(),
                ),
                _ => {
                    let name = format!("{v}.root.json");
                    let later: Vec<String> = history.range(v..).map(|(_, n)| n.clone()).collect();
                    report.fail(
                        &name,
                        format!(
                            "version gap: {name} is missing, so {} cannot be reached",
                            later.join(", ")
                        ),
                    );
                    return Ok(None);
                }
            },
        };
        let (name, bytes) = candidate;
        if v == u64::MAX {
            report.fail(&name, last_version_refused());
            return Ok(None);
        }
        let env = match envs.get(&name) {
            Some(Ok(e)) => e,
            Some(Err(why)) => {
                report.fail(&name, why.clone());
                return Ok(None);
            }
            None => {
                report.fail(&name, "missing");
                return Ok(None);
            }
        };
        let (mut checked, parsed_root) = match ahead.remove(&name) {
            Some(a) => (a.checked, a.root),
            None => (Checked::over(&env.canonical), None),
        };
        match check_rotation(
            dialect,
            &current.root,
            env,
            parsed_root,
            &mut checked,
            v,
            v == last_version,
            &gun,
            time_at,
        ) {
            Ok((root, detail)) => {
                report.pass(&name, detail);
                let before = std::mem::replace(&mut current, Chain { root, bytes });
                previous = Some(before.root);
            }
            Err(e) => {
                report.fail(&name, &e);
                return Ok(None);
            }
        }
        v += 1;
    }

    // root.json, when it repeats the newest version, must be that file.
    if let Some(e) = &root_json {
        if e.version() == Some(current.root.common.version)
            && !(history.is_empty() && opts.trusted_root.is_none())
        {
            let n = current.root.common.version;
            match same_root(dialect, envs, &current, previous.as_ref(), &gun, time_at) {
                Ok(detail) => report.pass("root.json", detail),
                Err(why) => {
                    report.fail(
                        "root.json",
                        format!("is not version {n} of the root history: {why}"),
                    );
                    return Ok(None);
                }
            }
        } else if e.version().unwrap_or(0) < current.root.common.version {
            report.fail(
                "root.json",
                format!(
                    "is version {} but the history reaches {}",
                    e.version().unwrap_or(0),
                    current.root.common.version
                ),
            );
            return Ok(None);
        }
    }
    Ok(Some(current))
}

/// Whether `root.json` is the newest root of the history, `current`, judged
/// by what is signed rather than byte for byte: the same canonical body,
/// and its own signatures meet the thresholds that version had to meet (the
/// previous root's and its own). Signatures that do not count, or are
/// ordered or spaced otherwise, make no difference.
fn same_root(
    dialect: Dialect,
    envs: &Envs,
    current: &Chain,
    previous: Option<&Root>,
    gun: &str,
    at: Option<OffsetDateTime>,
) -> std::result::Result<String, String> {
    let n = current.root.common.version;
    let copy = match envs.get("root.json") {
        Some(Ok(p)) => p,
        Some(Err(why)) => return Err(why.detail.clone()),
        None => return Err("missing".into()),
    };
    let newest = parse_file(&current.bytes).map_err(|e| e.reason().to_string())?;
    if copy.canonical != newest.canonical {
        return Err(format!("it signs another body than version {n}"));
    }
    if copy.env.signatures == newest.env.signatures {
        return Ok(format!("same as version {n}"));
    }
    let mut checked = Checked::over(&copy.canonical);
    match previous {
        Some(prev) => {
            check_rotation(dialect, prev, copy, None, &mut checked, n, true, gun, at)
                .map_err(|e| e.reason().to_string())?;
        }
        None => {
            check_unique_signatures(&copy.env).map_err(|e| e.reason().to_string())?;
            let root = &current.root;
            let policy = (dialect == Dialect::Notary).then(|| CertPolicy {
                gun: gun.into(),
                at,
            });
            let role = root.role("root").map_err(|e| e.reason().to_string())?;
            let own = tally_checked(
                dialect,
                &copy.env,
                &mut checked,
                role,
                &root.keys,
                policy.as_ref(),
            );
            if !own.met() {
                return Err(format!(
                    "its signatures do not meet the root threshold: {}",
                    explain(&own)
                ));
            }
        }
    }
    Ok(format!(
        "same signed body as version {n}, with other signatures that also meet its thresholds"
    ))
}

/// Why a root of version 2^64−1 is refused.
fn last_version_refused() -> String {
    format!(
        "version {} (2^64−1) is the last version there can be: no rotation could ever follow it, so it is refused",
        u64::MAX
    )
}

fn parse_root(dialect: Dialect, env: &Envelope) -> Result<Root> {
    check_unique_signatures(env)?;
    Root::parse(dialect, &env.signed)
}

fn infer_gun(root: &Root) -> Option<String> {
    let role = root.roles.get("root")?;
    let mut cns = role.keyids.iter().filter_map(|id| match root.keys.get(id) {
        Some(Ok(k)) => k.cert.as_ref().and_then(|c| c.common_name.clone()),
        _ => None,
    });
    let first = cns.next()?;
    if first.ends_with('*') || cns.any(|c| c != first) {
        return None;
    }
    Some(first)
}

fn explain(t: &Tally) -> String {
    let mut s = format!("{} valid of {} needed", t.valid.len(), t.threshold);
    // One line stays one line: a hostile file may carry hundreds of bad
    // signatures; the first few say what is wrong.
    const SHOWN: usize = 4;
    if !t.problems.is_empty() {
        let mut shown = t.problems[..t.problems.len().min(SHOWN)].join("; ");
        if t.problems.len() > SHOWN {
            shown.push_str(&format!("; and {} more", t.problems.len() - SHOWN));
        }
        s.push_str(&format!(" ({shown})"));
    }
    if t.undecided() {
        s.push_str(&format!("; {UNDECIDED}"));
    }
    s
}

/// Checks that `env` is a valid version `v` following `prev`: exactly N+1,
/// signed by `prev`'s root threshold and its own, and (if final) unexpired.
/// `root` is the file's root when parsed already (else it is parsed here),
/// `checked` the cache its signatures are counted through.
#[allow(clippy::too_many_arguments)]
pub fn check_rotation(
    dialect: Dialect,
    prev: &Root,
    parsed: &Parsed,
    root: Option<Root>,
    checked: &mut Checked<'_>,
    v: u64,
    is_final: bool,
    gun: &str,
    at: Option<OffsetDateTime>,
) -> Result<(Root, String)> {
    let env = &parsed.env;
    check_unique_signatures(env)?;
    let root = match root {
        Some(r) => r,
        None => Root::parse(dialect, &env.signed)?,
    };
    if root.common.version != v {
        return Err(Error::verification(format!(
            "version skip: expected version {v}, found {}",
            root.common.version
        )));
    }
    let old_policy = (dialect == Dialect::Notary).then(|| CertPolicy {
        gun: gun.into(),
        at: None,
    });
    let new_policy = (dialect == Dialect::Notary).then(|| CertPolicy {
        gun: gun.into(),
        at,
    });
    // One cache for both counts: a key in both roots verifies once.
    let old = tally_checked(
        dialect,
        env,
        checked,
        prev.role("root")?,
        &prev.keys,
        old_policy.as_ref(),
    );
    let new = tally_checked(
        dialect,
        env,
        checked,
        root.role("root")?,
        &root.keys,
        new_policy.as_ref(),
    );
    // A real failure decides before signatures that were not judged: an
    // undecided count gives way to a failed count or to expiry.
    let expired = is_final && at.is_some_and(|t| root.common.expires <= t);
    let decided = |t: &Tally| !t.met() && !t.undecided();
    let undecided_gives_way = expired || decided(&old) || decided(&new);
    if old.refuses(undecided_gives_way) {
        return Err(Error::verification(format!(
            "not signed by the previous root's threshold (version {}): {}",
            prev.common.version,
            explain(&old)
        )));
    }
    if new.refuses(undecided_gives_way) {
        return Err(Error::verification(format!(
            "not signed by its own root threshold: {}",
            explain(&new)
        )));
    }
    if expired {
        return Err(Error::verification(format!(
            "expired on {}",
            format_time(root.common.expires)
        )));
    }
    let detail = format!(
        "version {}, signed by {} of version {}'s root keys and {} of its own, expires {}",
        v,
        old.fraction(),
        prev.common.version,
        new.fraction(),
        format_time(root.common.expires)
    );
    Ok((root, detail))
}

fn envelope<'a>(envs: &'a Envs, name: &str, report: &mut Report) -> Option<&'a Parsed> {
    match envs.get(name)? {
        Ok(e) => Some(e),
        Err(why) => {
            report.fail(name, why.clone());
            None
        }
    }
}

/// Checks a role file: signatures against `role`/`keys`, then expiry.
fn check_signed(
    dialect: Dialect,
    parsed: &Parsed,
    role: &RoleKeys,
    keys: &BTreeMap<String, KeyEntry>,
    expires: OffsetDateTime,
    at: OffsetDateTime,
) -> std::result::Result<Tally, String> {
    let env = &parsed.env;
    check_unique_signatures(env).map_err(|e| e.reason().to_string())?;
    let t = tally_checked(
        dialect,
        env,
        &mut Checked::over(&parsed.canonical),
        role,
        keys,
        None,
    );
    // Expiry, a real failure, decides before an undecided count.
    if t.refuses(expires <= at) {
        return Err(format!("threshold not met: {}", explain(&t)));
    }
    if expires <= at {
        return Err(format!("expired on {}", format_time(expires)));
    }
    Ok(t)
}

fn check_top_level(
    files: &BTreeMap<String, Vec<u8>>,
    envs: &Envs,
    chain: &Chain,
    opts: &Options,
    report: &mut Report,
) -> Result<()> {
    let dialect = report.dialect;
    let root = &chain.root;
    let (snap_key, targets_key) = match dialect {
        Dialect::Notary => ("snapshot", "targets"),
        Dialect::Tuf => ("snapshot.json", "targets.json"),
    };

    // timestamp → snapshot description
    let mut snapshot_meta: Option<FileMeta> = None;
    if let Some(env) = envelope(envs, "timestamp.json", report) {
        match MetaList::parse(dialect, &env.env.signed, RoleKind::Timestamp)
            .map_err(Refusal::from)
            .and_then(|ts| {
                let role = root.role("timestamp").map_err(|e| e.reason().to_string())?;
                let t = check_signed(dialect, env, role, &root.keys, ts.common.expires, opts.at)?;
                let m = ts
                    .meta
                    .get(snap_key)
                    .cloned()
                    .ok_or_else(|| format!("timestamp does not describe {snap_key}"))?;
                Ok((ts, t, m))
            }) {
            Ok((ts, t, m)) => {
                report.pass(
                    "timestamp.json",
                    format!(
                        "version {}, signatures {}, expires {}",
                        ts.common.version,
                        t.fraction(),
                        format_time(ts.common.expires)
                    ),
                );
                snapshot_meta = Some(m);
            }
            Err(why) => report.fail("timestamp.json", why),
        }
    }

    // snapshot → descriptions of targets, root, delegations
    let snap_name = versioned_name(files, dialect, root, "snapshot", snapshot_meta.as_ref());
    let mut snapshot: Option<MetaList> = None;
    if let Some(name) = &snap_name
        && let Some(env) = envelope(envs, name, report)
    {
        let bytes = files.get(name).map(Vec::as_slice).unwrap_or_default();
        let res = MetaList::parse(dialect, &env.env.signed, RoleKind::Snapshot)
            .map_err(Refusal::from)
            .and_then(|s| {
                if let Some(m) = &snapshot_meta {
                    m.check(bytes)
                        .map_err(|e| format!("does not match timestamp: {e}"))?;
                    if m.version.is_some_and(|v| v != s.common.version) {
                        return Err(Refusal::from(format!(
                            "is version {}, timestamp names {}",
                            s.common.version,
                            m.version.unwrap_or(0)
                        )));
                    }
                }
                let role = root.role("snapshot").map_err(|e| e.reason().to_string())?;
                let t = check_signed(dialect, env, role, &root.keys, s.common.expires, opts.at)?;
                // Clients load targets through the snapshot's entry for it:
                // one without it is refused (python-tuf, go-tuf, notary).
                if !s.meta.contains_key(targets_key) {
                    return Err(Refusal::from(format!(
                        "snapshot does not describe {targets_key}, so no client would load targets through it"
                    )));
                }
                if dialect == Dialect::Notary {
                    // A Notary client checks the root.json it downloads
                    // against this entry: those bytes, when the folder has
                    // them, else the newest root of the history.
                    let served = files.get("root.json").unwrap_or(&chain.bytes);
                    match s.meta.get("root") {
                        Some(m) => m.check(served).map_err(|e| {
                            format!("its root entry does not match the current root: {e}")
                        })?,
                        None => return Err("snapshot does not describe root".into()),
                    }
                }
                Ok((s, t))
            });
        match res {
            Ok((s, t)) => {
                report.pass(
                    name,
                    format!(
                        "version {}, signatures {}, expires {}",
                        s.common.version,
                        t.fraction(),
                        format_time(s.common.expires)
                    ),
                );
                snapshot = Some(s);
            }
            Err(why) => report.fail(name, why),
        }
    }

    // targets and its delegations, breadth first
    let targets_meta = snapshot
        .as_ref()
        .and_then(|s| s.meta.get(targets_key).cloned());
    let Some(tname) = versioned_name(files, dialect, root, "targets", targets_meta.as_ref()) else {
        return Ok(());
    };
    if envelope(envs, &tname, report).is_none() {
        return Ok(());
    }
    let role = match root.role("targets") {
        Ok(r) => r.clone(),
        Err(e) => {
            report.fail(&tname, e.reason());
            return Ok(());
        }
    };
    let repo = walk::Repo {
        files,
        envs,
        chain,
        snapshot: snapshot.as_ref(),
        at: opts.at,
    };
    walk::walk(&repo, tname, role, report)
}

fn snapshot_entry(dialect: Dialect, role: &str) -> String {
    match dialect {
        Dialect::Notary => role.to_string(),
        Dialect::Tuf => format!("{role}.json"),
    }
}

/// The file holding a top-level role: `N.role.json` when consistent
/// snapshots name it by version, else `role.json`.
fn versioned_name(
    files: &BTreeMap<String, Vec<u8>>,
    dialect: Dialect,
    root: &Root,
    role: &str,
    meta: Option<&FileMeta>,
) -> Option<String> {
    if dialect == Dialect::Tuf && root.consistent_snapshot {
        if let Some(v) = meta.and_then(|m| m.version) {
            let n = format!("{v}.{role}.json");
            if files.contains_key(&n) {
                return Some(n);
            }
        }
        // Without a describing file, take the highest version present.
        let mut best: Option<(u64, String)> = None;
        for n in files.keys() {
            if let Some(v) = n
                .strip_suffix(&format!(".{role}.json"))
                .and_then(|p| p.parse::<u64>().ok())
                && best.as_ref().is_none_or(|(b, _)| v > *b)
            {
                best = Some((v, n.clone()));
            }
        }
        if meta.is_none()
            && let Some((_, n)) = best
        {
            return Some(n);
        }
    }
    let plain = format!("{role}.json");
    files.contains_key(&plain).then_some(plain)
}

fn delegated_file(
    files: &BTreeMap<String, Vec<u8>>,
    dialect: Dialect,
    root: &Root,
    name: &str,
    meta: Option<&FileMeta>,
) -> Option<String> {
    // Only a name safe as a file name is looked for (Targets::parse has
    // refused the others already).
    if role_name_problem(dialect, name).is_some() {
        return None;
    }
    match dialect {
        Dialect::Notary => [
            format!("{name}.json"),
            format!("{}.json", name.replace('/', "_")),
        ]
        .into_iter()
        .find(|n| files.contains_key(n)),
        Dialect::Tuf => versioned_name(files, dialect, root, name, meta),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_names_a_few_problems_and_counts_the_rest() {
        let t = Tally {
            threshold: 2,
            problems: (0..400)
                .map(|i| format!("signature by k{i} is not valid"))
                .collect(),
            ..Tally::default()
        };
        let s = explain(&t);
        assert!(
            s.starts_with("0 valid of 2 needed (signature by k0 is not valid;"),
            "{s}"
        );
        assert!(s.contains("k3 is not valid; and 396 more)"), "{s}");
        assert!(!s.contains("k4 "), "{s}");
        let few = Tally {
            threshold: 1,
            problems: vec!["a".into(), "b".into()],
            ..Tally::default()
        };
        assert_eq!(explain(&few), "0 valid of 1 needed (a; b)");
    }
}

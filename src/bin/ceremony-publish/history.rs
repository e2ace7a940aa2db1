//! Does a bundle continue the root the server holds? The server's current
//! `root.json` is the start of the check and nothing more: it comes from
//! the online side, so it proves nothing by itself. What the check stops is
//! pushing the wrong bundle (another ceremony's, an old one, one that skips
//! a version) or pushing onto a server whose history forked from ours.
//!
//! The chain is walked by the library's verifier, the same code as
//! `ceremony verify --trusted-root`.

use std::collections::BTreeMap;
use time::OffsetDateTime;

use ceremony::error::{Error, Result};
use ceremony::metadata::{Dialect, Envelope};
use ceremony::signature::verify::{Options, verify_files};

/// What every refusal ends with: what this check is worth.
const WHY: &str = "nothing was sent. The server's root only starts this check (it comes from the online side and proves nothing by itself); the check stops pushing the wrong bundle or onto a forked server";

/// How a bundle relates to the server's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continues {
    /// The server's root version.
    pub server: u64,
    /// The bundle's newest root version (`server` or `server + 1`).
    pub newest: u64,
}

fn refuse(reason: String, hint: &str) -> Error {
    Error::verification(reason).hint(format!("{hint}; {WHY}"))
}

/// The bundle's root files by version: `N.root.json`, and `root.json`.
fn bundle_roots(files: &BTreeMap<String, Vec<u8>>) -> Result<BTreeMap<u64, (String, Envelope)>> {
    let mut roots = BTreeMap::new();
    for (name, bytes) in files {
        let is_root = name == "root.json"
            || name
                .strip_suffix(".root.json")
                .is_some_and(|n| n.parse::<u64>().is_ok());
        if !is_root {
            continue;
        }
        let env = Envelope::parse(bytes).map_err(|e| e.context(name))?;
        let v = env
            .version()
            .ok_or_else(|| Error::input(format!("{name}: no version")))?;
        // N.root.json and root.json of one version are the same file (the
        // bundle's own verification checked that); keep the first name.
        roots.entry(v).or_insert((name.clone(), env));
    }
    Ok(roots)
}

/// Checks that the bundle `files` (its metadata) continues `server_root`
/// for `gun`, and that `upload` carries the new root when there is one.
pub fn check(
    files: &BTreeMap<String, Vec<u8>>,
    upload: &[String],
    server_root: &[u8],
    gun: &str,
    now: OffsetDateTime,
) -> Result<Continues> {
    let server_env = Envelope::parse(server_root).map_err(|e| {
        refuse(
            format!(
                "the server's root.json for {gun} is not readable metadata: {}",
                e.reason()
            ),
            "check --server: this is not the answer of a notary-server holding this repository",
        )
    })?;
    let server = server_env.version().ok_or_else(|| {
        refuse(
            format!("the server's root.json for {gun} has no version"),
            "check --server",
        )
    })?;
    if server == u64::MAX {
        return Err(refuse(
            format!(
                "the server's root.json for {gun} claims version 2^64-1, which no root can follow"
            ),
            "check --server",
        ));
    }
    let roots = bundle_roots(files)?;
    let Some((&newest, _)) = roots.iter().next_back() else {
        return Err(
            Error::input("the bundle carries no root (root.json or N.root.json)")
                .hint("export again on the offline machine"),
        );
    };
    if newest < server {
        return Err(refuse(
            format!(
                "the bundle's newest root is version {newest}, older than the server's root version {server}: the server would refuse it, or clients would be rolled back"
            ),
            "push the bundle of the newest ceremony, or check that --server is the right server",
        ));
    }
    // The bundle's copy of the server's version must be the same root.
    if let Some((name, ours)) = roots.get(&server)
        && ours.canonical_signed() != server_env.canonical_signed()
    {
        return Err(refuse(
            format!(
                "forked history: the server's root version {server} for {gun} is not the bundle's {name} (a different signed root): this bundle comes from another ceremony, or the server holds someone else's root"
            ),
            "compare the server's root with the ceremony's history before going on",
        ));
    }
    let next = server.saturating_add(1);
    if newest > next {
        return Err(refuse(
            format!(
                "version skip: the server holds root version {server} and the bundle's newest root is version {newest}; the server takes only version {next} next, and clients could not fetch the versions in between"
            ),
            &format!("push the bundle exported after version {next} was signed first"),
        ));
    }
    if newest > server && !upload.iter().any(|n| n == "root.json") {
        return Err(refuse(
            format!(
                "the bundle holds root version {newest} but does not upload root.json; the server holds version {server}"
            ),
            "export again with `ceremony export --all`",
        ));
    }
    // Start from the server's root; with no new root, from the bundle's own
    // copy of it (the same signed body, perhaps other signature bytes).
    let start = match roots.get(&server) {
        Some((name, _)) if newest == server => files.get(name).cloned().unwrap_or_default(),
        _ => server_root.to_vec(),
    };
    let opts = Options {
        dialect: Some(Dialect::Notary),
        gun: Some(gun.to_string()),
        at: now,
        trusted_root: Some(start),
        ignore_time: false,
    };
    let report = verify_files(files, &opts).map_err(|e| {
        refuse(
            format!(
                "checking the bundle against the server's root version {server}: {}",
                e.reason()
            ),
            "check --server and the bundle",
        )
    })?;
    if let Some(f) = report.files.iter().find(|f| !f.ok) {
        let reason = if f.name == "trusted root" {
            format!(
                "the server's root version {server} for {gun} does not verify: {}",
                f.detail
            )
        } else {
            format!(
                "the bundle does not continue the server's root version {server}: {}: {}",
                f.name, f.detail
            )
        };
        return Err(refuse(
            reason,
            "check that this is the bundle of this repository's ceremony and the right server",
        ));
    }
    Ok(Continues { server, newest })
}

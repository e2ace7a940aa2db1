//! `ceremony-publish`: the online side of a ceremony. Fetches the server's
//! timestamp and snapshot keys to carry in, pushes an exported bundle to
//! notary-server, and reports what the server holds. Built only with the
//! `online` feature; the air-gapped `ceremony` binary has no network code.
//!
//! Everything the server says is hostile until checked: its keys are shown
//! by fingerprint words computed here, and a bundle is pushed only when it
//! continues the root the server holds.

#![forbid(unsafe_code)]

mod bundle;
mod endpoint;
mod history;
mod http;

use clap::{Parser, Subcommand};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

use bundle::{Bundle, read_bundle};
use ceremony::error::{Error, Result};
use ceremony::metadata::{Dialect, Envelope, format_time};
use ceremony::signature::verify::{Options, verify_files};
use ceremony::transfer::{self, words};
use ceremony::{errln, outln};
use endpoint::tuf_path;
use http::{Server, error_detail};

/// Publish ceremony output to a Notary server.
#[derive(Debug, Parser)]
#[command(name = "ceremony-publish", version, about)]
struct Cli {
    /// The notary-server URL: https://…, or http://… to this machine (127.0.0.1, ::1, localhost).
    #[arg(long, global = true, env = "CEREMONY_NOTARY_SERVER")]
    server: Option<String>,
    /// A PEM CA certificate to trust for HTTPS (a private CA or self-signed server).
    #[arg(long, global = true)]
    tls_ca: Option<PathBuf>,
    /// Allow plain http:// to another machine (anyone on the way can read and change it).
    #[arg(long, global = true)]
    allow_http: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fetch the server's timestamp and snapshot public keys for GUN into OUT.
    FetchKeys {
        /// The repository's GUN.
        gun: String,
        /// A new or empty directory.
        out: PathBuf,
        /// Also write the keys as QR frames: `png` (images under OUT/qr/) or `terminal` (shown on standard output).
        #[arg(long, value_name = "png|terminal")]
        qr: Option<String>,
    },
    /// Check an exported bundle against itself and the server's root, and POST the files it lists in UPLOAD.
    Push {
        /// The export directory, or a folder of its QR frame images (PNG, any order, one may be missing).
        bundle: PathBuf,
        /// The GUN (read from the root certificate when not given).
        #[arg(long)]
        gun: Option<String>,
    },
    /// Show the versions and expiries the server holds for GUN.
    Status {
        /// The repository's GUN.
        gun: String,
    },
}

/// `s` made safe for a terminal: control characters, and anything beyond
/// printable ASCII, escaped (a server's text could otherwise move the
/// cursor, recolour or rewrite what the officer reads); at most `max`
/// characters.
pub fn printable(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c == ' ' || c.is_ascii_graphic() {
            out.push(c);
        } else {
            out.extend(c.escape_default());
        }
    }
    out
}

/// How `fetch-keys` writes QR frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QrOut {
    Png,
    Terminal,
}

fn qr_out(qr: Option<&str>) -> Result<Option<QrOut>> {
    match qr {
        None => Ok(None),
        Some("png") => Ok(Some(QrOut::Png)),
        Some("terminal") => Ok(Some(QrOut::Terminal)),
        Some(other) => Err(Error::input(format!(
            "--qr {}: use png or terminal",
            printable(other, 40)
        ))),
    }
}

fn fetch_keys(srv: &Server, gun: &str, out: &Path, qr: Option<&str>) -> Result<()> {
    let qr = qr_out(qr)?;
    if out.exists()
        && std::fs::read_dir(out)
            .map_err(|e| Error::io(out, e))?
            .next()
            .is_some()
    {
        return Err(Error::input(format!(
            "{} exists and is not empty",
            out.display()
        )));
    }
    let mut files = Vec::new();
    let mut shown = Vec::new();
    for role in ["timestamp", "snapshot"] {
        let r = srv.get(&tuf_path(gun, &format!("{role}.key"))?)?;
        if r.status != 200 {
            return Err(Error::input(format!(
                "the server refused {role}.key: HTTP {}: {}",
                r.status,
                error_detail(&r.body)
            )));
        }
        let v = ceremony::metadata::json::parse_strict(&r.body)
            .map_err(|e| e.context(format!("the server's {role}.key")))?;
        let key = ceremony::metadata::keys::MetaKey::from_value(Dialect::Notary, &v)
            .map_err(|e| e.context(format!("the server's {role}.key")))?;
        // The ID is computed here from the key itself, as the offline
        // `ceremony import` computes it: nothing the server says about it
        // is taken.
        let id = key.id(Dialect::Notary);
        shown.push(format!(
            "{role} key {id} ({})
  fingerprint words: {}",
            printable(key.keytype(), 40),
            words::key_phrase(&id)
        ));
        files.push((format!("{role}.key"), r.body));
    }
    let sums = transfer::manifest(&files).into_bytes();
    files.push(("SHA256SUMS".to_string(), sums));
    // The frames carry the same files, SHA256SUMS included, so the offline
    // `ceremony import` checks them as it checks a folder; all are made
    // before anything is written.
    let payload = transfer::frames::pack(&files)?;
    let frame_texts = match qr {
        // At a terminal, frames cut to fit it; else full-size ones.
        Some(QrOut::Terminal) => match ceremony::tui::qr::terminal_frames(&payload, 1) {
            Some(f) => f?,
            None => transfer::frames::frames(&payload)?,
        },
        Some(QrOut::Png) => transfer::frames::frames(&payload)?,
        None => Vec::new(),
    };
    let mut images = Vec::new();
    if qr == Some(QrOut::Png) {
        for (i, f) in frame_texts.iter().enumerate() {
            images.push((
                format!("qr/frame-{:03}.png", i + 1),
                transfer::qr::png(f.as_bytes())?,
            ));
        }
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    if !images.is_empty() {
        let q = out.join("qr");
        std::fs::create_dir_all(&q).map_err(|e| Error::io(&q, e))?;
    }
    for (n, b) in files.iter().chain(images.iter()) {
        transfer::write_new(&out.join(n), b)?;
    }
    for s in &shown {
        outln!("{s}");
    }
    if qr == Some(QrOut::Terminal) {
        for (i, f) in frame_texts.iter().enumerate() {
            outln!("frame {} of {}", i + 1, frame_texts.len());
            ceremony::out!("{}", transfer::qr::text(f.as_bytes())?);
        }
    }
    if !images.is_empty() {
        errln!(
            "{} QR frames under {}/qr/ (any order; one may be lost): `ceremony import` reads them offline",
            images.len(),
            out.display()
        );
    }
    errln!(
        "compare these words with what `ceremony import` shows on the offline machine before the keys go into a root"
    );
    errln!(
        "note: before the first root is published, every fetch makes new keys on the server; import exactly these"
    );
    errln!(
        "hint: offline: ceremony import {0} (or ceremony key import --role timestamp {0}/timestamp.key)",
        out.display()
    );
    Ok(())
}

fn push(srv: &Server, bundle: &Path, gun: Option<&str>) -> Result<()> {
    let Bundle { files, upload } = read_bundle(bundle)?;
    let now = OffsetDateTime::now_utc();
    // The same strict check as offline, before anything is sent.
    let opts = Options {
        dialect: Some(Dialect::Notary),
        gun: gun.map(str::to_string),
        at: now,
        trusted_root: None,
        ignore_time: false,
    };
    let metadata: BTreeMap<String, Vec<u8>> = files
        .iter()
        .filter(|(n, _)| n.ends_with(".json"))
        .map(|(n, b)| (n.clone(), b.clone()))
        .collect();
    let report = verify_files(&metadata, &opts)?;
    if let Some(f) = report.files.iter().find(|f| !f.ok) {
        return Err(Error::verification(format!(
            "the bundle does not verify: {}: {}",
            f.name, f.detail
        ))
        .hint("nothing was sent; export again on the offline machine"));
    }
    let gun = report
        .gun
        .clone()
        .ok_or_else(|| Error::input("cannot tell the GUN").hint("pass --gun"))?;
    let repo = tuf_path(&gun, "")?;
    // Then against what the server holds.
    let r = srv.get(&tuf_path(&gun, "root.json")?)?;
    match r.status {
        404 => {
            let newest = metadata
                .get("root.json")
                .and_then(|b| Envelope::parse(b).ok())
                .and_then(|e| e.version());
            errln!(
                "new repository: the server holds no root for {gun} (HTTP 404), so there is nothing to check the bundle's history against"
            );
            if let Some(v) = newest.filter(|v| *v > 1) {
                errln!(
                    "warning: the server will start at root version {v}; clients that trust an earlier version cannot walk to it from this server"
                );
            }
        }
        200 => {
            let c = history::check(&metadata, &upload, &r.body, &gun, now)?;
            if c.newest == c.server {
                errln!(
                    "the bundle keeps the server's root version {} (the same signed root)",
                    c.server
                );
            } else {
                errln!(
                    "the bundle continues the server's root version {} to version {} (each signed by the previous root's threshold and its own)",
                    c.server,
                    c.newest
                );
            }
            errln!(
                "note: this only shows the bundle is the right one for what the server holds; the server's root proves nothing by itself"
            );
        }
        status => {
            return Err(Error::input(format!(
                "cannot fetch the server's root.json for {gun} (HTTP {status}): {}",
                error_detail(&r.body)
            ))
            .hint("nothing was sent; a bundle is pushed only after it is checked against the server's root"));
        }
    }
    let parts: Vec<(String, Vec<u8>)> = upload
        .iter()
        .filter_map(|n| files.get(n).map(|b| (n.clone(), b.clone())))
        .collect();
    let r = srv.post_files(&repo, &parts)?;
    if r.status != 200 {
        return Err(Error::verification(format!(
            "the server refused the upload (HTTP {}): {}",
            r.status,
            error_detail(&r.body)
        ))
        .hint("nothing was published; fix the bundle offline and export again"));
    }
    outln!("published {} to {gun}", upload.join(", "));
    Ok(())
}

fn status(srv: &Server, gun: &str) -> Result<()> {
    let now = OffsetDateTime::now_utc();
    let mut any = false;
    for role in ["root", "targets", "snapshot", "timestamp"] {
        let r = srv.get(&tuf_path(gun, &format!("{role}.json"))?)?;
        if r.status == 404 {
            outln!("{role:<10} not on the server");
            continue;
        }
        if r.status != 200 {
            return Err(Error::input(format!(
                "{role}.json: HTTP {}: {}",
                r.status,
                error_detail(&r.body)
            )));
        }
        any = true;
        let env = Envelope::parse(&r.body).map_err(|e| e.context(format!("{role}.json")))?;
        let expires = env
            .signed
            .get("expires")
            .and_then(|e| e.as_str())
            .unwrap_or("");
        let exp = ceremony::metadata::parse_expires(Dialect::Notary, expires)
            .map_err(|e| e.context(format!("{role}.json")))?;
        outln!(
            "{role:<10} version {:<4} expires {}",
            env.version().unwrap_or(0),
            format_time(exp)
        );
        if role == "root"
            && now
                .checked_add(ceremony::ceremony::root::NOTARY_RESIGN_WINDOW)
                .is_some_and(|w| exp < w)
        {
            errln!(
                "warning: root expires within 6 months ({}): Notary now demands the offline root key on every publish; rotate the root",
                format_time(exp)
            );
        }
    }
    if !any {
        return Err(Error::input(format!(
            "the server has no trust data for {gun}"
        )));
    }
    Ok(())
}

fn run(cli: &Cli) -> Result<()> {
    let url = cli
        .server
        .clone()
        .ok_or_else(|| Error::input("no server").hint("pass --server URL"))?;
    let ep = endpoint::parse(&url, cli.allow_http)?;
    if !ep.tls && !ep.loopback {
        errln!(
            "warning: plain http:// to {} (--allow-http): anyone on the way can read and change what is sent and answered",
            ep.host
        );
    }
    let srv = Server::new(&ep, cli.tls_ca.as_deref())?;
    match &cli.command {
        Command::FetchKeys { gun, out, qr } => fetch_keys(&srv, gun, out, qr.as_deref()),
        Command::Push { bundle, gun } => push(&srv, bundle, gun.as_deref()),
        Command::Status { gun } => status(&srv, gun),
    }
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(&cli) {
        // One line each: a newline in a quoted name is shown escaped.
        errln!(
            "ceremony-publish: error: {}",
            ceremony::text::printable(e.reason())
        );
        if let Some(h) = e.hint_text() {
            errln!("hint: {}", ceremony::text::printable(h));
        }
        std::process::exit(e.exit_code());
    }
}

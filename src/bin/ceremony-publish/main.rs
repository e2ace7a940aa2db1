//! `ceremony-publish`: the online side of a ceremony. Fetches the server's
//! timestamp and snapshot keys to carry in, pushes an exported bundle to
//! notary-server, and reports what the server holds. Built only with the
//! `online` feature; the air-gapped `ceremony` binary has no network code.

mod http;

use clap::{Parser, Subcommand};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

use ceremony::error::{Error, Result};
use ceremony::metadata::{Envelope, format_time};
use ceremony::signature::verify::{Options, verify_files};
use ceremony::transfer::{self, sha256_hex};
use http::{Server, error_detail};

/// Publish ceremony output to a Notary server.
#[derive(Debug, Parser)]
#[command(name = "ceremony-publish", version, about)]
struct Cli {
    /// The notary-server URL (http://… or https://…).
    #[arg(long, global = true, env = "CEREMONY_NOTARY_SERVER")]
    server: Option<String>,
    /// A PEM CA certificate to trust for HTTPS (a private CA or self-signed server).
    #[arg(long, global = true)]
    tls_ca: Option<PathBuf>,
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
    },
    /// Check an exported bundle and POST the files it lists in UPLOAD.
    Push {
        /// The export directory.
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

fn tuf_path(gun: &str, file: &str) -> String {
    format!("/v2/{gun}/_trust/tuf/{file}")
}

fn fetch_keys(srv: &Server, gun: &str, out: &Path) -> Result<()> {
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
    for role in ["timestamp", "snapshot"] {
        let r = srv.get(&tuf_path(gun, &format!("{role}.key")))?;
        if r.status != 200 {
            return Err(Error::input(format!(
                "the server refused {role}.key: HTTP {}: {}",
                r.status,
                error_detail(&r.body)
            )));
        }
        let v = ceremony::metadata::json::parse_strict(&r.body)
            .map_err(|e| e.context(format!("{role}.key")))?;
        let key =
            ceremony::metadata::keys::MetaKey::from_value(ceremony::metadata::Dialect::Notary, &v)
                .map_err(|e| e.context(format!("{role}.key")))?;
        eprintln!(
            "{role} key {} ({})",
            key.id(ceremony::metadata::Dialect::Notary),
            key.keytype()
        );
        files.push((format!("{role}.key"), r.body));
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    for (n, b) in &files {
        transfer::write_new(&out.join(n), b)?;
    }
    transfer::write_new(
        &out.join("SHA256SUMS"),
        transfer::manifest(&files).as_bytes(),
    )?;
    eprintln!(
        "note: before the first root is published, every fetch makes new keys on the server; import exactly these"
    );
    eprintln!(
        "hint: offline: ceremony key import --role timestamp {0}/timestamp.key (and snapshot.key for a server-held snapshot)",
        out.display()
    );
    Ok(())
}

/// A bundle's files by name, and the names to upload in order.
struct Bundle {
    files: BTreeMap<String, Vec<u8>>,
    upload: Vec<String>,
}

/// Reads a bundle, checking every file against SHA256SUMS first.
fn read_bundle(dir: &Path) -> Result<Bundle> {
    let sums_path = dir.join("SHA256SUMS");
    let sums = std::fs::read_to_string(&sums_path).map_err(|e| Error::io(&sums_path, e))?;
    let mut files = BTreeMap::new();
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (hash, name) = line
            .split_once("  ")
            .ok_or_else(|| Error::input(format!("SHA256SUMS: bad line {line:?}")))?;
        if name.contains("..") || name.starts_with('/') {
            return Err(Error::input(format!(
                "SHA256SUMS names {name:?} outside the bundle"
            )));
        }
        let p = dir.join(name);
        let bytes =
            ceremony::transfer::input::read_file(&p, ceremony::transfer::input::Limit::Metadata)?;
        if sha256_hex(&bytes) != hash {
            return Err(Error::verification(format!(
                "{name}: does not match SHA256SUMS (damaged or changed on the way)"
            ))
            .hint("export again on the offline machine"));
        }
        files.insert(name.to_string(), bytes);
    }
    let upload_path = dir.join("UPLOAD");
    let upload: Vec<String> = std::fs::read_to_string(&upload_path)
        .map_err(|e| Error::io(&upload_path, e))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    for n in &upload {
        if !files.contains_key(n) {
            return Err(Error::input(format!(
                "UPLOAD names {n}, which SHA256SUMS does not cover"
            )));
        }
    }
    if upload.is_empty() {
        return Err(Error::input("UPLOAD lists nothing to publish"));
    }
    Ok(Bundle { files, upload })
}

fn push(srv: &Server, bundle: &Path, gun: Option<&str>) -> Result<()> {
    let Bundle { files, upload } = read_bundle(bundle)?;
    // The same strict check as offline, before anything is sent.
    let opts = Options {
        dialect: Some(ceremony::metadata::Dialect::Notary),
        gun: gun.map(str::to_string),
        at: OffsetDateTime::now_utc(),
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
        )));
    }
    let gun = report
        .gun
        .clone()
        .ok_or_else(|| Error::input("cannot tell the GUN").hint("pass --gun"))?;
    let parts: Vec<(String, Vec<u8>)> = upload
        .iter()
        .map(|n| (n.clone(), files.get(n).cloned().unwrap_or_default()))
        .collect();
    let r = srv.post_files(&tuf_path(&gun, ""), &parts)?;
    if r.status != 200 {
        return Err(Error::verification(format!(
            "the server refused the upload (HTTP {}): {}",
            r.status,
            error_detail(&r.body)
        ))
        .hint("nothing was published; fix the bundle offline and export again"));
    }
    eprintln!("published {} to {gun}", upload.join(", "));
    Ok(())
}

fn status(srv: &Server, gun: &str) -> Result<()> {
    let now = OffsetDateTime::now_utc();
    let mut any = false;
    for role in ["root", "targets", "snapshot", "timestamp"] {
        let r = srv.get(&tuf_path(gun, &format!("{role}.json")))?;
        if r.status == 404 {
            println!("{role:<10} not on the server");
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
        let exp = ceremony::metadata::parse_expires(ceremony::metadata::Dialect::Notary, expires)?;
        println!(
            "{role:<10} version {:<4} expires {}",
            env.version().unwrap_or(0),
            format_time(exp)
        );
        if role == "root" && exp < now + ceremony::ceremony::root::NOTARY_RESIGN_WINDOW {
            eprintln!(
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

fn main() {
    let cli = Cli::parse();
    let res = (|| -> Result<()> {
        let url = cli
            .server
            .clone()
            .ok_or_else(|| Error::input("no server").hint("pass --server URL"))?;
        let srv = Server::new(&url, cli.tls_ca.as_deref())?;
        match &cli.command {
            Command::FetchKeys { gun, out } => fetch_keys(&srv, gun, out),
            Command::Push { bundle, gun } => push(&srv, bundle, gun.as_deref()),
            Command::Status { gun } => status(&srv, gun),
        }
    })();
    if let Err(e) = res {
        eprintln!("ceremony-publish: error: {}", e.reason());
        if let Some(h) = e.hint_text() {
            eprintln!("hint: {h}");
        }
        std::process::exit(e.exit_code());
    }
}

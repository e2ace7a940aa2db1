//! Hostile input costs bounded work: every file someone else prepared is
//! read only if it is a regular file, only up to a size, never through a
//! symbolic link out of its folder (QR frames: tests/hostile_frames.rs;
//! delegation graphs: tests/hostile_graphs.rs); versions and times never
//! overflow; output to a closed pipe or a full
//! device never panics. Each run finishes in under 2 s under a 2 GiB
//! address-space limit, with exit 1 (verification failed) or 2 (unusable
//! input) as named, no panic and no abort; a refused import leaves the
//! ceremony directory as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod hostile_common;

use ceremony::key::Algorithm;
use ceremony::key::cert;
use ceremony::key::private::PrivateKey;
use ceremony::metadata::keys::MetaKey;
use ceremony::metadata::root::{RoleKeys, Root};
use ceremony::metadata::{Dialect, Envelope};
use common::*;
use hostile_common::*;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const TUF_OK: &str = "tuf/valid_chain_v1_v2";
const TUF_FAILS: &str = "tuf/neg_v2_signed_only_by_new_keys";

/// A bundle folder whose SHA256SUMS lists `lines` (name → bytes of the
/// SHA-256 line's hash).
fn sums(bundle: &Path, names: &[(&str, &[u8])]) {
    let text: String = names
        .iter()
        .map(|(n, b)| format!("{}  {n}\n", ceremony::transfer::sha256_hex(b)))
        .collect();
    std::fs::write(bundle.join("SHA256SUMS"), text).unwrap();
}

// ---- files that are not regular files, or too large ---------------------

#[test]
fn dev_zero_is_refused_without_being_read() {
    let _turn = serial();
    // Exit 2: unusable input, refused from its metadata.
    hostile(&["verify", "/dev/zero"], 2, "is a device");
    hostile(
        &["verify", "--trusted-root", "/dev/zero", s(&data(TUF_OK))],
        2,
        "is a device",
    );
    let tmp = tempfile::tempdir().unwrap();
    import_refused(tmp.path(), Path::new("/dev/zero"), "/dev/zero is a device");
}

#[test]
fn fifos_are_refused_without_hanging() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // A lone file, and the trusted root: exit 2 before any open.
    let f = t.join("f.json");
    mkfifo(&f);
    hostile(&["verify", s(&f)], 2, "is a FIFO");
    import_refused(t, &f, "f.json is a FIFO");
    hostile(
        &["verify", "--trusted-root", s(&f), s(&data(TUF_OK))],
        2,
        "is a FIFO",
    );
    // Inside a folder given to verify.
    let d = t.join("repo");
    std::fs::create_dir(&d).unwrap();
    std::fs::copy(data(TUF_OK).join("1.root.json"), d.join("1.root.json")).unwrap();
    mkfifo(&d.join("timestamp.json"));
    hostile(&["verify", s(&d)], 2, "is a FIFO");
    // SHA256SUMS of a bundle is a FIFO.
    let b = t.join("bundle");
    std::fs::create_dir(&b).unwrap();
    mkfifo(&b.join("SHA256SUMS"));
    import_refused(t, &b, "is a FIFO");
    // A file SHA256SUMS lists is a FIFO.
    let b2 = t.join("bundle2");
    std::fs::create_dir(&b2).unwrap();
    mkfifo(&b2.join("targets.json"));
    sums(&b2, &[("targets.json", b"{}")]);
    import_refused(t, &b2, "is a FIFO");
}

#[test]
fn an_array_of_200_mb_is_refused_by_its_size() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("array.json");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
        w.write_all(b"[").unwrap();
        let chunk = "0,".repeat(1 << 20);
        for _ in 0..100 {
            w.write_all(chunk.as_bytes()).unwrap();
        }
        w.write_all(b"0]").unwrap();
    }
    assert!(std::fs::metadata(&big).unwrap().len() > 200_000_000);
    // Exit 2: larger than any metadata file the tool reads.
    hostile(&["verify", s(&big)], 2, "larger than");
    let d = tmp.path().join("repo");
    std::fs::create_dir(&d).unwrap();
    std::fs::rename(&big, d.join("root.json")).unwrap();
    hostile(&["verify", s(&d)], 2, "larger than");
    sums(&d, &[("root.json", b"not hashed: refused by size first")]);
    import_refused(tmp.path(), &d, "larger than");
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    let depth = 100_000;
    let body = format!(
        "{{\"signed\":{}{},\"signatures\":[]}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    // Under a known name (judged as metadata) and under another (its
    // dialect read first): the JSON parser's recursion limit names it.
    for name in ["root.json", "x.json"] {
        let p = tmp.path().join(name);
        std::fs::write(&p, &body).unwrap();
        hostile(&["verify", s(&p)], 2, "recursion limit");
        hostile(&["verify", "--dialect", "tuf", s(&p)], 2, "recursion limit");
    }
}

#[test]
fn a_lone_unreadable_file_gets_its_real_reason() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&[u8], &str); 4] = [
        (
            b"\xef\xbb\xbf{\"signed\":{},\"signatures\":[]}",
            "byte-order mark",
        ),
        (
            b"{\"signed\":{\"a\":1,\"a\":2},\"signatures\":[]}",
            "duplicate object key",
        ),
        (
            b"{\"signed\":{\"version\":99999999999999999999999},\"signatures\":[]}",
            "out of range",
        ),
        (
            b"{\"signed\":{\"version\":1e400},\"signatures\":[]}",
            "out of range",
        ),
    ];
    for (bytes, why) in cases {
        for name in ["root.json", "odd-name.json"] {
            let p = tmp.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            let r = hostile(&["verify", s(&p)], 2, why);
            assert!(
                !r.stderr.contains("cannot tell the dialect"),
                "{}",
                r.stderr
            );
        }
    }
}

#[test]
fn a_folder_is_read_up_to_its_caps() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    // More files than verify reads: exit 2 before any is parsed.
    let many = tmp.path().join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..=ceremony::transfer::input::FOLDER_FILES {
        std::fs::write(many.join(format!("{i}.json")), b"{}").unwrap();
    }
    hostile(&["verify", s(&many)], 2, "more than the 4096");
    // More bytes than verify reads (sparse files of 30 MiB each).
    let heavy = tmp.path().join("heavy");
    std::fs::create_dir(&heavy).unwrap();
    for n in ["1.root.json", "targets.json", "snapshot.json"] {
        let f = std::fs::File::create(heavy.join(n)).unwrap();
        f.set_len(30 << 20).unwrap();
    }
    hostile(&["verify", s(&heavy)], 2, "bytes verify reads");
}

// ---- bundles: links and names --------------------------------------------

#[test]
fn a_symlink_out_of_a_bundle_is_refused() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let outside = t.join("outside");
    std::fs::create_dir(&outside).unwrap();
    let secret = b"{\"signed\":{},\"signatures\":[]}";
    std::fs::write(outside.join("x.json"), secret).unwrap();

    // A listed file that is a link to a file elsewhere, and to /etc/passwd.
    for target in [outside.join("x.json"), PathBuf::from("/etc/passwd")] {
        let b = t.join(format!("b{}", target.components().count()));
        std::fs::create_dir(&b).unwrap();
        std::os::unix::fs::symlink(&target, b.join("x.json")).unwrap();
        let content = std::fs::read(&target).unwrap();
        sums(&b, &[("x.json", &content)]);
        import_refused(t, &b, "symbolic link");
    }
    // SHA256SUMS itself a link.
    let b = t.join("sums-link");
    std::fs::create_dir(&b).unwrap();
    sums(&outside, &[("x.json", secret)]);
    std::os::unix::fs::symlink(outside.join("SHA256SUMS"), b.join("SHA256SUMS")).unwrap();
    import_refused(t, &b, "symbolic link");
    // A subfolder that is a link (targets/x.json through it).
    let b = t.join("dir-link");
    std::fs::create_dir(&b).unwrap();
    std::os::unix::fs::symlink(&outside, b.join("targets")).unwrap();
    sums(&b, &[("targets/x.json", secret)]);
    import_refused(t, &b, "symbolic link");
    // A qr/ folder that is a link.
    let b = t.join("qr-link");
    std::fs::create_dir(&b).unwrap();
    std::os::unix::fs::symlink(&outside, b.join("qr")).unwrap();
    import_refused(t, &b, "symbolic link");
    // verify does not follow a link inside the folder either.
    let v = t.join("verify-link");
    std::fs::create_dir(&v).unwrap();
    std::fs::copy(data(TUF_OK).join("1.root.json"), v.join("1.root.json")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", v.join("timestamp.json")).unwrap();
    hostile(&["verify", s(&v)], 2, "symbolic link");
}

#[test]
fn names_in_sha256sums_stay_inside_the_bundle() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let body = b"{}";
    let cases: [(&str, &str); 7] = [
        ("/etc/passwd", "absolute"),
        ("../outside.json", "`..`"),
        ("targets/../../x.json", "`..`"),
        ("targets\\x.json", "backslash"),
        ("x\u{1b}[2J.json", "control character"),
        ("./x.json", "`.`"),
        ("a//x.json", "empty"),
    ];
    for (i, (name, says)) in cases.iter().enumerate() {
        let b = t.join(format!("b{i}"));
        std::fs::create_dir(&b).unwrap();
        sums(&b, &[(name, body)]);
        import_refused(t, &b, says);
    }
    // A name listed twice (two hashes: which one holds?), or SHA256SUMS
    // listing itself.
    let b = t.join("twice");
    std::fs::create_dir(&b).unwrap();
    std::fs::write(b.join("x.json"), body).unwrap();
    sums(&b, &[("x.json", body), ("x.json", b"other")]);
    import_refused(t, &b, "twice");
    let b = t.join("itself");
    std::fs::create_dir(&b).unwrap();
    sums(&b, &[("SHA256SUMS", body)]);
    import_refused(t, &b, "lists itself");
}

// ---- versions and times -----------------------------------------------------

struct Key {
    key: PrivateKey,
    meta: MetaKey,
}

impl Key {
    fn new(d: Dialect) -> Key {
        let key = PrivateKey::generate(Algorithm::Ed25519);
        let meta = MetaKey::from_public(d, &key.public()).unwrap();
        Key { key, meta }
    }
}

/// A root signed by `root`, with `other` for the three other roles.
fn root_file(
    d: Dialect,
    version: u64,
    expires: OffsetDateTime,
    root: &Key,
    other: &Key,
) -> Vec<u8> {
    root_file_with(d, version, expires, root, other, |_| {})
}

/// [`root_file`] with the body changed by `edit` before it is signed.
fn root_file_with(
    d: Dialect,
    version: u64,
    expires: OffsetDateTime,
    root: &Key,
    other: &Key,
    edit: impl FnOnce(&mut serde_json::Value),
) -> Vec<u8> {
    let mut keys = BTreeMap::new();
    keys.insert(root.meta.id(d), root.meta.clone());
    keys.insert(other.meta.id(d), other.meta.clone());
    let mut roles = BTreeMap::new();
    for (r, k) in [
        ("root", root),
        ("targets", other),
        ("snapshot", other),
        ("timestamp", other),
    ] {
        roles.insert(
            r.to_string(),
            RoleKeys {
                keyids: vec![k.meta.id(d)],
                threshold: 1,
            },
        );
    }
    let mut signed = Root::build(d, version, expires, &keys, &roles);
    edit(&mut signed);
    let mut env = Envelope {
        signed,
        signatures: Vec::new(),
    };
    ceremony::signature::sign(d, &mut env, &root.meta.id(d), &root.meta, &root.key).unwrap();
    env.to_bytes(d)
}

fn at(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap()
}

#[test]
fn a_root_of_version_2_pow_64_minus_1_is_refused_as_such() {
    let _turn = serial();
    let (r, o) = (Key::new(Dialect::Tuf), Key::new(Dialect::Tuf));
    let last = root_file(
        Dialect::Tuf,
        u64::MAX,
        OffsetDateTime::now_utc() + time::Duration::days(30),
        &r,
        &o,
    );
    let tmp = tempfile::tempdir().unwrap();
    let lone = tmp.path().join("root.json");
    std::fs::write(&lone, &last).unwrap();
    // Exit 1: well-formed and signed, but no version could follow it.
    hostile(&["verify", s(&lone)], 1, "2^64−1");
    let named = tmp.path().join("18446744073709551615.root.json");
    std::fs::write(&named, &last).unwrap();
    hostile(&["verify", s(&named)], 1, "2^64−1");
    hostile(
        &["verify", "--trusted-root", s(&lone), s(&data(TUF_OK))],
        1,
        "2^64−1",
    );
}

#[test]
fn a_far_future_time_overflows_nothing() {
    let _turn = serial();
    let end = "9999-12-31T23:59:59Z";
    // Exit 1: everything has expired by then.
    hostile(&["verify", "--at", end, s(&data(TUF_OK))], 1, "expired");
    hostile(
        &["verify", "--at", end, s(&data("notary/v2"))],
        1,
        "expired",
    );
    // A Notary root certificate valid to the end of time: the day of grace
    // cannot be added at 9999-12-31 and must not overflow.
    let gun = "registry.example.com/test/end-of-time";
    let key = PrivateKey::generate(Algorithm::EcdsaP256);
    let c = cert::notary_root_certificate(
        key.as_p256().unwrap(),
        gun,
        OffsetDateTime::now_utc(),
        at(end),
    )
    .unwrap();
    let root = Key {
        meta: MetaKey::from_cert(c).unwrap(),
        key,
    };
    let file = root_file(
        Dialect::Notary,
        1,
        at(end),
        &root,
        &Key::new(Dialect::Notary),
    );
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("root.json");
    std::fs::write(&p, file).unwrap();
    hostile(&["verify", "--at", end, s(&p)], 1, "expired on 9999-12-31");
    let r = hostile(
        &["verify", "--at", "9999-12-30T00:00:00Z", s(&p)],
        0,
        "trusted",
    );
    assert!(
        r.stdout.contains("expires 9999-12-31T23:59:59Z"),
        "{}",
        r.stdout
    );
    // Exit 2: a time past the end of the calendar is not a time, also when
    // only its offset carries it past (23:59 behind UTC on 9999-12-31).
    for late in ["+10000-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59"] {
        hostile(&["verify", "--at", late, s(&p)], 2, "not an RFC 3339 time");
    }
    // Exit 1: a Notary root that expires there, properly signed.
    let other = Key::new(Dialect::Notary);
    let file = root_file_with(Dialect::Notary, 1, at(end), &root, &other, |b| {
        b["expires"] = "9999-12-31T23:59:59-23:59".into();
    });
    std::fs::write(&p, file).unwrap();
    hostile(&["verify", s(&p)], 1, "after the year 9999");
}

#[test]
fn an_expiry_too_far_to_count_is_refused() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = ceremony_dir(tmp.path());
    let before = snapshot(&dir);
    for e in [
        "9999999999999999h",
        "153722867280912931w",
        "99999999999999999999d",
    ] {
        hostile(
            &[
                "-C",
                s(&dir),
                "key",
                "generate",
                "--role",
                "root",
                "--cert-validity",
                e,
            ],
            2,
            "cannot read expiry",
        );
    }
    assert_unchanged(&dir, &before);
}

// ---- output that cannot be written ------------------------------------------

#[test]
fn a_closed_stdout_keeps_the_verdict_and_never_panics() {
    let _turn = serial();
    // Exit 0 and 1 as on a terminal: the reader went away, the verdict
    // stands.
    for (dir, code, says) in [(TUF_OK, 0, "trusted"), (TUF_FAILS, 1, "not trusted")] {
        let path = data(dir);
        let args = ["verify", s(&path)];
        let r = run_bounded(&args, Out::Closed, KILL);
        check(&args, &r, code, says, BOUND);
    }
    let r = run_bounded(&["--help"], Out::Closed, KILL);
    check(&["--help"], &r, 0, "", BOUND);
    // `| head -1`: one line read, then the pipe closed.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ceremony"))
        .args(["verify", s(&data(TUF_OK))])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("ok"), "{first}");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_full_stdout_is_exit_2_unless_the_command_failed_anyway() {
    let _turn = serial();
    let (good, bad) = (data(TUF_OK), data(TUF_FAILS));
    let args = ["verify", s(&good)];
    let r = run_bounded(&args, Out::Full, KILL);
    check(&args, &r, 2, "cannot write to standard output", BOUND);
    let args = ["verify", s(&bad)];
    let r = run_bounded(&args, Out::Full, KILL);
    check(&args, &r, 1, "not trusted", BOUND);
    let r = run_bounded(&["--help"], Out::Full, KILL);
    check(&["--help"], &r, 2, "cannot write to standard output", BOUND);
}

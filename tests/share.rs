//! Shamir shares: properties of the share format and of split/combine, and
//! the `shares` commands with real custodian keys (Debian's `age`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use ceremony::share::{self, Problem, Share};
use common::*;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn subsets(n: usize, m: usize) -> Vec<Vec<usize>> {
    (0u32..(1 << n))
        .filter(|x| x.count_ones() as usize == m)
        .map(|x| (0..n).filter(|i| x & (1 << i) != 0).collect())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn every_m_subset_recovers_and_fewer_are_refused(secret in proptest::collection::vec(any::<u8>(), 1..48), n in 1u8..=7, m_seed in 0u8..7) {
        let m = 1 + m_seed % n;
        let shares = share::split(&secret, m, n, [1; 16], [2; 32]).unwrap();
        for idx in subsets(n as usize, m as usize) {
            let sub: Vec<Share> = idx.iter().map(|&i| shares[i].clone()).collect();
            let got = share::combine(&sub).unwrap();
            prop_assert_eq!(got.as_slice(), secret.as_slice());
        }
        if m > 1 {
            let few: Vec<Share> = shares[..(m - 1) as usize].to_vec();
            prop_assert!(share::combine(&few).is_err());
        }
    }

    #[test]
    fn m_minus_one_shares_do_not_give_the_secret(secret in proptest::collection::vec(any::<u8>(), 16..40), n in 2u8..=6, m_seed in 0u8..5) {
        let m = 2 + m_seed % (n - 1);
        let shares = share::split(&secret, m, n, [1; 16], [2; 32]).unwrap();
        let few = share::interpolate(&shares[..(m - 1) as usize]).unwrap();
        prop_assert_ne!(few.as_slice(), secret.as_slice());
    }

    #[test]
    fn a_one_bit_flip_anywhere_is_detected(secret in proptest::collection::vec(any::<u8>(), 1..40), bit in any::<prop::sample::Index>()) {
        let s = &share::split(&secret, 2, 3, [3; 16], [4; 32]).unwrap()[1];
        let mut bytes = s.to_bytes().to_vec();
        let at = bit.index(bytes.len() * 8);
        bytes[at / 8] ^= 1 << (at % 8);
        prop_assert!(matches!(Share::from_bytes(&bytes), Err(Problem::Damaged(_))));
    }

    #[test]
    fn mixed_sets_name_the_foreign_share(secret in proptest::collection::vec(any::<u8>(), 1..40), which in 0usize..3) {
        let a = share::split(&secret, 3, 3, [5; 16], [6; 32]).unwrap();
        let b = share::split(&secret, 3, 3, [7; 16], [6; 32]).unwrap();
        let mut mixed = a.clone();
        mixed[which] = b[which].clone();
        let problems = share::check_set(&mixed, [5; 16], [6; 32], 3, 3);
        for (i, p) in problems.iter().enumerate() {
            if i == which { prop_assert_eq!(p, &Some(Problem::OtherSet)); } else { prop_assert_eq!(p, &None); }
        }
        prop_assert!(share::combine(&mixed).is_err());
    }
}

#[test]
fn edge_sizes_recover() {
    let secret = [9u8; 33];
    for (m, n) in [(1u8, 1u8), (2, 2), (255, 255)] {
        let shares = share::split(&secret, m, n, [0; 16], [0; 32]).unwrap();
        assert_eq!(share::combine(&shares).unwrap().as_slice(), &secret);
        assert!(shares.iter().all(|s| s.index >= 1), "a share at x = 0");
    }
    assert!(share::split(&secret, 0, 3, [0; 16], [0; 32]).is_err());
    assert!(share::split(&secret, 4, 3, [0; 16], [0; 32]).is_err());
}

#[test]
fn duplicate_index_is_refused_before_interpolation() {
    let shares = share::split(b"0123456789abcdef", 2, 3, [0; 16], [0; 32]).unwrap();
    let dup = vec![shares[0].clone(), shares[0].clone()];
    assert_eq!(
        share::check_set(&dup, [0; 16], [0; 32], 2, 3)[1],
        Some(Problem::Duplicate(1))
    );
    assert!(share::combine(&dup).is_err());
}

// ---- the commands, with age custodians ------------------------------------

struct Custodians {
    dir: PathBuf,
}

impl Custodians {
    fn new(dir: &Path, names: &[&str]) -> Custodians {
        for n in names {
            let st = Command::new("age-keygen")
                .arg("-o")
                .arg(dir.join(format!("{n}.key")))
                .output()
                .unwrap();
            assert!(st.status.success());
        }
        Custodians {
            dir: dir.to_path_buf(),
        }
    }
    fn key(&self, n: &str) -> PathBuf {
        self.dir.join(format!("{n}.key"))
    }
    fn recipient(&self, n: &str) -> String {
        let out = Command::new("age-keygen")
            .arg("-y")
            .arg(self.key(n))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

/// A new TUF ceremony at `dir` with one root key `r1`; the key's ID.
fn tuf_r1(dir: &Path) -> String {
    ok(&["init", s(dir), "--dialect", "tuf"]);
    gen_key(s(dir), "root", "r1")
}

/// [`tuf_r1`] and custodians ann and ben with keys in `tmp`: (the key's ID,
/// `ann=RECIPIENT`, `ben=RECIPIENT`).
fn r1_for_ann_and_ben(tmp: &Path, dir: &Path) -> (String, String, String) {
    let id = tuf_r1(dir);
    let c = Custodians::new(tmp, &["ann", "ben"]);
    let (a, b) = (
        format!("ann={}", c.recipient("ann")),
        format!("ben={}", c.recipient("ben")),
    );
    (id, a, b)
}

/// The arguments of `-C DIR shares split --key r1 --threshold M`, one
/// `--custodian` for each of `custodians`, then `extra`.
fn split_r1<'a>(
    dir: &'a str,
    m: &'a str,
    custodians: &[&'a str],
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "-C",
        dir,
        "shares",
        "split",
        "--key",
        "r1",
        "--threshold",
        m,
    ];
    for c in custodians {
        args.extend(["--custodian", c]);
    }
    args.extend_from_slice(extra);
    args
}

/// The arguments of a confirmed `shares split --key r1 --threshold 2` to
/// custodians `a` and `b` that keeps only the shares.
fn only_shares_args<'a>(dir: &'a str, a: &'a str, b: &'a str) -> [&'a str; 14] {
    [
        "-C",
        dir,
        "--yes",
        "shares",
        "split",
        "--key",
        "r1",
        "--threshold",
        "2",
        "--custodian",
        a,
        "--custodian",
        b,
        "--only-shares",
    ]
}

fn split_set(tmp: &Path, names: &[&str], m: u8, extra: &[&str]) -> (PathBuf, Custodians, PathBuf) {
    let dir = tmp.join("c");
    tuf_r1(&dir);
    let c = Custodians::new(tmp, names);
    let specs: Vec<String> = names
        .iter()
        .map(|n| format!("{n}={}", c.recipient(n)))
        .collect();
    let m = m.to_string();
    let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
    let folder = PathBuf::from(ok(&split_r1(s(&dir), &m, &specs, extra)).last_line());
    (dir, c, folder)
}

#[test]
fn age_cli_opens_a_share_and_recover_accepts_what_it_prints() {
    if !need_peer("age", "Debian package age") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, c, folder) = split_set(tmp.path(), &["ann", "ben", "cat"], 2, &[]);
    let plain = tmp.path().join("ben.txt");
    let out = Command::new("age")
        .args([
            "-d",
            "-i",
            s(&c.key("ben")),
            "-o",
            s(&plain),
            s(&folder.join("ben.share.age")),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read_to_string(&plain)
            .unwrap()
            .starts_with("-----BEGIN CEREMONY SHARE-----")
    );
    let id = ok(&[
        "-C",
        s(&dir),
        "shares",
        "recover",
        s(&plain),
        s(&folder.join("ann.share.age")),
        "--identity",
        s(&c.key("ann")),
    ])
    .last_line();
    let rec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(format!("keys/{id}.json"))).unwrap())
            .unwrap();
    assert_eq!(rec["label"], "r1");
}

#[test]
fn a_custodian_verifies_her_share_alone() {
    if !need_peer("age", "Debian package age") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, c, folder) = split_set(tmp.path(), &["ann", "ben", "cat"], 2, &[]);
    let r = ok(&[
        "-C",
        s(&dir),
        "shares",
        "verify",
        s(&folder.join("cat.share.age")),
        "--identity",
        s(&c.key("cat")),
    ]);
    assert!(
        r.stdout.contains("share 3 of 3") && r.stdout.contains("cat"),
        "{}",
        r.stdout
    );
    // Someone else's identity cannot open it.
    let r = fails(
        1,
        &[
            "-C",
            s(&dir),
            "shares",
            "verify",
            s(&folder.join("cat.share.age")),
            "--identity",
            s(&c.key("ann")),
        ],
    );
    assert!(r.stderr.contains("identities"), "{}", r.stderr);
    // A changed manifest is caught.
    let m = folder.join("manifest.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&m).unwrap()).unwrap();
    v["signed"]["threshold"] = 1.into();
    std::fs::write(&m, serde_json::to_vec(&v).unwrap()).unwrap();
    let r = fails(
        1,
        &[
            "-C",
            s(&dir),
            "shares",
            "verify",
            s(&folder.join("cat.share.age")),
            "--identity",
            s(&c.key("cat")),
        ],
    );
    assert!(r.stderr.contains("not signed"), "{}", r.stderr);
}

#[test]
fn recover_names_each_bad_share() {
    if !need_peer("age", "Debian package age") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, c, folder) = split_set(tmp.path(), &["ann", "ben", "cat", "dan"], 3, &[]);
    let ids: Vec<String> = ["ann", "ben", "cat", "dan"]
        .iter()
        .map(|n| s(&c.key(n)).to_string())
        .collect();
    // A second set of the same key.
    let c2 = Custodians::new(tmp.path(), &["eve", "fay"]);
    let (e, f) = (
        format!("eve={}", c2.recipient("eve")),
        format!("fay={}", c2.recipient("fay")),
    );
    let folder2 = PathBuf::from(
        ok(&[
            "-C",
            s(&dir),
            "shares",
            "split",
            "--key",
            "r1",
            "--threshold",
            "2",
            "--custodian",
            &e,
            "--custodian",
            &f,
        ])
        .last_line(),
    );
    // ben's share, decrypted and changed by one character of its body.
    let plain = tmp.path().join("ben.txt");
    assert!(
        Command::new("age")
            .args([
                "-d",
                "-i",
                &ids[1],
                "-o",
                s(&plain),
                s(&folder.join("ben.share.age"))
            ])
            .status()
            .unwrap()
            .success()
    );
    let text = std::fs::read_to_string(&plain).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let body = lines.iter().position(|l| l.is_empty()).unwrap() + 1;
    let mut changed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let first = changed[body].remove(3);
    changed[body].insert(3, if first == 'A' { 'B' } else { 'A' });
    std::fs::write(&plain, changed.join("\n") + "\n").unwrap();

    let eve_share = folder2.join("eve.share.age");
    let mut args = vec!["-C", s(&dir), "shares", "recover", s(&plain), s(&eve_share)];
    let ann = folder.join("ann.share.age");
    args.extend([s(&ann), s(&ann)]);
    for i in &ids {
        args.extend(["--identity", i.as_str()]);
    }
    let eve = c2.key("eve");
    args.extend(["--identity", s(&eve)]);
    let r = fails(1, &args);
    assert!(r.stderr.contains("ben.txt (ben?): damaged"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("eve.share.age: belongs to another share set"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("repeats share number 1"), "{}", r.stderr);
    assert!(
        r.stderr.contains("1 good share(s) of the 3 needed"),
        "{}",
        r.stderr
    );
    // With two more good shares it recovers, and still names the bad ones.
    let (cat, dan) = (folder.join("cat.share.age"), folder.join("dan.share.age"));
    args.extend([s(&cat), s(&dan)]);
    let r = ok(&args);
    assert!(
        r.stderr.contains("BAD") && r.stderr.contains("ben.txt"),
        "{}",
        r.stderr
    );
}

#[test]
fn only_shares_needs_confirmation_and_leaves_no_key_file() {
    if !need_peer("age", "Debian package age") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let (id, a, b) = r1_for_ann_and_ben(tmp.path(), &dir);
    let before = snapshot(&dir);
    let r = fails(2, &split_r1(s(&dir), "2", &[&a, &b], &["--only-shares"]));
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
    // Bad parameters are refused before anything is written.
    fails(2, &split_r1(s(&dir), "3", &[&a, &b], &[]));
    fails(2, &split_r1(s(&dir), "0", &[&a], &[]));
    fails(2, &split_r1(s(&dir), "1", &["x=not-a-recipient"], &[]));
    assert_unchanged(&dir, &before);
    // A second name for the key file's inode shows what was done to its
    // blocks after the ceremony's name is gone.
    let key_file = dir.join(format!("keys/{id}.age"));
    let other_name = tmp.path().join("same-inode.age");
    std::fs::hard_link(&key_file, &other_name).unwrap();
    let old_len = std::fs::metadata(&key_file).unwrap().len();
    let r = ok(&only_shares_args(s(&dir), &a, &b));
    assert!(!key_file.exists());
    let left = std::fs::read(&other_name).unwrap();
    assert_eq!(left.len() as u64, old_len);
    assert!(left.iter().all(|b| *b == 0), "the key file was not zeroed");
    // The output says what the overwrite does not reach.
    assert!(
        r.stderr.contains("overwritten with zeros") && r.stderr.contains("SSDs"),
        "{}",
        r.stderr
    );
    let list = ok(&["-C", s(&dir), "key", "list"]).stdout;
    assert!(
        list.lines()
            .any(|l| l.contains("r1") && l.contains("only as shares: set ")),
        "{list}"
    );
}

/// The key file is overwritten before it is removed, and the journal took
/// its bytes before the overwrite: a removal that fails after the zeros
/// are written (injected with strace) undoes the split with the key file
/// intact, the directory exactly as before.
#[test]
fn a_wipe_that_fails_after_the_overwrite_restores_the_key_file() {
    if !need_peer("age", "Debian package age") {
        return;
    }
    let strace = Command::new("sh")
        .args(["-c", "command -v strace"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !strace {
        eprintln!("SKIPPED: strace not found (it injects the failed removal)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let (id, a, b) = r1_for_ann_and_ben(tmp.path(), &dir);
    let key_file = dir.join(format!("keys/{id}.age"));
    let before = snapshot(&dir);
    let out = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "-P"])
        .arg(&key_file)
        .args([
            "-e",
            "trace=unlink,unlinkat",
            "-e",
            "inject=unlink,unlinkat:error=EIO",
        ])
        .arg(env!("CARGO_BIN_EXE_ceremony"))
        .args(only_shares_args(s(&dir), &a, &b))
        .env("CEREMONY_PASSPHRASE", PASS)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("ptrace") && stderr.contains("Operation not permitted") {
        eprintln!("SKIPPED: this machine does not allow ptrace");
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Input/output error"), "{stderr}");
    assert_unchanged(&dir, &before);
}

#[test]
fn no_secret_in_clear_after_split_and_recovery() {
    use base64::Engine;
    use ceremony::key::private::PrivateKey;
    use ceremony::secret::Passphrase;
    use p256::pkcs8::EncodePrivateKey;
    if !need_peer("age", "Debian package age") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    ok(&[
        "init",
        s(&dir),
        "--dialect",
        "notary",
        "--gun",
        "registry.example.com/a/b",
    ]);
    let id = ok(&[
        "-C",
        s(&dir),
        "key",
        "generate",
        "--role",
        "root",
        "--label",
        "r1",
    ])
    .last_line();
    let file = std::fs::read(dir.join(format!("keys/{id}.age"))).unwrap();
    let PrivateKey::EcdsaP256(k) =
        PrivateKey::decrypt(&file, &Passphrase::from(PASS.to_string())).unwrap()
    else {
        panic!("not P-256")
    };
    let raw = k.to_bytes().to_vec();
    let der = k.to_pkcs8_der().unwrap().as_bytes().to_vec();
    let b64 = base64::engine::general_purpose::STANDARD;
    let forms: Vec<Vec<u8>> = vec![
        raw.clone(),
        hex::encode(&raw).into_bytes(),
        b64.encode(&raw).into_bytes(),
        der.clone(),
        // A PEM of the key holds this stretch of base64 (bytes 36..66 of the DER: the scalar).
        b64.encode(&der).as_bytes()[48..88].to_vec(),
    ];
    let scan = |what: &str| {
        for root in [&dir, &tmp.path().join("out")] {
            if !root.exists() {
                continue;
            }
            for (path, bytes) in snapshot(root) {
                for f in &forms {
                    assert!(
                        !bytes.windows(f.len()).any(|w| w == f.as_slice()),
                        "{what}: key material in clear in {}",
                        path.display()
                    );
                }
            }
        }
    };
    let c = Custodians::new(tmp.path(), &["ann", "ben", "cat"]);
    let specs: Vec<String> = ["ann", "ben", "cat"]
        .iter()
        .map(|n| format!("{n}={}", c.recipient(n)))
        .collect();
    let folder = PathBuf::from(
        ok(&[
            "-C",
            s(&dir),
            "--yes",
            "shares",
            "split",
            "--key",
            "r1",
            "--threshold",
            "2",
            "--custodian",
            &specs[0],
            "--custodian",
            &specs[1],
            "--custodian",
            &specs[2],
            "--only-shares",
        ])
        .last_line(),
    );
    scan("after split");
    ok(&[
        "-C",
        s(&dir),
        "shares",
        "recover",
        s(&folder.join("ann.share.age")),
        s(&folder.join("cat.share.age")),
        "--identity",
        s(&c.key("ann")),
        "--identity",
        s(&c.key("cat")),
        "--store",
    ]);
    assert!(dir.join(format!("keys/{id}.age")).exists());
    // A whole ceremony on the recovered key, exported.
    let d = s(&dir);
    let ts = server_like_key(tmp.path(), "ts.json");
    stage_notary_root(d, &["r1"], None, "sn", &ts);
    sign_notary(d);
    ok(&["-C", d, "export", s(&tmp.path().join("out"))]);
    assert!(tmp.path().join("out/root.json").exists());
    scan("after recovery and export");
    // The stored key is the same key.
    let back = PrivateKey::decrypt(
        &std::fs::read(dir.join(format!("keys/{id}.age"))).unwrap(),
        &Passphrase::from(PASS.to_string()),
    )
    .unwrap();
    assert_eq!(back.secret_bytes().as_slice()[1..], raw[..]);
}

#[test]
fn sheet_qr_decodes_with_zbarimg_to_the_sealed_share() {
    if !need_peer("age", "Debian package age") || !need_peer("zbarimg", "Debian package zbar-tools")
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, c, folder) = split_set(tmp.path(), &["ann", "ben"], 2, &[]);
    for n in ["ann", "ben"] {
        let out = Command::new("zbarimg")
            .args([
                "--nodbus",
                "--raw",
                "-q",
                "--set",
                "*.enable=0",
                "--set",
                "qrcode.enable=1",
            ])
            .arg(folder.join(format!("{n}.qr.png")))
            .output()
            .unwrap();
        assert!(out.status.success(), "zbarimg failed on {n}'s QR");
        let sealed = std::fs::read(folder.join(format!("{n}.share.age"))).unwrap();
        // zbarimg ends its output with a newline of its own.
        assert_eq!(
            out.stdout.strip_suffix(b"\n").unwrap(),
            sealed.as_slice(),
            "{n}'s QR is not the sealed share"
        );
        let sheet = std::fs::read_to_string(folder.join(format!("{n}.sheet.txt"))).unwrap();
        assert!(sheet.contains(&String::from_utf8(sealed).unwrap()) && sheet.contains('█'));
    }
    // The readback words on the sheet are the ones verify prints.
    let r = ok(&[
        "-C",
        s(&dir),
        "shares",
        "verify",
        s(&folder.join("ann.share.age")),
        "--identity",
        s(&c.key("ann")),
    ]);
    let words = r
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("readback (compare with your sheet): "))
        .unwrap()
        .to_string();
    let sheet = std::fs::read_to_string(folder.join("ann.sheet.txt")).unwrap();
    assert!(
        sheet.contains(&format!("Readback:      {words}")),
        "{words}"
    );
}

#[test]
fn reissue_makes_a_new_set_and_supersedes_the_old() {
    if !need_peer("age", "Debian package age") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, c, folder) = split_set(
        tmp.path(),
        &["ann", "ben", "cat"],
        2,
        &["--only-shares", "--yes"],
    );
    let old = folder.file_name().unwrap().to_string_lossy().to_string();
    let n = Custodians::new(tmp.path(), &["dan", "eve"]);
    let (d1, e1) = (
        format!("dan={}", n.recipient("dan")),
        format!("eve={}", n.recipient("eve")),
    );
    // The key exists only as shares: the reissue needs the old set's shares.
    fails(
        2,
        &[
            "-C",
            s(&dir),
            "shares",
            "reissue",
            "--set",
            &old,
            "--threshold",
            "2",
            "--custodian",
            &d1,
            "--custodian",
            &e1,
        ],
    );
    let new = PathBuf::from(
        ok(&[
            "-C",
            s(&dir),
            "shares",
            "reissue",
            "--set",
            &old,
            "--threshold",
            "2",
            "--custodian",
            &d1,
            "--custodian",
            &e1,
            "--from-shares",
            s(&folder.join("ann.share.age")),
            s(&folder.join("ben.share.age")),
            "--identity",
            s(&c.key("ann")),
            "--identity",
            s(&c.key("ben")),
        ])
        .last_line(),
    );
    assert!(folder.join("SUPERSEDED").exists());
    let list = ok(&["-C", s(&dir), "shares", "list"]).stdout;
    assert!(
        list.contains("(superseded)") && list.contains("dan,eve"),
        "{list}"
    );
    // The new custodians recover the same key.
    let r = ok(&[
        "-C",
        s(&dir),
        "shares",
        "recover",
        s(&new.join("dan.share.age")),
        s(&new.join("eve.share.age")),
        "--identity",
        s(&n.key("dan")),
        "--identity",
        s(&n.key("eve")),
    ]);
    assert!(r.stderr.contains("r1"), "{}", r.stderr);
}

// ---- one person, one share; no share decides the set alone ---------------

#[test]
fn custodians_sharing_a_recipient_or_a_passphrase_are_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    tuf_r1(&dir);
    let d = s(&dir);
    let c = Custodians::new(tmp.path(), &["ann", "ben"]);
    let before = snapshot(&dir);
    // Twenty custodians, one age recipient: one person would hold them all.
    let one = c.recipient("ann");
    let specs: Vec<String> = (0..20).map(|i| format!("c{i}={one}")).collect();
    let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
    let r = fails(2, &split_r1(d, "3", &specs, &[]));
    assert!(
        r.stderr
            .contains("custodians c0 and c1 were given one age recipient"),
        "{}",
        r.stderr
    );
    assert_unchanged(&dir, &before);
    // The duplicate need not be next to its twin.
    let ann = format!("ann={}", c.recipient("ann"));
    let ben = format!("ben={}", c.recipient("ben"));
    let cat = format!("cat={}", c.recipient("ann"));
    let r = fails(2, &split_r1(d, "2", &[&ann, &ben, &cat], &[]));
    assert!(r.stderr.contains("ann and cat"), "{}", r.stderr);
    assert_unchanged(&dir, &before);
    // Two passphrase custodians given the same passphrase.
    let p1 = tmp.path().join("p1");
    let p2 = tmp.path().join("p2");
    std::fs::write(&p1, "same words for both\n").unwrap();
    std::fs::write(&p2, "same words for both\n").unwrap();
    let f1 = format!("dan={}", s(&p1));
    let f2 = format!("eve={}", s(&p2));
    let r = fails(
        2,
        &split_r1(
            d,
            "2",
            &[&ann, "dan=passphrase", "eve=passphrase"],
            &[
                "--custodian-passphrase-file",
                &f1,
                "--custodian-passphrase-file",
                &f2,
            ],
        ),
    );
    assert!(
        r.stderr.contains("dan and eve were given one passphrase"),
        "{}",
        r.stderr
    );
    assert_unchanged(&dir, &before);
}

/// Passphrases for share files that are already plain text: none asked.
struct NoPassphrases;
impl ceremony::ceremony::Passphrases for NoPassphrases {
    fn unlock(
        &mut self,
        _: &ceremony::ceremony::KeyRecord,
    ) -> ceremony::Result<ceremony::secret::Passphrase> {
        Err(ceremony::Error::input("no passphrase in this test"))
    }
    fn new_key(&mut self, _: &str) -> ceremony::Result<ceremony::secret::Passphrase> {
        Err(ceremony::Error::input("no passphrase in this test"))
    }
}

/// The plain text of every share in `folder`, opened with the custodians'
/// identities.
fn plain_shares(folder: &Path, c: &Custodians, names: &[&str]) -> Vec<Share> {
    let paths: Vec<PathBuf> = names.iter().map(|n| c.key(n)).collect();
    let ids = ceremony::share::seal::load_identities(&paths).unwrap();
    names
        .iter()
        .map(|n| {
            let f = folder.join(format!("{n}.share.age"));
            let bytes = std::fs::read(&f).unwrap();
            let text = ceremony::share::seal::open(&bytes, &ids, None, &f).unwrap();
            Share::from_text(std::str::from_utf8(&text).unwrap()).unwrap()
        })
        .collect()
}

#[test]
fn standalone_recovery_takes_m_from_the_shares_agreement_not_the_first_share() {
    use ceremony::ceremony::shares::recover_standalone;
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (dir, c, folder) = split_set(t, &["ann", "ben", "cat"], 2, &[]);
    let genuine = plain_shares(&folder, &c, &["ann", "ben", "cat"]);
    // Another key, split 1-of-3: its share holds that key outright. Made to
    // claim the genuine set and key, it says "M = 1, I alone suffice".
    let other = t.join("other");
    std::fs::create_dir(&other).unwrap();
    let (_, oc, ofolder) = split_set(&other, &["mal", "x", "y"], 1, &[]);
    let mut forged = plain_shares(&ofolder, &oc, &["mal"]).remove(0);
    forged.set_id = genuine[0].set_id;
    forged.key_id = genuine[0].key_id;
    forged.total = genuine[0].total;
    forged.index = 3;
    let write = |name: &str, sh: &Share| {
        let p = t.join(name);
        std::fs::write(&p, sh.to_text().as_bytes()).unwrap();
        p
    };
    let f = write("forged.txt", &forged);
    let a = write("ann.txt", &genuine[0]);
    let b = write("ben.txt", &genuine[1]);
    let rec: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            std::fs::read_dir(dir.join("keys"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|x| x == "json"))
                .unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let want = ceremony::metadata::keys::MetaKey::from_value(
        ceremony::metadata::Dialect::Tuf,
        &rec["key"],
    )
    .unwrap()
    .public;
    // The forged share first: it is named and set aside, the genuine key
    // recovered from the two that agree.
    let (key, verdicts) =
        recover_standalone(&[f.clone(), a.clone(), b.clone()], &[], &mut NoPassphrases).unwrap();
    assert_eq!(key.public(), want);
    let bad = verdicts[0].problem.clone().unwrap_or_default();
    assert!(bad.contains("1-of-3 instead of 2-of-3"), "{bad}");
    assert!(verdicts[1].problem.is_none() && verdicts[2].problem.is_none());
    // One genuine share against one forged: no majority, nothing recovered.
    let err = recover_standalone(&[f.clone(), a.clone()], &[], &mut NoPassphrases)
        .err()
        .unwrap();
    assert!(err.reason().contains("disagree"), "{}", err.reason());
    // Alone, the forged share still claims M = 1: it recovers only the
    // other key, never the genuine one.
    let (alone, _) = recover_standalone(&[f], &[], &mut NoPassphrases).unwrap();
    assert_ne!(alone.public(), want);
}

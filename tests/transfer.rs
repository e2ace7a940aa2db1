//! Across the air gap by QR: a bundle of more than 20 KB goes out as PNG
//! frames and comes back through the tool's own decoder and, frame by frame,
//! Debian's zbarimg; lost and shuffled frames are tolerated, a corrupted
//! frame is refused by number, every frame is QR version ≤ 25 at level ≥ M.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use ceremony::transfer::frames::{self, Frame};
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A Notary ceremony with five root versions, targets and snapshot,
/// exported with PNG frames. Returns (ceremony, export).
fn big_export(tmp: &Path) -> (PathBuf, PathBuf) {
    let dir = tmp.join("c");
    init_notary(&dir, "registry.example.com/ceremony/qr");
    let d = s(&dir);
    for i in 1..=3 {
        gen_key(d, "root", &format!("r{i}"));
    }
    let ts = server_like_key(tmp, "ts.json");
    stage_notary_root(d, &["r1", "r2", "r3"], Some("2"), "s", &ts);
    ok(&["-C", d, "root", "sign", "--yes"]);
    for _ in 0..4 {
        ok(&["-C", d, "root", "rotate"]);
        ok(&["-C", d, "root", "sign", "--yes"]);
    }
    ok(&["-C", d, "targets", "sign"]);
    ok(&["-C", d, "snapshot", "sign"]);
    let out = tmp.join("out");
    ok(&["-C", d, "export", s(&out), "--qr", "png"]);
    (dir, out)
}

/// One export shared by the tests (it takes a while to make), copied per test.
fn shared_export(tmp: &Path) -> PathBuf {
    static ONCE: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_keep, out) = ONCE.get_or_init(|| {
        let t = tempfile::tempdir().unwrap();
        let (_, out) = big_export(t.path());
        (t, out)
    });
    let copy = tmp.join("out");
    copy_dir(out, &copy);
    copy
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

fn frame_files(out: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(out.join("qr"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn exported_files(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_20kb_bundle_round_trips_through_png_frames() {
    if !need_peer("zbarimg", "Debian package zbar-tools") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = shared_export(tmp.path());
    let files = exported_files(&out);
    let size: usize = files.iter().map(|(_, b)| b.len()).sum();
    assert!(size >= 20 * 1024, "bundle is only {size} bytes");
    let pngs = frame_files(&out);
    assert!(pngs.len() > 10);

    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for p in &pngs {
        let img = image::open(p).unwrap().to_luma8();
        let mut prep = rqrr::PreparedImage::prepare(img);
        let grids = prep.detect_grids();
        assert_eq!(grids.len(), 1, "{}", p.display());
        let (meta, text) = grids[0].decode().unwrap();
        assert!(
            meta.version.0 <= 25,
            "{}: QR version {}",
            p.display(),
            meta.version.0
        );
        assert_ne!(meta.ecc_level, 1, "{}: error correction L", p.display());
        // QR only: zbar's 1-D decoders sometimes "see" a barcode in a QR.
        let z = Command::new("zbarimg")
            .args([
                "--nodbus",
                "--raw",
                "-q",
                "--set",
                "*.enable=0",
                "--set",
                "qrcode.enable=1",
            ])
            .arg(p)
            .output()
            .unwrap();
        assert!(z.status.success(), "zbarimg cannot read {}", p.display());
        let ztext = String::from_utf8(z.stdout)
            .unwrap()
            .trim_end_matches('\n')
            .to_string();
        assert_eq!(
            ztext,
            text,
            "zbarimg and the tool read {} differently",
            p.display()
        );
        ours.push(Frame {
            source: p.display().to_string(),
            text: Ok(text),
        });
        theirs.push(Frame {
            source: p.display().to_string(),
            text: Ok(ztext),
        });
    }
    // What zbarimg read rebuilds exactly the exported files.
    let back = frames::unpack(&frames::reassemble(&theirs).unwrap()).unwrap();
    let mut back_sorted = back.clone();
    back_sorted.sort();
    assert_eq!(back_sorted, files);
    // Any single frame lost, in reverse order: still whole.
    for skip in 0..ours.len() {
        let mut some: Vec<Frame> = ours
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, f)| f.clone())
            .collect();
        some.reverse();
        let again = frames::unpack(&frames::reassemble(&some).unwrap()).unwrap();
        assert_eq!(again, back, "losing frame {} broke the bundle", skip + 1);
    }
}

#[test]
fn import_takes_shuffled_frames_with_one_missing_and_refuses_a_corrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let out = shared_export(tmp.path());
    let pngs = frame_files(&out);
    // Shuffled names (reverse order), the middle frame dropped.
    let shuffled = tmp.path().join("scanned");
    std::fs::create_dir(&shuffled).unwrap();
    let n = pngs.len();
    for (i, p) in pngs.iter().enumerate() {
        if i == n / 2 {
            continue;
        }
        std::fs::copy(p, shuffled.join(format!("scan-{:03}.png", n - i))).unwrap();
    }
    let fresh = tmp.path().join("fresh");
    ok(&[
        "init",
        s(&fresh),
        "--dialect",
        "notary",
        "--gun",
        "registry.example.com/ceremony/qr",
    ]);
    let r = ok(&["-C", s(&fresh), "import", s(&shuffled)]);
    assert!(r.stderr.contains("bundle checked"), "{}", r.stderr);
    assert!(fresh.join("staged/targets.json").exists());

    // A frame whose text was altered is refused by its number.
    let victim = shuffled.join(format!("scan-{:03}.png", n - 2));
    let text = frames::read_image(&std::fs::read(&victim).unwrap()).unwrap();
    let (k, total) = frames::frame_number(&text).unwrap();
    let mut chars: Vec<char> = text.chars().collect();
    let at = chars.len() - 10;
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    let altered: String = chars.into_iter().collect();
    std::fs::write(
        &victim,
        ceremony::transfer::qr::png(altered.as_bytes()).unwrap(),
    )
    .unwrap();
    let fresh2 = tmp.path().join("fresh2");
    ok(&[
        "init",
        s(&fresh2),
        "--dialect",
        "notary",
        "--gun",
        "registry.example.com/ceremony/qr",
    ]);
    let before = snapshot(&fresh2);
    let r = fails(1, &["-C", s(&fresh2), "import", s(&shuffled)]);
    assert!(
        r.stderr.contains(&format!("frame {k} of {total}")) && r.stderr.contains("corrupted"),
        "{}",
        r.stderr
    );
    // An image that is no QR code at all is named too.
    std::fs::write(&victim, b"not an image").unwrap();
    let r = fails(1, &["-C", s(&fresh2), "import", s(&shuffled)]);
    assert!(
        r.stderr.contains(&format!("scan-{:03}.png", n - 2)),
        "{}",
        r.stderr
    );
    assert_unchanged(&fresh2, &before);
}

#[test]
fn import_checks_every_checksum_first() {
    let tmp = tempfile::tempdir().unwrap();
    let out = shared_export(tmp.path());
    std::fs::remove_dir_all(out.join("qr")).unwrap();
    let mut t = std::fs::read(out.join("targets.json")).unwrap();
    t[30] ^= 1;
    std::fs::write(out.join("targets.json"), t).unwrap();
    let fresh = tmp.path().join("fresh");
    ok(&[
        "init",
        s(&fresh),
        "--dialect",
        "notary",
        "--gun",
        "registry.example.com/ceremony/qr",
    ]);
    let before = snapshot(&fresh);
    let r = fails(1, &["-C", s(&fresh), "import", s(&out)]);
    assert!(
        r.stderr.contains("targets.json: does not match SHA256SUMS"),
        "{}",
        r.stderr
    );
    assert_unchanged(&fresh, &before);
}

//! QR frames and images from the online side are held to what the tool's
//! own export makes before anything is allocated by them: every number a
//! frame claims, the number of images, each image's size (from its header)
//! and the QR decoder's time. Each refusal is exit 2 naming the frame's
//! file, within bounds of time and a 2 GiB address space, and leaves the
//! ceremony directory as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod hostile_common;

use ceremony::transfer::frames::{self, Frame};
use common::*;
use hostile_common::*;
use std::time::Duration;

/// The CBOR of a fountain part: [seq, seqLen, messageLen, checksum, data].
fn part_cbor(seq: u32, seq_len: u32, message_len: u32, checksum: u32, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x85];
    for n in [seq, seq_len, message_len, checksum] {
        out.push(0x1a);
        out.extend_from_slice(&n.to_be_bytes());
    }
    assert!(data.len() < 256);
    out.extend_from_slice(&[0x58, data.len() as u8]);
    out.extend_from_slice(data);
    out
}

/// A frame text with `k-n` in its header and a valid bytewords checksum.
fn crafted(k: u32, n: u32, cbor: &[u8]) -> String {
    let body = ur::bytewords::encode(cbor, ur::bytewords::Style::Minimal);
    format!("UR:CEREMONY-BUNDLE/{k}-{n}/{}", body.to_ascii_uppercase())
}

#[test]
fn a_crafted_frame_is_refused_before_the_decoder_allocates() {
    let _turn = serial();
    // This frame made the ur decoder ask for 34 GB; the child runs under a
    // 2 GiB limit, so without the bound it aborts and this test fails.
    let text = crafted(
        4_294_967_295,
        4_294_967_294,
        &part_cbor(4_294_967_295, 4_294_967_294, 400, 0x1234_5678, &[7; 10]),
    );
    let tmp = tempfile::tempdir().unwrap();
    let scanned = tmp.path().join("scanned");
    std::fs::create_dir(&scanned).unwrap();
    std::fs::write(
        scanned.join("frame-001.png"),
        ceremony::transfer::qr::png(text.as_bytes()).unwrap(),
    )
    .unwrap();
    // Exit 2: an intact frame that no export of this tool makes, named by
    // its file.
    let r = import_refused(tmp.path(), &scanned, "frame-001.png: frame refused");
    assert!(
        r.stderr.contains("claims 4294967294 fragments") && r.stderr.contains("at most 656"),
        "{}",
        r.stderr
    );
}

#[test]
fn every_number_a_frame_claims_is_bounded() {
    let _turn = serial();
    // (frame text, what the refusal says); each checksum is valid.
    let cases = [
        (
            crafted(1, 1, &part_cbor(1, 1, u32::MAX, 1, &[1; 10])),
            "claims a message of 4294967295 bytes",
        ),
        (
            crafted(2000, 3, &part_cbor(2000, 3, 1000, 1, &[1; 200])),
            "is frame 2000",
        ),
        (
            crafted(1, 3, &part_cbor(1, 3, 1000, 1, &[1; 200])),
            "cuts a message of 1000 bytes into 3 fragments of 200",
        ),
        (
            crafted(1, 2, &part_cbor(2, 2, 800, 1, &[1; 200])),
            "says 1-2 in its header",
        ),
        (
            crafted(0, 2, &part_cbor(0, 2, 800, 1, &[1; 200])),
            "is frame 0",
        ),
        (
            format!("UR:CEREMONY-BUNDLE/1-99999999999/{}", "AE".repeat(10)),
            "where a frame number belongs",
        ),
        (
            format!("UR:CEREMONY-BUNDLE/1-1/{}", "AE".repeat(3000)),
            "more than a QR code holds",
        ),
    ];
    for (text, says) in cases {
        let e = frames::reassemble(&[Frame {
            source: "frame-x.png".into(),
            text: Ok(text.clone()),
        }])
        .expect_err(&text);
        assert_eq!(e.exit_code(), 2, "{text}: {}", e.reason());
        assert!(
            e.reason().contains("frame-x.png") && e.reason().contains(says),
            "{text}: wanted {says:?} in {:?}",
            e.reason()
        );
    }
    // A payload that claims more files or longer names than it holds.
    let mut p = b"CBDL\x01\xff\xff".to_vec();
    let digest = sha2_digest(&p);
    p.extend_from_slice(&digest);
    assert_eq!(frames::unpack(&p).unwrap_err().exit_code(), 2);
    let mut p = b"CBDL\x01\x00\x01\x00\x05a.json\xff\xff\xff\xff".to_vec();
    let digest = sha2_digest(&p);
    p.extend_from_slice(&digest);
    assert!(frames::unpack(&p).is_err());
}

fn sha2_digest(b: &[u8]) -> Vec<u8> {
    hex::decode(ceremony::transfer::sha256_hex(b)).unwrap()
}

#[test]
fn oversized_images_are_refused_by_their_header() {
    let _turn = serial();
    // Twenty small PNGs of 20000×20000 pixels took two minutes to decode;
    // their header alone refuses them (exit 2), whether their pixel data
    // is all there (a few hundred kilobytes, deflated) or missing.
    let zeros = png_of_zeros(20_000, 20_000);
    assert!(zeros.len() < 400_000, "{}", zeros.len());
    let check = image::load_from_memory(&png_of_zeros(100, 30)).unwrap();
    assert_eq!((check.width(), check.height()), (100, 30));
    let tmp = tempfile::tempdir().unwrap();
    for (name, png) in [("full", zeros), ("empty", png_declaring(20_000, 20_000))] {
        let scanned = tmp.path().join(name);
        std::fs::create_dir(&scanned).unwrap();
        for i in 0..20 {
            std::fs::write(scanned.join(format!("frame-{i:03}.png")), &png).unwrap();
        }
        import_refused(tmp.path(), &scanned, "20000×20000 pixels");
    }
}

#[test]
fn too_many_images_are_refused_before_any_is_read() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    let scanned = tmp.path().join("scanned");
    std::fs::create_dir(&scanned).unwrap();
    for i in 0..=frames::MAX_FRAMES {
        std::fs::write(scanned.join(format!("frame-{i:04}.png")), b"").unwrap();
    }
    import_refused(tmp.path(), &scanned, "more than the 1320 frames");
}

#[test]
fn an_image_that_keeps_the_decoder_busy_is_cut_off() {
    let _turn = serial();
    // 200×200 pixels of QR finder patterns keep the QR decoder busy for
    // many seconds; it is stopped at its deadline (3 s) and the image
    // refused, exit 2.
    let w = 200u32;
    let mut img = image::GrayImage::from_pixel(w, w, image::Luma([255]));
    for by in (0..w - 9).step_by(9) {
        for bx in (0..w - 9).step_by(9) {
            for y in 0..7i32 {
                for x in 0..7i32 {
                    let d = (x - 3).abs().max((y - 3).abs());
                    if d == 3 || d <= 1 {
                        img.put_pixel(bx + x as u32, by + y as u32, image::Luma([0]));
                    }
                }
            }
        }
    }
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageLuma8(img)
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = ceremony_dir(tmp.path());
    let scanned = tmp.path().join("scanned");
    std::fs::create_dir(&scanned).unwrap();
    std::fs::write(scanned.join("frame-001.png"), png.into_inner()).unwrap();
    let before = snapshot(&dir);
    let args = ["-C", s(&dir), "import", s(&scanned)];
    let r = run_bounded(&args, Out::Piped, KILL);
    let bound = ceremony::transfer::qr::IMAGE_DEADLINE + Duration::from_secs(3);
    check(
        &args,
        &r,
        2,
        "frame-001.png: the QR decoder found no frame",
        bound,
    );
    assert_unchanged(&dir, &before);
}

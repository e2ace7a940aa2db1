//! QR codes of bytes: a PNG for printing or a screen, and a block of
//! Unicode half-blocks for a text sheet. Error correction M or higher, so a
//! creased or smudged print still scans. And the way back: reading the QR
//! code in an image someone else made, with its size checked before any
//! pixel is decoded and the decoder's time bounded.

use qrcode::{EcLevel, QrCode};
use std::io::Cursor;
use std::time::Duration;

use crate::error::{Error, Result};

fn code(data: &[u8]) -> Result<QrCode> {
    QrCode::with_error_correction_level(data, EcLevel::M).map_err(|e| {
        Error::input(format!(
            "cannot make a QR code of {} bytes: {e}",
            data.len()
        ))
    })
}

/// A PNG of the QR code of `data` (4 pixels a module, with quiet zone).
pub fn png(data: &[u8]) -> Result<Vec<u8>> {
    let img = code(data)?
        .render::<image::Luma<u8>>()
        .module_dimensions(4, 4)
        .quiet_zone(true)
        .build();
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageLuma8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| Error::input(format!("cannot write PNG: {e}")))?;
    Ok(out.into_inner())
}

/// `png` (as [`png`] writes it) with a `tEXt` chunk `keyword: text` right
/// after its header: a note any image viewer's "properties" shows and that
/// a search of the file's bytes finds, while the pixels stay the code.
pub fn png_with_text(png: &[u8], keyword: &str, text: &str) -> Result<Vec<u8>> {
    // Signature (8) then IHDR: length (4), type (4), 13 bytes, CRC (4).
    const AFTER_IHDR: usize = 8 + 4 + 4 + 13 + 4;
    if png.len() < AFTER_IHDR || png.get(12..16) != Some(b"IHDR".as_slice()) {
        return Err(Error::input("not a PNG this tool wrote"));
    }
    let mut chunk = b"tEXt".to_vec();
    chunk.extend_from_slice(keyword.as_bytes());
    chunk.push(0);
    chunk.extend_from_slice(text.as_bytes());
    let len = u32::try_from(chunk.len() - 4).map_err(|_| Error::input("PNG note too long"))?;
    let mut out = png[..AFTER_IHDR].to_vec();
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    out.extend_from_slice(&png[AFTER_IHDR..]);
    Ok(out)
}

/// CRC-32 (IEEE, as PNG chunks use), bit by bit: a few hundred bytes.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for b in bytes {
        c ^= u32::from(*b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// An SVG of the QR code of `data`.
pub fn svg(data: &[u8]) -> Result<String> {
    Ok(code(data)?
        .render::<qrcode::render::svg::Color>()
        .quiet_zone(true)
        .min_dimensions(400, 400)
        .build())
}

/// The QR code of `data` as text: two modules per character row, dark on
/// light paper.
pub fn text(data: &[u8]) -> Result<String> {
    let c = code(data)?;
    let w = c.width();
    let colors = c.to_colors();
    let dark = |x: isize, y: isize| -> bool {
        x >= 0
            && y >= 0
            && (x as usize) < w
            && (y as usize) < w
            && colors[y as usize * w + x as usize] == qrcode::Color::Dark
    };
    let q = 2isize;
    let mut out = String::new();
    let mut y = -q;
    while y < w as isize + q {
        for x in -q..w as isize + q {
            out.push(match (dark(x, y), dark(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
        y += 2;
    }
    Ok(out)
}

/// The width in modules (without quiet zone) of the QR code of `data`.
pub fn width(data: &[u8]) -> Result<usize> {
    Ok(code(data)?.width())
}

/// The QR code of `data` as rows of modules, `true` for dark, without
/// quiet zone: for a caller that draws it itself (the terminal UI).
pub fn modules(data: &[u8]) -> Result<Vec<Vec<bool>>> {
    let c = code(data)?;
    let w = c.width();
    let colors = c.to_colors();
    Ok(colors
        .chunks(w)
        .map(|row| row.iter().map(|m| *m == qrcode::Color::Dark).collect())
        .collect())
}

/// The QR version (size class, 1..=40) `data` needs at level M.
pub fn version(data: &[u8]) -> Result<i16> {
    match code(data)?.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => Ok(v),
    }
}

/// The largest QR image read, per side, in pixels (a phone photograph of a
/// frame fits; the tool's own frames are 500 pixels).
pub const MAX_IMAGE_SIDE: u32 = 4096;

/// How long the QR decoder may take on one image. The tool's own frames
/// take a fraction of a second; the decoder's work has no bound of its own
/// (a 200×200 image of finder patterns keeps it busy for many seconds).
pub const IMAGE_DEADLINE: Duration = Duration::from_secs(3);

/// How long reading all the images of one bundle may take: ten seconds,
/// and one more a frame.
pub fn images_deadline(images: usize) -> Duration {
    Duration::from_secs(10).saturating_add(Duration::from_secs(images as u64))
}

/// The name of the thread that runs the QR decoder.
pub const DECODER_THREAD: &str = "ceremony-qr-decoder";

/// Reads the QR code in an image (PNG): an image too large or too slow to
/// read is an `Err` like an unreadable one. See [`scan_image`].
pub fn read_image(bytes: &[u8]) -> std::result::Result<String, String> {
    match scan_image(bytes, IMAGE_DEADLINE) {
        Ok(r) => r,
        Err(e) => Err(e.reason().to_string()),
    }
}

/// Reads the QR code in an image (PNG) with a pure-Rust decoder. The
/// image's size is read from its header and held to [`MAX_IMAGE_SIDE`]
/// before any pixel is decoded, and the decoder runs on its own thread
/// for at most `deadline`. `Err` refuses the image (too large, too slow to
/// read: not a frame this tool made); `Ok(Err(why))` is an image without a
/// readable QR code.
pub fn scan_image(bytes: &[u8], deadline: Duration) -> Result<std::result::Result<String, String>> {
    let reader = || {
        image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| format!("not an image: {e}"))
    };
    let dims = match reader() {
        Ok(r) => r
            .into_dimensions()
            .map_err(|e| format!("not an image: {e}")),
        Err(e) => Err(e),
    };
    let (w, h) = match dims {
        Ok(d) => d,
        Err(why) => return Ok(Err(why)),
    };
    if w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE {
        return Err(Error::input(format!(
            "the image is {w}×{h} pixels; frames are read up to {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE}"
        ))
        .hint("scale or crop the picture to the QR code"));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    let img = match reader().and_then(|mut r| {
        r.limits(limits);
        r.decode().map_err(|e| format!("not an image: {e}"))
    }) {
        Ok(i) => i.to_luma8(),
        Err(why) => return Ok(Err(why)),
    };
    // The decoder may run long or even panic on a crafted image: it runs
    // on a thread of its own that is left behind when it overruns (the
    // command ends with the refusal, and the thread with it).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(DECODER_THREAD.into())
        .spawn(move || {
            let mut prepared = rqrr::PreparedImage::prepare(img);
            let grids = prepared.detect_grids();
            let res = match grids.first() {
                None => Err("no QR code found".to_string()),
                Some(g) => g
                    .decode()
                    .map(|(_, text)| text)
                    .map_err(|e| format!("QR code unreadable: {e}")),
            };
            let _ = tx.send(res);
        })
        .map_err(|e| Error::input(format!("cannot start the QR decoder: {e}")))?;
    match rx.recv_timeout(deadline) {
        Ok(r) => Ok(r),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(Error::input(format!(
            "the QR decoder found no frame in it within {} ms (the tool's own frames take far less)",
            deadline.as_millis()
        ))
        .hint("crop the picture to the QR code, or rescan it")),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            Ok(Err("the QR decoder failed on it".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_noted_png_still_decodes_and_holds_the_note() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        let plain = png(b"hello").unwrap();
        let noted = png_with_text(&plain, "Comment", "REHEARSAL: throwaway").unwrap();
        let a = image::load_from_memory(&plain).unwrap();
        let b = image::load_from_memory(&noted).unwrap();
        assert_eq!(a.as_bytes(), b.as_bytes());
        assert!(noted.windows(10).any(|w| w == b"REHEARSAL:"));
        assert!(png_with_text(b"not a png", "k", "v").is_err());
    }
}

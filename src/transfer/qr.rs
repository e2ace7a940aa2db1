//! QR codes of bytes: a PNG for printing or a screen, and a block of
//! Unicode half-blocks for a text sheet. Error correction M or higher, so a
//! creased or smudged print still scans.

use qrcode::{EcLevel, QrCode};
use std::io::Cursor;

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

/// The QR version (size class, 1..=40) `data` needs at level M.
pub fn version(data: &[u8]) -> Result<i16> {
    match code(data)?.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => Ok(v),
    }
}

//! Multi-part QR frames for carrying a bundle where no media may cross:
//! the bundle's files packed into one payload, cut into BC-UR fountain-coded
//! parts (`ur:ceremony-bundle/k-n/…`, a CRC-32 in every part), each shown as
//! a QR code of version 25 or less at error correction M. Frames may be read
//! in any order, and the export proves that any single frame may be lost.
//!
//! Payload: `"CBDL"`, version 1, a u16 file count, then per file a u16 name
//! length, the UTF-8 name, a u32 length and the bytes; then SHA-256 of all
//! that. Integers big-endian.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The UR type of a bundle.
pub const UR_TYPE: &str = "ceremony-bundle";
/// Bytes of payload per fragment: keeps every frame within QR version 25 at
/// error correction M.
pub const FRAGMENT: usize = 400;
/// The largest QR version a frame may use.
pub const MAX_VERSION: i16 = 25;

/// Packs files into one payload.
pub fn pack(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut out = b"CBDL\x01".to_vec();
    let count =
        u16::try_from(files.len()).map_err(|_| Error::input("too many files for one bundle"))?;
    out.extend_from_slice(&count.to_be_bytes());
    for (name, bytes) in files {
        let n = u16::try_from(name.len()).map_err(|_| Error::input("file name too long"))?;
        let l = u32::try_from(bytes.len()).map_err(|_| Error::input("file too large"))?;
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&l.to_be_bytes());
        out.extend_from_slice(bytes);
    }
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    Ok(out)
}

/// Unpacks a payload, checking its digest first.
pub fn unpack(payload: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
    let bad = |why: &str| Error::verification(format!("the bundle payload is damaged: {why}"));
    if payload.len() < 7 + 32 || &payload[..5] != b"CBDL\x01" {
        return Err(bad("no bundle header"));
    }
    let (body, digest) = payload.split_at(payload.len() - 32);
    if Sha256::digest(body).as_slice() != digest {
        return Err(bad("digest mismatch"));
    }
    let mut at = 5;
    let mut take = |n: usize| -> Result<&[u8]> {
        let s = body.get(at..at + n).ok_or_else(|| bad("truncated"))?;
        at += n;
        Ok(s)
    };
    let count = u16::from_be_bytes([take(1)?[0], take(1)?[0]]) as usize;
    let mut files = Vec::new();
    for _ in 0..count {
        let nl = take(2)?;
        let nl = u16::from_be_bytes([nl[0], nl[1]]) as usize;
        let name =
            String::from_utf8(take(nl)?.to_vec()).map_err(|_| bad("file name is not UTF-8"))?;
        if name.is_empty() || name.contains("..") || name.starts_with('/') || name.contains('\0') {
            return Err(bad(&format!("unsafe file name {name:?}")));
        }
        let l = take(4)?;
        let l = u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize;
        files.push((name, take(l)?.to_vec()));
    }
    Ok(files)
}

/// Cuts a payload into frames (upper-case UR parts, for QR alphanumeric
/// mode), adding fountain parts until losing any one frame still leaves
/// enough to decode.
pub fn frames(payload: &[u8]) -> Result<Vec<String>> {
    let mut enc = ur::Encoder::new(payload, FRAGMENT, UR_TYPE)
        .map_err(|e| Error::input(format!("cannot encode frames: {e}")))?;
    let n = enc.fragment_count();
    let mut parts = Vec::new();
    for _ in 0..n {
        parts.push(
            enc.next_part()
                .map_err(|e| Error::input(format!("cannot encode frames: {e}")))?,
        );
    }
    let limit = 2 * n + 8;
    loop {
        if parts.len() > 1 && (0..parts.len()).all(|skip| decodes_without(&parts, skip)) {
            break;
        }
        if parts.len() >= limit {
            return Err(Error::input(
                "cannot make frames that survive the loss of one",
            ));
        }
        parts.push(
            enc.next_part()
                .map_err(|e| Error::input(format!("cannot encode frames: {e}")))?,
        );
    }
    Ok(parts.into_iter().map(|p| p.to_ascii_uppercase()).collect())
}

fn decodes_without(parts: &[String], skip: usize) -> bool {
    let mut d = ur::Decoder::default();
    for (i, p) in parts.iter().enumerate() {
        if i != skip && d.receive(p).is_err() {
            return false;
        }
    }
    d.complete()
}

/// `(k, n)` of a frame, from its `ur:type/k-n/` header.
pub fn frame_number(text: &str) -> Option<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let rest = lower.strip_prefix(&format!("ur:{UR_TYPE}/"))?;
    let (seq, _) = rest.split_once('/')?;
    let (k, n) = seq.split_once('-')?;
    Some((k.parse().ok()?, n.parse().ok()?))
}

/// One frame as read: where it came from, and its text or why it could not
/// be read.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The image file or other source.
    pub source: String,
    /// The decoded text.
    pub text: std::result::Result<String, String>,
}

/// Reassembles a payload from frames in any order. A frame that cannot be
/// read or fails its checksum is refused with its number; too few frames
/// is refused saying how many more are needed.
pub fn reassemble(frames: &[Frame]) -> Result<Vec<u8>> {
    let mut d = ur::Decoder::default();
    for f in frames {
        let text = f.text.as_ref().map_err(|why| {
            Error::verification(format!("{}: not a readable QR frame ({why})", f.source))
                .hint("rescan that frame, or leave it out: one lost frame is tolerated")
        })?;
        let number = frame_number(text)
            .map(|(k, n)| format!("frame {k} of {n} ({})", f.source))
            .unwrap_or_else(|| f.source.clone());
        d.receive(&text.to_ascii_lowercase()).map_err(|e| {
            Error::verification(format!("{number} is corrupted: {e}"))
                .hint("rescan that frame, or leave it out: one lost frame is tolerated")
        })?;
    }
    if !d.complete() {
        return Err(Error::input(format!(
            "the frames are not enough to rebuild the bundle ({} read)",
            frames.len()
        ))
        .hint("scan more frames"));
    }
    d.message()
        .map_err(|e| Error::verification(format!("the frames do not rebuild the bundle: {e}")))?
        .ok_or_else(|| Error::input("the frames are not enough to rebuild the bundle"))
}

/// Reads the QR code in an image (PNG), with a pure-Rust decoder.
pub fn read_image(bytes: &[u8]) -> std::result::Result<String, String> {
    let img = image::load_from_memory(bytes)
        .map_err(|e| format!("not an image: {e}"))?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    let grid = grids.first().ok_or("no QR code found")?;
    let (_, text) = grid
        .decode()
        .map_err(|e| format!("QR code unreadable: {e}"))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_round_trips_and_refuses_damage() -> Result<()> {
        let files = vec![
            ("a.json".to_string(), b"{}".to_vec()),
            ("b".to_string(), vec![0u8; 1000]),
        ];
        let p = pack(&files)?;
        assert_eq!(unpack(&p)?, files);
        let mut bad = p.clone();
        bad[10] ^= 1;
        assert!(unpack(&bad).is_err());
        Ok(())
    }

    #[test]
    fn frames_survive_any_single_loss_and_any_order() -> Result<()> {
        let payload: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        let f = frames(&payload)?;
        for skip in 0..f.len() {
            let mut input: Vec<Frame> = f
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(i, t)| Frame {
                    source: format!("{i}"),
                    text: Ok(t.clone()),
                })
                .collect();
            input.reverse();
            assert_eq!(reassemble(&input)?, payload);
        }
        Ok(())
    }
}

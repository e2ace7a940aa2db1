//! Multi-part QR frames for carrying a bundle where no media may cross:
//! the bundle's files packed into one payload, cut into BC-UR fountain-coded
//! parts (`ur:ceremony-bundle/k-n/…`, a CRC-32 in every part), each shown as
//! a QR code of version 25 or less at error correction M. Frames may be read
//! in any order, and the export proves that any single frame may be lost.
//!
//! Payload: `"CBDL"`, version 1, a u16 file count, then per file a u16 name
//! length, the UTF-8 name, a u32 length and the bytes; then SHA-256 of all
//! that. Integers big-endian.
//!
//! Frames come from the online side and are hostile until checked: every
//! number a frame claims (its sequence number and count, the length of the
//! message, the fragment size) is read here and held to what this tool's
//! own export makes (fragments of at most [`FRAGMENT`] bytes, smaller ones
//! for QR codes sized to a terminal, never more than [`MAX_FRAGMENTS`])
//! before the `ur` decoder sees the frame, because that
//! decoder allocates by those numbers (a frame claiming 4,294,967,294
//! fragments made it ask for 34 GB).

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::transfer::input::check_relative_name;
pub use crate::transfer::qr::read_image;

/// The UR type of a bundle.
pub const UR_TYPE: &str = "ceremony-bundle";
/// Bytes of payload per fragment: keeps every frame within QR version 25 at
/// error correction M.
pub const FRAGMENT: usize = 400;
/// The smallest fragment [`frames_of`] cuts: below it the header outweighs
/// the data.
pub const MIN_FRAGMENT: usize = 10;
/// The largest QR version a frame may use.
pub const MAX_VERSION: i16 = 25;
/// The largest payload carried in frames (256 KiB, 656 fragments): roots,
/// keys and delegations, not a repository's worth of targets. The `ur`
/// decoder's work grows with the square of the fragment count.
pub const MAX_PAYLOAD: usize = 256 * 1024;
/// The most fragments a payload is cut into.
pub const MAX_FRAGMENTS: usize = MAX_PAYLOAD.div_ceil(FRAGMENT);
/// The most frames one export makes for `n` fragments: `n` plain parts and
/// up to `n + 8` fountain parts (see [`frames`]).
pub const fn max_frames(n: usize) -> usize {
    2 * n + 8
}
/// The most frames (images) read for one bundle.
pub const MAX_FRAMES: usize = max_frames(MAX_FRAGMENTS);
/// The longest frame text: a QR code holds at most 4,296 characters.
pub const MAX_FRAME_TEXT: usize = 4296;
/// The most files in one payload.
pub const MAX_FILES: usize = 4096;

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

/// Unpacks a payload, checking its digest first, then every count, length
/// and name in it before anything is copied.
pub fn unpack(payload: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
    let bad = |why: &str| Error::verification(format!("the bundle payload is damaged: {why}"));
    if payload.len() > MAX_PAYLOAD {
        return Err(Error::input(format!(
            "the bundle payload is {} bytes, more than the {MAX_PAYLOAD} frames may carry",
            payload.len()
        )));
    }
    if payload.len() < 7 + 32 || &payload[..5] != b"CBDL\x01" {
        return Err(bad("no bundle header"));
    }
    let (body, digest) = payload.split_at(payload.len() - 32);
    if Sha256::digest(body).as_slice() != digest {
        return Err(bad("digest mismatch"));
    }
    let mut at = 5usize;
    let mut take = |n: usize| -> Result<&[u8]> {
        let end = at.checked_add(n).ok_or_else(|| bad("truncated"))?;
        let s = body.get(at..end).ok_or_else(|| bad("truncated"))?;
        at = end;
        Ok(s)
    };
    let c = take(2)?;
    let count = u16::from_be_bytes([c[0], c[1]]) as usize;
    if count > MAX_FILES {
        return Err(Error::input(format!(
            "the bundle claims {count} files, more than the {MAX_FILES} a bundle may hold"
        )));
    }
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for _ in 0..count {
        let nl = take(2)?;
        let nl = u16::from_be_bytes([nl[0], nl[1]]) as usize;
        let name =
            String::from_utf8(take(nl)?.to_vec()).map_err(|_| bad("file name is not UTF-8"))?;
        check_relative_name(&name).map_err(|e| e.context("the bundle payload"))?;
        if files.iter().any(|(n, _)| *n == name) {
            return Err(bad(&format!("{name:?} is in it twice")));
        }
        let l = take(4)?;
        let l = u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize;
        files.push((name, take(l)?.to_vec()));
    }
    if at != body.len() {
        return Err(bad("bytes after the last file"));
    }
    Ok(files)
}

/// Cuts a payload into frames (upper-case UR parts, for QR alphanumeric
/// mode), adding fountain parts until losing any one frame still leaves
/// enough to decode.
pub fn frames(payload: &[u8]) -> Result<Vec<String>> {
    frames_of(payload, FRAGMENT)
}

/// [`frames`] with fragments of at most `fragment` bytes
/// ([`MIN_FRAGMENT`]..=[`FRAGMENT`]), for smaller QR codes (a terminal);
/// never more than [`MAX_FRAGMENTS`] fragments.
pub fn frames_of(payload: &[u8], fragment: usize) -> Result<Vec<String>> {
    if payload.len() > MAX_PAYLOAD {
        return Err(Error::input(format!(
            "the bundle is {} bytes, more than the {MAX_PAYLOAD} QR frames carry",
            payload.len()
        ))
        .hint("carry this bundle as files (export without --qr)"));
    }
    if !(MIN_FRAGMENT..=FRAGMENT).contains(&fragment) {
        return Err(Error::input(format!(
            "fragments of {fragment} bytes: frames carry {MIN_FRAGMENT} to {FRAGMENT}"
        )));
    }
    if payload.len().div_ceil(fragment) > MAX_FRAGMENTS {
        return Err(Error::input(format!(
            "the bundle is {} bytes: in QR codes this small it needs more than {MAX_FRAGMENTS} fragments",
            payload.len()
        ))
        .hint("make the window larger, or use PNG frames (--qr png)"));
    }
    let mut enc = ur::Encoder::new(payload, fragment, UR_TYPE)
        .map_err(|e| Error::input(format!("cannot encode frames: {e}")))?;
    let n = enc.fragment_count();
    let mut parts = Vec::new();
    for _ in 0..n {
        parts.push(
            enc.next_part()
                .map_err(|e| Error::input(format!("cannot encode frames: {e}")))?,
        );
    }
    let limit = max_frames(n);
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

/// Why a frame was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameProblem {
    /// Damaged on the way (its checksum fails): rescan it.
    Corrupted(String),
    /// Intact, but claims more than this tool's export ever makes: refused.
    Refused(String),
}

/// What one frame claims, read and bounded before the `ur` decoder sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartHeader {
    /// Sequence number `k`, from 1.
    pub seq: u32,
    /// Number of fragments `n` the message is cut into.
    pub seq_len: u32,
    /// Length of the whole message.
    pub message_len: u32,
    /// CRC-32 of the whole message.
    pub checksum: u32,
    /// Length of this part's fragment.
    pub data_len: usize,
}

/// Reads a frame's `ur:ceremony-bundle/k-n/<bytewords>` text and the CBOR
/// part inside it (`[seqNum, seqLen, messageLen, checksum, data]`), and
/// holds every number to what [`frames`] makes: at most [`MAX_FRAGMENTS`]
/// fragments of the size the encoder would choose for the message length,
/// a message of at most [`MAX_PAYLOAD`] bytes, and a sequence number no
/// higher than an export goes.
pub fn part_header(text: &str) -> std::result::Result<PartHeader, FrameProblem> {
    header_numbers(text).map_err(FrameProblem::Refused)?;
    let (_, body) = text.rsplit_once('/').unwrap_or_default();
    let cbor = ur::bytewords::decode(&body.to_ascii_lowercase(), ur::bytewords::Style::Minimal)
        .map_err(|e| FrameProblem::Corrupted(format!("its bytewords do not decode: {e}")))?;
    part_content(text, &cbor).map_err(FrameProblem::Refused)
}

/// The `k-n` of a frame's text, bounded, before anything is decoded.
fn header_numbers(text: &str) -> std::result::Result<(u32, u32), String> {
    if text.len() > MAX_FRAME_TEXT {
        return Err(format!(
            "has {} characters, more than a QR code holds",
            text.len()
        ));
    }
    let lower = text.to_ascii_lowercase();
    let rest = lower
        .strip_prefix(&format!("ur:{UR_TYPE}/"))
        .ok_or_else(|| format!("is not a ur:{UR_TYPE} frame"))?;
    let (seq, body) = rest
        .split_once('/')
        .ok_or("has no k-n sequence in its header")?;
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err("holds something other than bytewords after its header".into());
    }
    let (k, n) = seq
        .split_once('-')
        .ok_or("has no k-n sequence in its header")?;
    let number = |s: &str| -> std::result::Result<u32, String> {
        if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("has {s:?} where a frame number belongs"));
        }
        s.parse::<u32>()
            .map_err(|_| format!("has {s} where a frame number belongs"))
    };
    let (k, n) = (number(k)?, number(n)?);
    let (ku, nu) = (k as usize, n as usize);
    if nu == 0 || nu > MAX_FRAGMENTS {
        return Err(format!(
            "claims {n} fragments; an export makes at most {MAX_FRAGMENTS}"
        ));
    }
    if ku == 0 || ku > max_frames(nu) {
        return Err(format!(
            "is frame {k} of a message in {n} fragments; an export makes at most {} frames for it",
            max_frames(nu)
        ));
    }
    Ok((k, n))
}

/// The part inside a frame, checked against its `k-n` and held to what the
/// encoder makes.
fn part_content(text: &str, cbor: &[u8]) -> std::result::Result<PartHeader, String> {
    let (k, n) = header_numbers(text)?;
    let h = parse_part(cbor)?;
    if h.seq != k || h.seq_len != n {
        return Err(format!(
            "says {k}-{n} in its header but {}-{} in its content",
            h.seq, h.seq_len
        ));
    }
    let nu = n as usize;
    let m = h.message_len as usize;
    if m == 0 || m > MAX_PAYLOAD {
        return Err(format!(
            "claims a message of {m} bytes; frames carry 1 to {MAX_PAYLOAD}"
        ));
    }
    // What ur's encoder makes for some largest fragment of at most
    // FRAGMENT bytes: n fragments of ceil(m / n) bytes, and no fewer
    // would do at that size.
    let len = h.data_len;
    if len > FRAGMENT || m.div_ceil(nu) != len || m.div_ceil(len) != nu {
        return Err(format!(
            "cuts a message of {m} bytes into {n} fragments of {len} bytes, which the export never does"
        ));
    }
    Ok(h)
}

/// The longest frame text [`frames_of`] can make for a message of
/// `message_len` bytes in fragments of at most `fragment` bytes: the header
/// with the highest frame number, and the CBOR part with every number at
/// its widest (the CRC-32 in five bytes).
pub fn longest_frame_text(message_len: usize, fragment: usize) -> usize {
    let int_len = |v: usize| match v {
        0..=23 => 1,
        24..=255 => 2,
        256..=65535 => 3,
        _ => 5,
    };
    let digits = |v: usize| v.to_string().len();
    let n = message_len.div_ceil(fragment.max(1)).max(1);
    let len = message_len.div_ceil(n);
    let k = max_frames(n);
    let header = format!("ur:{UR_TYPE}/").len() + digits(k) + 1 + digits(n) + 1;
    let cbor = 1 + int_len(k) + int_len(n) + int_len(message_len) + 5 + int_len(len) + len;
    // Bytewords minimal: two letters a byte, and a CRC-32 of its own.
    header + 2 * (cbor + 4)
}

/// The largest fragment whose every frame, for a message of `message_len`
/// bytes, is a QR code at most `modules` wide (quiet zone not counted), or
/// `None` when even [`MIN_FRAGMENT`] is too large.
pub fn fragment_fitting(message_len: usize, modules: usize) -> Option<usize> {
    let fits = |fragment: usize| {
        let text = "A".repeat(longest_frame_text(message_len, fragment));
        crate::transfer::qr::width(text.as_bytes()).is_ok_and(|w| w <= modules)
    };
    if !fits(MIN_FRAGMENT) {
        return None;
    }
    // Binary search keeping `lo` a size that fits.
    let (mut lo, mut hi) = (MIN_FRAGMENT, FRAGMENT + 1);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) { lo = mid } else { hi = mid }
    }
    Some(lo)
}

/// Frames of `payload` whose QR codes are at most `modules` wide: the
/// largest fragments that fit, every frame checked.
pub fn frames_fitting(payload: &[u8], modules: usize) -> Result<Vec<String>> {
    let fragment = fragment_fitting(payload.len(), modules).ok_or_else(|| {
        Error::input(format!(
            "a QR code {modules} modules wide is too small for a frame"
        ))
        .hint("make the window larger, or use PNG frames (--qr png)")
    })?;
    let out = frames_of(payload, fragment)?;
    for (i, f) in out.iter().enumerate() {
        let w = crate::transfer::qr::width(f.as_bytes())?;
        if w > modules {
            return Err(Error::input(format!(
                "frame {} is {w} modules wide, more than the {modules} that fit",
                i + 1
            )));
        }
    }
    Ok(out)
}

/// Decodes the CBOR of one fountain part: an array of five, four unsigned
/// integers of at most 32 bits and a byte string that ends the input.
fn parse_part(b: &[u8]) -> std::result::Result<PartHeader, String> {
    let bad = || "holds no fountain part".to_string();
    let mut at = 0usize;
    let mut head = |major: u8| -> std::result::Result<u64, String> {
        let first = *b.get(at).ok_or_else(bad)?;
        at += 1;
        if first >> 5 != major {
            return Err(bad());
        }
        let extra = match first & 0x1f {
            v @ 0..=23 => return Ok(u64::from(v)),
            24 => 1,
            25 => 2,
            26 => 4,
            _ => return Err(bad()),
        };
        let bytes = b.get(at..at + extra).ok_or_else(bad)?;
        at += extra;
        Ok(bytes.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
    };
    if head(4)? != 5 {
        return Err(bad());
    }
    let mut nums = [0u32; 4];
    for n in &mut nums {
        *n = u32::try_from(head(0)?).map_err(|_| bad())?;
    }
    let data_len = usize::try_from(head(2)?).map_err(|_| bad())?;
    if data_len == 0 || b.len().checked_sub(at) != Some(data_len) {
        return Err(bad());
    }
    Ok(PartHeader {
        seq: nums[0],
        seq_len: nums[1],
        message_len: nums[2],
        checksum: nums[3],
        data_len,
    })
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
/// read, claims more than an export makes, or fails its checksum is
/// refused with its number and source; too few frames is refused saying
/// how many were read.
pub fn reassemble(frames: &[Frame]) -> Result<Vec<u8>> {
    if frames.len() > MAX_FRAMES {
        return Err(Error::input(format!(
            "{} frames, more than the {MAX_FRAMES} an export makes",
            frames.len()
        ))
        .hint("pass only the frames of one bundle"));
    }
    let rescan = "rescan that frame, or leave it out: one lost frame is tolerated";
    let mut d = ur::Decoder::default();
    for f in frames {
        let text = f.text.as_ref().map_err(|why| {
            Error::verification(format!("{}: not a readable QR frame ({why})", f.source))
                .hint(rescan)
        })?;
        let h = part_header(text).map_err(|p| match p {
            FrameProblem::Refused(why) => {
                Error::input(format!("{}: frame refused: it {why}", f.source))
                    .hint("this is not a frame this tool exported; ask for a new export")
            }
            FrameProblem::Corrupted(why) => {
                let number = frame_number(text)
                    .map(|(k, n)| format!("frame {k} of {n} ({})", f.source))
                    .unwrap_or_else(|| f.source.clone());
                Error::verification(format!("{number} is corrupted: {why}")).hint(rescan)
            }
        })?;
        let number = format!("frame {} of {} ({})", h.seq, h.seq_len, f.source);
        d.receive(&text.to_ascii_lowercase())
            .map_err(|e| Error::verification(format!("{number} is corrupted: {e}")).hint(rescan))?;
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

    #[test]
    fn every_part_the_export_makes_passes_the_header_bounds() -> Result<()> {
        for len in [1, 399, 400, 401, 5000, MAX_PAYLOAD] {
            let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let mut enc = ur::Encoder::new(&payload, FRAGMENT, UR_TYPE)
                .map_err(|e| Error::input(e.to_string()))?;
            let n = enc.fragment_count();
            assert!(n <= MAX_FRAGMENTS);
            for k in 1..=max_frames(n) {
                let part = enc.next_part().map_err(|e| Error::input(e.to_string()))?;
                let h = part_header(&part.to_ascii_uppercase());
                assert!(h.is_ok(), "{len} bytes, part {k}: {h:?}");
            }
            // One more than an export makes is refused.
            let extra = enc.next_part().map_err(|e| Error::input(e.to_string()))?;
            assert!(matches!(part_header(&extra), Err(FrameProblem::Refused(_))));
        }
        // Smaller fragments, as for a terminal: every part passes, one
        // more than an export makes does not, and a fragment larger than
        // FRAGMENT is refused.
        for fragment in [MIN_FRAGMENT, 23, 57] {
            let payload: Vec<u8> = (0..3000).map(|i| (i % 251) as u8).collect();
            let mut enc = ur::Encoder::new(&payload, fragment, UR_TYPE)
                .map_err(|e| Error::input(e.to_string()))?;
            let n = enc.fragment_count();
            for k in 1..=max_frames(n) {
                let part = enc.next_part().map_err(|e| Error::input(e.to_string()))?;
                assert!(part_header(&part).is_ok(), "{fragment}, part {k}");
            }
            let extra = enc.next_part().map_err(|e| Error::input(e.to_string()))?;
            assert!(matches!(part_header(&extra), Err(FrameProblem::Refused(_))));
        }
        let mut enc = ur::Encoder::new(&[1u8; 1000], FRAGMENT + 100, UR_TYPE)
            .map_err(|e| Error::input(e.to_string()))?;
        let wide = enc.next_part().map_err(|e| Error::input(e.to_string()))?;
        assert!(matches!(part_header(&wide), Err(FrameProblem::Refused(_))));
        let big = vec![0u8; MAX_PAYLOAD + 1];
        assert!(frames(&big).is_err());
        let mut enc =
            ur::Encoder::new(&big, FRAGMENT, UR_TYPE).map_err(|e| Error::input(e.to_string()))?;
        let first = enc.next_part().map_err(|e| Error::input(e.to_string()))?;
        assert!(matches!(part_header(&first), Err(FrameProblem::Refused(_))));
        Ok(())
    }

    #[test]
    fn frames_fitting_a_size_fit_it_and_reassemble() -> Result<()> {
        let payload: Vec<u8> = (0..3000u32).map(|i| (i * 13 % 251) as u8).collect();
        for modules in [33, 41, 57, 77, 117] {
            let f = frames_fitting(&payload, modules)?;
            for t in &f {
                assert!(crate::transfer::qr::width(t.as_bytes())? <= modules);
                assert!(part_header(t).is_ok(), "{modules}: {t}");
            }
            let input: Vec<Frame> = f
                .iter()
                .rev()
                .skip(1)
                .map(|t| Frame {
                    source: "x".into(),
                    text: Ok(t.clone()),
                })
                .collect();
            assert_eq!(reassemble(&input)?, payload, "{modules}");
        }
        // Larger codes carry more a frame.
        assert!(fragment_fitting(3000, 41) < fragment_fitting(3000, 77));
        assert_eq!(fragment_fitting(3000, 17), None);
        // Too small a code for a large payload is refused, not made.
        assert!(frames_fitting(&vec![0u8; MAX_PAYLOAD], 41).is_err());
        Ok(())
    }

    #[test]
    fn a_damaged_frame_is_corrupted_not_refused() -> Result<()> {
        let f = frames(&[7u8; 900])?;
        let mut text: Vec<char> = f[0].chars().collect();
        let at = text.len() - 3;
        text[at] = if text[at] == 'A' { 'B' } else { 'A' };
        let text: String = text.into_iter().collect();
        assert!(matches!(
            part_header(&text),
            Err(FrameProblem::Corrupted(_))
        ));
        Ok(())
    }
}

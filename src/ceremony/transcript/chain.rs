//! Reading a transcript back: its lines, the hash chain between them, and
//! each close checked against the root version it names. The first line
//! that breaks anything is named and nothing after it is trusted.

use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::close::{self, Close};
use super::{Entry, GENESIS, Record};
use crate::metadata::Dialect;
use crate::metadata::root::Root;
use crate::transfer::sha256_hex;

/// One line of a transcript file as read.
#[derive(Debug, Clone)]
pub struct Line {
    /// Its line number, from 1.
    pub number: usize,
    /// Its bytes, without the newline.
    pub bytes: Vec<u8>,
    /// Where it starts in the file.
    pub offset: usize,
    /// Whether a newline ends it (the last line of a cut-off file has none).
    pub ended: bool,
    /// The entry, or why the line is not one.
    pub entry: std::result::Result<Entry, String>,
}

/// Splits a transcript into its lines, each parsed as an entry.
pub fn read_lines(bytes: &[u8]) -> Vec<Line> {
    let mut out = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        let (len, ended) = match rest.iter().position(|b| *b == b'\n') {
            Some(p) => (p, true),
            None => (rest.len(), false),
        };
        let line = &rest[..len];
        out.push(Line {
            number: out.len() + 1,
            bytes: line.to_vec(),
            offset,
            ended,
            entry: serde_json::from_slice::<Entry>(line).map_err(|e| e.to_string()),
        });
        offset += len + usize::from(ended);
    }
    out
}

/// The first thing wrong with a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The line, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// A close that verified.
#[derive(Debug, Clone)]
pub struct CloseReport {
    /// Its line.
    pub line: usize,
    /// Its seq.
    pub seq: u64,
    /// The root version whose keys signed.
    pub root_version: u64,
    /// SHA-256 of the transcript it covers.
    pub digest: String,
    /// Key IDs whose signature verified.
    pub signed_by: Vec<String>,
    /// The root threshold of that version.
    pub threshold: u64,
}

impl CloseReport {
    /// Whether the signatures meet the root threshold of its version.
    pub fn met(&self) -> bool {
        self.signed_by.len() as u64 >= self.threshold
    }
}

/// What verifying a transcript found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Lines that are well-chained entries (up to the first problem).
    pub entries: usize,
    /// The closes that verified, in order.
    pub closes: Vec<CloseReport>,
    /// Entries after the last close: not yet covered by a signature.
    pub unsigned: usize,
    /// The first problem, if any.
    pub problem: Option<Problem>,
}

impl Report {
    /// Verified: no problem, and every entry covered by a close (unless
    /// `open`, for a ceremony still under way).
    pub fn ok(&self, open: bool) -> bool {
        self.problem.is_none() && (open || self.unsigned == 0)
    }

    /// The reason verification fails, naming a line, if it does.
    pub fn failure(&self, open: bool) -> Option<Problem> {
        if let Some(p) = &self.problem {
            return Some(p.clone());
        }
        if self.unsigned > 0 && !open {
            let first = self.entries - self.unsigned + 1;
            let reason = if self.closes.is_empty() {
                "no close: no entry is signed by a root key (a transcript cut off before its close reads so too)".to_string()
            } else {
                format!(
                    "{} entr{} after the last close (line {}) {} not signed",
                    self.unsigned,
                    if self.unsigned == 1 { "y" } else { "ies" },
                    first - 1,
                    if self.unsigned == 1 { "is" } else { "are" }
                )
            };
            return Some(Problem {
                line: first,
                reason,
            });
        }
        None
    }
}

/// What a transcript is checked against: the ceremony's verified roots.
pub struct Context<'a> {
    /// The ceremony's dialect.
    pub dialect: Dialect,
    /// Its GUN.
    pub gun: Option<&'a str>,
    /// Each version of the ceremony's verified root history.
    pub roots: &'a BTreeMap<u64, Root>,
    /// What `roots` are, for a close that names a version not among them
    /// ("this ceremony's verified root history").
    pub roots_are: &'a str,
}

/// Checks the chain of `bytes` and every close in it.
pub fn verify(bytes: &[u8], cx: &Context<'_>) -> Report {
    let mut report = Report::default();
    let lines = read_lines(bytes);
    if lines.is_empty() {
        report.problem = Some(Problem {
            line: 1,
            reason: "the transcript has no entries".into(),
        });
        return report;
    }
    let mut prev_hash = GENESIS.to_string();
    for line in &lines {
        if let Err(reason) = check_line(line, &prev_hash, bytes, cx, &mut report) {
            report.problem = Some(Problem {
                line: line.number,
                reason,
            });
            return report;
        }
        prev_hash = sha256_hex(&line.bytes);
    }
    report
}

fn check_line(
    line: &Line,
    prev_hash: &str,
    bytes: &[u8],
    cx: &Context<'_>,
    report: &mut Report,
) -> std::result::Result<(), String> {
    let n = line.number;
    if !line.ended {
        return Err("the line is cut off (no newline ends it)".into());
    }
    let entry = line
        .entry
        .as_ref()
        .map_err(|e| format!("not a transcript entry ({e})"))?;
    if entry.prev != prev_hash {
        return Err(if n == 1 {
            "the first entry names a line before it: entries before it were removed".into()
        } else {
            format!(
                "it does not follow line {}: its prev is not that line's SHA-256 (line {} was changed, or an entry was removed or moved there)",
                n - 1,
                n - 1
            )
        });
    }
    if entry.seq != n as u64 {
        return Err(format!(
            "it says seq {} where {n} is due: an entry was removed, added or moved",
            entry.seq
        ));
    }
    if OffsetDateTime::parse(&entry.at, &Rfc3339).is_err() {
        return Err(format!("its time {:?} is not a UTC time", entry.at));
    }
    report.entries += 1;
    report.unsigned += 1;
    if let Record::Close(c) = &entry.event {
        let r = check_close(c, entry.seq, &bytes[..line.offset], n, cx)?;
        report.closes.push(r);
        report.unsigned = 0;
    }
    Ok(())
}

fn check_close(
    c: &Close,
    seq: u64,
    covered: &[u8],
    line: usize,
    cx: &Context<'_>,
) -> std::result::Result<CloseReport, String> {
    let st = &c.statement;
    let digest = sha256_hex(covered);
    if st.transcript_sha256 != digest {
        return Err(format!(
            "the close signs a transcript whose SHA-256 is {}, but the lines before it hash to {digest}",
            st.transcript_sha256
        ));
    }
    if st.last_seq + 1 != seq {
        return Err(format!(
            "the close says it covers entries up to seq {}, but it is seq {seq}",
            st.last_seq
        ));
    }
    let signed_by = close::check_signatures(c, cx)?;
    let threshold = cx
        .roots
        .get(&st.root_version)
        .and_then(|r| r.role("root").ok())
        .map(|r| r.threshold)
        .unwrap_or(0);
    Ok(CloseReport {
        line,
        seq,
        root_version: st.root_version,
        digest,
        signed_by,
        threshold,
    })
}

//! Metadata parse and verify, both dialects, a whole repository at once:
//! the input is a packed directory (see `common::split_files`). A file
//! named `trusted` is the root given with `--trusted-root`; one named
//! `dialect` forces the dialect as `--dialect` would.
#![no_main]

mod common;

use ceremony::metadata::{Dialect, Envelope};
use ceremony::signature::verify::{Options, parse_envelope, verify_files};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let mut files = BTreeMap::new();
    let mut trusted = None;
    let mut dialect = None;
    for (name, bytes) in common::split_files(data) {
        match name.as_str() {
            "trusted" => trusted = Some(bytes),
            "dialect" => {
                let Ok(d) = Dialect::parse(String::from_utf8_lossy(&bytes).trim()) else {
                    return;
                };
                dialect = Some(d);
            }
            _ => {
                files.insert(name, bytes);
            }
        }
    }
    for bytes in files.values() {
        if let Ok(env) = parse_envelope(bytes) {
            let _ = env.detect_dialect();
            let _ = env.version();
            let _ = env.canonical_signed();
        }
        let _ = Envelope::parse(bytes);
    }
    // A time the fixtures in tests/data are all valid at.
    let at = time::macros::datetime!(2026-12-01 00:00 UTC);
    let opts = Options {
        dialect,
        gun: None,
        at,
        trusted_root: trusted,
        ignore_time: false,
    };
    if let Ok(report) = verify_files(&files, &opts) {
        let _ = report.trusted();
        let _ = report.into_result();
    }
});

//! Signing-request parsing and review. The input is a request file; it is
//! parsed as it is, then once more with its digest set to its body's (else
//! almost every mutation stops at the digest check), and reviewed both on
//! first use and against a fixed trusted root.
#![no_main]

use ceremony::ceremony::requests::{Trust, review};
use ceremony::metadata::json;
use ceremony::transfer::request::Request;
use ceremony::transfer::sha256_hex;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Root version 1 of the ceremony the request seeds come from.
const TRUSTED_ROOT: &[u8] = include_bytes!("../fixtures/trusted-root.json");

fn exercise(req: &Request) {
    let _ = req.dialect();
    let _ = req.words();
    let _ = req.to_bytes();
    let _ = req.history_files();
    let _ = req.claimed_keys();
    let _ = req.bad_signatures();
    let _ = req.envelope();
    // Before the seeds' roots expire.
    let now = time::macros::datetime!(2027-01-01 00:00 UTC);
    for trust in [Trust::FirstUse, Trust::Root(TRUSTED_ROOT.to_vec())] {
        if let Ok(r) = review(req, &trust, now) {
            let _ = r.checked.describe();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = Request::parse(data) {
        exercise(&req);
        return;
    }
    let Ok(mut v) = json::parse_strict(data) else {
        return;
    };
    let Some(signed) = v.get("signed") else {
        return;
    };
    let digest = sha256_hex(&json::canonical(signed));
    if let Some(m) = v.as_object_mut() {
        m.insert("digest".into(), Value::String(digest));
    }
    let Ok(bytes) = serde_json::to_vec(&v) else {
        return;
    };
    if let Ok(req) = Request::parse(&bytes) {
        exercise(&req);
    }
});

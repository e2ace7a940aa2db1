//! Criterion benches: signing and verifying targets metadata of 10,000 and
//! 100,000 entries, verifying a 1,000-version root chain, and splitting and
//! recovering a root key. The data is generated here, not kept in files.
//!
//! `cargo bench` runs them at full size. Run without `--bench` (as
//! `cargo test --all-targets` does, once each) they use small sizes, so a
//! test run stays quick.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::hint::black_box;

use ceremony::key::Algorithm;
use ceremony::key::private::PrivateKey;
use ceremony::metadata::keys::MetaKey;
use ceremony::metadata::root::{RoleKeys, Root};
use ceremony::metadata::{Dialect, Envelope};
use ceremony::share;
use ceremony::signature::sign;
use ceremony::signature::verify::{Options, verify_files};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

const D: Dialect = Dialect::Tuf;

/// Full sizes under `cargo bench`, tiny ones in a test run.
fn full() -> bool {
    std::env::args().any(|a| a == "--bench")
}

struct Signer {
    key: PrivateKey,
    meta: MetaKey,
    id: String,
}

fn signer() -> Signer {
    let key = PrivateKey::generate(Algorithm::Ed25519);
    let meta = MetaKey::from_public(D, &key.public()).unwrap();
    let id = meta.id(D);
    Signer { key, meta, id }
}

fn expires() -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::days(365)
}

fn signed(body: Value, by: &Signer) -> Envelope {
    let mut env = Envelope {
        signed: body,
        signatures: Vec::new(),
    };
    sign(D, &mut env, &by.id, &by.meta, &by.key).unwrap();
    env
}

/// A root of `version` in which `s` holds every role.
fn root(version: u64, s: &Signer) -> Envelope {
    let keys = BTreeMap::from([(s.id.clone(), s.meta.clone())]);
    let roles = ["root", "targets", "snapshot", "timestamp"]
        .into_iter()
        .map(|r| {
            let rk = RoleKeys {
                keyids: vec![s.id.clone()],
                threshold: 1,
            };
            (r.to_string(), rk)
        })
        .collect();
    signed(Root::build(D, version, expires(), &keys, &roles), s)
}

/// A targets body with `n` entries, as python-tuf writes them.
fn targets_body(n: usize) -> Value {
    let mut t = Map::new();
    for i in 0..n {
        t.insert(
            format!("pkg/{i:07}.tar.gz"),
            json!({"hashes": {"sha256": format!("{i:064x}")}, "length": 1000 + i}),
        );
    }
    json!({
        "_type": "targets",
        "expires": ceremony::metadata::format_time(expires()),
        "spec_version": ceremony::metadata::TUF_SPEC_VERSION,
        "targets": t,
        "version": 1,
    })
}

fn opts() -> Options {
    Options {
        dialect: Some(D),
        gun: None,
        at: OffsetDateTime::now_utc(),
        trusted_root: None,
        ignore_time: false,
    }
}

fn targets(c: &mut Criterion) {
    let sizes: &[usize] = if full() { &[10_000, 100_000] } else { &[10] };
    let s = signer();
    let mut g = c.benchmark_group("targets");
    g.sample_size(10);
    for &n in sizes {
        let body = targets_body(n);
        g.bench_with_input(BenchmarkId::new("sign", n), &body, |b, body| {
            b.iter(|| signed(black_box(body.clone()), &s))
        });
        let files = BTreeMap::from([
            ("1.root.json".to_string(), root(1, &s).to_bytes(D)),
            ("targets.json".to_string(), signed(body, &s).to_bytes(D)),
        ]);
        g.bench_with_input(BenchmarkId::new("verify", n), &files, |b, files| {
            b.iter(|| assert!(verify_files(black_box(files), &opts()).unwrap().trusted()))
        });
    }
    g.finish();
}

fn root_chain(c: &mut Criterion) {
    let n = if full() { 1000 } else { 5 };
    let s = signer();
    let files: BTreeMap<String, Vec<u8>> = (1..=n)
        .map(|v| (format!("{v}.root.json"), root(v, &s).to_bytes(D)))
        .collect();
    let mut g = c.benchmark_group("root chain");
    g.sample_size(10);
    g.bench_with_input(BenchmarkId::new("verify", n), &files, |b, files| {
        b.iter(|| assert!(verify_files(black_box(files), &opts()).unwrap().trusted()))
    });
    g.finish();
}

fn shares(c: &mut Criterion) {
    let secret = [7u8; 32];
    let mut g = c.benchmark_group("shares");
    g.bench_function("split 3-of-5", |b| {
        b.iter(|| share::split(black_box(&secret), 3, 5, [1; 16], [2; 32]).unwrap())
    });
    let set = share::split(&secret, 3, 5, [1; 16], [2; 32]).unwrap();
    g.bench_function("recover 3-of-5", |b| {
        b.iter(|| share::combine(black_box(&set[1..4])).unwrap())
    });
    g.finish();
}

criterion_group!(benches, targets, root_chain, shares);
criterion_main!(benches);

//! A second reader's attacks on RSA and P-384 verification: crafted
//! paddings, crafted keys, crafted signature encodings and key/method
//! mismatches, each of which must be refused (or, where stated, is
//! accepted as the peers accept it). Paddings are built here byte by byte
//! and raised to the private exponent by `tests/data/keytypes/attack.py`.
//!
//! The last two tests were findings of this review (keys read that Go's
//! x509 refuses); they hold since the key reader refuses them too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ceremony::key::cert::go_pem;
use ceremony::key::{PublicKey, spki};
use ceremony::metadata::keys::{MetaKey, is_unknown_type};
use ceremony::metadata::root::{KeyEntry, RoleKeys};
use ceremony::metadata::{Dialect, Envelope};
use ceremony::signature::{check_unique_signatures, tally};
use common::{data, fails, need_peer, need_python_tuf, s};
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha384, Sha512};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const MSG: &[u8] = b"{\"_type\":\"root\",\"version\":1}";

fn run(dir: &Path, cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A fresh RSA key of `bits` in `dir/k.pem`, its SPKI PEM returned.
fn rsa_key(dir: &Path, bits: u32) -> String {
    let b = format!("rsa_keygen_bits:{bits}");
    run(
        dir,
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            &b,
            "-out",
            "k.pem",
        ],
    );
    run(
        dir,
        "openssl",
        &["pkey", "-in", "k.pem", "-pubout", "-out", "k.pub.pem"],
    );
    std::fs::read_to_string(dir.join("k.pub.pem")).unwrap()
}

/// EM^d mod n for `dir/k.pem`: a signature whose encoded message is `em`.
fn raw_sign(dir: &Path, em: &[u8]) -> Vec<u8> {
    let script = data("keytypes/attack.py");
    let out = run(
        dir,
        "python3",
        &[s(&script), "raw", "k.pem", &hex::encode(em)],
    );
    hex::decode(out).unwrap()
}

fn tuf_key(keytype: &str, scheme: &str, public: &str) -> Result<MetaKey, String> {
    let v = json!({"keytype": keytype, "keyval": {"public": public}, "scheme": scheme});
    MetaKey::from_value(Dialect::Tuf, &v).map_err(|e| e.reason().to_string())
}

fn notary_key(keytype: &str, public: &[u8]) -> Result<MetaKey, String> {
    let v =
        json!({"keytype": keytype, "keyval": {"private": null, "public": STANDARD.encode(public)}});
    MetaKey::from_value(Dialect::Notary, &v).map_err(|e| e.reason().to_string())
}

fn tuf_ok(k: &MetaKey, sig: &[u8]) -> bool {
    k.verify(Dialect::Tuf, MSG, None, &hex::encode(sig))
}

fn notary_ok(k: &MetaKey, method: &str, sig: &[u8]) -> bool {
    k.verify(Dialect::Notary, MSG, Some(method), &STANDARD.encode(sig))
}

// ---- DER by hand, so encodings can be bent ----

fn der_len(n: usize) -> Vec<u8> {
    match n {
        0..=0x7f => vec![n as u8],
        0x80..=0xff => vec![0x81, n as u8],
        _ => vec![0x82, (n >> 8) as u8, n as u8],
    }
}

fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend(der_len(body.len()));
    v.extend(body);
    v
}

/// A minimal DER INTEGER holding the unsigned big-endian `be`.
fn uint(be: &[u8]) -> Vec<u8> {
    let mut b: Vec<u8> = be.iter().copied().skip_while(|x| *x == 0).collect();
    if b.is_empty() || b[0] & 0x80 != 0 {
        b.insert(0, 0);
    }
    tlv(0x02, &b)
}

fn pkcs1_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    tlv(0x30, &[uint(n), uint(e)].concat())
}

const RSA_OID: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];

/// An RSA SubjectPublicKeyInfo with the given algorithm parameters (the
/// DER NULL `05 00` is the standard's; None leaves them out).
fn rsa_spki(pkcs1: &[u8], params: Option<&[u8]>) -> Vec<u8> {
    let alg = tlv(0x30, &[RSA_OID, params.unwrap_or(&[])].concat());
    let bits = tlv(0x03, &[&[0u8][..], pkcs1].concat());
    tlv(0x30, &[alg, bits].concat())
}

fn rsa_parts(k: &MetaKey) -> (Vec<u8>, Vec<u8>) {
    use rsa::traits::PublicKeyParts;
    match &k.public {
        PublicKey::Rsa(r) => (r.n_bytes().to_vec(), r.e_bytes().to_vec()),
        other => panic!("not RSA: {other:?}"),
    }
}

/// Big-endian a + b, one byte longer when it carries.
fn add_be(a: &[u8], b: &[u8]) -> Vec<u8> {
    let len = a.len().max(b.len());
    let (mut out, mut carry) = (vec![0u8; len + 1], 0u16);
    for i in 0..len {
        let x = if i < a.len() { a[a.len() - 1 - i] } else { 0 } as u16;
        let y = if i < b.len() { b[b.len() - 1 - i] } else { 0 } as u16;
        let t = x + y + carry;
        out[len - i] = t as u8;
        carry = t >> 8;
    }
    out[0] = carry as u8;
    out
}

/// Big-endian a − b for a ≥ b of equal length.
fn sub_be(a: &[u8], b: &[u8]) -> Vec<u8> {
    let (mut out, mut borrow) = (vec![0u8; a.len()], 0i16);
    for i in (0..a.len()).rev() {
        let t = a[i] as i16 - b[i] as i16 - borrow;
        out[i] = t.rem_euclid(256) as u8;
        borrow = (t < 0) as i16;
    }
    out
}

// ---- RSASSA-PSS encodings (RFC 8017 §9.1.1), every part chosen ----

fn mgf1<D: Digest>(seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for counter in 0u32.. {
        if out.len() >= len {
            break;
        }
        let mut d = D::new();
        d.update(seed);
        d.update(counter.to_be_bytes());
        out.extend(d.finalize());
    }
    out.truncate(len);
    out
}

struct Pss {
    salt: usize,
    /// The MGF1 hash, by output length (32, 48, 64).
    mgf: usize,
    trailer: u8,
    clear_top_bit: bool,
}

const GOOD_PSS: Pss = Pss {
    salt: 32,
    mgf: 32,
    trailer: 0xbc,
    clear_top_bit: true,
};

/// EM for SHA-256 or SHA-384 (by `H`) over MSG, for a 2048-bit modulus.
fn pss_em<H: Digest>(p: &Pss) -> Vec<u8> {
    let (em_len, em_bits) = (256usize, 2047usize);
    let m_hash = H::digest(MSG);
    let salt = vec![0x5a; p.salt];
    let h = H::new()
        .chain_update([0u8; 8])
        .chain_update(&m_hash)
        .chain_update(&salt)
        .finalize()
        .to_vec();
    let db_len = em_len - h.len() - 1;
    let mut db = vec![0u8; db_len - p.salt - 1];
    db.push(1);
    db.extend(&salt);
    let mask = match p.mgf {
        32 => mgf1::<Sha256>(&h, db_len),
        48 => mgf1::<Sha384>(&h, db_len),
        _ => mgf1::<Sha512>(&h, db_len),
    };
    for (d, m) in db.iter_mut().zip(mask) {
        *d ^= m;
    }
    if p.clear_top_bit {
        db[0] &= 0xff >> (8 * em_len - em_bits);
    } else {
        db[0] |= 0x80;
    }
    [db, h, vec![p.trailer]].concat()
}

#[test]
fn pss_salt_mgf1_hash_trailer_and_length_are_strict() {
    if !need_peer("openssl", "openssl") || !need_python_tuf() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let pem = rsa_key(d, 2048);
    let k = tuf_key("rsa", "rsassa-pss-sha256", &pem).unwrap();
    let good = raw_sign(d, &pss_em::<Sha256>(&GOOD_PSS));
    assert!(tuf_ok(&k, &good), "the hand-made padding is right");
    assert!(notary_ok(
        &notary_key("rsa", &k.public.spki_der().unwrap()).unwrap(),
        "rsapss",
        &good
    ));

    for salt in [0, 20, 31, 33, 48, 64] {
        let sig = raw_sign(d, &pss_em::<Sha256>(&Pss { salt, ..GOOD_PSS }));
        assert!(!tuf_ok(&k, &sig), "salt of {salt} bytes");
    }
    for mgf in [48, 64] {
        let sig = raw_sign(d, &pss_em::<Sha256>(&Pss { mgf, ..GOOD_PSS }));
        assert!(!tuf_ok(&k, &sig), "MGF1 with a {mgf}-byte hash");
    }
    let sig = raw_sign(
        d,
        &pss_em::<Sha256>(&Pss {
            trailer: 0xbb,
            ..GOOD_PSS
        }),
    );
    assert!(!tuf_ok(&k, &sig), "trailer 0xbb");
    let em = pss_em::<Sha256>(&Pss {
        clear_top_bit: false,
        ..GOOD_PSS
    });
    let (n, _) = rsa_parts(&k);
    if em.as_slice() < n.as_slice() {
        assert!(!tuf_ok(&k, &raw_sign(d, &em)), "top bit of EM set");
    }
    // MGF1-SHA1 from openssl itself.
    std::fs::write(d.join("msg"), MSG).unwrap();
    let opts = [
        "rsa_padding_mode:pss",
        "rsa_pss_saltlen:32",
        "rsa_mgf1_md:sha1",
    ];
    let mut args = vec!["dgst", "-sha256", "-sign", "k.pem", "-out", "sig"];
    for o in &opts {
        args.extend(["-sigopt", o]);
    }
    args.push("msg");
    run(d, "openssl", &args);
    assert!(
        !tuf_ok(&k, &std::fs::read(d.join("sig")).unwrap()),
        "MGF1-SHA1"
    );

    // The signature's length is the modulus's: a leading zero, a dropped
    // byte, and s + n (the same value mod n) are all refused.
    assert!(!tuf_ok(&k, &[&[0u8][..], &good].concat()));
    assert!(!tuf_ok(&k, &good[1..]));
    let plus_n = add_be(&good, &n);
    if plus_n[0] == 0 {
        assert!(!tuf_ok(&k, &plus_n[1..]), "s + n, still {} bytes", n.len());
    }

    // rsassa-pss-sha384: the salt is 48 bytes, not 32.
    let k384 = tuf_key("rsa", "rsassa-pss-sha384", &pem).unwrap();
    let p384 = Pss {
        salt: 48,
        mgf: 48,
        ..GOOD_PSS
    };
    assert!(tuf_ok(&k384, &raw_sign(d, &pss_em::<Sha384>(&p384))));
    let p384_32 = Pss {
        salt: 32,
        mgf: 48,
        ..GOOD_PSS
    };
    assert!(!tuf_ok(&k384, &raw_sign(d, &pss_em::<Sha384>(&p384_32))));
}

// ---- RSASSA-PKCS1-v1_5 encodings ----

const SHA256_DI: &str = "3031300d060960864801650304020105000420";
const SHA256_DI_NO_NULL: &str = "302f300b0609608648016503040201";
const SHA256_DI_LONG_LEN: &str = "308131300d060960864801650304020105000420";
const SHA512_DI: &str = "3051300d060960864801650304020305000440";

/// 00 01 FF… 00 ‖ `t`, for a 2048-bit modulus.
fn v15_em(t: &[u8]) -> Vec<u8> {
    let mut em = vec![0xffu8; 256];
    em[0] = 0;
    em[1] = 1;
    em[256 - t.len() - 1] = 0;
    em[256 - t.len()..].copy_from_slice(t);
    em
}

#[test]
fn pkcs1v15_digest_info_must_be_exactly_der() {
    if !need_peer("openssl", "openssl") || !need_python_tuf() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let pem = rsa_key(d, 2048);
    let k = tuf_key("rsa", "rsa-pkcs1v15-sha256", &pem).unwrap();
    let h = Sha256::digest(MSG).to_vec();
    let di = |prefix: &str, tail: &[u8]| {
        [hex::decode(prefix).unwrap(), h.clone(), tail.to_vec()].concat()
    };

    let good = raw_sign(d, &v15_em(&di(SHA256_DI, &[])));
    assert!(tuf_ok(&k, &good), "the hand-made padding is right");

    let cases: Vec<(&str, Vec<u8>)> = vec![
        // RFC 8017 lets readers take absent parameters; Go does not.
        (
            "no NULL parameters",
            v15_em(&di(&format!("{SHA256_DI_NO_NULL}0420"), &[])),
        ),
        ("BER long-form length", v15_em(&di(SHA256_DI_LONG_LEN, &[]))),
        (
            "garbage after the digest",
            v15_em(&di(SHA256_DI, b"garbage")),
        ),
        (
            "SHA-512 DigestInfo",
            v15_em(
                &[
                    hex::decode(SHA512_DI).unwrap(),
                    Sha512::digest(MSG).to_vec(),
                ]
                .concat(),
            ),
        ),
        (
            "SHA-256 OID over 512-bit digest",
            v15_em(&[hex::decode(SHA512_DI).unwrap(), h.clone(), h.clone()].concat()),
        ),
        ("bare digest", v15_em(&h)),
    ];
    for (what, em) in cases {
        assert!(!tuf_ok(&k, &raw_sign(d, &em)), "{what}");
    }
    let mut bt2 = v15_em(&di(SHA256_DI, &[]));
    bt2[1] = 2;
    assert!(!tuf_ok(&k, &raw_sign(d, &bt2)), "block type 2");
    let mut short_ps = v15_em(&di(SHA256_DI, &[]));
    short_ps[5] = 0;
    assert!(!tuf_ok(&k, &raw_sign(d, &short_ps)), "zero inside PS");
    let mut junk_ps = v15_em(&di(SHA256_DI, &[]));
    junk_ps[100] = b'A';
    assert!(!tuf_ok(&k, &raw_sign(d, &junk_ps)), "junk inside PS");
}

// ---- RSA keys ----

/// An odd modulus-shaped number of exactly `bits` bits (not a product of
/// two primes: parsing and the size/exponent rules do not care).
fn odd(bits: usize) -> Vec<u8> {
    let len = bits.div_ceil(8);
    let mut n = vec![0xa7u8; len];
    let top = bits - 8 * (len - 1);
    n[0] = (0xa7u8 >> (8 - top)) | (1 << (top - 1));
    n[len - 1] |= 1;
    n
}

fn pkcs1_result(n: &[u8], e: &[u8]) -> Result<PublicKey, String> {
    let der = pkcs1_der(n, e);
    let a = spki::from_pkcs1_der(&der).map_err(|e| e.reason().to_string());
    let b = PublicKey::from_spki_der(&rsa_spki(&der, Some(&[5, 0])))
        .map_err(|e| e.reason().to_string());
    assert_eq!(a.is_ok(), b.is_ok(), "PKCS#1 and SPKI agree");
    let c = tuf_key("rsa", "rsassa-pss-sha256", &go_pem("RSA PUBLIC KEY", &der));
    assert_eq!(a.is_ok(), c.is_ok(), "TUF reads it the same: {c:?}");
    a
}

#[test]
fn rsa_key_limits_refuse_without_panic() {
    let n = odd(2048);
    let e = |v: u64| v.to_be_bytes().to_vec();
    let accepted: &[(&str, Vec<u8>, Vec<u8>)] = &[
        ("2048 bits, e = 65537", n.clone(), e(65537)),
        ("e = 3", n.clone(), e(3)),
        ("e = 2^33 - 1", n.clone(), e((1 << 33) - 1)),
        ("2049 bits", odd(2049), e(65537)),
        ("8192 bits", odd(8192), e(65537)),
    ];
    for (what, n, e) in accepted {
        let k = pkcs1_result(n, e).unwrap_or_else(|why| panic!("{what}: {why}"));
        // Written back as Go's MarshalPKIXPublicKey writes it, so Notary's
        // canonical key IDs (made from the re-encoded key) agree.
        let der = rsa_spki(&pkcs1_der(n, e), Some(&[5, 0]));
        assert_eq!(k.spki_der().unwrap(), der, "{what}: re-encoded");
    }
    let mut even = n.clone();
    *even.last_mut().unwrap() &= 0xfe;
    let refused: &[(&str, Vec<u8>, Vec<u8>)] = &[
        ("e = 1", n.clone(), e(1)),
        ("e = 2", n.clone(), e(2)),
        ("e = 0", n.clone(), e(0)),
        ("e even", n.clone(), e(65536)),
        ("e = 2^33 + 1", n.clone(), e((1 << 33) + 1)),
        ("e of 4096 bits", n.clone(), odd(4096)),
        ("e = n", n.clone(), n.clone()),
        ("even modulus", even, e(65537)),
        ("2047 bits", odd(2047), e(65537)),
        ("1024 bits", odd(1024), e(65537)),
        ("8193 bits", odd(8193), e(65537)),
        ("16384 bits", odd(16384), e(3)),
        ("modulus 0", vec![0], e(3)),
    ];
    for (what, n, e) in refused {
        let why = pkcs1_result(n, e).err();
        assert!(why.is_some(), "{what}");
        assert!(
            !is_unknown_type(&why.unwrap()),
            "{what}: a bad key, not an unknown one"
        );
    }
    // Encodings DER forbids: a modulus with a spare leading zero, a
    // negative modulus, and bytes after the key.
    let mut padded = vec![0x02, 0x82, 0x01, 0x02, 0x00, 0x00];
    padded.extend(&n);
    let der = tlv(0x30, &[padded, uint(&e(65537))].concat());
    assert!(spki::from_pkcs1_der(&der).is_err(), "non-minimal modulus");
    let mut neg = vec![0x02, 0x82, 0x01, 0x00];
    neg.extend(&n);
    let der = tlv(0x30, &[neg, uint(&e(65537))].concat());
    assert!(spki::from_pkcs1_der(&der).is_err(), "negative modulus");
    let mut trailing = pkcs1_der(&n, &e(65537));
    trailing.push(0);
    assert!(spki::from_pkcs1_der(&trailing).is_err(), "trailing byte");
    let spki_trailing = [rsa_spki(&pkcs1_der(&n, &e(65537)), Some(&[5, 0])), vec![0]].concat();
    assert!(
        PublicKey::from_spki_der(&spki_trailing).is_err(),
        "SPKI trailing byte"
    );
}

#[test]
fn the_costliest_rsa_key_verifies_quickly() {
    // 8192 bits and the largest exponent accepted: one check must stay cheap,
    // or a file listing many such keys and signatures is a hang.
    let k = pkcs1_result(&odd(8192), &((1u64 << 33) - 1).to_be_bytes()).unwrap();
    let m = MetaKey::from_public(Dialect::Tuf, &k).unwrap();
    let sig = vec![0x11u8; 1024];
    let start = std::time::Instant::now();
    for _ in 0..20 {
        assert!(!tuf_ok(&m, &sig));
    }
    let each = start.elapsed() / 20;
    eprintln!("8192-bit, e = 2^33-1: {each:?} per check");
    assert!(
        each < std::time::Duration::from_millis(200),
        "{each:?} per check"
    );
}

// ---- one key, two listings ----

/// A TUF envelope over MSG-like body with `sigs` (keyid, sig bytes).
fn envelope(sigs: &[(&str, &[u8])]) -> Envelope {
    let v = json!({"signed": {"_type": "root", "version": 1},
        "signatures": sigs.iter().map(|(id, s)| json!({"keyid": id, "sig": hex::encode(s)})).collect::<Vec<_>>()});
    Envelope::parse(v.to_string().as_bytes()).unwrap()
}

#[test]
fn one_rsa_key_in_three_encodings_counts_once() {
    if !need_peer("openssl", "openssl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let spki_pem = rsa_key(d, 2048);
    let spki = tuf_key("rsa", "rsassa-pss-sha256", &spki_pem).unwrap();
    let (n, e) = rsa_parts(&spki);
    let pkcs1 = go_pem("RSA PUBLIC KEY", &pkcs1_der(&n, &e));
    // A third encoding, SPKI without NULL parameters, is not read at all
    // (as Go refuses it): see the test at the end of this file.
    let no_null = go_pem("PUBLIC KEY", &rsa_spki(&pkcs1_der(&n, &e), None));
    assert!(tuf_key("rsa", "rsassa-pss-sha256", &no_null).is_err());
    let v15 = tuf_key("rsa", "rsa-pkcs1v15-sha256", &spki_pem).unwrap();
    let keys: Vec<MetaKey> = vec![
        spki,
        tuf_key("rsa", "rsassa-pss-sha256", &pkcs1).unwrap(),
        v15,
    ];
    let ids: Vec<String> = keys.iter().map(|k| k.id(Dialect::Tuf)).collect();
    let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), 3, "three key IDs");
    let fp = keys[0].public.fingerprint();
    assert!(keys.iter().all(|k| k.public.fingerprint() == fp), "one key");

    // Each listing signs (PSS twice, PKCS#1 v1.5 once); threshold 2.
    let env0 = envelope(&[]);
    std::fs::write(d.join("msg"), env0.canonical_signed()).unwrap();
    let sign = |pss: bool| {
        let mut a = vec!["dgst", "-sha256", "-sign", "k.pem", "-out", "sig"];
        if pss {
            a.extend([
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:digest",
            ]);
        }
        a.push("msg");
        run(d, "openssl", &a);
        std::fs::read(d.join("sig")).unwrap()
    };
    let sigs: Vec<Vec<u8>> = vec![sign(true), sign(true), sign(false)];
    let pairs: Vec<(&str, &[u8])> = ids
        .iter()
        .map(String::as_str)
        .zip(sigs.iter().map(Vec::as_slice))
        .collect();
    let env = envelope(&pairs);
    let map: BTreeMap<String, KeyEntry> =
        ids.iter().cloned().zip(keys.into_iter().map(Ok)).collect();
    let role = RoleKeys {
        keyids: ids.clone(),
        threshold: 2,
    };
    let t = tally(Dialect::Tuf, &env, &role, &map, None);
    assert_eq!(t.valid.len(), 1, "{t:?}");
    assert!(!t.met());

    // And a root that lists it so is refused outright.
    let keys_json: serde_json::Map<String, Value> = map
        .iter()
        .map(|(id, k)| (id.clone(), k.as_ref().unwrap().object.clone()))
        .collect();
    let role_json = json!({"keyids": ids, "threshold": 2});
    let signed = json!({"_type": "root", "spec_version": "1.0.0", "version": 1,
        "expires": "2099-01-01T00:00:00Z", "consistent_snapshot": false, "keys": keys_json,
        "roles": {"root": role_json, "targets": role_json, "snapshot": role_json, "timestamp": role_json}});
    let body = json!({"signed": signed, "signatures": []});
    let env = Envelope::parse(body.to_string().as_bytes()).unwrap();
    std::fs::write(d.join("msg"), env.canonical_signed()).unwrap();
    let sigs: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| json!({"keyid": id, "sig": hex::encode(sign(i < 3))}))
        .collect();
    let repo = d.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let file = json!({"signed": body["signed"], "signatures": sigs});
    std::fs::write(repo.join("1.root.json"), file.to_string()).unwrap();
    let r = fails(1, &["verify", s(&repo), "--dialect", "tuf"]);
    assert!(
        r.stdout.contains("two key IDs"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
}

// ---- ECDSA encodings ----

const P256_N: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

fn der_sig(r: &[u8], s: &[u8]) -> Vec<u8> {
    tlv(0x30, &[uint(r), uint(s)].concat())
}

#[test]
fn ecdsa_signature_encodings_are_strict_and_high_s_counts_as_peers_count_it() {
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    let sk = p256::ecdsa::SigningKey::from_slice(&[3u8; 32]).unwrap();
    let public = PublicKey::EcdsaP256(*sk.verifying_key());
    let sig: p256::ecdsa::Signature = sk.sign_prehash(&Sha256::digest(MSG)).unwrap();
    let raw = sig.to_bytes().to_vec();
    let (r, s) = raw.split_at(32);
    let notary = MetaKey::from_public(Dialect::Notary, &public).unwrap();
    let tuf = MetaKey::from_public(Dialect::Tuf, &public).unwrap();

    assert!(notary_ok(&notary, "ecdsa", &raw));
    for bad in [
        &raw[..63],
        &[&raw[..], &[0][..]].concat(),
        &[&[0][..], &raw[..]].concat(),
    ] {
        assert!(!notary_ok(&notary, "ecdsa", bad), "{} bytes", bad.len());
    }
    assert!(
        !notary_ok(&notary, "ecdsa", &der_sig(r, s)),
        "DER under Notary"
    );
    assert!(
        !notary_ok(
            &notary,
            "ecdsa",
            &[
                vec![0; 16],
                raw[..32].to_vec(),
                vec![0; 16],
                raw[32..].to_vec()
            ]
            .concat()
        ),
        "96 bytes"
    );
    assert!(!notary_ok(&notary, "ecdsa", &[0u8; 64]), "r = s = 0");

    let der = der_sig(r, s);
    assert!(tuf_ok(&tuf, &der));
    assert!(
        !tuf_ok(&tuf, &[&der[..], &[0][..]].concat()),
        "a byte after the DER"
    );
    assert!(!tuf_ok(&tuf, &raw), "raw r||s under TUF");
    let long = [vec![0x30, 0x81, der[1]], der[2..].to_vec()].concat();
    assert!(!tuf_ok(&tuf, &long), "BER long-form length");
    let r_padded = [vec![0x02, (r.len() + 2) as u8, 0, 0], r.to_vec()].concat();
    let body = [r_padded, uint(s)].concat();
    assert!(!tuf_ok(&tuf, &tlv(0x30, &body)), "non-minimal r");

    // s and n − s: both verify, as in Go's crypto/ecdsa and OpenSSL (python
    // cryptography). Counting is by key, so the second form gains nothing.
    let neg = sub_be(&hex::decode(P256_N).unwrap(), s);
    assert!(
        notary_ok(&notary, "ecdsa", &[r, &neg[..]].concat()),
        "n - s, Notary"
    );
    assert!(tuf_ok(&tuf, &der_sig(r, &neg)), "n - s, TUF");
    let over = add_be(s, &hex::decode(P256_N).unwrap());
    if over[0] == 0 {
        assert!(
            !notary_ok(&notary, "ecdsa", &[r, &over[1..]].concat()),
            "s + n"
        );
    }

    // P-384 under Notary: SHA-256 and 96-byte r||s only.
    let sk384 = p384::ecdsa::SigningKey::from_slice(&[5u8; 48]).unwrap();
    let p384 = PublicKey::EcdsaP384(*sk384.verifying_key());
    let n384 = MetaKey::from_public(Dialect::Notary, &p384).unwrap();
    let s384: p384::ecdsa::Signature = sk384.sign_prehash(&Sha256::digest(MSG)).unwrap();
    assert!(notary_ok(&n384, "ecdsa", &s384.to_bytes()));
    assert!(
        !notary_ok(&n384, "ecdsa", &raw),
        "a P-256-wide signature for a P-384 key"
    );
    assert!(
        !notary_ok(&notary, "ecdsa", &s384.to_bytes()),
        "a P-384-wide signature for a P-256 key"
    );
    let t384 = MetaKey::from_public(Dialect::Tuf, &p384).unwrap();
    assert!(
        !tuf_ok(&t384, s384.to_der().as_bytes()),
        "TUF P-384 hashes with SHA-384"
    );
}

// ---- Notary methods against key types ----

#[test]
fn notary_methods_cannot_cross_key_types_nor_count_twice() {
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    let text = std::fs::read_to_string(data("keytypes/rsa2048.pub.pem")).unwrap();
    let rsa = spki::from_pem(&text).unwrap();
    let rsa_k = notary_key("rsa", &rsa.spki_der().unwrap()).unwrap();
    let sk = p256::ecdsa::SigningKey::from_slice(&[3u8; 32]).unwrap();
    let ec = PublicKey::EcdsaP256(*sk.verifying_key());
    let ec_k = notary_key("ecdsa", &ec.spki_der().unwrap()).unwrap();
    let sig: p256::ecdsa::Signature = sk.sign_prehash(&Sha256::digest(MSG)).unwrap();
    let raw = sig.to_bytes().to_vec();
    let pss = std::fs::read(data("keytypes/rsa2048.pss-sha256.sig")).unwrap();

    for (k, method, sig) in [
        (&rsa_k, "ecdsa", &raw),
        (&rsa_k, "eddsa", &raw),
        (&ec_k, "rsapss", &pss),
        (&ec_k, "rsapkcs1v15", &pss),
        (&ec_k, "eddsa", &raw),
    ] {
        let why = k.sig_scheme(Dialect::Notary, Some(method)).unwrap_err();
        assert!(
            !is_unknown_type(&why),
            "{method}: a failed signature, not an unjudged one"
        );
        assert!(!notary_ok(k, method, sig), "{method}");
    }
    // The key types themselves must match their family.
    assert!(notary_key("ecdsa", &rsa.spki_der().unwrap()).is_err());
    assert!(notary_key("rsa", &ec.spki_der().unwrap()).is_err());
    assert!(tuf_key("ecdsa", "ecdsa-sha2-nistp256", &text).is_err());
    assert!(tuf_key("ecdsa", "rsassa-pss-sha256", &text).is_err());
    assert!(tuf_key("rsa", "ecdsa-sha2-nistp256", &text).is_err());

    // One key ID signing twice (two methods) is refused before counting.
    let id = ec_k.id(Dialect::Notary);
    let b64 = STANDARD.encode(&raw);
    let v = json!({"signed": {"_type": "Root"}, "signatures": [
        {"keyid": id, "method": "ecdsa", "sig": b64},
        {"keyid": id, "method": "rsapss", "sig": b64}]});
    let env = Envelope::parse(v.to_string().as_bytes()).unwrap();
    assert!(check_unique_signatures(&env).is_err());
}

// ---- findings: accepted here, refused by notary's Go ----

#[test]
fn rsa_spki_without_null_parameters_is_refused_as_go_refuses() {
    let text = std::fs::read_to_string(data("keytypes/rsa2048.pub.pem")).unwrap();
    let k = tuf_key("rsa", "rsassa-pss-sha256", &text).unwrap();
    let (n, e) = rsa_parts(&k);
    let pkcs1 = pkcs1_der(&n, &e);
    // Absent, and an OID where NULL belongs: Go refuses both.
    let read: Vec<_> = [None, Some(&[0x06, 0x03, 0x2b, 0x65, 0x70][..])]
        .into_iter()
        .filter(|params| notary_key("rsa", &rsa_spki(&pkcs1, *params)).is_ok())
        .collect();
    assert!(read.is_empty(), "read with parameters {read:?}");
}

#[test]
fn compressed_ecdsa_point_in_a_notary_key_is_refused_as_go_refuses() {
    let sk = p256::ecdsa::SigningKey::from_slice(&[3u8; 32]).unwrap();
    let point = sk.verifying_key().to_sec1_point(true);
    // SEQUENCE { SEQUENCE { ecPublicKey, prime256v1 }, BIT STRING point }
    let alg = hex::decode("301306072a8648ce3d020106082a8648ce3d030107").unwrap();
    let bits = tlv(0x03, &[&[0u8][..], point.as_bytes()].concat());
    let der = tlv(0x30, &[alg, bits].concat());
    assert!(notary_key("ecdsa", &der).is_err());
}

// ---- crafted keys through the binary ----

#[test]
fn crafted_rsa_keys_fail_the_root_without_a_panic() {
    let n = odd(2048);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("e = 1", pkcs1_der(&n, &[1])),
        (
            "even modulus",
            pkcs1_der(&[&n[..255], &[0x10][..]].concat(), &[1, 0, 1]),
        ),
        ("16384 bits", pkcs1_der(&odd(16384), &[3])),
        ("huge exponent", pkcs1_der(&n, &odd(2040))),
        ("1024 bits", pkcs1_der(&odd(1024), &[1, 0, 1])),
    ];
    let t = tempfile::tempdir().unwrap();
    for (i, (what, der)) in cases.iter().enumerate() {
        let key = json!({"keytype": "rsa", "scheme": "rsassa-pss-sha256",
            "keyval": {"public": go_pem("RSA PUBLIC KEY", der)}});
        let id = hex::encode(Sha256::digest(ceremony::metadata::json::canonical(&key)));
        let role = json!({"keyids": [id], "threshold": 1});
        let signed = json!({"_type": "root", "spec_version": "1.0.0", "version": 1,
            "expires": "2099-01-01T00:00:00Z", "consistent_snapshot": false, "keys": {(id.clone()): key},
            "roles": {"root": role, "targets": role, "snapshot": role, "timestamp": role}});
        let sig = json!({"keyid": id, "sig": "00".repeat(256)});
        let repo = t.path().join(format!("r{i}"));
        std::fs::create_dir_all(&repo).unwrap();
        let file = json!({"signed": signed, "signatures": [sig]});
        std::fs::write(repo.join("1.root.json"), file.to_string()).unwrap();
        let r = fails(1, &["verify", s(&repo), "--dialect", "tuf"]);
        assert!(
            r.stdout.contains("cannot read key"),
            "{what}: {}\n{}",
            r.stdout,
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{what}: {}", r.stderr);
    }
}

//! No type that holds a secret shows its bytes through `Debug`, and none
//! implements `Display` at all: private keys of both algorithms, their raw
//! secret, shares in every form, recovered and interpolated secrets, opened
//! seals, passphrases and the TUI's passphrase field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use ceremony::key::Algorithm;
use ceremony::key::private::PrivateKey;
use ceremony::secret::{ExposeSecret, Passphrase, SecretBytes, SecretText};
use ceremony::share::seal::{self, Custodian};
use ceremony::share::{self, Share};
use std::marker::PhantomData;

/// `has_display!(T)`: whether `T` implements `Display`, told apart at
/// compile time (an inherent method bounded on `Display` wins over the
/// trait method that catches every other type).
struct Probe<T>(PhantomData<T>);
trait NoDisplay {
    fn has_display(&self) -> bool {
        false
    }
}
impl<T> NoDisplay for &Probe<T> {}
impl<T: std::fmt::Display> Probe<T> {
    fn has_display(&self) -> bool {
        true
    }
}
macro_rules! has_display {
    ($t:ty) => {
        (&Probe::<$t>(PhantomData)).has_display()
    };
}

/// Asserts that neither `{:?}` nor `{:#?}` of `value` shows `secret` in
/// any of the forms a leak would take: hex (either case), base64, the
/// list of numbers a slice prints, or the text itself.
fn shows_nothing_of(value: &dyn std::fmt::Debug, secret: &[u8]) {
    assert!(secret.len() >= 8, "too short to search for");
    for shown in [format!("{value:?}"), format!("{value:#?}")] {
        let probe = &secret[..8.min(secret.len())];
        let forms = [
            hex::encode(probe),
            hex::encode_upper(probe),
            base64::engine::general_purpose::STANDARD.encode(secret),
            // Anywhere in a printed list, brackets or not.
            probe
                .iter()
                .map(|b| b.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            String::from_utf8_lossy(secret).to_string(),
        ];
        for f in forms {
            assert!(!shown.contains(&f), "{shown} shows {f}");
        }
        // Pretty-printed slices put one number a line.
        let first_lines: String = probe.iter().map(|b| format!("{b},\n")).collect();
        assert!(!shown.replace(' ', "").contains(&first_lines), "{shown}");
    }
}

#[test]
fn secret_types_do_not_implement_display() {
    assert!(!has_display!(PrivateKey));
    assert!(!has_display!(SecretBytes));
    assert!(!has_display!(SecretText));
    assert!(!has_display!(Share));
    assert!(!has_display!(Passphrase));
    assert!(!has_display!(Custodian));
    assert!(!has_display!(ceremony::tui::screen::Field));
    // The probe itself works.
    assert!(has_display!(String));
}

#[test]
fn private_keys_of_both_algorithms_hide_their_secret() {
    for alg in [Algorithm::Ed25519, Algorithm::EcdsaP256] {
        let k = PrivateKey::generate(alg);
        let raw = k.secret_bytes();
        // The 32 secret bytes, without the algorithm tag.
        shows_nothing_of(&k, &raw[1..]);
        shows_nothing_of(&raw, &raw[1..]);
    }
}

#[test]
fn shares_in_every_form_and_recovered_secrets_hide_their_bytes() {
    let secret = PrivateKey::generate(Algorithm::Ed25519).secret_bytes();
    let shares = share::split(&secret, 2, 3, [1; 16], [2; 32]).unwrap();
    for s in &shares {
        let bytes = s.to_bytes();
        // The share value is the tail before the checksum.
        let value = &bytes[bytes.len() - 8 - secret.len()..bytes.len() - 8];
        shows_nothing_of(s, value);
        shows_nothing_of(&bytes, value);
        shows_nothing_of(&bytes, &bytes);
        let text = s.to_text();
        shows_nothing_of(&text, text.as_bytes());
        shows_nothing_of(&s.to_text_marked(true), value);
    }
    let back = share::combine(&shares[..2]).unwrap();
    assert_eq!(back.as_slice(), secret.as_slice());
    shows_nothing_of(&back, &secret);
    let some = share::interpolate(&shares[..1]).unwrap();
    shows_nothing_of(&some, &some);
    shows_nothing_of(&shares, &secret);
}

#[test]
fn an_opened_seal_and_passphrases_hide_their_bytes() {
    let pass = Passphrase::from("correct horse battery staple".to_string());
    shows_nothing_of(&pass, pass.expose_secret().as_bytes());
    let s = &share::split(b"0123456789abcdef", 1, 1, [3; 16], [4; 32]).unwrap()[0];
    let text = s.to_text();
    let sealed = seal::seal(text.as_bytes(), &Custodian::Passphrase(pass.clone())).unwrap();
    let opened = seal::open(
        &sealed,
        &[],
        Some(&pass),
        std::path::Path::new("x.share.age"),
    )
    .unwrap();
    assert_eq!(opened.as_slice(), text.as_bytes());
    shows_nothing_of(&opened, text.as_bytes());
    let mut field = ceremony::tui::screen::Field::secret("Passphrase");
    field.value.push_str("hunter2 hunter2");
    shows_nothing_of(&field, b"hunter2 hunter2");
}

/// The search above finds a secret that a plain type would print.
#[test]
fn the_search_catches_a_leak() {
    let secret = PrivateKey::generate(Algorithm::EcdsaP256).secret_bytes();
    let plain = secret.to_vec();
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let caught = std::panic::catch_unwind(|| shows_nothing_of(&plain, &plain[1..]));
    std::panic::set_hook(prev);
    assert!(caught.is_err());
    let text = String::from_utf8_lossy(b"a passphrase here").to_string();
    assert!(std::panic::catch_unwind(|| shows_nothing_of(&text, text.as_bytes())).is_err());
}

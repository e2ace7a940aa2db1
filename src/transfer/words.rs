//! Digests as words a person can read aloud and another can check.
//!
//! Two lists. Short readbacks (a share's commitment, a bundle's checksum
//! that SHA256SUMS also covers) use one word per byte from 256 plain words
//! written for this project. Anything a person compares to decide what she
//! signs or trusts — a signing request's digest, a key's fingerprint — is
//! read as a *phrase*: twelve words of 11 bits each (132 bits) from the
//! BIP-39 English list, so that no attacker can search for a second body or
//! key with the same words.

use sha2::{Digest, Sha256};

/// 256 distinct words, one per byte value.
pub const WORDS: [&str; 256] = [
    "acid", "acorn", "actor", "adobe", "agent", "alarm", "album", "alley", "amber", "angle",
    "ankle", "apple", "apron", "arena", "arrow", "atlas", "award", "bacon", "badge", "bagel",
    "baker", "bamboo", "banjo", "barn", "basil", "basin", "beach", "beard", "bench", "berry",
    "bison", "blade", "blaze", "bloom", "board", "boat", "bonus", "boots", "bread", "brick",
    "bride", "brush", "bucket", "buffalo", "bugle", "cabin", "cable", "cactus", "camel", "canal",
    "candle", "canoe", "canvas", "carbon", "cargo", "carpet", "castle", "cedar", "chalk", "chess",
    "cider", "cigar", "circus", "clock", "cloud", "clover", "coast", "cobra", "cocoa", "comet",
    "copper", "coral", "cotton", "cradle", "crane", "crayon", "cricket", "crown", "cube", "cupid",
    "daisy", "dancer", "delta", "denim", "desert", "diary", "dingo", "dolphin", "donkey", "dragon",
    "drum", "eagle", "easel", "echo", "elbow", "elder", "ember", "emerald", "engine", "envoy",
    "falcon", "fable", "feather", "fence", "ferry", "fiddle", "flute", "forest", "fossil", "fox",
    "frost", "galaxy", "garden", "garlic", "gazebo", "gecko", "ginger", "glacier", "globe",
    "glove", "goat", "gold", "gorilla", "grape", "gravel", "guitar", "hammer", "harbor", "harp",
    "hawk", "hazel", "helmet", "heron", "hippo", "honey", "hornet", "hotel", "husky", "igloo",
    "index", "ink", "iris", "island", "ivory", "jacket", "jaguar", "jasmine", "jelly", "jewel",
    "jigsaw", "jockey", "judge", "juice", "jungle", "kayak", "kettle", "kiwi", "koala", "ladder",
    "lagoon", "lantern", "laser", "lemon", "lentil", "letter", "lily", "linen", "lion", "lizard",
    "llama", "lobster", "locket", "lotus", "lumber", "magnet", "mango", "maple", "marble",
    "meadow", "melon", "mermaid", "meteor", "mint", "mirror", "mitten", "monkey", "moose",
    "mosaic", "motor", "muffin", "nectar", "needle", "nickel", "noodle", "nutmeg", "oasis",
    "ocean", "olive", "onion", "opal", "orange", "orbit", "orchid", "otter", "owl", "oyster",
    "paddle", "palace", "panda", "paper", "parrot", "peach", "pearl", "pebble", "pepper", "piano",
    "pickle", "pigeon", "pilot", "pine", "pirate", "planet", "plum", "pony", "poppy", "potato",
    "prism", "puffin", "pumpkin", "puzzle", "quail", "quartz", "quill", "rabbit", "radar",
    "radish", "raven", "reef", "ribbon", "river", "robin", "rocket", "rose", "ruby", "saddle",
    "salmon", "sandal", "satin", "saturn", "scarf", "shadow", "shell", "silver", "sketch",
    "sparrow", "spider",
];

/// The BIP-39 English word list (2,048 words, no word the first four
/// letters of another), copied unchanged from
/// github.com/bitcoin/bips `bip-0039/english.txt` (SHA-256
/// 2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda).
const BIP39: &str = include_str!("bip39-english.txt");

/// Words in a phrase: 12 × 11 = 132 bits.
pub const PHRASE_WORDS: usize = 12;

/// The `i`-th word of the BIP-39 list (`i` < 2048).
fn bip39_word(i: usize) -> &'static str {
    BIP39.lines().nth(i).unwrap_or("?")
}

/// Twelve words for the first 132 bits of `digest` (which must hold at
/// least 17 bytes, as a SHA-256 does; shorter input is padded with zero
/// bits, which only a caller passing a short digest would see).
pub fn phrase(digest: &[u8]) -> String {
    let mut out = Vec::with_capacity(PHRASE_WORDS);
    for w in 0..PHRASE_WORDS {
        let mut v = 0usize;
        for bit in w * 11..w * 11 + 11 {
            let byte = digest.get(bit / 8).copied().unwrap_or(0);
            v = (v << 1) | usize::from((byte >> (7 - bit % 8)) & 1);
        }
        out.push(bip39_word(v));
    }
    out.join(" ")
}

/// The phrase of the SHA-256 of `data`.
pub fn digest_phrase(data: &[u8]) -> String {
    phrase(&Sha256::digest(data))
}

/// The phrase a person compares to be sure two machines mean one key: the
/// phrase of the SHA-256 of its key ID's text, so any ID string (Notary's
/// certificate IDs, canonical IDs, TUF IDs) gets one, computed alike on the
/// online and the offline side.
pub fn key_phrase(keyid: &str) -> String {
    digest_phrase(keyid.as_bytes())
}

/// The words for `bytes`.
pub fn of_bytes(bytes: &[u8]) -> Vec<&'static str> {
    bytes.iter().map(|b| WORDS[*b as usize]).collect()
}

/// `n` words for the SHA-256 of `data`, joined by spaces.
pub fn digest_words(data: &[u8], n: usize) -> String {
    of_bytes(&Sha256::digest(data)[..n.min(32)]).join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bip39_list_is_whole_and_unambiguous() {
        let words: Vec<&str> = BIP39.lines().collect();
        assert_eq!(words.len(), 2048);
        assert_eq!(
            hex::encode(Sha256::digest(BIP39.as_bytes())),
            "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"
        );
        let mut prefixes: Vec<String> = words.iter().map(|w| w.chars().take(4).collect()).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        assert_eq!(prefixes.len(), 2048);
    }

    #[test]
    fn phrase_reads_11_bits_a_word() {
        // All-zero bits give word 0 twelve times; 0xff… gives word 2047.
        assert_eq!(phrase(&[0u8; 32]), ["abandon"; 12].join(" "));
        assert_eq!(phrase(&[0xffu8; 32]), ["zoo"; 12].join(" "));
        // The first 11 bits 00000000 001 select word 1 ("ability").
        let mut d = [0u8; 32];
        d[1] = 0b0010_0000;
        assert!(phrase(&d).starts_with("ability abandon"));
        // One flipped bit anywhere in the first 132 changes the phrase.
        for bit in 0..132 {
            let mut e = [0u8; 32];
            e[bit / 8] ^= 0x80 >> (bit % 8);
            assert_ne!(phrase(&e), phrase(&[0u8; 32]), "bit {bit}");
        }
    }

    #[test]
    fn words_are_distinct_lowercase_and_unambiguous() {
        let mut v: Vec<&str> = WORDS.to_vec();
        v.sort_unstable();
        v.dedup();
        assert_eq!(v.len(), 256);
        assert!(
            WORDS
                .iter()
                .all(|w| w.len() >= 3 && w.bytes().all(|b| b.is_ascii_lowercase()))
        );
        // No word is the start of another: read aloud, none can be cut short into another.
        for a in WORDS {
            for b in WORDS {
                assert!(a == b || !b.starts_with(a), "{a} / {b}");
            }
        }
    }
}

//! Digests as words a person can read aloud and another can check: one word
//! per byte from a list of 256 plain, distinct English words. Written for
//! this project.

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

//! Text that came from someone else, made safe to put on a terminal. A key
//! ID, a certificate CN, a field or file name in hostile metadata may hold
//! escape sequences that move the cursor and repaint what a signer reads,
//! a carriage return that overwrites a line, or bidirectional and
//! zero-width characters that make two strings look alike. Such characters
//! are shown as `\u{…}` escapes instead.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as itself.
fn hazardous(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                // Invisible or blank-looking: soft hyphen, combining
                // grapheme joiner, Arabic letter mark, Hangul fillers,
                // Mongolian vowel separator, variation selectors, tags.
                | '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FFA0}'
                | '\u{E0000}'..='\u{E007F}'
                | '\u{E0100}'..='\u{E01EF}'
        )
}

fn escape(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| hazardous(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hazardous(c) && !keep(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One value (an ID, a name, a CN) as one safe line: every control,
/// line-breaking, bidirectional or zero-width character escaped.
pub fn printable(s: &str) -> Cow<'_, str> {
    escape(s, |_| false)
}

/// Whole output text: as [`printable`], but line feeds and tabs the tool
/// itself writes are kept.
pub fn printable_lines(s: &str) -> Cow<'_, str> {
    escape(s, |c| c == '\n' || c == '\t')
}

/// Whether `s` holds anything [`printable`] would escape.
pub fn has_hazard(s: &str) -> bool {
    s.chars().any(hazardous)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_repaints_a_terminal_and_keeps_the_rest() {
        assert_eq!(printable("abc é ✓"), "abc é ✓");
        assert_eq!(printable("a\u{1b}[2Kb"), "a\\u{1b}[2Kb");
        assert_eq!(printable("x\ry\nz"), "x\\u{d}y\\u{a}z");
        assert_eq!(printable("\u{9b}\u{7f}"), "\\u{9b}\\u{7f}");
        assert_eq!(printable("ab\u{202e}cd\u{200b}"), "ab\\u{202e}cd\\u{200b}");
        assert_eq!(
            printable_lines("one\ntwo\r\tthree"),
            "one\ntwo\\u{d}\tthree"
        );
        assert!(has_hazard("\u{2066}") && !has_hazard("plain"));
        for c in [
            '\u{ad}',
            '\u{61c}',
            '\u{3164}',
            '\u{fe0f}',
            '\u{e0041}',
            '\u{180e}',
        ] {
            assert!(has_hazard(&c.to_string()), "{c:?}");
        }
    }
}

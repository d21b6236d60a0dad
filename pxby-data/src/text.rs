//! Text normalisation (SPEC §2): Unicode NFKD, lower-case, drop non-ASCII, collapse white space,
//! trim, then drop every character that is not in the vocabulary.
//!
//! Nothing here fails: characters that cannot be represented are dropped and counted.
//!
//! ```
//! use pxby_data::text::normalize;
//! let n = normalize("  Pokémon\tuses   Thunder & RAGE!\n");
//! assert_eq!(n.text, "pokemon uses thunder  rage!");
//! assert_eq!(n.dropped, 1); // the '&'
//! assert_eq!(n.non_ascii, 1); // the combining accent left by NFKD of 'é'
//! assert_eq!(n.tokens.len(), n.text.len());
//! ```

use pxby_core::vocab::byte_to_token;
use unicode_normalization::UnicodeNormalization;

/// The result of [`normalize`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Normalized {
    /// The normalised text (ASCII, every byte in the vocabulary).
    pub text: String,
    /// The byte tokens of `text`, one per byte.
    pub tokens: Vec<u8>,
    /// Characters dropped in the last step because they are not in the vocabulary
    /// (e.g. `&`, `?`, upper-case letters cannot occur here since the text is lower-cased).
    pub dropped: usize,
    /// Non-ASCII characters dropped after NFKD (mostly combining accents and typographic quotes).
    pub non_ascii: usize,
}

/// White space as Python's `str.split()` sees it for ASCII input (the reference collapses runs of
/// it with `" ".join(s.split())`).
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' ' | '\x1c'..='\x1f'
    )
}

/// Normalises `input` per SPEC §2 and tokenises it.
pub fn normalize(input: &str) -> Normalized {
    let mut non_ascii = 0usize;
    // NFKD, lower-case, keep ASCII only.
    let mut ascii = String::with_capacity(input.len());
    for c in input.nfkd() {
        for l in c.to_lowercase() {
            if l.is_ascii() {
                ascii.push(l);
            } else {
                non_ascii += 1;
            }
        }
    }
    // Collapse white space runs into one space and trim.
    let mut collapsed = String::with_capacity(ascii.len());
    for word in ascii.split(is_space).filter(|w| !w.is_empty()) {
        if !collapsed.is_empty() {
            collapsed.push(' ');
        }
        collapsed.push_str(word);
    }
    // Drop what the vocabulary cannot represent.
    let mut text = String::with_capacity(collapsed.len());
    let mut tokens = Vec::with_capacity(collapsed.len());
    let mut dropped = 0usize;
    for b in collapsed.bytes() {
        match byte_to_token(b) {
            Some(t) => {
                tokens.push(t);
                text.push(b as char);
            }
            None => dropped += 1,
        }
    }
    Normalized {
        text,
        tokens,
        dropped,
        non_ascii,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfkd_lowercase_and_collapse() {
        let n = normalize("POKéMON\u{00A0}is  ﬁne\r\n\tok");
        // U+00A0 NFKD → ' ', 'ﬁ' ligature NFKD → "fi".
        assert_eq!(n.text, "pokemon is fine ok");
        assert_eq!(n.dropped, 0);
        assert_eq!(n.non_ascii, 1);
    }

    #[test]
    fn drops_out_of_vocabulary_and_counts() {
        let n = normalize("what? a & b #1");
        assert_eq!(n.text, "what a  b 1");
        assert_eq!(n.dropped, 3);
    }

    #[test]
    fn typographic_apostrophe_is_non_ascii() {
        let n = normalize("the sun’s rays");
        assert_eq!(n.text, "the suns rays");
        assert_eq!(n.non_ascii, 1);
    }

    #[test]
    fn empty_and_blank() {
        assert!(normalize("").tokens.is_empty());
        assert!(normalize(" \t\n ").tokens.is_empty());
    }

    #[test]
    fn tokens_round_trip() {
        let n = normalize("It's 10.5% (fire)-type: [x]; a/b!");
        let back: Vec<u8> = n
            .tokens
            .iter()
            .map(|&t| pxby_core::vocab::token_to_byte(t).unwrap())
            .collect();
        assert_eq!(back, n.text.as_bytes());
        assert_eq!(n.text, "it's 10.5% (fire)-type: [x]; a/b!");
    }
}

//! The structured-mode grammar: which tokens may come next so that the stream is always one
//! well-formed item (SPEC §4): a header `(h, w)\n` with both sides within the options' range,
//! exactly `h` rows of `w` colours (`\t` between rows, `\n` after the last), then a caption of
//! byte tokens ended by `\n`.
//!
//! The header is read by the crate's one header codec ([`crate::header::Reader`]): a header
//! token is allowed exactly when the codec accepts its byte next and both sides can still end
//! within `min_side..=max_side`, so the grammar accepts exactly the headers
//! [`crate::header::parse`] accepts, restricted to that range (a property test below).

use crate::error::Error;
use crate::header::{Reader, Side};
use crate::vocab::{
    BYTES, FIRST_COLOUR, ROW_SEP, SEG_SEP, VOCAB_SIZE, byte_to_token, token_to_byte,
};

use super::{ALL_TOKENS, TokenMask, bit};

/// Largest side the grammar lets a header announce (rows must fit the context cursor:
/// [`super::ROW_CAP`] tokens with the separator).
pub(super) const MAX_SIDE: u8 = (super::ROW_CAP - 1) as u8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Header(Reader),
    Image { row: u8, col: u8 },
    Caption { len: u16 },
    Done,
}

/// Which tokens may come next in structured mode, and the state after each one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Grammar {
    phase: Phase,
    h: u8,
    w: u8,
    max_side: u8,
    min_side: u8,
    max_caption: u16,
}

const fn tok(b: u8) -> u8 {
    match byte_to_token(b) {
        Some(t) => t,
        None => 0,
    }
}
const COLOURS: TokenMask = ALL_TOKENS & !((1u128 << FIRST_COLOUR) - 1);
/// Caption bytes: every byte token except `\x00`, `\t`, `\n` and the two halves of U+00A0.
const CAPTION: TokenMask =
    ((1u128 << FIRST_COLOUR) - 1) & !0b111 & !(1u128 << tok(0xC2)) & !(1u128 << tok(0xA0));

impl Grammar {
    /// A grammar for headers with sides in `min_side..=max_side` (`max_side` clamped to
    /// `1..=63`, `min_side` to `1..=max_side`) and captions of at most `max_caption` bytes.
    pub(super) fn new(min_side: u8, max_side: u8, max_caption: u16) -> Self {
        let max_side = max_side.clamp(1, MAX_SIDE);
        Grammar {
            phase: Phase::Header(Reader::new()),
            h: 0,
            w: 0,
            max_side,
            min_side: min_side.clamp(1, max_side),
            max_caption,
        }
    }

    /// Whether a side that reads `v` so far can still end within `min_side..=max_side`
    /// (sides have at most two digits, as `max_side` ≤ 63).
    fn viable(&self, v: u16) -> bool {
        let (min, max) = (u16::from(self.min_side), u16::from(self.max_side));
        v <= max && (v >= min || (min.max(v * 10) <= max.min(v * 10 + 9)))
    }

    /// Whether a header side in this state can still end (or has ended) within range.
    fn in_range(&self, side: Side) -> bool {
        match side {
            Side::Unread => true,
            Side::Reading(v) => self.viable(v),
            Side::Read(v) => (u16::from(self.min_side)..=u16::from(self.max_side)).contains(&v),
        }
    }

    /// The header tokens the codec accepts after `reader` with both sides still in range.
    fn header_tokens(&self, reader: &Reader) -> TokenMask {
        let mut m = 0;
        for (t, &b) in BYTES.iter().enumerate() {
            let mut next = *reader;
            if next.push(b).is_ok() && self.in_range(next.height()) && self.in_range(next.width()) {
                m |= bit(t as u8);
            }
        }
        m
    }

    /// The tokens allowed next (none once the caption has ended).
    pub(super) fn allowed(&self) -> TokenMask {
        match self.phase {
            Phase::Header(reader) => self.header_tokens(&reader),
            Phase::Image { row, col } => {
                if col < self.w {
                    COLOURS
                } else if row + 1 < self.h {
                    bit(ROW_SEP)
                } else {
                    bit(SEG_SEP)
                }
            }
            Phase::Caption { len } => {
                if len >= self.max_caption {
                    bit(SEG_SEP)
                } else {
                    CAPTION | bit(SEG_SEP)
                }
            }
            Phase::Done => 0,
        }
    }

    /// Advances over `t`; [`Error::InvalidPrompt`] (and no change) unless it is allowed.
    pub(super) fn advance(&mut self, t: u8) -> Result<(), Error> {
        if (t as usize) >= VOCAB_SIZE || self.allowed() & bit(t) == 0 {
            return Err(Error::InvalidPrompt);
        }
        self.phase = match self.phase {
            Phase::Header(mut reader) => {
                let b = token_to_byte(t).ok_or(Error::InvalidPrompt)?;
                reader.push(b).map_err(|_| Error::InvalidPrompt)?;
                match reader.size() {
                    Some((h, w)) => {
                        // In range (≤ 63) by the mask.
                        self.h = h as u8;
                        self.w = w as u8;
                        Phase::Image { row: 0, col: 0 }
                    }
                    None => Phase::Header(reader),
                }
            }
            Phase::Image { row, col } => {
                if t == ROW_SEP {
                    Phase::Image {
                        row: row + 1,
                        col: 0,
                    }
                } else if t == SEG_SEP {
                    Phase::Caption { len: 0 }
                } else {
                    Phase::Image { row, col: col + 1 }
                }
            }
            Phase::Caption { len } => {
                if t == SEG_SEP {
                    Phase::Done
                } else {
                    Phase::Caption { len: len + 1 }
                }
            }
            Phase::Done => Phase::Done,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header;
    use proptest::prelude::*;
    use std::string::String;
    use std::vec::Vec;

    const OPEN: u8 = tok(b'(');
    const CLOSE: u8 = tok(b')');
    const COMMA: u8 = tok(b',');
    const DIGIT0: u8 = tok(b'0');

    /// A grammar as the generator's default options make it, with this largest side.
    fn up_to(max_side: u8) -> Grammar {
        Grammar::new(1, max_side, 256)
    }

    #[test]
    fn grammar_masks() {
        let mut s = up_to(25);
        assert_eq!(s.allowed(), bit(OPEN));
        for b in *b"(2" {
            s.advance(tok(b)).unwrap();
        }
        // after "2": digits 0..=5 or ','
        let m = s.allowed();
        assert!(m & bit(tok(b'5')) != 0 && m & bit(tok(b'6')) == 0 && m & bit(COMMA) != 0);
        assert_eq!(s.advance(tok(b'9')), Err(Error::InvalidPrompt));
        for b in *b"5, 3)" {
            s.advance(tok(b)).unwrap();
        }
        s.advance(SEG_SEP).unwrap();
        assert_eq!((s.h, s.w), (25, 3));
        assert_eq!(s.allowed(), COLOURS);
        assert_eq!(CAPTION.count_ones(), 58 - 3 - 2);
    }

    /// The tokens `s` allows after reading `text`.
    fn allowed_after(mut s: Grammar, text: &[u8]) -> TokenMask {
        for &b in text {
            s.advance(tok(b)).unwrap();
        }
        s.allowed()
    }

    /// The digit tokens of `m`.
    fn digits_in(m: TokenMask) -> TokenMask {
        m & (0..10).fold(0, |a, d| a | bit(DIGIT0 + d))
    }

    /// The tokens of the digits `ds`.
    fn digit_set(ds: &[u8]) -> TokenMask {
        ds.iter().fold(0, |a, &d| a | bit(DIGIT0 + d))
    }

    #[test]
    fn grammar_min_side() {
        let s = Grammar::new(8, 25, 256);
        // First digit: 1 or 2 (10..=25 follow), 8 or 9; never 3..=7 (no way back into range).
        assert_eq!(digits_in(allowed_after(s, b"(")), digit_set(&[1, 2, 8, 9]));
        let m = allowed_after(s, b"(1");
        assert_eq!(
            (digits_in(m), m & bit(COMMA)),
            (digit_set(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 0)
        );
        let m = allowed_after(s, b"(9");
        assert_eq!((digits_in(m), m & bit(COMMA)), (0, bit(COMMA)));
        assert_eq!(
            digits_in(allowed_after(s, b"(2")),
            digit_set(&[0, 1, 2, 3, 4, 5])
        );
        assert_eq!(allowed_after(s, b"(12, 8") & bit(CLOSE), bit(CLOSE));
        assert_eq!(
            digits_in(allowed_after(s, b"(12, ")),
            digit_set(&[1, 2, 8, 9])
        );
        // min_side above max_side is clamped to it.
        let only = Grammar::new(9, 5, 256);
        assert_eq!(digits_in(allowed_after(only, b"(")), digit_set(&[5]));
    }

    /// Feeds `text` byte by byte while the grammar's mask allows each byte; returns how many
    /// bytes it took and the grammar after them.
    fn drive(mut g: Grammar, text: &[u8]) -> (usize, Grammar) {
        for (i, &b) in text.iter().enumerate() {
            let allowed = byte_to_token(b).is_some_and(|t| g.allowed() & bit(t) != 0);
            let advanced = byte_to_token(b).is_some_and(|t| g.advance(t).is_ok());
            assert_eq!(
                allowed, advanced,
                "mask and advance disagree at {i} of {text:?}"
            );
            if !advanced {
                return (i, g);
            }
        }
        (text.len(), g)
    }

    /// Candidate headers: canonical ones (some out of range), and strings of header-ish bytes.
    fn candidate() -> impl Strategy<Value = Vec<u8>> {
        let canonical =
            (1u16..100, 1u16..100).prop_map(|(h, w)| std::format!("({h}, {w})\n").into_bytes());
        let noise =
            prop::collection::vec(prop::sample::select(&b"()0123456789, \n\t+a"[..]), 0..12);
        let edited = (
            canonical.clone(),
            any::<prop::sample::Index>(),
            noise.clone(),
        )
            .prop_map(|(mut c, i, n)| {
                let at = i.index(c.len());
                c.splice(at..at + 1, n);
                c
            });
        prop_oneof![canonical, noise, edited]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Driving the grammar's token masks over a candidate, it takes the whole header exactly
        /// when the codec parses it to a size within the range.
        #[test]
        fn grammar_accepts_exactly_what_the_codec_accepts(
            text in candidate(),
            min in 1u8..=70,
            max in 1u8..=70,
        ) {
            let g = Grammar::new(min, max, 256);
            let (lo, hi) = (u16::from(g.min_side), u16::from(g.max_side));
            let codec = header::parse(&text)
                .is_ok_and(|(h, w)| (lo..=hi).contains(&h) && (lo..=hi).contains(&w));
            let (taken, after) = drive(g, &text);
            let grammar = taken == text.len() && matches!(after.phase, Phase::Image { .. });
            prop_assert_eq!(grammar, codec, "{:?} sides {}..={}", String::from_utf8_lossy(&text), lo, hi);
            if grammar {
                let (h, w) = header::parse(&text).unwrap();
                prop_assert_eq!((u16::from(after.h), u16::from(after.w)), (h, w));
            }
        }

        /// After any prefix the grammar took, a byte is allowed next exactly when the prefix and
        /// that byte start some header the codec formats with both sides within range.
        #[test]
        fn grammar_masks_are_the_codec_prefixes(
            text in candidate(),
            min in 1u8..=12,
            max in 1u8..=12,
        ) {
            let g = Grammar::new(min, max, 256);
            let (lo, hi) = (u16::from(g.min_side), u16::from(g.max_side));
            let headers: Vec<Vec<u8>> = (lo..=hi)
                .flat_map(|h| (lo..=hi).map(move |w| (h, w)))
                .map(|(h, w)| header::format(h, w).unwrap().as_bytes().to_vec())
                .collect();
            let (taken, after) = drive(g, &text);
            let prefix = &text[..taken];
            if matches!(after.phase, Phase::Header(_)) {
                for (t, &b) in BYTES.iter().enumerate() {
                    let mut next = prefix.to_vec();
                    next.push(b);
                    let want = headers.iter().any(|hd| hd.starts_with(&next));
                    prop_assert_eq!(after.allowed() & bit(t as u8) != 0, want, "{:?} + {:?}", String::from_utf8_lossy(prefix), b as char);
                }
            }
        }
    }
}

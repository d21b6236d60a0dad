//! The one codec of the header segment (SPEC §4): an image of `h` rows and `w` columns is
//! announced by the text `"(h, w)\n"`.
//!
//! The canonical form, and the only one accepted: `(`, the height, `,`, one space, the width,
//! `)`, `\n`, where each side is a positive decimal integer without leading zeros (nor sign) of
//! at most 65535. So `(25, 22)\n` is a header and `(7,9)\n`, `(07, 9)\n`, `(0, 9)\n`,
//! `( 7, 9)\n` and `(7, 9)` (no `\n`) are not.
//!
//! - [`format`] / [`tokens`]: the header of a size, as text or as vocabulary tokens;
//! - [`parse`] / [`parse_tokens`]: the size a whole header states;
//! - [`Reader`]: the same rules one byte at a time, for streams (the structured-generation
//!   grammar in [`crate::generate`], a screen drawing tokens as they come).
//!
//! All of them are the same state machine ([`Reader`]), so they cannot disagree.
//!
//! ```
//! use pxby_core::header::{self, HeaderError};
//! assert_eq!(header::format(25, 22)?.as_str(), "(25, 22)\n");
//! assert_eq!(header::parse("(25, 22)\n"), Ok((25, 22)));
//! assert_eq!(header::parse("(7,9)\n"), Err(HeaderError::Unexpected(b'9')));
//! assert_eq!(header::parse("(7, 9)"), Err(HeaderError::Incomplete));
//! # Ok::<(), HeaderError>(())
//! ```

use core::fmt::{self, Write as _};

use crate::vocab::{byte_to_token, token_to_byte};

/// Longest header in bytes: `"(65535, 65535)\n"`.
pub const MAX_LEN: usize = 15;

/// A header as text (at most [`MAX_LEN`] bytes).
pub type HeaderText = heapless::String<MAX_LEN>;

/// A header as vocabulary tokens (at most [`MAX_LEN`]).
pub type HeaderTokens = heapless::Vec<u8, MAX_LEN>;

/// Why some text is not a header.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// [`format`]: a side of 0 has no header.
    ZeroSide,
    /// This byte cannot come next in a header (a wrong separator, a leading zero, ...).
    Unexpected(u8),
    /// A side above 65535.
    TooLarge,
    /// The text ends before the header's final `\n`.
    Incomplete,
    /// Something follows the header's final `\n`.
    Trailing,
    /// [`parse_tokens`]: a token that is not a byte (a colour, or outside the vocabulary).
    NotText(u8),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::ZeroSide => write!(f, "an image side of 0 has no header"),
            HeaderError::Unexpected(b) => {
                write!(f, "byte {:?} cannot come next in a header", *b as char)
            }
            HeaderError::TooLarge => write!(f, "a header side above 65535"),
            HeaderError::Incomplete => write!(f, "the header is incomplete (it ends with \\n)"),
            HeaderError::Trailing => write!(f, "bytes after the header's \\n"),
            HeaderError::NotText(t) => write!(f, "token {t} is not a byte"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for HeaderError {}

/// The header of an image of `height` rows and `width` columns: `"(h, w)\n"`.
/// [`HeaderError::ZeroSide`] if a side is 0.
pub fn format(height: u16, width: u16) -> Result<HeaderText, HeaderError> {
    if height == 0 || width == 0 {
        return Err(HeaderError::ZeroSide);
    }
    let mut text = HeaderText::new();
    // At most MAX_LEN bytes, so the write cannot fail.
    let _ = writeln!(text, "({height}, {width})");
    Ok(text)
}

/// [`format`] as vocabulary tokens (every header byte is in the vocabulary; the final `\n` is
/// [`crate::vocab::SEG_SEP`]).
pub fn tokens(height: u16, width: u16) -> Result<HeaderTokens, HeaderError> {
    let text = format(height, width)?;
    let mut out = HeaderTokens::new();
    for b in text.bytes() {
        let t = byte_to_token(b).ok_or(HeaderError::Unexpected(b))?;
        out.push(t).map_err(|_| HeaderError::TooLarge)?;
    }
    Ok(out)
}

/// The `(height, width)` a whole header states; `text` must be exactly one canonical header,
/// final `\n` included.
pub fn parse(text: impl AsRef<[u8]>) -> Result<(u16, u16), HeaderError> {
    let mut reader = Reader::new();
    for &b in text.as_ref() {
        reader.push(b)?;
    }
    reader.size().ok_or(HeaderError::Incomplete)
}

/// [`parse`] over vocabulary tokens (the header segment of a token stream, its final
/// [`crate::vocab::SEG_SEP`] included).
pub fn parse_tokens(tokens: &[u8]) -> Result<(u16, u16), HeaderError> {
    let mut reader = Reader::new();
    for &t in tokens {
        reader.push(token_to_byte(t).ok_or(HeaderError::NotText(t))?)?;
    }
    reader.size().ok_or(HeaderError::Incomplete)
}

/// How far one side of a header has been read by a [`Reader`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// No digit of it yet.
    Unread,
    /// Its digits so far read this value (more may follow).
    Reading(u16),
    /// Complete: the separator after it has been read.
    Read(u16),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    Height,
    Space,
    Width,
    Newline,
    Done,
}

/// The header rules one byte at a time: push bytes as they come, ask at any point how far the
/// header is ([`Reader::height`], [`Reader::width`], [`Reader::size`]). A byte that cannot
/// continue a header is refused with an error and leaves the reader as it was, so a caller
/// may try candidates on a copy (it is `Copy`, 6 bytes).
///
/// ```
/// use pxby_core::header::{Reader, Side};
/// let mut r = Reader::new();
/// for &b in b"(12, 3" {
///     r.push(b)?;
/// }
/// assert_eq!((r.height(), r.width()), (Side::Read(12), Side::Reading(3)));
/// assert!(r.push(b'\n').is_err() && r.size().is_none());
/// r.push(b')')?;
/// r.push(b'\n')?;
/// assert_eq!(r.size(), Some((12, 3)));
/// # Ok::<(), pxby_core::header::HeaderError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reader {
    state: State,
    /// Height so far (0 before its first digit).
    height: u16,
    /// Width so far (0 before its first digit).
    width: u16,
}

impl Default for Reader {
    fn default() -> Self {
        Self::new()
    }
}

impl Reader {
    /// A reader before the header's `(`.
    pub const fn new() -> Self {
        Reader {
            state: State::Open,
            height: 0,
            width: 0,
        }
    }

    /// Reads one byte; on error the reader is unchanged.
    pub fn push(&mut self, b: u8) -> Result<(), HeaderError> {
        let unexpected = Err(HeaderError::Unexpected(b));
        self.state = match (self.state, b) {
            (State::Open, b'(') => State::Height,
            (State::Height, b'0'..=b'9') => {
                self.height = extend(self.height, b)?;
                State::Height
            }
            (State::Height, b',') if self.height > 0 => State::Space,
            (State::Space, b' ') => State::Width,
            (State::Width, b'0'..=b'9') => {
                self.width = extend(self.width, b)?;
                State::Width
            }
            (State::Width, b')') if self.width > 0 => State::Newline,
            (State::Newline, b'\n') => State::Done,
            (State::Done, _) => return Err(HeaderError::Trailing),
            _ => return unexpected,
        };
        Ok(())
    }

    /// How far the height has been read.
    pub fn height(&self) -> Side {
        match self.state {
            State::Open => Side::Unread,
            State::Height => reading(self.height),
            _ => Side::Read(self.height),
        }
    }

    /// How far the width has been read.
    pub fn width(&self) -> Side {
        match self.state {
            State::Open | State::Height | State::Space => Side::Unread,
            State::Width => reading(self.width),
            State::Newline | State::Done => Side::Read(self.width),
        }
    }

    /// True once the final `\n` has been read.
    pub fn is_complete(&self) -> bool {
        self.state == State::Done
    }

    /// `(height, width)` once the header is complete.
    pub fn size(&self) -> Option<(u16, u16)> {
        self.is_complete().then_some((self.height, self.width))
    }
}

/// A side reading `value` so far (0: no digit yet).
fn reading(value: u16) -> Side {
    if value == 0 {
        Side::Unread
    } else {
        Side::Reading(value)
    }
}

/// `value` with the digit `b` appended: no leading zero, at most 65535.
fn extend(value: u16, b: u8) -> Result<u16, HeaderError> {
    if value == 0 && b == b'0' {
        return Err(HeaderError::Unexpected(b));
    }
    value
        .checked_mul(10)
        .and_then(|v| v.checked_add(u16::from(b - b'0')))
        .ok_or(HeaderError::TooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::string::String;

    /// An independent spelling of the rule with `str` methods: the canonical text, or `None`.
    fn oracle(s: &str) -> Option<(u16, u16)> {
        let inner = s.strip_prefix('(')?.strip_suffix(")\n")?;
        let (h, w) = inner.split_once(", ")?;
        let side = |d: &str| {
            let ok = !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0');
            ok.then(|| d.parse::<u16>().ok()).flatten()
        };
        Some((side(h)?, side(w)?))
    }

    #[test]
    fn the_disagreements_of_the_old_parsers() {
        for (text, want) in [
            ("(25, 22)\n", Ok((25, 22))),
            ("(7,9)\n", Err(HeaderError::Unexpected(b'9'))),
            ("(07, 9)\n", Err(HeaderError::Unexpected(b'0'))),
            ("(0, 9)\n", Err(HeaderError::Unexpected(b'0'))),
            ("(+7, 9)\n", Err(HeaderError::Unexpected(b'+'))),
            ("(7 , 9)\n", Err(HeaderError::Unexpected(b' '))),
            ("(7, 9)", Err(HeaderError::Incomplete)),
            ("(7, 9)\n\n", Err(HeaderError::Trailing)),
            ("(65535, 1)\n", Ok((65535, 1))),
            ("(65536, 1)\n", Err(HeaderError::TooLarge)),
            ("", Err(HeaderError::Incomplete)),
        ] {
            assert_eq!(parse(text), want, "{text:?}");
        }
        assert_eq!(format(0, 3), Err(HeaderError::ZeroSide));
        assert_eq!(parse_tokens(&[1, 2]), Err(HeaderError::Unexpected(b'\t')));
        assert_eq!(parse_tokens(&[60]), Err(HeaderError::NotText(60)));
        let t = tokens(3, 4).unwrap();
        assert_eq!(parse_tokens(&t), Ok((3, 4)));
        assert_eq!(*t.last().unwrap(), crate::vocab::SEG_SEP);
    }

    /// Strings near headers: built from the header alphabet plus a few other bytes.
    fn near_header() -> impl Strategy<Value = String> {
        let canonical = (1u16.., 1u16..).prop_map(|(h, w)| std::format!("({h}, {w})\n"));
        let noise =
            prop::collection::vec(prop::sample::select(&b"()0123456789, \n+-\tx"[..]), 0..16)
                .prop_map(|v| v.into_iter().map(char::from).collect::<String>());
        let edited = (
            canonical.clone(),
            any::<prop::sample::Index>(),
            noise.clone(),
        )
            .prop_map(|(c, i, n)| {
                let at = i.index(c.len() + 1);
                std::format!("{}{}{}", &c[..at], n, &c[(at + 1).min(c.len())..])
            });
        prop_oneof![canonical, noise, edited]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn format_then_parse_round_trips(h in 1u16.., w in 1u16..) {
            let text = format(h, w).unwrap();
            prop_assert_eq!(text.as_str(), std::format!("({h}, {w})\n"));
            prop_assert_eq!(parse(&text), Ok((h, w)));
            prop_assert_eq!(parse_tokens(&tokens(h, w).unwrap()), Ok((h, w)));
        }

        #[test]
        fn parse_accepts_exactly_the_canonical_form(s in near_header()) {
            let got = parse(&s);
            prop_assert_eq!(got.ok(), oracle(&s), "{:?}", s);
            if let Ok((h, w)) = got {
                let again = format(h, w).unwrap();
                prop_assert_eq!(again.as_str(), s.as_str());
            }
        }
    }
}

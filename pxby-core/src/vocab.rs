//! The fixed 113-token vocabulary (SPEC §1): 58 bytes, then the 55 NES palette colours.
//!
//! Tokens are plain `u8` ids in `0..VOCAB_SIZE`. Ids `0..58` are bytes, ids `58..113` are
//! colours of [`PALETTE`] in order.
//!
//! ```
//! use pxby_core::vocab::{self, Symbol};
//! let t = vocab::byte_to_token(b'a').unwrap();
//! assert_eq!(t, 32);
//! assert_eq!(vocab::decode(t), Some(Symbol::Byte(b'a')));
//! assert_eq!(vocab::decode(58), Some(Symbol::Colour([0, 0, 0])));
//! assert_eq!(vocab::byte_to_token(b'A'), None);
//! ```

/// Number of tokens in the vocabulary.
pub const VOCAB_SIZE: usize = 113;
/// Byte `\x00`: padding, and the value of every empty context cell.
pub const PAD: u8 = 0;
/// Byte `\t`: ends an image row.
pub const ROW_SEP: u8 = 1;
/// Byte `\n`: ends a segment (header, image or caption).
pub const SEG_SEP: u8 = 2;
/// Number of byte tokens (ids `0..BYTE_TOKENS`).
pub const BYTE_TOKENS: usize = 58;
/// Id of the first colour token.
pub const FIRST_COLOUR: u8 = BYTE_TOKENS as u8;
/// Number of colour tokens.
pub const COLOURS: usize = VOCAB_SIZE - BYTE_TOKENS;

/// The bytes of ids `0..58`, in id order.
pub const BYTES: [u8; BYTE_TOKENS] =
    *b"\x00\t\n \"'()*,-+.0123456789\xC2\xA0:[];/%!abcdefghijklmnopqrstuvwxyz";

/// The NES palette (RGB) of ids `58..113`, in id order.
pub const PALETTE: [[u8; 3]; COLOURS] = [
    [0x00, 0x00, 0x00],
    [0xfc, 0xfc, 0xfc],
    [0xf8, 0xf8, 0xf8],
    [0xbc, 0xbc, 0xbc],
    [0x7c, 0x7c, 0x7c],
    [0xa4, 0xe4, 0xfc],
    [0x3c, 0xbc, 0xfc],
    [0x00, 0x78, 0xf8],
    [0x00, 0x00, 0xfc],
    [0xb8, 0xb8, 0xf8],
    [0x68, 0x88, 0xfc],
    [0x00, 0x58, 0xf8],
    [0x00, 0x00, 0xbc],
    [0xd8, 0xb8, 0xf8],
    [0x98, 0x78, 0xf8],
    [0x68, 0x44, 0xfc],
    [0x44, 0x28, 0xbc],
    [0xf8, 0xb8, 0xf8],
    [0xf8, 0x78, 0xf8],
    [0xd8, 0x00, 0xcc],
    [0x94, 0x00, 0x84],
    [0xf8, 0xa4, 0xc0],
    [0xf8, 0x58, 0x98],
    [0xe4, 0x00, 0x58],
    [0xa8, 0x00, 0x20],
    [0xf0, 0xd0, 0xb0],
    [0xf8, 0x78, 0x58],
    [0xf8, 0x38, 0x00],
    [0xa8, 0x10, 0x00],
    [0xfc, 0xe0, 0xa8],
    [0xfc, 0xa0, 0x44],
    [0xe4, 0x5c, 0x10],
    [0x88, 0x14, 0x00],
    [0xf8, 0xd8, 0x78],
    [0xf8, 0xb8, 0x00],
    [0xac, 0x7c, 0x00],
    [0x50, 0x30, 0x00],
    [0xd8, 0xf8, 0x78],
    [0xb8, 0xf8, 0x18],
    [0x00, 0xb8, 0x00],
    [0x00, 0x78, 0x00],
    [0xb8, 0xf8, 0xb8],
    [0x58, 0xd8, 0x54],
    [0x00, 0xa8, 0x00],
    [0x00, 0x68, 0x00],
    [0xb8, 0xf8, 0xd8],
    [0x58, 0xf8, 0x98],
    [0x00, 0xa8, 0x44],
    [0x00, 0x58, 0x00],
    [0x00, 0xfc, 0xfc],
    [0x00, 0xe8, 0xd8],
    [0x00, 0x88, 0x88],
    [0x00, 0x40, 0x58],
    [0xf8, 0xd8, 0xf8],
    [0x78, 0x78, 0x78],
];

/// Byte → token id, `NONE` (0xFF) where the byte is not in the vocabulary.
const NONE: u8 = 0xFF;
const BYTE_TO_TOKEN: [u8; 256] = {
    let mut table = [NONE; 256];
    let mut id = 0;
    while id < BYTE_TOKENS {
        table[BYTES[id] as usize] = id as u8;
        id += 1;
    }
    table
};

/// What a token stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Symbol {
    /// A text byte (including the separators `\t`, `\n` and the padding `\x00`).
    Byte(u8),
    /// An NES palette colour, as RGB.
    Colour([u8; 3]),
}

/// The token of a byte, or `None` if the byte is not in the vocabulary.
#[inline]
pub const fn byte_to_token(byte: u8) -> Option<u8> {
    match BYTE_TO_TOKEN[byte as usize] {
        NONE => None,
        t => Some(t),
    }
}

/// The byte of a byte token, or `None` for colour tokens and ids out of range.
#[inline]
pub const fn token_to_byte(token: u8) -> Option<u8> {
    if (token as usize) < BYTE_TOKENS {
        Some(BYTES[token as usize])
    } else {
        None
    }
}

/// The token of palette entry `index` (`0..55`), or `None` when out of range.
#[inline]
pub const fn colour_to_token(index: usize) -> Option<u8> {
    if index < COLOURS {
        Some(FIRST_COLOUR + index as u8)
    } else {
        None
    }
}

/// The RGB colour of a colour token, or `None` for byte tokens and ids out of range.
#[inline]
pub const fn token_to_colour(token: u8) -> Option<[u8; 3]> {
    if is_colour(token) {
        Some(PALETTE[(token - FIRST_COLOUR) as usize])
    } else {
        None
    }
}

/// True for the 55 colour tokens.
#[inline]
pub const fn is_colour(token: u8) -> bool {
    token >= FIRST_COLOUR && (token as usize) < VOCAB_SIZE
}

/// Decodes a token id; `None` when `token >= VOCAB_SIZE`.
#[inline]
pub const fn decode(token: u8) -> Option<Symbol> {
    if let Some(b) = token_to_byte(token) {
        Some(Symbol::Byte(b))
    } else if let Some(c) = token_to_colour(token) {
        Some(Symbol::Colour(c))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_spec() {
        assert_eq!(byte_to_token(0), Some(0));
        assert_eq!(byte_to_token(b'\t'), Some(ROW_SEP));
        assert_eq!(byte_to_token(b'\n'), Some(SEG_SEP));
        assert_eq!(byte_to_token(b' '), Some(3));
        assert_eq!(byte_to_token(b'.'), Some(12));
        assert_eq!(byte_to_token(b'0'), Some(13));
        assert_eq!(byte_to_token(b'9'), Some(22));
        assert_eq!(byte_to_token(0xC2), Some(23));
        assert_eq!(byte_to_token(0xA0), Some(24));
        assert_eq!(byte_to_token(b':'), Some(25));
        assert_eq!(byte_to_token(b'!'), Some(31));
        assert_eq!(byte_to_token(b'a'), Some(32));
        assert_eq!(byte_to_token(b'z'), Some(57));
        assert_eq!(token_to_colour(58), Some([0, 0, 0]));
        assert_eq!(token_to_colour(112), Some([0x78, 0x78, 0x78]));
        assert_eq!(decode(113), None);
    }

    #[test]
    fn round_trips() {
        for t in 0..VOCAB_SIZE as u8 {
            match decode(t).unwrap() {
                Symbol::Byte(b) => assert_eq!(byte_to_token(b), Some(t)),
                Symbol::Colour(c) => {
                    let i = PALETTE.iter().position(|p| *p == c).unwrap();
                    assert_eq!(colour_to_token(i), Some(t));
                }
            }
        }
        let known = (0..=255u8).filter(|b| byte_to_token(*b).is_some()).count();
        assert_eq!(known, BYTE_TOKENS);
    }
}

//! Reading the sprite size out of the header segment: the one place this crate decodes a
//! `(h, w)` header (the prompt is encoded in [`demo::prompt`](crate::demo::prompt)).

/// Longest header segment the screen keeps (the characters that fit in the title bar); a
/// longer one is not a size.
pub const HEADER_CAP: usize = crate::layout::TITLE_CHARS as usize;

/// The sprite size `(h, w)` of a complete header segment (its bytes, without the separator):
/// exactly `(` digits `,` spaces digits `)`, e.g. `(25, 22)` or `(7,9)`, each side at least 1;
/// a side too large for `u16` reads as 65535.
///
/// ```
/// use pxby_screen::header::parse;
/// assert_eq!(parse(b"(25, 22)"), Some((25, 22)));
/// assert_eq!(parse(b"(7,9)"), Some((7, 9)));
/// assert_eq!(parse(b"(0, 3)"), None);
/// assert_eq!(parse(b"(2 , 2)"), None);
/// ```
pub fn parse(header: &[u8]) -> Option<(u16, u16)> {
    let [b'(', body @ .., b')'] = header else {
        return None;
    };
    let mut sides = [0u16; 2];
    // Which side is being read, and whether it has a digit yet.
    let (mut side, mut digits) = (0, false);
    for &b in body {
        match b {
            b'0'..=b'9' => {
                sides[side] = sides[side]
                    .saturating_mul(10)
                    .saturating_add(u16::from(b - b'0'));
                digits = true;
            }
            b',' if side == 0 && digits => (side, digits) = (1, false),
            b' ' if side == 1 && !digits => {}
            _ => return None,
        }
    }
    let [h, w] = sides;
    (side == 1 && digits && h > 0 && w > 0).then_some((h, w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_sizes() {
        for (h, want) in [
            (&b"(25, 22)"[..], Some((25, 22))),
            (b"(7,9)", Some((7, 9))),
            (b"(7,   9)", Some((7, 9))),
            (b"(007, 9)", Some((7, 9))),
            (b"(99999, 1)", Some((65535, 1))),
            (b"(0, 3)", None),
            (b"(3, 0)", None),
            (b"(25, 22", None),
            (b"25, 22)", None),
            (b"(25, 22))", None),
            (b"((25, 22)", None),
            (b"(, 2)", None),
            (b"(2, )", None),
            (b"(2 , 2)", None),
            (b"( 2, 2)", None),
            (b"(2, 2 )", None),
            (b"(1, 2, 3)", None),
            (b"(a, 2)", None),
            (b"", None),
            (b"()", None),
        ] {
            assert_eq!(
                parse(h),
                want,
                "{}",
                std::string::String::from_utf8_lossy(h)
            );
        }
    }
}

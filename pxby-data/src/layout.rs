//! Sequence layout of one item (SPEC §4): header `"(h, w)"` + `\n`, then `h` image rows of `w`
//! colour tokens each ending with `\t` except the last which ends with `\n`, then the caption
//! (byte tokens) + `\n`. [`item_tokens`] lays an item out, [`parse_item`] takes it apart again.
//!
//! ```
//! use pxby_core::vocab::{colour_to_token, SEG_SEP};
//! use pxby_data::layout::{item_tokens, parse_item};
//! use pxby_data::text::normalize;
//! let c = colour_to_token(0).unwrap();
//! let caption = normalize("A tiny one.").tokens;
//! let tokens = item_tokens(2, 3, &[c; 6], &caption).unwrap();
//! assert_eq!(*tokens.last().unwrap(), SEG_SEP);
//! let parsed = parse_item(&tokens).unwrap();
//! assert_eq!((parsed.height, parsed.width), (2, 3));
//! assert_eq!(parsed.caption_text(), "a tiny one.");
//! ```

use pxby_core::vocab::{ROW_SEP, SEG_SEP, is_colour, token_to_byte};

/// What is wrong with an item's token stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// The stream ends before segment `0` (header), `1` (image) or `2` (caption) is complete.
    #[error("missing or unterminated {0} segment")]
    MissingSegment(&'static str),
    /// The header is not `"(h, w)"` with positive integers without leading zeros.
    #[error("bad header {0:?}")]
    BadHeader(String),
    /// A token that is not a byte appears in a text segment.
    #[error("non-byte token {token} in the {segment} segment")]
    NotText {
        /// Segment name.
        segment: &'static str,
        /// The token.
        token: u8,
    },
    /// A token that is not a colour appears in an image row.
    #[error("non-colour token {token} at image row {row}, column {column}")]
    NotColour {
        /// Row.
        row: usize,
        /// Column.
        column: usize,
        /// The token.
        token: u8,
    },
    /// An image row does not have the header's width.
    #[error("image row {row} has {got} colours, the header says {expected}")]
    RowWidth {
        /// Row.
        row: usize,
        /// Header width.
        expected: usize,
        /// Actual.
        got: usize,
    },
    /// The image does not have the header's number of rows.
    #[error("image has {got} rows, the header says {expected}")]
    RowCount {
        /// Header height.
        expected: usize,
        /// Actual.
        got: usize,
    },
    /// The caption is empty.
    #[error("empty caption")]
    EmptyCaption,
    /// Tokens follow the caption's `\n`.
    #[error("{0} tokens after the caption")]
    Trailing(usize),
    /// Width, height or caption do not fit the layout (e.g. a side of 0, a caption byte outside
    /// the vocabulary, image length not `height * width`).
    #[error("invalid item: {0}")]
    Invalid(String),
    /// The item's recorded size differs from its header.
    #[error("item records {recorded:?} but its header says {header:?}")]
    SizeMismatch {
        /// (height, width) recorded in the item.
        recorded: (u16, u16),
        /// (height, width) in the header.
        header: (u16, u16),
    },
}

/// An item taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedItem {
    /// Image rows.
    pub height: u16,
    /// Image columns.
    pub width: u16,
    /// Colour tokens, row-major, `height * width`.
    pub image: Vec<u8>,
    /// Caption byte tokens (without the final `\n`).
    pub caption: Vec<u8>,
}

impl ParsedItem {
    /// The caption as text.
    pub fn caption_text(&self) -> String {
        self.caption
            .iter()
            .filter_map(|&t| token_to_byte(t))
            .map(char::from)
            .collect()
    }
}

/// Lays out one item: header, image rows, caption (SPEC §4).
pub fn item_tokens(
    height: u16,
    width: u16,
    image: &[u8],
    caption: &[u8],
) -> Result<Vec<u8>, LayoutError> {
    let (h, w) = (usize::from(height), usize::from(width));
    if h == 0 || w == 0 || image.len() != h * w {
        return Err(LayoutError::Invalid(format!(
            "image of {} tokens for {height}x{width}",
            image.len()
        )));
    }
    if let Some(&t) = image.iter().find(|&&t| !is_colour(t)) {
        return Err(LayoutError::Invalid(format!("non-colour image token {t}")));
    }
    if caption.is_empty() {
        return Err(LayoutError::EmptyCaption);
    }
    if let Some(&t) = caption
        .iter()
        .find(|&&t| is_colour(t) || t == ROW_SEP || t == SEG_SEP || token_to_byte(t).is_none())
    {
        return Err(LayoutError::Invalid(format!("caption token {t}")));
    }
    let header = pxby_core::header::tokens(height, width)
        .map_err(|e| LayoutError::BadHeader(format!("({height}, {width}): {e}")))?;
    let mut out = Vec::with_capacity(header.len() + h * (w + 1) + caption.len() + 1);
    out.extend_from_slice(&header);
    for (r, row) in image.chunks(w).enumerate() {
        out.extend_from_slice(row);
        out.push(if r + 1 == h { SEG_SEP } else { ROW_SEP });
    }
    out.extend_from_slice(caption);
    out.push(SEG_SEP);
    Ok(out)
}

/// The size a header segment (its tokens, final separator included) states, by the one codec
/// ([`pxby_core::header`]).
fn parse_header(segment: &[u8]) -> Result<(u16, u16), LayoutError> {
    pxby_core::header::parse_tokens(segment).map_err(|e| match e {
        pxby_core::header::HeaderError::NotText(token) => LayoutError::NotText {
            segment: "header",
            token,
        },
        _ => LayoutError::BadHeader(
            segment
                .iter()
                .filter_map(|&t| token_to_byte(t))
                .map(char::from)
                .filter(|&c| c != '\n')
                .collect(),
        ),
    })
}

/// Takes an item's tokens apart into header size, image and caption, checking every rule.
pub fn parse_item(tokens: &[u8]) -> Result<ParsedItem, LayoutError> {
    let hend = tokens
        .iter()
        .position(|&t| t == SEG_SEP)
        .ok_or(LayoutError::MissingSegment("header"))?;
    let (height, width) = parse_header(&tokens[..=hend])?;
    let (h, w) = (usize::from(height), usize::from(width));
    let rest = &tokens[hend + 1..];
    let iend = rest
        .iter()
        .position(|&t| t == SEG_SEP)
        .ok_or(LayoutError::MissingSegment("image"))?;
    let mut image = Vec::with_capacity(h * w);
    let mut rows = 0;
    for (r, row) in rest[..iend].split(|&t| t == ROW_SEP).enumerate() {
        if row.len() != w {
            return Err(LayoutError::RowWidth {
                row: r,
                expected: w,
                got: row.len(),
            });
        }
        if let Some(c) = row.iter().position(|&t| !is_colour(t)) {
            return Err(LayoutError::NotColour {
                row: r,
                column: c,
                token: row[c],
            });
        }
        image.extend_from_slice(row);
        rows += 1;
    }
    if rows != h {
        return Err(LayoutError::RowCount {
            expected: h,
            got: rows,
        });
    }
    let rest = &rest[iend + 1..];
    let cend = rest
        .iter()
        .position(|&t| t == SEG_SEP)
        .ok_or(LayoutError::MissingSegment("caption"))?;
    let caption = rest[..cend].to_vec();
    if caption.is_empty() {
        return Err(LayoutError::EmptyCaption);
    }
    if let Some(&t) = caption
        .iter()
        .find(|&&t| t == ROW_SEP || token_to_byte(t).is_none())
    {
        return Err(LayoutError::NotText {
            segment: "caption",
            token: t,
        });
    }
    if cend + 1 != rest.len() {
        return Err(LayoutError::Trailing(rest.len() - cend - 1));
    }
    Ok(ParsedItem {
        height,
        width,
        image,
        caption,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pxby_core::vocab::FIRST_COLOUR;
    use pxby_core::vocab::byte_to_token;

    fn sample() -> Vec<u8> {
        let cap = crate::text::normalize("hi there").tokens;
        item_tokens(2, 2, &[FIRST_COLOUR; 4], &cap).unwrap()
    }

    #[test]
    fn layout_bytes() {
        let t = sample();
        let text: String = t
            .iter()
            .map(|&x| token_to_byte(x).map(char::from).unwrap_or('#'))
            .collect();
        assert_eq!(text, "(2, 2)\n##\t##\nhi there\n");
    }

    #[test]
    fn round_trip() {
        let p = parse_item(&sample()).unwrap();
        assert_eq!(p.image, vec![FIRST_COLOUR; 4]);
        assert_eq!(p.caption_text(), "hi there");
    }

    #[test]
    fn rejects_broken_streams() {
        let t = sample();
        assert!(matches!(
            parse_item(&t[..t.len() - 1]),
            Err(LayoutError::MissingSegment("caption"))
        ));
        let mut extra = t.clone();
        extra.push(SEG_SEP);
        assert!(matches!(parse_item(&extra), Err(LayoutError::Trailing(1))));
        let mut wide = t.clone();
        wide.insert(8, FIRST_COLOUR); // first image row gets 3 colours
        assert!(matches!(
            parse_item(&wide),
            Err(LayoutError::RowWidth { row: 0, .. })
        ));
        let mut hdr = t.clone();
        hdr[1] = byte_to_token(b'3').unwrap(); // "(3, 2)" with 2 rows
        assert!(matches!(
            parse_item(&hdr),
            Err(LayoutError::RowCount {
                expected: 3,
                got: 2
            })
        ));
        let mut zero = t.clone();
        zero[1] = byte_to_token(b'0').unwrap();
        assert!(matches!(parse_item(&zero), Err(LayoutError::BadHeader(_))));
        let mut nc = t;
        nc[7] = byte_to_token(b'a').unwrap();
        assert!(matches!(
            parse_item(&nc),
            Err(LayoutError::NotColour {
                row: 0,
                column: 0,
                ..
            })
        ));
    }

    #[test]
    fn rejects_bad_inputs_to_layout() {
        assert!(item_tokens(0, 2, &[], &[32]).is_err());
        assert!(item_tokens(1, 2, &[FIRST_COLOUR], &[32]).is_err());
        assert!(matches!(
            item_tokens(1, 1, &[FIRST_COLOUR], &[]),
            Err(LayoutError::EmptyCaption)
        ));
        assert!(item_tokens(1, 1, &[FIRST_COLOUR], &[FIRST_COLOUR]).is_err());
    }
}

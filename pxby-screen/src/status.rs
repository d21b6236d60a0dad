//! The status line: the run's label, the phase being drawn and the number of tokens received.

use core::fmt::Write as _;

use embedded_graphics::{pixelcolor::Rgb565, prelude::*};
use heapless::String;

use crate::{
    glyph::{draw_text, text_style},
    layout::{LABEL_CAP, STATUS_BAR, STATUS_CHARS, STATUS_FONT, STATUS_X, STATUS_Y, TEXT_W, WIDTH},
    palette::{BAR, BAR_TEXT, DIM},
};

/// The token count as drawn: `{tokens:>6} tok` (at most 10 digits + 4).
const COUNT_CAP: usize = 14;

/// A status label as kept: printable ASCII, each other character `?`, at most [`LABEL_CAP`]
/// characters.
pub(crate) fn label(text: &str) -> String<LABEL_CAP, u8> {
    let mut out = String::new();
    for c in text.chars() {
        let c = if c.is_ascii() && !c.is_ascii_control() {
            c
        } else {
            '?'
        };
        if out.as_mut_view().push(c).is_err() {
            break;
        }
    }
    out
}

/// Draws the whole status line (the bar too before the first token).
pub(crate) fn draw<D: DrawTarget<Color = Rgb565>>(
    d: &mut D,
    label: &str,
    phase: &str,
    tokens: u32,
) -> Result<(), D::Error> {
    let mut left = String::<STATUS_CHARS, u8>::new();
    // Cannot overflow: LABEL_CAP + 1 + 7 < STATUS_CHARS.
    // Written through a view: one `fmt::Write` for every capacity.
    let _ = write!(
        left.as_mut_view(),
        "{label:<width$}{phase:<7}",
        width = LABEL_CAP + 1
    );
    if tokens == 0 {
        // First draw: the whole bar.
        d.fill_solid(&STATUS_BAR, BAR)?;
    }
    draw_text(
        d,
        &left,
        Point::new(STATUS_X, STATUS_Y),
        text_style(STATUS_FONT, DIM, BAR),
    )?;
    draw_count(d, tokens)
}

/// Draws only the token count, right-aligned.
pub(crate) fn draw_count<D: DrawTarget<Color = Rgb565>>(
    d: &mut D,
    tokens: u32,
) -> Result<(), D::Error> {
    let mut right = String::<COUNT_CAP, u8>::new();
    // Cannot overflow: u32 has at most 10 digits.
    let _ = write!(right.as_mut_view(), "{tokens:>6} tok");
    let rx = WIDTH as i32 - STATUS_X - TEXT_W * right.len() as i32;
    draw_text(
        d,
        &right,
        Point::new(rx, STATUS_Y),
        text_style(STATUS_FONT, BAR_TEXT, BAR),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_keep_whole_characters() {
        assert_eq!(label("seed 7").as_str(), "seed 7");
        // One `?` per character, never half a UTF-8 sequence.
        assert_eq!(label("été\n").as_str(), "?t??");
        assert_eq!(label("seed 123456789012345").as_str(), "seed 123456789");
        assert_eq!(label("ééééééééééééééé").len(), LABEL_CAP);
    }
}

//! Where everything sits on the 160x128 screen (pixels):
//!
//! ```text
//!  y   0..11   title bar: the header segment, e.g. "(25, 22)", as it is generated
//!  y  13..88   sprite box (x 2..77, 75x75): the image segment, each colour token drawn as a
//!              scaled-up square at its row/column; the scale comes from the header (h, w)
//!  y  13..85   description, right column (x 81..), word-wrapped, 15 chars x 9 lines
//!  y  90..114  description, continued under the sprite, 31 chars x 3 lines
//!  y 117..128  status line: optional label, phase and the number of tokens received
//! ```

use embedded_graphics::{
    mono_font::{
        MonoFont,
        ascii::{FONT_5X8, FONT_6X10},
    },
    prelude::*,
    primitives::Rectangle,
};

/// Screen width in pixels.
pub const WIDTH: u32 = 160;
/// Screen height in pixels.
pub const HEIGHT: u32 = 128;
/// Number of pixels.
pub const PIXELS: usize = (WIDTH * HEIGHT) as usize;

pub(crate) const TITLE_FONT: &MonoFont<'static> = &FONT_6X10;
pub(crate) const TEXT_FONT: &MonoFont<'static> = &FONT_5X8;
pub(crate) const STATUS_FONT: &MonoFont<'static> = &FONT_5X8;

pub(crate) const TITLE_BAR: Rectangle = Rectangle::new(Point::new(0, 0), Size::new(WIDTH, 11));
pub(crate) const TITLE_X: i32 = 2;
pub(crate) const TITLE_Y: i32 = 1;
/// Characters of the header segment that fit in the title bar.
pub(crate) const TITLE_CHARS: u32 = (WIDTH - 4) / 6;

/// Top-left corner and side of the square sprite box.
pub(crate) const SPRITE_X: i32 = 2;
pub(crate) const SPRITE_Y: i32 = 13;
pub(crate) const SPRITE_SIDE: u32 = 75;
/// Largest scale-up of one sprite pixel.
pub(crate) const MAX_SCALE: u32 = 6;
/// Scale used when the header does not say the sprite's size.
pub(crate) const DEFAULT_SCALE: u32 = 3;

pub(crate) const TEXT_W: i32 = 5;
pub(crate) const TEXT_H: i32 = 8;
pub(crate) const RIGHT_X: i32 = 81;
pub(crate) const RIGHT_Y: i32 = 13;
pub(crate) const RIGHT_COLS: u8 = 15;
pub(crate) const RIGHT_LINES: u8 = 9;
pub(crate) const BELOW_X: i32 = 2;
pub(crate) const BELOW_Y: i32 = 90;
pub(crate) const BELOW_COLS: u8 = 31;
pub(crate) const BELOW_LINES: u8 = 3;
pub(crate) const TEXT_LINES: u8 = RIGHT_LINES + BELOW_LINES;
/// Longest word kept for re-flowing onto the next line.
pub(crate) const WORD_CAP: usize = BELOW_COLS as usize;

pub(crate) const STATUS_BAR: Rectangle = Rectangle::new(Point::new(0, 117), Size::new(WIDTH, 11));
pub(crate) const STATUS_X: i32 = 2;
pub(crate) const STATUS_Y: i32 = 119;
pub(crate) const STATUS_CHARS: usize = ((WIDTH as i32 - 2 * STATUS_X) / TEXT_W) as usize;
/// Longest status label kept.
pub const LABEL_CAP: usize = 14;

/// The sprite box.
pub(crate) fn sprite_box() -> Rectangle {
    Rectangle::new(Point::new(SPRITE_X, SPRITE_Y), Size::new_equal(SPRITE_SIDE))
}

/// Top-left corner and width in characters of description line `line`, `None` past the last.
pub(crate) fn text_line(line: u8) -> Option<(Point, u8)> {
    if line < RIGHT_LINES {
        Some((
            Point::new(RIGHT_X, RIGHT_Y + TEXT_H * i32::from(line)),
            RIGHT_COLS,
        ))
    } else if line < TEXT_LINES {
        Some((
            Point::new(BELOW_X, BELOW_Y + TEXT_H * i32::from(line - RIGHT_LINES)),
            BELOW_COLS,
        ))
    } else {
        None
    }
}

/// Longest header segment the screen keeps (the characters that fit in the title bar); a
/// longer one is not a size.
pub const HEADER_CAP: usize = TITLE_CHARS as usize;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_do_not_overlap_and_fit_the_screen() {
        let screen = Rectangle::new(Point::zero(), Size::new(WIDTH, HEIGHT));
        let mut areas = std::vec![TITLE_BAR, sprite_box(), STATUS_BAR];
        for line in 0..TEXT_LINES {
            let (p, cols) = text_line(line).unwrap();
            areas.push(Rectangle::new(
                p,
                Size::new(TEXT_W as u32 * u32::from(cols), TEXT_H as u32),
            ));
        }
        assert_eq!(text_line(TEXT_LINES), None);
        for (i, a) in areas.iter().enumerate() {
            assert_eq!(screen.intersection(a), *a, "area {i} leaves the screen");
            for (j, b) in areas.iter().enumerate().skip(i + 1) {
                assert!(
                    a.intersection(b).is_zero_sized(),
                    "areas {i} and {j} overlap"
                );
            }
        }
        assert_eq!(TITLE_CHARS, 26);
        assert_eq!(STATUS_CHARS, 31);
    }
}

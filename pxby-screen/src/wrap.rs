//! The description, word-wrapped into the text lines of the layout as its bytes arrive: a word
//! that outgrows its line moves to the next one (erased and redrawn there) when it started after
//! a space, else it is broken; past the last line nothing more is drawn.

use embedded_graphics::{pixelcolor::Rgb565, prelude::*, primitives::Rectangle};

use crate::{
    glyph::{draw_char, printable},
    layout::{TEXT_FONT, TEXT_H, TEXT_W, WORD_CAP, text_line},
    palette::{BACKGROUND, TEXT},
};

/// Where the next character of the description goes, and the word being written.
#[derive(Clone, Debug)]
pub(crate) struct TextWrap {
    /// Line of the layout's text area.
    pub(crate) line: u8,
    /// Column of the next character.
    pub(crate) col: u8,
    /// The glyphs of the current word (its first [`WORD_CAP`]).
    word: [u8; WORD_CAP],
    word_len: u8,
    /// Column where the current word started.
    word_start: u8,
    /// The text area is full: nothing more is drawn.
    pub(crate) full: bool,
}

impl TextWrap {
    /// An empty text area.
    pub(crate) const fn new() -> Self {
        Self {
            line: 0,
            col: 0,
            word: [0; WORD_CAP],
            word_len: 0,
            word_start: 0,
            full: false,
        }
    }

    /// A word break: ends the current word and leaves one column blank (none at the start or
    /// end of a line).
    pub(crate) fn space(&mut self) {
        self.word_len = 0;
        if self.full {
            return;
        }
        if let Some((_, cols)) = text_line(self.line)
            && self.col > 0
            && self.col < cols
        {
            self.col += 1;
        }
        self.word_start = self.col;
    }

    fn new_line(&mut self) -> bool {
        self.line += 1;
        self.col = 0;
        self.word_start = 0;
        if text_line(self.line).is_none() {
            self.full = true;
        }
        !self.full
    }

    /// Draws one character of a word (non-printable bytes as `?`).
    pub(crate) fn char<D: DrawTarget<Color = Rgb565>>(
        &mut self,
        byte: u8,
        d: &mut D,
    ) -> Result<(), D::Error> {
        if self.full {
            return Ok(());
        }
        let Some((_, cols)) = text_line(self.line) else {
            self.full = true;
            return Ok(());
        };
        if self.col >= cols {
            // The word does not fit: move it to the next line when it started after a space
            // and fits on that line, else break it here.
            let start = self.word_start;
            let len = self.word_len;
            let moved = start > 0 && usize::from(len) < WORD_CAP;
            if moved && let Some((origin, _)) = text_line(self.line) {
                let erase = Rectangle::new(
                    origin + Point::new(TEXT_W * i32::from(start), 0),
                    Size::new((TEXT_W * i32::from(len)) as u32, TEXT_H as u32),
                );
                d.fill_solid(&erase, BACKGROUND)?;
            }
            if !self.new_line() {
                return Ok(());
            }
            if moved {
                let Some((origin, next_cols)) = text_line(self.line) else {
                    return Ok(());
                };
                let n = len.min(next_cols);
                for i in 0..n {
                    let p = origin + Point::new(TEXT_W * i32::from(i), 0);
                    draw_char(d, self.word[usize::from(i)], p, TEXT_FONT, TEXT, BACKGROUND)?;
                }
                self.col = n;
            } else {
                self.word_len = 0;
            }
        }
        let Some((origin, _)) = text_line(self.line) else {
            return Ok(());
        };
        let p = origin + Point::new(TEXT_W * i32::from(self.col), 0);
        draw_char(d, printable(byte), p, TEXT_FONT, TEXT, BACKGROUND)?;
        if usize::from(self.word_len) < WORD_CAP {
            self.word[usize::from(self.word_len)] = printable(byte);
            self.word_len += 1;
        }
        self.col += 1;
        Ok(())
    }
}

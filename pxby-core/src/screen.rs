//! The 160x128 demo screen, drawn progressively as tokens arrive (feature `embedded-graphics`).
//!
//! One piece of drawing code for every display: the firmware draws into the handheld's ST7735
//! (or, in QEMU, into the compact [`IndexedFramebuffer`]), and the host preview of
//! `pxby generate` draws into `embedded-graphics-simulator`. Because [`Screen`] only talks to a
//! [`DrawTarget<Color = Rgb565>`](DrawTarget) and uses integer maths, every target ends up with
//! exactly the same pixels.
//!
//! Layout (pixels):
//!
//! ```text
//!  y   0..11   title bar: the header segment, e.g. "(25, 22)", as it is generated
//!  y  13..88   sprite box (x 2..77, 75x75): the image segment, each colour token drawn as a
//!              scaled-up square at its row/column; the scale comes from the header (h, w)
//!  y  13..85   description, right column (x 81..), word-wrapped, 16 chars x 9 lines
//!  y  90..114  description, continued under the sprite, 31 chars x 3 lines
//!  y 117..128  status line: optional label, phase and the number of tokens received
//! ```
//!
//! ```
//! use pxby_core::screen::{IndexedFramebuffer, Screen, Phase};
//! use pxby_core::vocab::{byte_to_token, colour_to_token, SEG_SEP};
//!
//! let mut fb = IndexedFramebuffer::new();
//! let mut screen = Screen::new();
//! screen.draw_frame(&mut fb).unwrap();
//! for &b in b"(1, 1)" {
//!     screen.push(byte_to_token(b).unwrap(), &mut fb).unwrap();
//! }
//! screen.push(SEG_SEP, &mut fb).unwrap();
//! assert_eq!(screen.phase(), Phase::Sprite);
//! screen.push(colour_to_token(0).unwrap(), &mut fb).unwrap(); // one black pixel
//! assert_eq!(screen.tokens(), 8);
//! ```

use core::fmt::Write as _;

use embedded_graphics::{
    mono_font::{
        MonoFont, MonoTextStyle, MonoTextStyleBuilder,
        ascii::{FONT_5X8, FONT_6X10},
    },
    pixelcolor::{Rgb565, Rgb888, raw::RawU16},
    prelude::*,
    primitives::Rectangle,
    text::{Baseline, Text},
};

use crate::vocab::{self, PALETTE, ROW_SEP, SEG_SEP, Symbol};

/// Screen width in pixels.
pub const WIDTH: u32 = 160;
/// Screen height in pixels.
pub const HEIGHT: u32 = 128;
/// Number of pixels.
pub const PIXELS: usize = (WIDTH * HEIGHT) as usize;

/// Background of the whole screen.
pub const BACKGROUND: Rgb565 = Rgb565::new(2, 4, 3);
/// Title and status bars.
pub const BAR: Rgb565 = Rgb565::new(4, 10, 12);
/// Text in the title and status bars.
pub const BAR_TEXT: Rgb565 = Rgb565::new(31, 56, 8);
/// Description text.
pub const TEXT: Rgb565 = Rgb565::new(29, 59, 29);
/// Empty sprite box (before pixels arrive; where the sprite does not reach).
pub const SPRITE_BOX: Rgb565 = Rgb565::new(6, 12, 6);
/// Status text that is not the token count.
pub const DIM: Rgb565 = Rgb565::new(20, 42, 22);

/// The user-interface colours, in the order they follow the 55 NES colours in
/// [`SCREEN_PALETTE`].
pub const UI_COLOURS: [Rgb565; 6] = [BACKGROUND, BAR, BAR_TEXT, TEXT, SPRITE_BOX, DIM];

/// Every colour the screen ever draws: the 55 NES palette colours (as `Rgb565`), then
/// [`UI_COLOURS`]. [`IndexedFramebuffer`] stores one index into this table per pixel.
pub const SCREEN_PALETTE: [Rgb565; vocab::COLOURS + UI_COLOURS.len()] = screen_palette();

const fn screen_palette() -> [Rgb565; vocab::COLOURS + UI_COLOURS.len()] {
    let mut out = [Rgb565::BLACK; vocab::COLOURS + UI_COLOURS.len()];
    let mut i = 0;
    while i < vocab::COLOURS {
        out[i] = nes_rgb565(i);
        i += 1;
    }
    let mut j = 0;
    while j < UI_COLOURS.len() {
        out[vocab::COLOURS + j] = UI_COLOURS[j];
        j += 1;
    }
    out
}

/// The `Rgb565` value of NES palette colour `index` (`0..55`), as embedded-graphics converts
/// `Rgb888` (rounded, integer maths).
const fn nes_rgb565(index: usize) -> Rgb565 {
    // `From<Rgb888> for Rgb565` is not const; this is the same rounding it uses:
    // round(v * max / 255) computed as in embedded-graphics-core's `convert_channel`.
    const fn ch(v: u8, max: u32) -> u8 {
        const SHIFT: u32 = 24;
        let r = v as u32 * ((max << SHIFT) / 255);
        ((r + (1 << (SHIFT - 1))) >> SHIFT) as u8
    }
    let [r, g, b] = PALETTE[index];
    Rgb565::new(ch(r, 31), ch(g, 63), ch(b, 31))
}

/// The `Rgb565` colour of a colour token, `None` for byte tokens.
pub fn token_rgb565(token: u8) -> Option<Rgb565> {
    vocab::token_to_colour(token).map(|[r, g, b]| Rgb565::from(Rgb888::new(r, g, b)))
}

const TITLE_FONT: &MonoFont<'static> = &FONT_6X10;
const TEXT_FONT: &MonoFont<'static> = &FONT_5X8;
const STATUS_FONT: &MonoFont<'static> = &FONT_5X8;

const TITLE_BAR: Rectangle = Rectangle::new(Point::new(0, 0), Size::new(WIDTH, 11));
const TITLE_X: i32 = 2;
const TITLE_Y: i32 = 1;
/// Characters of the header segment that fit in the title bar.
const TITLE_CHARS: u32 = (WIDTH - 4) / 6;

/// Top-left corner and side of the square sprite box.
const SPRITE_X: i32 = 2;
const SPRITE_Y: i32 = 13;
const SPRITE_SIDE: u32 = 75;
/// Largest scale-up of one sprite pixel.
const MAX_SCALE: u32 = 6;
/// Scale used when the header does not say the sprite's size.
const DEFAULT_SCALE: u32 = 3;

const TEXT_W: i32 = 5;
const TEXT_H: i32 = 8;
const RIGHT_X: i32 = 81;
const RIGHT_Y: i32 = 13;
const RIGHT_COLS: u8 = 15;
const RIGHT_LINES: u8 = 9;
const BELOW_X: i32 = 2;
const BELOW_Y: i32 = 90;
const BELOW_COLS: u8 = 31;
const BELOW_LINES: u8 = 3;
const TEXT_LINES: u8 = RIGHT_LINES + BELOW_LINES;
/// Longest word kept for re-flowing onto the next line.
const WORD_CAP: usize = BELOW_COLS as usize;

const STATUS_BAR: Rectangle = Rectangle::new(Point::new(0, 117), Size::new(WIDTH, 11));
const STATUS_X: i32 = 2;
const STATUS_Y: i32 = 119;
const STATUS_CHARS: usize = ((WIDTH as i32 - 2 * STATUS_X) / TEXT_W) as usize;
/// Longest status label kept.
pub const LABEL_CAP: usize = 14;

/// Which segment the screen is drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The header, e.g. `(25, 22)`.
    Header,
    /// The image rows.
    Sprite,
    /// The description.
    Caption,
    /// All three segments are complete (or [`Screen::finish`] was called).
    Done,
}

impl Phase {
    const fn label(self) -> &'static str {
        match self {
            Phase::Header => "header",
            Phase::Sprite => "sprite",
            Phase::Caption => "text",
            Phase::Done => "done",
        }
    }
}

/// Small fixed-capacity ASCII line buffer (no heap), for formatting the status line.
struct Line<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Line<N> {
    const fn new() -> Self {
        Self {
            buf: [b' '; N],
            len: 0,
        }
    }
    fn as_str(&self) -> &str {
        // Only ASCII is ever written (see `write_str`).
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> core::fmt::Write for Line<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for b in s.bytes() {
            if self.len == N {
                break;
            }
            self.buf[self.len] = if b.is_ascii() { b } else { b'?' };
            self.len += 1;
        }
        Ok(())
    }
}

/// The screen state machine: feed it every token of the stream (prompt included) with
/// [`Screen::push`]; it draws the header, the sprite pixel by pixel and the word-wrapped
/// description, and keeps the status line's token count current.
#[derive(Clone, Debug)]
pub struct Screen {
    phase: Phase,
    tokens: u32,
    label: [u8; LABEL_CAP],
    label_len: u8,
    // Header segment.
    title_len: u32,
    dims: [u16; 2],
    dim_index: u8,
    dim_digits: bool,
    dims_ok: bool,
    dims_closed: bool,
    // Sprite segment.
    scale: u32,
    origin: Point,
    row: u32,
    col: u32,
    // Caption segment.
    line: u8,
    col_text: u8,
    word: [u8; WORD_CAP],
    word_len: u8,
    word_start: u8,
    text_full: bool,
}

impl Default for Screen {
    fn default() -> Self {
        Self::new()
    }
}

impl Screen {
    /// A fresh screen with an empty status label.
    pub const fn new() -> Self {
        Self {
            phase: Phase::Header,
            tokens: 0,
            label: [0; LABEL_CAP],
            label_len: 0,
            title_len: 0,
            dims: [0; 2],
            dim_index: 0,
            dim_digits: false,
            dims_ok: false,
            dims_closed: false,
            scale: DEFAULT_SCALE,
            origin: Point::new(SPRITE_X, SPRITE_Y),
            row: 0,
            col: 0,
            line: 0,
            col_text: 0,
            word: [0; WORD_CAP],
            word_len: 0,
            word_start: 0,
            text_full: false,
        }
    }

    /// A fresh screen whose status line starts with `label` (e.g. `"seed 42"`); non-ASCII
    /// characters become `?` and only the first [`LABEL_CAP`] bytes are kept.
    pub fn with_label(label: &str) -> Self {
        let mut s = Self::new();
        for (dst, b) in s.label.iter_mut().zip(label.bytes()) {
            *dst = if b.is_ascii() && !b.is_ascii_control() {
                b
            } else {
                b'?'
            };
            s.label_len += 1;
        }
        s
    }

    /// The segment being drawn.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Tokens received so far.
    pub fn tokens(&self) -> u32 {
        self.tokens
    }

    /// The sprite size `(h, w)` read from the header, once the header is complete and valid.
    pub fn sprite_size(&self) -> Option<(u16, u16)> {
        self.dims_ok.then_some((self.dims[0], self.dims[1]))
    }

    /// The side of one scaled-up sprite pixel.
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// Whether the description was longer than its area (the rest is not drawn).
    pub fn text_truncated(&self) -> bool {
        self.text_full
    }

    /// Clears the display and draws the empty layout and status line.
    pub fn draw_frame<D: DrawTarget<Color = Rgb565>>(&self, d: &mut D) -> Result<(), D::Error> {
        d.clear(BACKGROUND)?;
        d.fill_solid(&TITLE_BAR, BAR)?;
        d.fill_solid(&sprite_box(), SPRITE_BOX)?;
        self.draw_status(d)
    }

    /// Feeds one token: draws what it adds and updates the status line.
    pub fn push<D: DrawTarget<Color = Rgb565>>(
        &mut self,
        token: u8,
        d: &mut D,
    ) -> Result<(), D::Error> {
        self.tokens = self.tokens.saturating_add(1);
        let phase = self.phase;
        match self.phase {
            Phase::Header => self.push_header(token, d)?,
            Phase::Sprite => self.push_sprite(token, d)?,
            Phase::Caption => self.push_caption(token, d)?,
            Phase::Done => {}
        }
        if self.phase == phase {
            // Only the count changed: redraw just that (the label and phase stay).
            self.draw_count(d)
        } else {
            self.draw_status(d)
        }
    }

    /// Ends the stream (e.g. when the token budget ran out): marks the screen done and redraws
    /// the status line. Further tokens are counted but not drawn.
    pub fn finish<D: DrawTarget<Color = Rgb565>>(&mut self, d: &mut D) -> Result<(), D::Error> {
        self.phase = Phase::Done;
        self.draw_status(d)
    }

    fn push_header<D: DrawTarget<Color = Rgb565>>(
        &mut self,
        token: u8,
        d: &mut D,
    ) -> Result<(), D::Error> {
        if token == SEG_SEP {
            self.dims_ok &= self.dim_index == 1 && self.dim_digits;
            self.start_sprite();
            return Ok(());
        }
        let byte = match vocab::decode(token) {
            Some(Symbol::Byte(b)) => b,
            // A colour in the header: the header cannot be a size any more.
            _ => {
                self.dims_ok = false;
                self.dim_index = 2;
                return Ok(());
            }
        };
        self.parse_header_byte(byte);
        if self.title_len < TITLE_CHARS {
            let x = TITLE_X + 6 * self.title_len as i32;
            draw_char(
                d,
                printable(byte),
                Point::new(x, TITLE_Y),
                TITLE_FONT,
                BAR_TEXT,
                BAR,
            )?;
            self.title_len += 1;
        }
        Ok(())
    }

    /// Accepts exactly `(h, w)`: '(' digits ',' ' ' digits ')' (spaces after the comma optional).
    fn parse_header_byte(&mut self, b: u8) {
        // dim_index: 0 = in h, 1 = in w, 2 = invalid; dims_ok: '(' seen and nothing wrong yet.
        if self.dim_index >= 2 {
            return;
        }
        let first = self.title_len == 0;
        match b {
            b'(' if first => self.dims_ok = true,
            b'0'..=b'9' if self.dims_ok && !self.closed() => {
                let v = &mut self.dims[self.dim_index as usize];
                *v = v.saturating_mul(10).saturating_add(u16::from(b - b'0'));
                self.dim_digits = true;
            }
            b',' if self.dims_ok && self.dim_index == 0 && self.dim_digits => {
                self.dim_index = 1;
                self.dim_digits = false;
            }
            b' ' if self.dims_ok && self.dim_index == 1 && !self.dim_digits => {}
            b')' if self.dims_ok && self.dim_index == 1 && self.dim_digits && !self.closed() => {
                self.dims_closed = true;
            }
            _ => {
                self.dims_ok = false;
                self.dim_index = 2;
            }
        }
    }

    fn closed(&self) -> bool {
        self.dims_closed
    }

    fn start_sprite(&mut self) {
        self.phase = Phase::Sprite;
        self.dims_ok &= self.closed() && self.dims[0] > 0 && self.dims[1] > 0;
        if self.dims_ok {
            let (h, w) = (u32::from(self.dims[0]), u32::from(self.dims[1]));
            let scale = (SPRITE_SIDE / h.max(w)).clamp(1, MAX_SCALE);
            self.scale = scale;
            let dx = SPRITE_SIDE.saturating_sub(w * scale) / 2;
            let dy = SPRITE_SIDE.saturating_sub(h * scale) / 2;
            self.origin = Point::new(SPRITE_X + dx as i32, SPRITE_Y + dy as i32);
        }
    }

    fn push_sprite<D: DrawTarget<Color = Rgb565>>(
        &mut self,
        token: u8,
        d: &mut D,
    ) -> Result<(), D::Error> {
        match token {
            SEG_SEP => {
                self.phase = Phase::Caption;
                return Ok(());
            }
            ROW_SEP => {
                self.row = self.row.saturating_add(1);
                self.col = 0;
                return Ok(());
            }
            _ => {}
        }
        if let Some(colour) = token_rgb565(token) {
            let s = self.scale;
            let x = self.col.saturating_mul(s);
            let y = self.row.saturating_mul(s);
            // Only whole cells inside the sprite box are drawn.
            let (ox, oy) = (self.origin.x - SPRITE_X, self.origin.y - SPRITE_Y);
            if (ox as u32) + x + s <= SPRITE_SIDE && (oy as u32) + y + s <= SPRITE_SIDE {
                let cell = Rectangle::new(
                    self.origin + Point::new(x as i32, y as i32),
                    Size::new_equal(s),
                );
                d.fill_solid(&cell, colour)?;
            }
        }
        // A byte token inside the image still takes a column (as in the context rule).
        self.col = self.col.saturating_add(1);
        Ok(())
    }

    fn push_caption<D: DrawTarget<Color = Rgb565>>(
        &mut self,
        token: u8,
        d: &mut D,
    ) -> Result<(), D::Error> {
        let byte = match vocab::decode(token) {
            Some(Symbol::Byte(b)) => b,
            _ => return Ok(()),
        };
        match byte {
            b'\n' => {
                self.phase = Phase::Done;
                Ok(())
            }
            // 0xC2 is the lead byte of U+00A0 (no-break space): the 0xA0 that follows is the space.
            0x00 | 0xC2 => Ok(()),
            b' ' | b'\t' | 0xA0 => {
                self.space();
                Ok(())
            }
            b => self.text_char(b, d),
        }
    }

    fn line_geometry(line: u8) -> Option<(Point, u8)> {
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

    fn space(&mut self) {
        self.word_len = 0;
        if self.text_full {
            return;
        }
        if let Some((_, cols)) = Self::line_geometry(self.line)
            && self.col_text > 0
            && self.col_text < cols
        {
            self.col_text += 1;
        }
        self.word_start = self.col_text;
    }

    fn new_line(&mut self) -> bool {
        self.line += 1;
        self.col_text = 0;
        self.word_start = 0;
        if Self::line_geometry(self.line).is_none() {
            self.text_full = true;
        }
        !self.text_full
    }

    fn text_char<D: DrawTarget<Color = Rgb565>>(
        &mut self,
        byte: u8,
        d: &mut D,
    ) -> Result<(), D::Error> {
        if self.text_full {
            return Ok(());
        }
        let Some((_, cols)) = Self::line_geometry(self.line) else {
            self.text_full = true;
            return Ok(());
        };
        if self.col_text >= cols {
            // The word does not fit: move it to the next line when it started after a space
            // and fits on that line, else break it here.
            let start = self.word_start;
            let len = self.word_len;
            let moved = start > 0 && usize::from(len) < WORD_CAP;
            if moved && let Some((origin, _)) = Self::line_geometry(self.line) {
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
                let Some((origin, next_cols)) = Self::line_geometry(self.line) else {
                    return Ok(());
                };
                let n = len.min(next_cols);
                for i in 0..n {
                    let p = origin + Point::new(TEXT_W * i32::from(i), 0);
                    draw_char(d, self.word[usize::from(i)], p, TEXT_FONT, TEXT, BACKGROUND)?;
                }
                self.col_text = n;
            } else {
                self.word_len = 0;
            }
        }
        let Some((origin, _)) = Self::line_geometry(self.line) else {
            return Ok(());
        };
        let p = origin + Point::new(TEXT_W * i32::from(self.col_text), 0);
        draw_char(d, printable(byte), p, TEXT_FONT, TEXT, BACKGROUND)?;
        if usize::from(self.word_len) < WORD_CAP {
            self.word[usize::from(self.word_len)] = printable(byte);
            self.word_len += 1;
        }
        self.col_text += 1;
        Ok(())
    }

    fn draw_status<D: DrawTarget<Color = Rgb565>>(&self, d: &mut D) -> Result<(), D::Error> {
        let mut left = Line::<STATUS_CHARS>::new();
        let label = core::str::from_utf8(&self.label[..usize::from(self.label_len)]).unwrap_or("");
        let _ = write!(
            left,
            "{label:<width$}{:<7}",
            self.phase.label(),
            width = LABEL_CAP + 1
        );
        if self.tokens == 0 {
            // First draw: the whole bar.
            d.fill_solid(&STATUS_BAR, BAR)?;
        }
        Text::with_baseline(
            left.as_str(),
            Point::new(STATUS_X, STATUS_Y),
            text_style(STATUS_FONT, DIM, BAR),
            Baseline::Top,
        )
        .draw(d)?;
        self.draw_count(d)
    }

    fn draw_count<D: DrawTarget<Color = Rgb565>>(&self, d: &mut D) -> Result<(), D::Error> {
        let mut right = Line::<12>::new();
        let _ = write!(right, "{:>6} tok", self.tokens);
        let rx = WIDTH as i32 - STATUS_X - TEXT_W * right.len as i32;
        Text::with_baseline(
            right.as_str(),
            Point::new(rx, STATUS_Y),
            text_style(STATUS_FONT, BAR_TEXT, BAR),
            Baseline::Top,
        )
        .draw(d)?;
        Ok(())
    }
}

fn sprite_box() -> Rectangle {
    Rectangle::new(Point::new(SPRITE_X, SPRITE_Y), Size::new_equal(SPRITE_SIDE))
}

fn text_style(
    font: &'static MonoFont<'static>,
    fg: Rgb565,
    bg: Rgb565,
) -> MonoTextStyle<'static, Rgb565> {
    MonoTextStyleBuilder::new()
        .font(font)
        .text_color(fg)
        .background_color(bg)
        .build()
}

/// The glyph drawn for a vocabulary byte: printable ASCII as is, anything else as `?`.
fn printable(b: u8) -> u8 {
    if b.is_ascii_graphic() || b == b' ' {
        b
    } else {
        b'?'
    }
}

fn draw_char<D: DrawTarget<Color = Rgb565>>(
    d: &mut D,
    ascii: u8,
    at: Point,
    font: &'static MonoFont<'static>,
    fg: Rgb565,
    bg: Rgb565,
) -> Result<(), D::Error> {
    let buf = [ascii];
    let s = core::str::from_utf8(&buf).unwrap_or("?");
    Text::with_baseline(s, at, text_style(font, fg, bg), Baseline::Top).draw(d)?;
    Ok(())
}

/// A colour that is not in [`SCREEN_PALETTE`] was drawn into an [`IndexedFramebuffer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownColour(pub Rgb565);

impl core::fmt::Display for UnknownColour {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "colour {:#06x} is not in the screen palette",
            self.0.into_storage()
        )
    }
}

/// A 160x128 framebuffer of one byte per pixel, indexing [`SCREEN_PALETTE`]: 20 KiB instead of
/// the 40 KiB of plain `Rgb565`, for boards whose RAM is tight (the QEMU demo). Drawing a colour
/// outside the palette is an error ([`UnknownColour`]), so nothing is silently changed.
pub struct IndexedFramebuffer {
    pixels: [u8; PIXELS],
    // Last colour looked up and its index: fills and glyphs repeat colours.
    cache: (u16, u8),
}

impl Default for IndexedFramebuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl IndexedFramebuffer {
    /// A framebuffer filled with palette index 0.
    pub const fn new() -> Self {
        Self {
            pixels: [0; PIXELS],
            cache: (0, 0),
        }
    }

    /// The palette indices, row-major.
    pub fn indices(&self) -> &[u8; PIXELS] {
        &self.pixels
    }

    /// The colour at `(x, y)`, `None` outside the screen.
    pub fn pixel(&self, x: u32, y: u32) -> Option<Rgb565> {
        if x < WIDTH && y < HEIGHT {
            let i = self.pixels[(y * WIDTH + x) as usize];
            SCREEN_PALETTE.get(usize::from(i)).copied()
        } else {
            None
        }
    }

    /// Writes the pixels of rows `rows` as RGB565 little-endian, row-major, into `out`
    /// (2 bytes per pixel); returns the number of bytes written (limited by `out`'s length,
    /// rounded down to whole pixels).
    pub fn rgb565_le(&self, first_pixel: usize, out: &mut [u8]) -> usize {
        let mut n = 0;
        for (chunk, &i) in out
            .chunks_exact_mut(2)
            .zip(self.pixels.iter().skip(first_pixel))
        {
            let raw = SCREEN_PALETTE
                .get(usize::from(i))
                .map_or(0, |c| c.into_storage());
            chunk.copy_from_slice(&raw.to_le_bytes());
            n += 2;
        }
        n
    }

    fn index_of(&mut self, colour: Rgb565) -> Result<u8, UnknownColour> {
        let raw = colour.into_storage();
        if self.cache.0 == raw && SCREEN_PALETTE[usize::from(self.cache.1)] == colour {
            return Ok(self.cache.1);
        }
        let i = SCREEN_PALETTE
            .iter()
            .position(|&c| c == colour)
            .ok_or(UnknownColour(colour))? as u8;
        self.cache = (raw, i);
        Ok(i)
    }
}

impl OriginDimensions for IndexedFramebuffer {
    fn size(&self) -> Size {
        Size::new(WIDTH, HEIGHT)
    }
}

impl DrawTarget for IndexedFramebuffer {
    type Color = Rgb565;
    type Error = UnknownColour;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(p, c) in pixels {
            if let (Ok(x), Ok(y)) = (u32::try_from(p.x), u32::try_from(p.y))
                && x < WIDTH
                && y < HEIGHT
            {
                let i = self.index_of(c)?;
                self.pixels[(y * WIDTH + x) as usize] = i;
            }
        }
        Ok(())
    }

    fn fill_solid(&mut self, area: &Rectangle, color: Self::Color) -> Result<(), Self::Error> {
        let area = area.intersection(&self.bounding_box());
        let Some(br) = area.bottom_right() else {
            return Ok(());
        };
        let i = self.index_of(color)?;
        for y in area.top_left.y..=br.y {
            let row = (y as u32 * WIDTH) as usize;
            let (x0, x1) = (area.top_left.x as usize, br.x as usize);
            self.pixels[row + x0..=row + x1].fill(i);
        }
        Ok(())
    }
}

/// `RawU16` of a colour (helper for writers of raw RGB565).
pub fn rgb565_raw(c: Rgb565) -> u16 {
    RawU16::from(c).into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{byte_to_token, colour_to_token};
    use std::vec::Vec;

    /// A plain Rgb565 framebuffer, independent of the indexed one.
    struct Plain(Vec<Rgb565>);
    impl Plain {
        fn new() -> Self {
            Plain(std::vec![Rgb565::BLACK; PIXELS])
        }
        fn at(&self, x: u32, y: u32) -> Rgb565 {
            self.0[(y * WIDTH + x) as usize]
        }
    }
    impl OriginDimensions for Plain {
        fn size(&self) -> Size {
            Size::new(WIDTH, HEIGHT)
        }
    }
    impl DrawTarget for Plain {
        type Color = Rgb565;
        type Error = core::convert::Infallible;
        fn draw_iter<I: IntoIterator<Item = Pixel<Rgb565>>>(
            &mut self,
            it: I,
        ) -> Result<(), Self::Error> {
            for Pixel(p, c) in it {
                if p.x >= 0 && p.y >= 0 && (p.x as u32) < WIDTH && (p.y as u32) < HEIGHT {
                    self.0[(p.y as u32 * WIDTH + p.x as u32) as usize] = c;
                }
            }
            Ok(())
        }
    }

    fn text(s: &[u8]) -> impl Iterator<Item = u8> + '_ {
        s.iter().map(|&b| byte_to_token(b).unwrap())
    }

    fn sample_stream() -> Vec<u8> {
        let mut t: Vec<u8> = text(b"(3, 4)").collect();
        t.push(SEG_SEP);
        for r in 0..3u8 {
            for c in 0..4u8 {
                t.push(colour_to_token(usize::from(r * 4 + c) * 3).unwrap());
            }
            t.push(if r == 2 { SEG_SEP } else { ROW_SEP });
        }
        t.extend(text(b"a tiny test creature that keeps writing words until the description wraps onto several lines, even extraordinarily long ones"));
        t.push(SEG_SEP);
        t
    }

    fn render<D: DrawTarget<Color = Rgb565>>(d: &mut D, tokens: &[u8]) -> Screen
    where
        D::Error: core::fmt::Debug,
    {
        let mut s = Screen::with_label("seed 7");
        s.draw_frame(d).unwrap();
        for &t in tokens {
            s.push(t, d).unwrap();
        }
        s
    }

    #[test]
    fn palette_matches_embedded_graphics_conversion() {
        for (i, [r, g, b]) in PALETTE.iter().copied().enumerate() {
            assert_eq!(
                SCREEN_PALETTE[i],
                Rgb565::from(Rgb888::new(r, g, b)),
                "colour {i}"
            );
        }
    }

    #[test]
    fn indexed_and_plain_targets_get_identical_pixels() {
        let tokens = sample_stream();
        let mut fb = IndexedFramebuffer::new();
        let mut plain = Plain::new();
        let a = render(&mut fb, &tokens);
        let b = render(&mut plain, &tokens);
        assert_eq!(a.tokens(), tokens.len() as u32);
        assert_eq!(b.phase(), Phase::Done);
        for y in 0..HEIGHT {
            for x in 0..WIDTH {
                assert_eq!(fb.pixel(x, y), Some(plain.at(x, y)), "pixel ({x}, {y})");
            }
        }
        let mut bytes = std::vec![0u8; PIXELS * 2];
        assert_eq!(fb.rgb565_le(0, &mut bytes), PIXELS * 2);
        assert_eq!(
            u16::from_le_bytes([bytes[2], bytes[3]]),
            rgb565_raw(plain.at(1, 0))
        );
    }

    #[test]
    fn sprite_pixels_land_scaled_at_their_row_and_column() {
        let tokens = sample_stream();
        let mut fb = Plain::new();
        let s = render(&mut fb, &tokens);
        assert_eq!(s.sprite_size(), Some((3, 4)));
        // 75 / 4 = 18, capped at MAX_SCALE.
        assert_eq!(s.scale(), MAX_SCALE);
        let w = 4 * MAX_SCALE;
        let h = 3 * MAX_SCALE;
        let ox = SPRITE_X as u32 + (SPRITE_SIDE - w) / 2;
        let oy = SPRITE_Y as u32 + (SPRITE_SIDE - h) / 2;
        for r in 0..3u32 {
            for c in 0..4u32 {
                let want =
                    token_rgb565(colour_to_token((r * 4 + c) as usize * 3).unwrap()).unwrap();
                for (dx, dy) in [(0, 0), (MAX_SCALE - 1, MAX_SCALE - 1)] {
                    let (x, y) = (ox + c * MAX_SCALE + dx, oy + r * MAX_SCALE + dy);
                    assert_eq!(fb.at(x, y), want, "cell ({r}, {c})");
                }
            }
        }
        // Outside the sprite: the empty box colour.
        assert_eq!(fb.at(ox - 1, oy), SPRITE_BOX);
        assert_eq!(fb.at(ox + w, oy + h), SPRITE_BOX);
    }

    #[test]
    fn progressive_drawing_changes_only_what_the_token_adds() {
        let tokens = sample_stream();
        let mut fb = Plain::new();
        let mut s = Screen::new();
        s.draw_frame(&mut fb).unwrap();
        let mut before = fb.0.clone();
        for &t in &tokens[..8] {
            s.push(t, &mut fb).unwrap();
            before = fb.0.clone();
        }
        // Token 8 is the first pixel: only its cell and the status line may change.
        s.push(tokens[8], &mut fb).unwrap();
        for y in 0..117 {
            for x in 0..WIDTH {
                let i = (y * WIDTH + x) as usize;
                if fb.0[i] != before[i] {
                    let colour = token_rgb565(tokens[8]).unwrap();
                    assert_eq!(fb.0[i], colour, "({x}, {y}) changed to a non-pixel colour");
                }
            }
        }
        assert_eq!(s.tokens(), 9);
    }

    #[test]
    fn description_wraps_at_word_boundaries_and_truncates() {
        let mut s = Screen::new();
        let mut fb = Plain::new();
        s.draw_frame(&mut fb).unwrap();
        s.push(SEG_SEP, &mut fb).unwrap(); // empty header
        s.push(SEG_SEP, &mut fb).unwrap(); // empty image
        assert_eq!(s.sprite_size(), None);
        assert_eq!(s.scale(), DEFAULT_SCALE);
        // "aaaaaaaaaa bbbbbbb": the second word does not fit after the first on a 15-char line.
        for t in text(b"aaaaaaaaaa bbbbbbb") {
            s.push(t, &mut fb).unwrap();
        }
        assert_eq!((s.line, s.col_text), (1, 7));
        // First line: nothing drawn after column 10.
        let y0 = RIGHT_Y as u32;
        for x in (RIGHT_X as u32 + 10 * 5)..(RIGHT_X as u32 + 15 * 5) {
            for y in y0..y0 + 8 {
                assert_eq!(fb.at(x, y), BACKGROUND, "({x}, {y})");
            }
        }
        // Second line starts with the b's (some glyph pixel in the first cell).
        let drawn =
            (0..5).any(|dx| (0..8).any(|dy| fb.at(RIGHT_X as u32 + dx, y0 + 8 + dy) == TEXT));
        assert!(drawn);
        for _ in 0..400 {
            s.push(byte_to_token(b'z').unwrap(), &mut fb).unwrap();
        }
        assert!(s.text_truncated());
        s.push(SEG_SEP, &mut fb).unwrap();
        assert_eq!(s.phase(), Phase::Done);
    }

    #[test]
    fn header_parsing_accepts_only_sizes() {
        for (h, want) in [
            (&b"(25, 22)"[..], Some((25, 22))),
            (b"(7,9)", Some((7, 9))),
            (b"(0, 3)", None),
            (b"(25, 22", None),
            (b"25, 22)", None),
            (b"(25, 22))", None),
            (b"(, 2)", None),
            (b"(2 , 2)", None),
        ] {
            let mut s = Screen::new();
            let mut fb = IndexedFramebuffer::new();
            for t in text(h) {
                s.push(t, &mut fb).unwrap();
            }
            s.push(SEG_SEP, &mut fb).unwrap();
            assert_eq!(
                s.sprite_size(),
                want,
                "{}",
                std::string::String::from_utf8_lossy(h)
            );
        }
    }

    #[test]
    fn oversized_sprites_are_clipped_to_the_box() {
        let mut s = Screen::new();
        let mut fb = IndexedFramebuffer::new();
        s.draw_frame(&mut fb).unwrap();
        for t in text(b"(100, 100)") {
            s.push(t, &mut fb).unwrap();
        }
        s.push(SEG_SEP, &mut fb).unwrap();
        assert_eq!(s.scale(), 1);
        let red = colour_to_token(27).unwrap();
        for _ in 0..100 {
            s.push(red, &mut fb).unwrap();
        }
        let end = SPRITE_X as u32 + SPRITE_SIDE;
        assert_eq!(fb.pixel(end - 1, SPRITE_Y as u32), token_rgb565(red));
        assert_eq!(fb.pixel(end, SPRITE_Y as u32), Some(BACKGROUND));
    }

    #[test]
    fn unknown_colours_are_an_error() {
        let mut fb = IndexedFramebuffer::new();
        let c = Rgb565::new(1, 1, 1);
        assert_eq!(fb.clear(c), Err(UnknownColour(c)));
        assert_eq!(
            Pixel(Point::new(1, 1), c).draw(&mut fb),
            Err(UnknownColour(c))
        );
    }
}

//! The screen state machine: it reads the token stream segment by segment and draws what each
//! token adds (the [layout](crate::layout) says where).

use embedded_graphics::{pixelcolor::Rgb565, prelude::*};
use heapless::{String, Vec};
use pxby_core::vocab::{self, SEG_SEP, Symbol};

use crate::{
    glyph::{draw_char, printable},
    layout::{HEADER_CAP, LABEL_CAP, TITLE_BAR, TITLE_FONT, TITLE_X, TITLE_Y, sprite_box},
    palette::{BACKGROUND, BAR, BAR_TEXT, SPRITE_BOX},
    sprite::SpriteCursor,
    status,
    wrap::TextWrap,
};

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
    /// The phase's word on the status line.
    const fn label(self) -> &'static str {
        match self {
            Phase::Header => "header",
            Phase::Sprite => "sprite",
            Phase::Caption => "text",
            Phase::Done => "done",
        }
    }
}

/// The title bar's text when the header is not a valid size.
pub const NO_SIZE: &str = "(no size)";

/// The screen state machine: feed it every token of the stream (prompt included) with
/// [`Screen::push`]; it draws the header, the sprite pixel by pixel and the word-wrapped
/// description, and keeps the status line's token count current.
#[derive(Clone, Debug)]
pub struct Screen {
    phase: Phase,
    tokens: u32,
    label: String<LABEL_CAP, u8>,
    /// The header segment's bytes so far (also the characters drawn in the title bar).
    header: Vec<u8, HEADER_CAP, u8>,
    /// No colour token in the header and not longer than [`HEADER_CAP`].
    header_ok: bool,
    /// The size read from the complete header.
    size: Option<(u16, u16)>,
    sprite: SpriteCursor,
    text: TextWrap,
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
            label: String::new(),
            header: Vec::new(),
            header_ok: true,
            size: None,
            sprite: SpriteCursor::new(),
            text: TextWrap::new(),
        }
    }

    /// A fresh screen whose status line starts with `label` (e.g. `"seed 42"`); characters
    /// other than printable ASCII become `?` and only the first [`LABEL_CAP`] are kept.
    pub fn with_label(label: &str) -> Self {
        Self {
            label: status::label(label),
            ..Self::new()
        }
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
        self.size
    }

    /// The side of one scaled-up sprite pixel.
    pub fn scale(&self) -> u32 {
        self.sprite.scale
    }

    /// Whether the description was longer than its area (the rest is not drawn).
    pub fn text_truncated(&self) -> bool {
        self.text.full
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
            Phase::Sprite if token == SEG_SEP => self.phase = Phase::Caption,
            Phase::Sprite => self.sprite.push(token, d)?,
            Phase::Caption => self.push_caption(token, d)?,
            Phase::Done => {}
        }
        if self.phase == phase {
            // Only the count changed: redraw just that (the label and phase stay).
            status::draw_count(d, self.tokens)
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
            return self.start_sprite(d);
        }
        let Some(Symbol::Byte(byte)) = vocab::decode(token) else {
            // A colour before any separator: the model skipped the header (free sampling).
            // The image starts here, with no size.
            self.header_ok = false;
            self.start_sprite(d)?;
            return self.sprite.push(token, d);
        };
        let x = TITLE_X + 6 * self.header.len() as i32;
        if self.header.push(byte).is_err() {
            // Longer than the title bar: not drawn, and not a size.
            self.header_ok = false;
            return Ok(());
        }
        draw_char(
            d,
            printable(byte),
            Point::new(x, TITLE_Y),
            TITLE_FONT,
            BAR_TEXT,
            BAR,
        )
    }

    fn start_sprite<D: DrawTarget<Color = Rgb565>>(&mut self, d: &mut D) -> Result<(), D::Error> {
        self.phase = Phase::Sprite;
        self.size = if self.header_ok {
            // The segment's bytes and the separator that ended it: one canonical header.
            let mut reader = pxby_core::header::Reader::new();
            self.header
                .iter()
                .chain(b"\n")
                .try_for_each(|&b| reader.push(b))
                .ok()
                .and_then(|()| reader.size())
        } else {
            None
        };
        match self.size {
            Some((h, w)) => self.sprite = SpriteCursor::sized(h, w),
            None => {
                // No size to show: say so instead of the header's raw bytes, and wrap the
                // image's rows at the box's width so that a stream that never separates its
                // rows still shows its colours.
                self.sprite = SpriteCursor::wrapping();
                d.fill_solid(&TITLE_BAR, BAR)?;
                for (i, &b) in NO_SIZE.as_bytes().iter().enumerate() {
                    let at = Point::new(TITLE_X + 6 * i as i32, TITLE_Y);
                    draw_char(d, b, at, TITLE_FONT, BAR_TEXT, BAR)?;
                }
            }
        }
        Ok(())
    }

    fn push_caption<D: DrawTarget<Color = Rgb565>>(
        &mut self,
        token: u8,
        d: &mut D,
    ) -> Result<(), D::Error> {
        let Some(Symbol::Byte(byte)) = vocab::decode(token) else {
            return Ok(());
        };
        match byte {
            b'\n' => {
                self.phase = Phase::Done;
                Ok(())
            }
            // 0xC2 is the lead byte of U+00A0 (no-break space): the 0xA0 that follows is the space.
            0x00 | 0xC2 => Ok(()),
            b' ' | b'\t' | 0xA0 => {
                self.text.space();
                Ok(())
            }
            b => self.text.char(b, d),
        }
    }

    fn draw_status<D: DrawTarget<Color = Rgb565>>(&self, d: &mut D) -> Result<(), D::Error> {
        status::draw(d, &self.label, self.phase.label(), self.tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        framebuffer::IndexedFramebuffer,
        layout::{
            DEFAULT_SCALE, HEIGHT, MAX_SCALE, PIXELS, RIGHT_X, RIGHT_Y, SPRITE_SIDE, SPRITE_X,
            SPRITE_Y, WIDTH,
        },
        palette::{TEXT, rgb565_raw, token_rgb565},
        sprite::WRAP_COLUMNS,
    };
    use embedded_graphics::{
        mock_display::MockDisplay,
        mono_font::{
            MonoTextStyleBuilder,
            ascii::{FONT_5X8, FONT_6X10},
        },
        primitives::Rectangle,
        text::{Baseline, Text},
    };
    use pxby_core::vocab::{ROW_SEP, byte_to_token, colour_to_token};
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

    /// A 64x64 mock display that catches overdraw, seeing the screen from `corner` on (what
    /// lies outside that window is not checked).
    fn window() -> MockDisplay<Rgb565> {
        let mut d = MockDisplay::new();
        d.set_allow_out_of_bounds_drawing(true);
        d
    }

    fn draw_str(
        d: &mut MockDisplay<Rgb565>,
        s: &str,
        at: Point,
        big: bool,
        fg: Rgb565,
        bg: Rgb565,
    ) {
        let font = if big { &FONT_6X10 } else { &FONT_5X8 };
        let style = MonoTextStyleBuilder::new()
            .font(font)
            .text_color(fg)
            .background_color(bg)
            .build();
        Text::with_baseline(s, at, style, Baseline::Top)
            .draw(d)
            .unwrap();
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
    fn sprite_cells_are_drawn_once_each_scaled_at_their_row_and_column() {
        let tokens = sample_stream();
        let header_and_image = &tokens[..7 + 3 * 5];
        let mut mock = window();
        let mut s = Screen::new();
        for &t in header_and_image {
            s.push(t, &mut mock.translated(Point::new(-SPRITE_X, -SPRITE_Y)))
                .unwrap();
        }
        assert_eq!(s.phase(), Phase::Caption);
        assert_eq!(s.sprite_size(), Some((3, 4)));
        // 75 / 4 = 18, capped at MAX_SCALE; centred in the box.
        assert_eq!(s.scale(), MAX_SCALE);
        let (w, h) = (4 * MAX_SCALE, 3 * MAX_SCALE);
        let (ox, oy) = ((SPRITE_SIDE - w) / 2, (SPRITE_SIDE - h) / 2);
        let mut want = window();
        for r in 0..3u32 {
            for c in 0..4u32 {
                let colour =
                    token_rgb565(colour_to_token((r * 4 + c) as usize * 3).unwrap()).unwrap();
                let cell = Rectangle::new(
                    Point::new((ox + c * MAX_SCALE) as i32, (oy + r * MAX_SCALE) as i32),
                    Size::new_equal(MAX_SCALE),
                );
                want.fill_solid(&cell, colour).unwrap();
            }
        }
        mock.assert_eq(&want);
    }

    #[test]
    fn a_pixel_token_draws_only_its_cell_and_the_count() {
        let tokens = sample_stream();
        let mut fb = Plain::new();
        let mut s = Screen::new();
        s.draw_frame(&mut fb).unwrap();
        for &t in &tokens[..8] {
            s.push(t, &mut fb).unwrap();
        }
        let before = fb.0.clone();
        // Token 8 is the second pixel of the first row: only its cell and the status line may
        // change.
        s.push(tokens[8], &mut fb).unwrap();
        let colour = token_rgb565(tokens[8]).unwrap();
        for y in 0..117 {
            for x in 0..WIDTH {
                let i = (y * WIDTH + x) as usize;
                if fb.0[i] != before[i] {
                    assert_eq!(fb.0[i], colour, "({x}, {y}) changed to a non-pixel colour");
                }
            }
        }
        assert_eq!(s.tokens(), 9);
        // The same token on a mock display: exactly the cell, each pixel once.
        let mut mock = window();
        let mut again = Screen::new();
        for &t in &tokens[..8] {
            again.push(t, &mut Plain::new()).unwrap();
        }
        again
            .push(
                tokens[8],
                &mut mock.translated(Point::new(-SPRITE_X, -SPRITE_Y)),
            )
            .unwrap();
        let (ox, oy) = (
            (SPRITE_SIDE - 4 * MAX_SCALE) / 2,
            (SPRITE_SIDE - 3 * MAX_SCALE) / 2,
        );
        let mut want = window();
        let cell = Rectangle::new(
            Point::new((ox + MAX_SCALE) as i32, oy as i32),
            Size::new_equal(MAX_SCALE),
        );
        want.fill_solid(&cell, colour).unwrap();
        mock.assert_eq(&want);
    }

    /// Free sampling may skip the header or never separate rows: the title bar then says
    /// `(no size)` and the colours wrap at the box's width, in reading order.
    #[test]
    fn a_stream_without_a_size_says_so_and_wraps_its_colours() {
        let colour = |k: usize| colour_to_token(k % 20).unwrap();
        let n = 2 * WRAP_COLUMNS as usize + 3;
        let expected_title = || {
            let mut want = window();
            want.set_allow_overdraw(true);
            want.fill_solid(&TITLE_BAR, BAR).unwrap();
            draw_str(&mut want, NO_SIZE, Point::new(2, 1), true, BAR_TEXT, BAR);
            want
        };
        let expected_sprite = |first: usize| {
            let mut want = window();
            for k in first..n {
                let at = Point::new(
                    (DEFAULT_SCALE * (k as u32 % WRAP_COLUMNS)) as i32,
                    (DEFAULT_SCALE * (k as u32 / WRAP_COLUMNS)) as i32,
                );
                let cell = Rectangle::new(at, Size::new_equal(DEFAULT_SCALE));
                want.fill_solid(&cell, token_rgb565(colour(k)).unwrap())
                    .unwrap();
            }
            want
        };
        // A header of tabs, a separator, then colours with no row separator.
        let mut title = window();
        title.set_allow_overdraw(true);
        let mut s = Screen::new();
        for t in text(b"\t\t").chain([SEG_SEP]) {
            s.push(t, &mut title).unwrap();
        }
        title.assert_eq(&expected_title());
        let mut sprite = window();
        for k in 0..n {
            s.push(
                colour(k),
                &mut sprite.translated(Point::new(-SPRITE_X, -SPRITE_Y)),
            )
            .unwrap();
        }
        sprite.assert_eq(&expected_sprite(0));
        assert_eq!((s.phase(), s.sprite_size()), (Phase::Sprite, None));
        // No header at all: the first colour starts the image.
        let mut s = Screen::new();
        let mut title = window();
        title.set_allow_overdraw(true);
        s.push(colour(0), &mut title).unwrap();
        assert_eq!(s.phase(), Phase::Sprite);
        let mut sprite = window();
        for k in 1..n {
            s.push(
                colour(k),
                &mut sprite.translated(Point::new(-SPRITE_X, -SPRITE_Y)),
            )
            .unwrap();
        }
        sprite.assert_eq(&expected_sprite(1));
    }

    #[test]
    fn the_title_bar_shows_the_header_once_per_pixel() {
        let mut mock = window();
        let mut s = Screen::new();
        for t in text(b"(25, 22)") {
            s.push(t, &mut mock).unwrap();
        }
        let mut want = window();
        draw_str(&mut want, "(25, 22)", Point::new(2, 1), true, BAR_TEXT, BAR);
        mock.assert_eq(&want);
    }

    #[test]
    fn caption_words_are_drawn_once_and_spaces_left_alone() {
        let mut mock = window();
        let mut s = Screen::new();
        let mut sink = Plain::new();
        s.push(SEG_SEP, &mut sink).unwrap();
        s.push(SEG_SEP, &mut sink).unwrap();
        for t in text(b"ab cd") {
            s.push(t, &mut mock.translated(Point::new(-RIGHT_X, -RIGHT_Y)))
                .unwrap();
        }
        let mut want = window();
        draw_str(&mut want, "ab", Point::zero(), false, TEXT, BACKGROUND);
        draw_str(&mut want, "cd", Point::new(15, 0), false, TEXT, BACKGROUND);
        mock.assert_eq(&want);
    }

    #[test]
    fn a_word_that_outgrows_its_line_is_erased_and_redrawn_on_the_next() {
        let mut mock = window();
        mock.set_allow_overdraw(true);
        let mut s = Screen::new();
        let mut sink = Plain::new();
        s.push(SEG_SEP, &mut sink).unwrap();
        s.push(SEG_SEP, &mut sink).unwrap();
        // "bbbbbbb" does not fit after "aaaaaaaaaa " on a 15-column line.
        for t in text(b"aaaaaaaaaa bbbbbbb") {
            s.push(t, &mut mock.translated(Point::new(-RIGHT_X, -RIGHT_Y)))
                .unwrap();
        }
        assert_eq!((s.text.line, s.text.col), (1, 7));
        let mut want = window();
        draw_str(
            &mut want,
            "aaaaaaaaaa",
            Point::zero(),
            false,
            TEXT,
            BACKGROUND,
        );
        // Where the first four b's were: background.
        want.fill_solid(
            &Rectangle::new(Point::new(55, 0), Size::new(20, 8)),
            BACKGROUND,
        )
        .unwrap();
        draw_str(
            &mut want,
            "bbbbbbb",
            Point::new(0, 8),
            false,
            TEXT,
            BACKGROUND,
        );
        mock.assert_eq(&want);
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
        assert_eq!((s.text.line, s.text.col), (1, 7));
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
    fn the_sprite_size_comes_from_a_complete_valid_header() {
        let long = [b'('; HEADER_CAP + 1];
        for (h, want) in [
            (&b"(25, 22)"[..], Some((25, 22))),
            (b"(7, 9)", Some((7, 9))),
            (b"(7,9)", None),
            (b"(07, 9)", None),
            (b"(0, 3)", None),
            (b"(25, 22", None),
            (b"(2 , 2)", None),
            (b"(00000000000000000001, 2)", None),
            (&long[..], None),
        ] {
            let mut s = Screen::new();
            let mut fb = IndexedFramebuffer::new();
            for t in text(h) {
                s.push(t, &mut fb).unwrap();
                assert_eq!(s.sprite_size(), None);
            }
            s.push(SEG_SEP, &mut fb).unwrap();
            let name = std::string::String::from_utf8_lossy(h);
            assert_eq!(s.sprite_size(), want, "{name}");
            assert_eq!(s.phase(), Phase::Sprite, "{name}");
        }
        // A colour token inside the header: not a size.
        let mut s = Screen::new();
        let mut fb = IndexedFramebuffer::new();
        let mut stream: Vec<u8> = text(b"(2, ").collect();
        stream.push(colour_to_token(0).unwrap());
        stream.extend(text(b"2)"));
        stream.push(SEG_SEP);
        for t in stream {
            s.push(t, &mut fb).unwrap();
        }
        assert_eq!(s.sprite_size(), None);
        assert_eq!(s.scale(), DEFAULT_SCALE);
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
    fn the_status_line_keeps_its_label_and_counts_tokens() {
        let mut plain = Plain::new();
        let mut with = Screen::with_label("seed 7");
        with.draw_frame(&mut plain).unwrap();
        let mut other = Plain::new();
        let without = Screen::new();
        without.draw_frame(&mut other).unwrap();
        // The label is drawn in the status bar only.
        let differs = |y0: u32, y1: u32| {
            (y0..y1).any(|y| (0..WIDTH).any(|x| plain.at(x, y) != other.at(x, y)))
        };
        assert!(differs(117, 128));
        assert!(!differs(0, 117));
        with.push(SEG_SEP, &mut plain).unwrap();
        assert_eq!((with.tokens(), with.phase()), (1, Phase::Sprite));
        with.finish(&mut plain).unwrap();
        assert_eq!(with.phase(), Phase::Done);
    }
}

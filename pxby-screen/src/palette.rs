//! Every colour the screen draws: the 55 NES colours of the vocabulary as `Rgb565`, then the
//! six user-interface colours.

use embedded_graphics::pixelcolor::{Rgb565, Rgb888, raw::RawU16};
use embedded_graphics::prelude::*;
use pxby_core::vocab::{self, PALETTE};

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
/// [`UI_COLOURS`]. [`IndexedFramebuffer`](crate::IndexedFramebuffer) stores one index into this
/// table per pixel.
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

/// `RawU16` of a colour (helper for writers of raw RGB565).
pub fn rgb565_raw(c: Rgb565) -> u16 {
    RawU16::from(c).into_inner()
}

/// A screen colour widened to 8 bits per channel, `[r, g, b]`: embedded-graphics'
/// `Rgb888::from(Rgb565)`, the conversion `embedded-graphics-simulator` uses for its PNGs, so a
/// PNG written on the device equals the host preview's.
pub fn rgb888(c: Rgb565) -> [u8; 3] {
    let c = Rgb888::from(c);
    [c.r(), c.g(), c.b()]
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn widening_rounds_like_embedded_graphics_not_bit_replication() {
        // Rounded to the nearest 8-bit value, channel by channel.
        for v in 0..32u8 {
            let [r, _, b] = rgb888(Rgb565::new(v, 0, v));
            let want = ((u32::from(v) * 255 + 15) / 31) as u8;
            assert_eq!((r, b), (want, want), "5-bit {v}");
        }
        for v in 0..64u8 {
            let [_, g, _] = rgb888(Rgb565::new(0, v, 0));
            let want = ((u32::from(v) * 255 + 31) / 63) as u8;
            assert_eq!(g, want, "6-bit {v}");
        }
        // The two rules do disagree on some values (why the firmware's PNG now uses this one).
        let replicate = |v: u8| (v << 3) | (v >> 2);
        assert!((0..32u8).any(|v| rgb888(Rgb565::new(v, 0, 0))[0] != replicate(v)));
    }

    #[test]
    fn token_colours_are_in_the_screen_palette() {
        for (i, &colour) in SCREEN_PALETTE[..vocab::COLOURS].iter().enumerate() {
            let token = vocab::colour_to_token(i).unwrap();
            assert_eq!(token_rgb565(token), Some(colour));
        }
        assert_eq!(token_rgb565(vocab::SEG_SEP), None);
    }
}

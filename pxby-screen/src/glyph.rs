//! Drawing text in the screen's mono fonts, one opaque character cell at a time.

use embedded_graphics::{
    mono_font::{MonoFont, MonoTextStyle, MonoTextStyleBuilder},
    pixelcolor::Rgb565,
    prelude::*,
    text::{Baseline, Text},
};

/// `font` in `fg` on an opaque `bg`.
pub(crate) fn text_style(
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
pub(crate) fn printable(b: u8) -> u8 {
    if b.is_ascii_graphic() || b == b' ' {
        b
    } else {
        b'?'
    }
}

/// Draws `text` with its top-left corner at `at`.
pub(crate) fn draw_text<D: DrawTarget<Color = Rgb565>>(
    d: &mut D,
    text: &str,
    at: Point,
    style: MonoTextStyle<'static, Rgb565>,
) -> Result<(), D::Error> {
    Text::with_baseline(text, at, style, Baseline::Top).draw(d)?;
    Ok(())
}

/// Draws one ASCII character cell with its top-left corner at `at`.
pub(crate) fn draw_char<D: DrawTarget<Color = Rgb565>>(
    d: &mut D,
    ascii: u8,
    at: Point,
    font: &'static MonoFont<'static>,
    fg: Rgb565,
    bg: Rgb565,
) -> Result<(), D::Error> {
    let buf = [ascii];
    let s = core::str::from_utf8(&buf).unwrap_or("?");
    draw_text(d, s, at, text_style(font, fg, bg))
}

//! Contact sheets: the pixelated sprites of a dataset, scaled up, each with its id and name,
//! so a person can see the data. Text is drawn with embedded-graphics' mono fonts into an
//! in-memory RGB image.
//!
//! ```
//! use pxby_data::dataset::{Dataset, Item};
//! use pxby_tools::preview::{contact_sheet, SheetOptions};
//! use pxby_core::vocab::FIRST_COLOUR;
//! let cap = pxby_data::text::normalize("x").tokens;
//! let item = Item::new(1, "One".into(), 2, 2, &[FIRST_COLOUR; 4], &cap).unwrap();
//! let ds = Dataset::new(25, "doc".into(), vec![item]);
//! let sheet = contact_sheet(&ds.items, &SheetOptions::default())?;
//! assert!(sheet.width() > 0 && sheet.height() > 0);
//! # Ok::<(), pxby_tools::preview::SheetTooLarge>(())
//! ```

use embedded_graphics::mono_font::MonoTextStyle;
use embedded_graphics::mono_font::ascii::FONT_6X10;
use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::text::{Baseline, Text};
use image::{Rgb, RgbImage};

use crate::pixelate::render_tokens;
use pxby_data::dataset::Item;

/// An [`RgbImage`] as an embedded-graphics [`DrawTarget`]; pixels outside are ignored.
pub struct Canvas(pub RgbImage);

impl OriginDimensions for Canvas {
    fn size(&self) -> Size {
        Size::new(self.0.width(), self.0.height())
    }
}

impl DrawTarget for Canvas {
    type Color = Rgb888;
    type Error = core::convert::Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(p, c) in pixels {
            if let (Ok(x), Ok(y)) = (u32::try_from(p.x), u32::try_from(p.y))
                && x < self.0.width()
                && y < self.0.height()
            {
                self.0.put_pixel(x, y, Rgb([c.r(), c.g(), c.b()]));
            }
        }
        Ok(())
    }
}

/// Layout of a contact sheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SheetOptions {
    /// Sprites per row.
    pub columns: u32,
    /// Pixel scale of a sprite cell.
    pub scale: u32,
    /// Largest sprite side (sets the cell size).
    pub max_size: u16,
}

impl Default for SheetOptions {
    fn default() -> Self {
        Self {
            columns: 16,
            scale: 4,
            max_size: 25,
        }
    }
}

/// Draws `text` at (`x`, `y`) (top-left) in the 6x10 font.
pub fn draw_text(canvas: &mut Canvas, text: &str, x: i32, y: i32, colour: Rgb888) {
    let style = MonoTextStyle::new(&FONT_6X10, colour);
    // Drawing into a Canvas cannot fail.
    let _ = Text::with_baseline(text, Point::new(x, y), style, Baseline::Top).draw(canvas);
}

/// Largest contact sheet, in pixels (64 Mi: 192 MiB of RGB), checked before it is allocated.
pub const MAX_SHEET_PIXELS: u64 = 1 << 26;

/// A contact sheet larger than [`MAX_SHEET_PIXELS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "a contact sheet of {width}x{height} pixels is more than {MAX_SHEET_PIXELS} pixels: use fewer columns, a smaller scale or --limit"
)]
pub struct SheetTooLarge {
    /// Width the sheet would have.
    pub width: u64,
    /// Height the sheet would have.
    pub height: u64,
}

/// Cell size (width, height) and sheet size (width, height) of `n` items, in pixels.
fn layout(n: usize, opts: &SheetOptions) -> ((u32, u32), (u64, u64)) {
    let columns = opts.columns.max(1);
    let scale = opts.scale.max(1);
    let side = u32::from(opts.max_size.max(1)).saturating_mul(scale);
    let cell = (side.max(60).saturating_add(6), side.saturating_add(16));
    let rows = (n as u64).div_ceil(u64::from(columns)).max(1);
    let sheet = (
        u64::from(columns) * u64::from(cell.0),
        rows * u64::from(cell.1),
    );
    (cell, sheet)
}

/// Renders the items' images in a grid, each labelled `id name` (cut to fit the cell).
/// Items whose token stream does not parse are shown as an empty cell with their label.
/// A sheet larger than [`MAX_SHEET_PIXELS`] is refused before anything is allocated.
pub fn contact_sheet(items: &[Item], opts: &SheetOptions) -> Result<RgbImage, SheetTooLarge> {
    let columns = opts.columns.max(1);
    let scale = opts.scale.max(1);
    let ((cell_w, cell_h), (width, height)) = layout(items.len(), opts);
    let too_large = SheetTooLarge { width, height };
    if width.saturating_mul(height) > MAX_SHEET_PIXELS {
        return Err(too_large);
    }
    let side = cell_h - 16;
    let (Ok(w), Ok(h)) = (u32::try_from(width), u32::try_from(height)) else {
        return Err(too_large);
    };
    let mut canvas = Canvas(RgbImage::from_pixel(w, h, Rgb([255, 255, 255])));
    let max_chars = ((cell_w - 2) / 6) as usize;
    for (i, item) in items.iter().enumerate() {
        let (cx, cy) = ((i as u32 % columns) * cell_w, (i as u32 / columns) * cell_h);
        if let Ok(p) = item.parse() {
            let img = render_tokens(p.height, p.width, &p.image, scale);
            let ox = cx + (cell_w - img.width()) / 2;
            let oy = cy + 2 + (side - img.height().min(side)) / 2;
            image::imageops::overlay(&mut canvas.0, &img, i64::from(ox), i64::from(oy));
        }
        let label: String = format!("{} {}", item.id, item.name)
            .chars()
            .filter(char::is_ascii)
            .take(max_chars)
            .collect();
        draw_text(
            &mut canvas,
            &label,
            cx as i32 + 2,
            (cy + side + 4) as i32,
            Rgb888::BLACK,
        );
    }
    Ok(canvas.0)
}

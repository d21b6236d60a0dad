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
//! let sheet = contact_sheet(&ds.items, &SheetOptions::default());
//! assert!(sheet.width() > 0 && sheet.height() > 0);
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

/// Renders the items' images in a grid, each labelled `id name` (cut to fit the cell).
/// Items whose token stream does not parse are shown as an empty cell with their label.
pub fn contact_sheet(items: &[Item], opts: &SheetOptions) -> RgbImage {
    let columns = opts.columns.max(1);
    let scale = opts.scale.max(1);
    let side = u32::from(opts.max_size.max(1)) * scale;
    let cell_w = side.max(60) + 6;
    let cell_h = side + 16;
    let rows = (items.len() as u32).div_ceil(columns).max(1);
    let mut canvas = Canvas(RgbImage::from_pixel(
        columns * cell_w,
        rows * cell_h,
        Rgb([255, 255, 255]),
    ));
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
    canvas.0
}

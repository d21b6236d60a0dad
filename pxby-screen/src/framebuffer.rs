//! A 160x128 framebuffer of one palette index per pixel, for boards whose RAM is tight.

use embedded_graphics::{pixelcolor::Rgb565, prelude::*, primitives::Rectangle};

use crate::{
    layout::{HEIGHT, PIXELS, WIDTH},
    palette::SCREEN_PALETTE,
};

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

    /// Writes the pixels from `first_pixel` on as RGB565 little-endian, row-major, into `out`
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::palette::{BACKGROUND, rgb565_raw};

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

    #[test]
    fn fills_are_clipped_and_read_back_as_rgb565() {
        let mut fb = IndexedFramebuffer::new();
        let area = Rectangle::new(Point::new(-3, 126), Size::new(5, 9));
        fb.fill_solid(&area, BACKGROUND).unwrap();
        assert_eq!(fb.pixel(0, 127), Some(BACKGROUND));
        assert_eq!(fb.pixel(1, 126), Some(BACKGROUND));
        assert_eq!(fb.pixel(2, 127), Some(SCREEN_PALETTE[0]));
        assert_eq!(fb.pixel(0, 125), Some(SCREEN_PALETTE[0]));
        assert_eq!(fb.pixel(WIDTH, 0), None);
        let mut out = [0u8; 5];
        let first = (127 * WIDTH) as usize;
        assert_eq!(fb.rgb565_le(first, &mut out), 4);
        let raw = rgb565_raw(BACKGROUND).to_le_bytes();
        assert_eq!(out[..4], [raw[0], raw[1], raw[0], raw[1]]);
    }
}

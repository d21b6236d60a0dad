//! The image segment in the sprite box: each colour token a scaled-up square at its row and
//! column, the sprite scaled and centred from the header's size.

use embedded_graphics::{pixelcolor::Rgb565, prelude::*, primitives::Rectangle};
use pxby_core::vocab::ROW_SEP;

use crate::{
    layout::{DEFAULT_SCALE, MAX_SCALE, SPRITE_SIDE, SPRITE_X, SPRITE_Y},
    palette::token_rgb565,
};

/// Columns of a sprite of unknown size before its rows wrap: what the box shows at
/// [`DEFAULT_SCALE`].
pub const WRAP_COLUMNS: u32 = SPRITE_SIDE / DEFAULT_SCALE;

/// Where the next sprite pixel goes.
#[derive(Clone, Debug)]
pub(crate) struct SpriteCursor {
    /// Side of one scaled-up pixel.
    pub(crate) scale: u32,
    /// Top-left corner of pixel (0, 0).
    origin: Point,
    row: u32,
    col: u32,
    /// Columns after which a row wraps (0: never).
    wrap: u32,
}

impl SpriteCursor {
    /// A sprite of unknown size: [`DEFAULT_SCALE`], from the box's top-left corner.
    pub(crate) const fn new() -> Self {
        Self {
            scale: DEFAULT_SCALE,
            origin: Point::new(SPRITE_X, SPRITE_Y),
            row: 0,
            col: 0,
            wrap: 0,
        }
    }

    /// A sprite of unknown size whose rows wrap at the box's width ([`WRAP_COLUMNS`] at
    /// [`DEFAULT_SCALE`]), so that colours that never meet a row separator fill the box in
    /// reading order instead of running off its right edge.
    pub(crate) const fn wrapping() -> Self {
        Self {
            wrap: WRAP_COLUMNS,
            ..Self::new()
        }
    }

    /// A sprite of `h` rows of `w` pixels: the largest scale (at most [`MAX_SCALE`]) that fits
    /// the box, centred in it; a sprite larger than the box is drawn at scale 1 and clipped.
    pub(crate) fn sized(h: u16, w: u16) -> Self {
        let (h, w) = (u32::from(h), u32::from(w));
        let scale = (SPRITE_SIDE / h.max(w).max(1)).clamp(1, MAX_SCALE);
        let dx = SPRITE_SIDE.saturating_sub(w * scale) / 2;
        let dy = SPRITE_SIDE.saturating_sub(h * scale) / 2;
        Self {
            scale,
            origin: Point::new(SPRITE_X + dx as i32, SPRITE_Y + dy as i32),
            row: 0,
            col: 0,
            wrap: 0,
        }
    }

    /// Feeds one token of the image segment (not the closing separator): a row separator
    /// starts the next row, a colour fills its cell when the whole cell is inside the box, and
    /// any token other than a row separator takes a column (as in the context rule).
    pub(crate) fn push<D: DrawTarget<Color = Rgb565>>(
        &mut self,
        token: u8,
        d: &mut D,
    ) -> Result<(), D::Error> {
        if token == ROW_SEP {
            self.row = self.row.saturating_add(1);
            self.col = 0;
            return Ok(());
        }
        if self.wrap > 0 && self.col >= self.wrap {
            self.row = self.row.saturating_add(1);
            self.col = 0;
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
        self.col = self.col.saturating_add(1);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_scaled_to_fit_and_centred() {
        // 75 / 4 = 18, capped at 6.
        let s = SpriteCursor::sized(3, 4);
        assert_eq!(s.scale, MAX_SCALE);
        assert_eq!(s.origin, Point::new(2 + (75 - 24) / 2, 13 + (75 - 18) / 2));
        // 75 / 25 = 3: fills the box but for 0 pixels.
        let s = SpriteCursor::sized(25, 25);
        assert_eq!((s.scale, s.origin), (3, Point::new(2, 13)));
        // Too large for the box: scale 1 from the corner.
        let s = SpriteCursor::sized(100, 1);
        assert_eq!((s.scale, s.origin), (1, Point::new(2 + 37, 13)));
        assert_eq!(SpriteCursor::new().scale, DEFAULT_SCALE);
    }
}

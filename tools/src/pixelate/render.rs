//! Rendering a grid of colour tokens back to an RGB image (previews, contact sheets).

use image::{Rgb, RgbImage};
use pxby_core::vocab::token_to_colour;

use super::Sprite;

impl Sprite {
    /// Renders the grid as an RGB image, every cell a `scale` x `scale` square.
    /// Tokens that are not colours are drawn magenta.
    pub fn to_image(&self, scale: u32) -> RgbImage {
        render_tokens(self.height, self.width, &self.tokens, scale)
    }
}

/// Renders a row-major grid of colour tokens as an RGB image with `scale` x `scale` cells.
pub fn render_tokens(height: u16, width: u16, tokens: &[u8], scale: u32) -> RgbImage {
    let scale = scale.max(1);
    let (w, h) = (u32::from(width), u32::from(height));
    RgbImage::from_fn(w * scale, h * scale, |x, y| {
        let i = (y / scale * w + x / scale) as usize;
        let c = tokens
            .get(i)
            .and_then(|&t| token_to_colour(t))
            .unwrap_or([255, 0, 255]);
        Rgb(c)
    })
}

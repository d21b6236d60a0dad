//! How faithful a pixelation is to its source (`pxby bench pixelate`).

use std::collections::BTreeMap;

use image::RgbaImage;
use pxby_core::vocab::token_to_colour;

use super::crop::composite_and_crop;
use super::lab::{dist2, srgb_to_lab};
use super::{PixelateError, Sprite};

/// Fidelity of a pixelation: the mean CIELAB distance (ΔE\*76) between every pixel of the
/// composited, cropped source and the palette colour of the output cell that covers it.
/// Lower is better; used to compare [`Downsample`](super::Downsample) modes (`pxby bench pixelate`).
pub fn reconstruction_error(img: &RgbaImage, sprite: &Sprite) -> Result<f64, PixelateError> {
    let cropped = composite_and_crop(img)?;
    let (cw, ch) = cropped.dimensions();
    let (tw, th) = (
        u64::from(sprite.width.max(1)),
        u64::from(sprite.height.max(1)),
    );
    let mut cache: BTreeMap<[u8; 3], [f64; 3]> = BTreeMap::new();
    let cells: Vec<[f64; 3]> = sprite
        .tokens
        .iter()
        .map(|&t| srgb_to_lab(token_to_colour(t).unwrap_or([255, 0, 255])))
        .collect();
    let mut total = 0.0;
    for (x, y, p) in cropped.enumerate_pixels() {
        let lab = *cache.entry(p.0).or_insert_with(|| srgb_to_lab(p.0));
        let cx = u64::from(x) * tw / u64::from(cw);
        let cy = u64::from(y) * th / u64::from(ch);
        let cell = cells
            .get((cy * tw + cx) as usize)
            .copied()
            .unwrap_or([0.0; 3]);
        total += dist2(&lab, &cell).sqrt();
    }
    Ok(total / f64::from(cw * ch))
}

//! Steps 1–3 of SPEC §3: alpha onto white, crop to the non-white bounding box, target size.

use image::{Rgb, RgbImage, RgbaImage};

use super::{PixelateError, WHITE_THRESHOLD};

/// Alpha onto white, exact integer rounding.
fn over_white(p: [u8; 4]) -> [u8; 3] {
    let a = u32::from(p[3]);
    let f = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
    [f(p[0]), f(p[1]), f(p[2])]
}

/// PIL's `L` conversion (ITU-R 601-2 luma), rounded.
fn grey(c: [u8; 3]) -> u8 {
    ((u32::from(c[0]) * 299 + u32::from(c[1]) * 587 + u32::from(c[2]) * 114 + 500) / 1000) as u8
}

/// Steps 1–2: the image composited onto white and cropped to its non-white bounding box.
pub fn composite_and_crop(img: &RgbaImage) -> Result<RgbImage, PixelateError> {
    let (w, h) = img.dimensions();
    let flat = RgbImage::from_fn(w, h, |x, y| Rgb(over_white(img.get_pixel(x, y).0)));
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0u32, 0u32);
    for (x, y, p) in flat.enumerate_pixels() {
        if grey(p.0) < WHITE_THRESHOLD {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
    }
    if x0 == u32::MAX {
        return Err(PixelateError::Blank);
    }
    Ok(image::imageops::crop_imm(&flat, x0, y0, x1 - x0 + 1, y1 - y0 + 1).to_image())
}

/// Step 3: output (height, width) for a cropped (height, width): longer side = `max`, the other
/// rounded to nearest (at least 1).
pub fn target_size(height: u32, width: u32, max: u32) -> (u32, u32) {
    let long = height.max(width).max(1);
    let scale = |s: u32| {
        ((2 * u64::from(s) * u64::from(max) + u64::from(long)) / (2 * u64::from(long))).max(1)
            as u32
    };
    (scale(height).min(max), scale(width).min(max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn target_sizes() {
        assert_eq!(target_size(50, 44, 25), (25, 22));
        assert_eq!(target_size(44, 50, 25), (22, 25));
        assert_eq!(target_size(10, 10, 25), (25, 25));
        assert_eq!(target_size(100, 1, 25), (25, 1));
    }

    #[test]
    fn crop_is_tight() {
        let mut img = RgbaImage::from_pixel(30, 20, Rgba([255, 255, 255, 255]));
        img.put_pixel(3, 4, Rgba([0, 0, 0, 255]));
        img.put_pixel(12, 9, Rgba([0, 0, 0, 255]));
        let c = composite_and_crop(&img).unwrap();
        assert_eq!(c.dimensions(), (10, 6));
    }
}

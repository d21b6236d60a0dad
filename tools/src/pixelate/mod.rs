//! Image pixelation (SPEC §3): sprite → grid of NES palette colour tokens.
//!
//! 1. composite alpha onto white;
//! 2. crop to the bounding box of the pixels whose grey value (ITU-R 601 luma, as PIL's `L`) is
//!    below 240;
//! 3. resize so the longer side is `max_size`, keeping the aspect ratio of the *cropped* image;
//! 4. reduce colours and map every pixel to the nearest palette colour in CIELAB (D65).
//!
//! Two down-sampling modes are offered ([`Downsample`]):
//! - [`Downsample::KMeans`] (default, the reference method): a bicubic resize to twice the final
//!   size, k-means in CIELAB with K = 55 (deterministic: max-min initialisation from the most
//!   frequent colour, fixed iteration cap, ties to the lowest index), nearest-neighbour resize to
//!   the final size, nearest palette colour;
//! - [`Downsample::Majority`]: every source pixel is mapped to its nearest palette colour and each
//!   output cell takes the most frequent palette colour among the source pixels it covers.
//!
//! Both are pure functions of the input pixels: the same input gives the same bytes every time.
//!
//! The jobs live in submodules: CIELAB and the palette (`lab`), compositing, crop and target size
//! (`crop`), k-means (`kmeans`), the two down-samplers (`downsample`), rendering a grid back to
//! an image (`render`) and the fidelity measure (`fidelity`); everything public is re-exported
//! here.
//!
//! ```
//! use image::{Rgba, RgbaImage};
//! use pxby_tools::pixelate::{pixelate_image, PixelateOptions};
//! // A 10x4 red bar on a transparent 20x20 canvas.
//! let mut img = RgbaImage::from_pixel(20, 20, Rgba([0, 0, 0, 0]));
//! for y in 8..12 { for x in 5..15 { img.put_pixel(x, y, Rgba([248, 56, 0, 255])); } }
//! let sprite = pixelate_image(&img, &PixelateOptions { max_size: 5, ..Default::default() }).unwrap();
//! assert_eq!((sprite.height, sprite.width), (2, 5));
//! let red = pxby_core::vocab::colour_to_token(27).unwrap(); // f83800
//! assert!(sprite.tokens.iter().all(|&t| t == red));
//! ```

use std::path::{Path, PathBuf};

use image::RgbaImage;
use pxby_core::vocab::FIRST_COLOUR;

mod crop;
mod downsample;
mod fidelity;
mod kmeans;
mod lab;
mod render;

pub use crop::{composite_and_crop, target_size};
pub use fidelity::reconstruction_error;
pub use kmeans::{KMeans, kmeans};
pub use lab::{nearest_palette, nearest_palette_lab, srgb_to_lab};
pub use render::render_tokens;

use downsample::{kmeans_downsample, majority_downsample};

/// Grey level at or above which a pixel counts as background when cropping.
pub const WHITE_THRESHOLD: u8 = 240;
/// Default longer side of a pixelated sprite.
pub const DEFAULT_MAX_SIZE: u16 = 25;
/// Largest accepted source image side (protects against decompression bombs).
pub const MAX_SOURCE_SIDE: u32 = 4096;

/// How the cropped image is reduced to the final grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Downsample {
    /// The reference: bicubic 2x intermediate, k-means (K = 55) in CIELAB, nearest neighbour.
    #[default]
    KMeans,
    /// Most frequent nearest-palette colour of the source pixels each output cell covers.
    Majority,
}

/// Options of [`pixelate_image`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PixelateOptions {
    /// Longer side of the output grid (1..=255).
    pub max_size: u16,
    /// Down-sampling mode.
    pub mode: Downsample,
    /// Number of k-means clusters (reference: 55).
    pub kmeans_k: usize,
    /// Maximum number of k-means (Lloyd) iterations; stops earlier when assignments settle.
    pub kmeans_iterations: usize,
}

impl Default for PixelateOptions {
    fn default() -> Self {
        Self {
            max_size: DEFAULT_MAX_SIZE,
            mode: Downsample::KMeans,
            kmeans_k: 55,
            kmeans_iterations: 20,
        }
    }
}

/// Errors of pixelation.
#[derive(Debug, thiserror::Error)]
pub enum PixelateError {
    /// The image file could not be read.
    #[error("cannot read image {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The image file is not a regular file, or larger than
    /// [`SPRITE`](pxby_data::input::SPRITE)'s limit, or cannot be read.
    #[error("cannot read image {0}")]
    Input(#[from] pxby_data::input::InputError),
    /// The bytes are not a decodable image (truncated, corrupt, unsupported format).
    #[error("cannot decode image: {0}")]
    Decode(#[from] image::ImageError),
    /// The image is larger than [`MAX_SOURCE_SIDE`] on a side.
    #[error("image is {width}x{height}, larger than {MAX_SOURCE_SIDE} on a side")]
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// No pixel is darker than the background threshold: nothing to crop to.
    #[error("image is blank (no pixel with grey value below {WHITE_THRESHOLD})")]
    Blank,
    /// `max_size` is 0 or above 255.
    #[error("max size must be in 1..=255, got {0}")]
    InvalidMaxSize(u16),
}

/// A pixelated sprite: `height` rows of `width` colour tokens, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sprite {
    /// Number of rows.
    pub height: u16,
    /// Number of columns.
    pub width: u16,
    /// Colour tokens (`pxby_core::vocab::is_colour`), row-major, `height * width` of them.
    pub tokens: Vec<u8>,
}

impl Sprite {
    /// The rows of the grid.
    pub fn rows(&self) -> impl Iterator<Item = &[u8]> {
        self.tokens.chunks(self.width.max(1) as usize)
    }
}

/// Decodes image bytes (any format this build of `image` supports; PNG at least) and pixelates.
pub fn pixelate_bytes(bytes: &[u8], opts: &PixelateOptions) -> Result<Sprite, PixelateError> {
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PixelateError::Decode(image::ImageError::IoError(e)))?;
    let (w, h) = reader.into_dimensions()?;
    if w > MAX_SOURCE_SIDE || h > MAX_SOURCE_SIDE {
        return Err(PixelateError::TooLarge {
            width: w,
            height: h,
        });
    }
    let img = image::load_from_memory(bytes)?.to_rgba8();
    pixelate_image(&img, opts)
}

/// Reads an image file and pixelates it.
pub fn pixelate_file(path: &Path, opts: &PixelateOptions) -> Result<Sprite, PixelateError> {
    let bytes = pxby_data::input::read_input(path, pxby_data::input::SPRITE)?;
    pixelate_bytes(&bytes, opts)
}

/// Pixelates an RGBA image per SPEC §3.
pub fn pixelate_image(img: &RgbaImage, opts: &PixelateOptions) -> Result<Sprite, PixelateError> {
    if opts.max_size == 0 || opts.max_size > 255 {
        return Err(PixelateError::InvalidMaxSize(opts.max_size));
    }
    let (w, h) = img.dimensions();
    if w > MAX_SOURCE_SIDE || h > MAX_SOURCE_SIDE {
        return Err(PixelateError::TooLarge {
            width: w,
            height: h,
        });
    }
    let cropped = composite_and_crop(img)?;
    let (th, tw) = target_size(cropped.height(), cropped.width(), u32::from(opts.max_size));
    let indices = match opts.mode {
        Downsample::KMeans => kmeans_downsample(&cropped, th, tw, opts),
        Downsample::Majority => majority_downsample(&cropped, th, tw),
    };
    Ok(Sprite {
        height: th as u16,
        width: tw as u16,
        tokens: indices
            .into_iter()
            .map(|i| FIRST_COLOUR + i as u8)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;
    use pxby_core::vocab::PALETTE;

    #[test]
    fn blank_image_is_an_error() {
        let img = RgbaImage::from_pixel(8, 8, Rgba([0, 0, 0, 0]));
        assert!(matches!(
            pixelate_image(&img, &PixelateOptions::default()),
            Err(PixelateError::Blank)
        ));
        let img = RgbaImage::from_pixel(8, 8, Rgba([250, 250, 250, 255]));
        assert!(matches!(
            pixelate_image(&img, &PixelateOptions::default()),
            Err(PixelateError::Blank)
        ));
    }

    #[test]
    fn invalid_max_size() {
        let img = RgbaImage::from_pixel(8, 8, Rgba([0, 0, 0, 255]));
        for m in [0u16, 256] {
            let o = PixelateOptions {
                max_size: m,
                ..Default::default()
            };
            assert!(matches!(
                pixelate_image(&img, &o),
                Err(PixelateError::InvalidMaxSize(_))
            ));
        }
    }

    #[test]
    fn modes_agree_on_flat_blocks() {
        // A 2x2 checker of 20px blocks of palette colours, pixelated to 4x4: the corner cells are
        // far from the block edges, so both modes must find the block colours exactly there
        // (the bicubic intermediate of k-means mode blends the cells next to the edges).
        let cols = [PALETTE[7], PALETTE[27], PALETTE[39], PALETTE[0]];
        let img = RgbaImage::from_fn(40, 40, |x, y| {
            let c = cols[((y / 20) * 2 + x / 20) as usize];
            Rgba([c[0], c[1], c[2], 255])
        });
        for mode in [Downsample::KMeans, Downsample::Majority] {
            let o = PixelateOptions {
                max_size: 4,
                mode,
                ..Default::default()
            };
            let s = pixelate_image(&img, &o).unwrap();
            let corners = [s.tokens[0], s.tokens[3], s.tokens[12], s.tokens[15]];
            let want: Vec<u8> = [7u8, 27, 39, 0].iter().map(|i| FIRST_COLOUR + i).collect();
            assert_eq!(corners.to_vec(), want, "{mode:?}");
        }
        let o = PixelateOptions {
            max_size: 4,
            mode: Downsample::Majority,
            ..Default::default()
        };
        let s = pixelate_image(&img, &o).unwrap();
        let want: Vec<u8> = [7u8, 7, 27, 27, 7, 7, 27, 27, 39, 39, 0, 0, 39, 39, 0, 0]
            .iter()
            .map(|i| FIRST_COLOUR + i)
            .collect();
        assert_eq!(s.tokens, want);
    }
}

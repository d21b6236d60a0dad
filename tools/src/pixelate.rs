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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use image::imageops::FilterType;
use image::{Rgb, RgbImage, RgbaImage};
use palette::{IntoColor, Lab, Srgb, white_point::D65};
use pxby_core::vocab::{COLOURS, FIRST_COLOUR, PALETTE, token_to_colour};

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

/// sRGB (8 bit) → CIELAB (D65).
pub fn srgb_to_lab(c: [u8; 3]) -> [f64; 3] {
    let lab: Lab<D65, f64> = Srgb::new(c[0], c[1], c[2])
        .into_format::<f64>()
        .into_color();
    [lab.l, lab.a, lab.b]
}

static PALETTE_LAB: LazyLock<[[f64; 3]; COLOURS]> = LazyLock::new(|| PALETTE.map(srgb_to_lab));

fn dist2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
}

/// Index (0..55) of the palette colour nearest to `lab` (Euclidean in CIELAB; ties → lowest).
pub fn nearest_palette_lab(lab: &[f64; 3]) -> usize {
    let mut best = 0;
    let mut best_d = f64::INFINITY;
    for (i, p) in PALETTE_LAB.iter().enumerate() {
        let d = dist2(lab, p);
        if d < best_d {
            best_d = d;
            best = i;
        }
    }
    best
}

/// Index (0..55) of the palette colour nearest to an sRGB colour.
pub fn nearest_palette(c: [u8; 3]) -> usize {
    nearest_palette_lab(&srgb_to_lab(c))
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
    let bytes = std::fs::read(path).map_err(|source| PixelateError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    pixelate_bytes(&bytes, opts)
}

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

/// Fidelity of a pixelation: the mean CIELAB distance (ΔE\*76) between every pixel of the
/// composited, cropped source and the palette colour of the output cell that covers it.
/// Lower is better; used to compare [`Downsample`] modes (`pxby bench pixelate`).
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

/// Source index of output index `i` for a nearest-neighbour resize `src` → `dst` (pixel centres).
fn nn_index(i: u32, src: u32, dst: u32) -> u32 {
    (((2 * u64::from(i) + 1) * u64::from(src)) / (2 * u64::from(dst))).min(u64::from(src) - 1)
        as u32
}

fn kmeans_downsample(cropped: &RgbImage, th: u32, tw: u32, opts: &PixelateOptions) -> Vec<usize> {
    let mid = image::imageops::resize(cropped, 2 * tw, 2 * th, FilterType::CatmullRom);
    // Unique colours with their counts, in a deterministic (sorted) order.
    let mut counts: BTreeMap<[u8; 3], u32> = BTreeMap::new();
    for p in mid.pixels() {
        *counts.entry(p.0).or_default() += 1;
    }
    let colours: Vec<[u8; 3]> = counts.keys().copied().collect();
    let weights: Vec<f64> = counts.values().map(|&c| f64::from(c)).collect();
    let labs: Vec<[f64; 3]> = colours.iter().map(|&c| srgb_to_lab(c)).collect();
    let assignment = kmeans(
        &labs,
        &weights,
        opts.kmeans_k.max(1),
        opts.kmeans_iterations,
    );
    // Palette index of every unique colour, through its centroid.
    let palette_of: BTreeMap<[u8; 3], usize> = colours
        .iter()
        .zip(&assignment.labels)
        .map(|(&c, &l)| (c, nearest_palette_lab(&assignment.centroids[l])))
        .collect();
    let mut out = Vec::with_capacity((th * tw) as usize);
    for y in 0..th {
        for x in 0..tw {
            let p = mid
                .get_pixel(nn_index(x, 2 * tw, tw), nn_index(y, 2 * th, th))
                .0;
            out.push(palette_of[&p]);
        }
    }
    out
}

/// Result of [`kmeans`].
#[derive(Clone, Debug, PartialEq)]
pub struct KMeans {
    /// Cluster centres.
    pub centroids: Vec<[f64; 3]>,
    /// Cluster index of every point.
    pub labels: Vec<usize>,
    /// Lloyd iterations run.
    pub iterations: usize,
}

/// Deterministic weighted k-means (Lloyd) on 3-d points.
///
/// Initialisation: the heaviest point (ties → first), then repeatedly the point farthest from the
/// centres chosen so far (max-min, ties → first). With `points.len() <= k` every point is its own
/// centre. Iterates until assignments stop changing or `max_iterations` is reached; an empty
/// cluster keeps its centre. Distance ties go to the lowest cluster index.
pub fn kmeans(points: &[[f64; 3]], weights: &[f64], k: usize, max_iterations: usize) -> KMeans {
    let n = points.len();
    if n <= k {
        return KMeans {
            centroids: points.to_vec(),
            labels: (0..n).collect(),
            iterations: 0,
        };
    }
    let mut first = 0;
    for i in 1..n {
        if weights[i] > weights[first] {
            first = i;
        }
    }
    let mut centroids = vec![points[first]];
    let mut min_d: Vec<f64> = points.iter().map(|p| dist2(p, &points[first])).collect();
    while centroids.len() < k {
        let mut far = 0;
        for i in 1..n {
            if min_d[i] > min_d[far] {
                far = i;
            }
        }
        let c = points[far];
        centroids.push(c);
        for (d, p) in min_d.iter_mut().zip(points) {
            *d = d.min(dist2(p, &c));
        }
    }
    let nearest = |p: &[f64; 3], cs: &[[f64; 3]]| {
        let mut best = 0;
        let mut best_d = f64::INFINITY;
        for (j, c) in cs.iter().enumerate() {
            let d = dist2(p, c);
            if d < best_d {
                best_d = d;
                best = j;
            }
        }
        best
    };
    let mut labels: Vec<usize> = points.iter().map(|p| nearest(p, &centroids)).collect();
    let mut iterations = 0;
    while iterations < max_iterations {
        iterations += 1;
        let mut sums = vec![[0.0f64; 4]; k];
        for ((p, &w), &l) in points.iter().zip(weights).zip(&labels) {
            let s = &mut sums[l];
            s[0] += p[0] * w;
            s[1] += p[1] * w;
            s[2] += p[2] * w;
            s[3] += w;
        }
        for (c, s) in centroids.iter_mut().zip(&sums) {
            if s[3] > 0.0 {
                *c = [s[0] / s[3], s[1] / s[3], s[2] / s[3]];
            }
        }
        let new: Vec<usize> = points.iter().map(|p| nearest(p, &centroids)).collect();
        if new == labels {
            break;
        }
        labels = new;
    }
    KMeans {
        centroids,
        labels,
        iterations,
    }
}

fn majority_downsample(cropped: &RgbImage, th: u32, tw: u32) -> Vec<usize> {
    let (cw, ch) = cropped.dimensions();
    let mut cache: BTreeMap<[u8; 3], usize> = BTreeMap::new();
    let idx: Vec<usize> = cropped
        .pixels()
        .map(|p| *cache.entry(p.0).or_insert_with(|| nearest_palette(p.0)))
        .collect();
    let span = |i: u32, src: u32, dst: u32| {
        let a = (u64::from(i) * u64::from(src) / u64::from(dst)) as u32;
        let b = ((u64::from(i + 1) * u64::from(src)).div_ceil(u64::from(dst)) as u32).min(src);
        (a.min(src - 1), b.max(a + 1).min(src))
    };
    let mut out = Vec::with_capacity((th * tw) as usize);
    for y in 0..th {
        let (y0, y1) = span(y, ch, th);
        for x in 0..tw {
            let (x0, x1) = span(x, cw, tw);
            let mut hist = [0u32; COLOURS];
            for sy in y0..y1 {
                for sx in x0..x1 {
                    hist[idx[(sy * cw + sx) as usize]] += 1;
                }
            }
            let mut best = 0;
            for (i, &c) in hist.iter().enumerate() {
                if c > hist[best] {
                    best = i;
                }
            }
            out.push(best);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn palette_maps_to_itself() {
        for (i, c) in PALETTE.iter().enumerate() {
            let j = nearest_palette(*c);
            assert_eq!(PALETTE[j], *c, "palette entry {i}");
        }
    }

    #[test]
    fn lab_of_white_and_black() {
        let w = srgb_to_lab([255, 255, 255]);
        assert!((w[0] - 100.0).abs() < 1e-6 && w[1].abs() < 1e-3 && w[2].abs() < 1e-3);
        let b = srgb_to_lab([0, 0, 0]);
        assert!(b[0].abs() < 1e-9);
    }

    #[test]
    fn target_sizes() {
        assert_eq!(target_size(50, 44, 25), (25, 22));
        assert_eq!(target_size(44, 50, 25), (22, 25));
        assert_eq!(target_size(10, 10, 25), (25, 25));
        assert_eq!(target_size(100, 1, 25), (25, 1));
    }

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
    fn crop_is_tight() {
        let mut img = RgbaImage::from_pixel(30, 20, Rgba([255, 255, 255, 255]));
        img.put_pixel(3, 4, Rgba([0, 0, 0, 255]));
        img.put_pixel(12, 9, Rgba([0, 0, 0, 255]));
        let c = composite_and_crop(&img).unwrap();
        assert_eq!(c.dimensions(), (10, 6));
    }

    #[test]
    fn kmeans_small_input_is_identity() {
        let pts = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let r = kmeans(&pts, &[1.0, 1.0], 55, 10);
        assert_eq!(r.labels, vec![0, 1]);
        assert_eq!(r.centroids, pts.to_vec());
    }

    #[test]
    fn kmeans_two_clusters() {
        let pts = [
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [10.0, 0.0, 0.0],
            [11.0, 0.0, 0.0],
        ];
        let r = kmeans(&pts, &[1.0; 4], 2, 10);
        assert_eq!(r.labels[0], r.labels[1]);
        assert_eq!(r.labels[2], r.labels[3]);
        assert_ne!(r.labels[0], r.labels[2]);
        assert!((r.centroids[r.labels[0]][0] - 0.5).abs() < 1e-12);
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

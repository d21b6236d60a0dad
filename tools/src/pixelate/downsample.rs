//! The two down-samplers of [`Downsample`](super::Downsample): k-means on a bicubic 2x
//! intermediate (the reference) and the per-cell majority of nearest palette colours.

use std::collections::BTreeMap;

use image::RgbImage;
use image::imageops::FilterType;
use pxby_core::vocab::COLOURS;

use super::PixelateOptions;
use super::kmeans::kmeans;
use super::lab::{nearest_palette, nearest_palette_lab, srgb_to_lab};

/// Source index of output index `i` for a nearest-neighbour resize `src` → `dst` (pixel centres).
fn nn_index(i: u32, src: u32, dst: u32) -> u32 {
    (((2 * u64::from(i) + 1) * u64::from(src)) / (2 * u64::from(dst))).min(u64::from(src) - 1)
        as u32
}

/// The reference mode: palette indices (row-major) of the `th` x `tw` grid.
pub(super) fn kmeans_downsample(
    cropped: &RgbImage,
    th: u32,
    tw: u32,
    opts: &PixelateOptions,
) -> Vec<usize> {
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

/// Palette indices (row-major) of the `th` x `tw` grid, each the most frequent nearest palette
/// colour of the source pixels the cell covers.
pub(super) fn majority_downsample(cropped: &RgbImage, th: u32, tw: u32) -> Vec<usize> {
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

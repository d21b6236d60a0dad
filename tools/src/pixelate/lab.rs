//! CIELAB (D65) and the nearest NES palette colour.

use std::sync::LazyLock;

use palette::{IntoColor, Lab, Srgb, white_point::D65};
use pxby_core::vocab::{COLOURS, PALETTE};

/// sRGB (8 bit) → CIELAB (D65).
pub fn srgb_to_lab(c: [u8; 3]) -> [f64; 3] {
    let lab: Lab<D65, f64> = Srgb::new(c[0], c[1], c[2])
        .into_format::<f64>()
        .into_color();
    [lab.l, lab.a, lab.b]
}

static PALETTE_LAB: LazyLock<[[f64; 3]; COLOURS]> = LazyLock::new(|| PALETTE.map(srgb_to_lab));

/// Squared Euclidean distance of two CIELAB colours.
pub(super) fn dist2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}

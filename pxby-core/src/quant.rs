//! Weight storage: f32 or int8 with one f32 scale per output row, behind one [`Tensor`] view.
//!
//! Int8 quantisation is symmetric per output row: `scale = max|row| / 127` (0 for an all-zero
//! row), `q = round(w / scale)` clamped to `±127`, and `w ≈ q · scale`. Only weight matrices
//! ([`crate::config::TensorSpec::quantisable`]) are quantised; vectors (biases, LayerNorm,
//! alpha) always stay f32. Activations are f32 on both paths.
//!
//! Both numeric paths run the same kernels: a row dot product accumulates `raw · x` in index
//! order (`raw` is the stored f32, or the i8 converted to f32) and multiplies the sum by the
//! row's scale (1.0 for f32 weights, which leaves the sum unchanged).
//!
//! ```
//! use pxby_core::quant::quantise_row;
//! let mut q = [0i8; 3];
//! let scale = quantise_row(&[0.5, -1.0, 0.25], &mut q);
//! assert_eq!(q, [64, -127, 32]);
//! assert!((scale - 1.0 / 127.0).abs() < 1e-9);
//! ```

use serde::{Deserialize, Serialize};

use crate::math::{abs, round_i32};

/// How a tensor's values are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum WeightType {
    /// Little-endian IEEE f32.
    #[default]
    F32,
    /// Signed bytes with one little-endian f32 scale per output row (stored before the bytes).
    I8,
}

/// Quantises one row symmetrically into `out` (same length as `row`; extra elements of either
/// slice are ignored) and returns the row's scale. NaN inputs quantise to 0.
pub fn quantise_row(row: &[f32], out: &mut [i8]) -> f32 {
    let mut max = 0.0f32;
    for &w in row {
        let a = abs(w);
        if a > max {
            max = a;
        }
    }
    let scale = max / 127.0;
    for (q, &w) in out.iter_mut().zip(row) {
        *q = if scale > 0.0 {
            round_i32(w / scale).clamp(-127, 127) as i8
        } else {
            0
        };
    }
    scale
}

#[inline]
fn f32_at(bytes: &[u8], i: usize) -> f32 {
    let b = &bytes[4 * i..4 * i + 4];
    f32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// A read-only view of one tensor inside a model file, as `rows × cols` (vectors are
/// `len × 1`). Values are decoded on the fly from the borrowed bytes (no alignment needed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tensor<'a> {
    dtype: WeightType,
    rows: usize,
    cols: usize,
    data: &'a [u8],
    scales: &'a [u8],
}

impl<'a> Tensor<'a> {
    /// A tensor with no elements (placeholder for parts a configuration does not have).
    pub const EMPTY: Tensor<'static> = Tensor {
        dtype: WeightType::F32,
        rows: 0,
        cols: 0,
        data: &[],
        scales: &[],
    };

    /// A view over `data` (and `scales` for int8). Returns `None` unless the byte lengths are
    /// exactly right: `4·rows·cols` for f32; `rows·cols` plus `4·rows` scale bytes for int8.
    pub fn new(
        dtype: WeightType,
        rows: usize,
        cols: usize,
        data: &'a [u8],
        scales: &'a [u8],
    ) -> Option<Self> {
        let n = rows.checked_mul(cols)?;
        let ok = match dtype {
            WeightType::F32 => n.checked_mul(4)? == data.len() && scales.is_empty(),
            WeightType::I8 => n == data.len() && rows.checked_mul(4)? == scales.len(),
        };
        ok.then_some(Tensor {
            dtype,
            rows,
            cols,
            data,
            scales,
        })
    }

    /// Storage type.
    pub fn dtype(&self) -> WeightType {
        self.dtype
    }

    /// Output rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Elements per row.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// True when the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The stored value at `(r, c)` before scaling (f32, or the i8 as f32).
    #[inline]
    pub fn raw(&self, r: usize, c: usize) -> f32 {
        let i = r * self.cols + c;
        match self.dtype {
            WeightType::F32 => f32_at(self.data, i),
            WeightType::I8 => self.data[i] as i8 as f32,
        }
    }

    /// The scale of row `r` (1.0 for f32 tensors).
    #[inline]
    pub fn scale(&self, r: usize) -> f32 {
        match self.dtype {
            WeightType::F32 => 1.0,
            WeightType::I8 => f32_at(self.scales, r),
        }
    }

    /// The dequantised value at `(r, c)`: `raw · scale`.
    #[inline]
    pub fn get(&self, r: usize, c: usize) -> f32 {
        self.raw(r, c) * self.scale(r)
    }

    /// The dequantised element at flat index `i` (row-major).
    #[inline]
    pub fn at(&self, i: usize) -> f32 {
        let cols = self.cols.max(1);
        self.get(i / cols, i % cols)
    }

    /// `Σ_c raw(r, c) · x[c]` in index order, times the row scale. Uses `min(cols, x.len())`
    /// elements.
    #[inline]
    pub fn dot_row(&self, r: usize, x: &[f32]) -> f32 {
        let mut s = 0.0f32;
        match self.dtype {
            WeightType::F32 => {
                let row = &self.data[4 * r * self.cols..4 * (r + 1) * self.cols];
                for (b, &xv) in row.chunks_exact(4).zip(x) {
                    s += f32::from_le_bytes([b[0], b[1], b[2], b[3]]) * xv;
                }
            }
            WeightType::I8 => {
                let row = &self.data[r * self.cols..(r + 1) * self.cols];
                for (&b, &xv) in row.iter().zip(x) {
                    s += (b as i8 as f32) * xv;
                }
                s *= f32_at(self.scales, r);
            }
        }
        s
    }

    /// Adds `raw(r, c) · v` to `acc[r]` for every row (one column of an unscaled product, for
    /// products computed column by column). Finish with [`Tensor::scale_rows`].
    #[inline]
    pub fn axpy_col(&self, c: usize, v: f32, acc: &mut [f32]) {
        for (r, a) in acc.iter_mut().enumerate().take(self.rows) {
            *a += self.raw(r, c) * v;
        }
    }

    /// Multiplies `acc[r]` by the scale of row `r` (a no-op for f32 weights).
    #[inline]
    pub fn scale_rows(&self, acc: &mut [f32]) {
        if self.dtype == WeightType::I8 {
            for (r, a) in acc.iter_mut().enumerate().take(self.rows) {
                *a *= f32_at(self.scales, r);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_row_has_zero_scale() {
        let mut q = [1i8; 4];
        assert_eq!(quantise_row(&[0.0; 4], &mut q), 0.0);
        assert_eq!(q, [0; 4]);
    }

    #[test]
    fn dot_row_matches_dequantised() {
        let w = [0.3f32, -0.7, 0.05, 1.2, -1.1, 0.0];
        let mut q = [0i8; 6];
        let s0 = quantise_row(&w[..3], &mut q[..3]);
        let s1 = quantise_row(&w[3..], &mut q[3..]);
        let data: std::vec::Vec<u8> = q.iter().map(|&v| v as u8).collect();
        let mut scales = std::vec::Vec::new();
        scales.extend_from_slice(&s0.to_le_bytes());
        scales.extend_from_slice(&s1.to_le_bytes());
        let t = Tensor::new(WeightType::I8, 2, 3, &data, &scales).unwrap();
        let x = [1.0f32, 2.0, 3.0];
        for r in 0..2 {
            let want: f32 = (0..3).map(|c| w[r * 3 + c] * x[c]).sum();
            assert!((t.dot_row(r, &x) - want).abs() < 0.02);
        }
        assert!(Tensor::new(WeightType::I8, 2, 3, &data, &scales[..4]).is_none());
    }
}

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

use crate::config::TensorSpec;
use crate::fixed::Requant;
use crate::math::{abs, round_i32};

/// How a tensor's values are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum WeightType {
    /// Little-endian IEEE f32.
    #[default]
    F32,
    /// Signed bytes with one little-endian f32 scale per output row (stored before the bytes).
    I8,
    /// Integer inference (int8 weights, int16 activations, no floating point at run time):
    /// matrices are `rows` little-endian `i16` multipliers, then `rows` `u8` shifts (one
    /// [`crate::fixed::Requant`] per output row, with a 15-bit multiplier), then the i8 values,
    /// then zero padding to a multiple of 4; vectors are little-endian `i32` (biases in accumulator units, `σ(alpha)`
    /// in Q15, LayerNorm weights as int16 values). What each number means is documented in
    /// [`crate::format`].
    Int,
}

impl WeightType {
    /// Bytes `spec` takes in a model file's payload stored as `self`, padding included (see
    /// [`crate::format`]): `4·len` for f32; for int8, `4·rows` bytes of row scales and `len`
    /// bytes of i8, rounded up to a multiple of 4. In u64, so absurd shapes cannot overflow.
    pub(crate) fn stored_len(self, spec: &TensorSpec) -> u64 {
        let n: u64 = spec.shape[..spec.rank as usize]
            .iter()
            .map(|&d| u64::from(d))
            .product();
        match self {
            WeightType::F32 => 4 * n,
            WeightType::I8 => (4 * u64::from(spec.shape[0]) + n).div_ceil(4) * 4,
            WeightType::Int if spec.quantisable => {
                (3 * u64::from(spec.shape[0]) + n).div_ceil(4) * 4
            }
            WeightType::Int => 4 * n,
        }
    }

    /// Appends `data` (the `rows × cols` values of one tensor, row-major) to `payload` stored
    /// as `self`: little-endian f32, or per-row scales then i8 values then zero padding to a
    /// multiple of 4 (the payload is 4-aligned before and after).
    #[cfg(feature = "alloc")]
    pub(crate) fn encode(self, cols: usize, data: &[f32], payload: &mut alloc::vec::Vec<u8>) {
        match self {
            WeightType::F32 => {
                for v in data {
                    payload.extend_from_slice(&v.to_le_bytes());
                }
            }
            WeightType::I8 => {
                let mut q = alloc::vec![0i8; data.len()];
                for (row, qrow) in data.chunks(cols.max(1)).zip(q.chunks_mut(cols.max(1))) {
                    let scale = quantise_row(row, qrow);
                    payload.extend_from_slice(&scale.to_le_bytes());
                }
                payload.extend(q.iter().map(|&v| v as u8));
                while !payload.len().is_multiple_of(4) {
                    payload.push(0);
                }
            }
            // Integer tensors are quantised against activation scales, which one tensor alone
            // does not know: `crate::calibrate` encodes them.
            WeightType::Int => {}
        }
    }
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

/// `Σ value(w[i]) · x[i]` over weights stored as `N` bytes each (`w.len() = N · x.len()`), one
/// accumulator in index order. Blocks of 4: the products are independent, the additions stay
/// sequential, so the result is bit-identical to the plain loop.
#[inline(always)]
fn dot<const N: usize>(w: &[u8], x: &[f32], value: impl Fn([u8; N]) -> f32) -> f32 {
    let (wb, wr) = w.as_chunks::<N>().0.as_chunks::<4>();
    let (xb, xr) = x.as_chunks::<4>();
    let mut s = 0.0f32;
    for (w, x) in wb.iter().zip(xb) {
        let p0 = value(w[0]) * x[0];
        let p1 = value(w[1]) * x[1];
        let p2 = value(w[2]) * x[2];
        let p3 = value(w[3]) * x[3];
        s += p0;
        s += p1;
        s += p2;
        s += p3;
    }
    for (&w, &x) in wr.iter().zip(xr) {
        s += value(w) * x;
    }
    s
}

/// [`dot`] over little-endian f32 weight bytes.
#[inline]
fn dot_f32_le(w: &[u8], x: &[f32]) -> f32 {
    dot(w, x, f32::from_le_bytes)
}

/// [`dot`] over int8 weights.
#[inline]
fn dot_i8(q: &[u8], x: &[f32]) -> f32 {
    dot(q, x, |[b]: [u8; 1]| f32::from(b as i8))
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
    /// The shift every row of an integer matrix shares, when it is one and in
    /// [`UNIFORM_SHIFTS`] (what writers produce); else 0. Set once here, at load, so that the
    /// kernels can pick their per-matrix requantisation loop without looking at the rows.
    uniform_shift: u8,
    /// For an integer vector: every value within ±[`BIAS_LIMIT`], so that adding it to a dot
    /// product of at most [`MAX_INT_COLS`](crate::intparams::MAX_INT_COLS) int8 × int16 terms
    /// (at most `2^30` in magnitude) cannot overflow `i32`. Set once here, at load.
    bounded: bool,
}

/// The bound on an integer bias for [`Tensor::is_bounded`]: `2^30 − 1`, so that its sum with a
/// dot product of magnitude at most `2^30` stays within `i32`.
pub const BIAS_LIMIT: i32 = (1 << 30) - 1;

/// Row shifts for which a matrix gets the shared-shift requantisation loop: those for which
/// [`crate::fixed::requant_halves`] is exact.
pub const UNIFORM_SHIFTS: core::ops::RangeInclusive<u32> = 17..=46;

impl<'a> Tensor<'a> {
    /// A tensor with no elements (placeholder for parts a configuration does not have).
    pub const EMPTY: Tensor<'static> = Tensor {
        dtype: WeightType::F32,
        rows: 0,
        cols: 0,
        data: &[],
        scales: &[],
        uniform_shift: 0,
        bounded: false,
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
            WeightType::Int if scales.is_empty() => n.checked_mul(4)? == data.len(),
            WeightType::Int => n == data.len() && rows.checked_mul(3)? == scales.len(),
        };
        let shifts = scales.get(2 * rows..).unwrap_or(&[]);
        let uniform_shift = match (dtype, shifts.first()) {
            (WeightType::Int, Some(&s))
                if UNIFORM_SHIFTS.contains(&u32::from(s)) && shifts.iter().all(|&x| x == s) =>
            {
                s
            }
            _ => 0,
        };
        let bounded = dtype == WeightType::Int
            && scales.is_empty()
            && data
                .as_chunks::<4>()
                .0
                .iter()
                .all(|b| i32::from_le_bytes(*b).unsigned_abs() <= BIAS_LIMIT.unsigned_abs());
        ok.then_some(Tensor {
            dtype,
            rows,
            cols,
            data,
            scales,
            uniform_shift,
            bounded,
        })
    }

    /// A view of one tensor as a model file stores it ([`WeightType::stored_len`] bytes, as
    /// [`WeightType::encode`] writes them). `matrix`: the tensor is a weight matrix
    /// ([`TensorSpec::quantisable`]). `None` if `bytes` is too short.
    pub(crate) fn from_stored(
        dtype: WeightType,
        matrix: bool,
        rows: usize,
        cols: usize,
        bytes: &'a [u8],
    ) -> Option<Self> {
        let per_row = match dtype {
            WeightType::Int if matrix => 3,
            WeightType::I8 => 4,
            _ => 0,
        };
        match dtype {
            WeightType::F32 => Tensor::new(dtype, rows, cols, bytes, &[]),
            WeightType::Int if !matrix => Tensor::new(
                dtype,
                rows,
                cols,
                bytes.get(..rows.checked_mul(cols)? * 4)?,
                &[],
            ),
            WeightType::I8 | WeightType::Int => {
                let (scales, rest) = bytes.split_at_checked(rows.checked_mul(per_row)?)?;
                Tensor::new(
                    dtype,
                    rows,
                    cols,
                    rest.get(..rows.checked_mul(cols)?)?,
                    scales,
                )
            }
        }
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

    /// The stored value at `(r, c)` before scaling (f32, the i8 as f32, or for integer
    /// vectors the i32 as f32).
    #[inline]
    pub fn raw(&self, r: usize, c: usize) -> f32 {
        let i = r * self.cols + c;
        match self.dtype {
            WeightType::F32 => f32_at(self.data, i),
            WeightType::Int if self.scales.is_empty() => self.int_at(i) as f32,
            WeightType::I8 | WeightType::Int => f32::from(self.data[i] as i8),
        }
    }

    /// The scale of row `r` (1.0 for f32 tensors and integer tensors, whose rows carry a
    /// [`Requant`] instead).
    #[inline]
    pub fn scale(&self, r: usize) -> f32 {
        match self.dtype {
            WeightType::F32 | WeightType::Int => 1.0,
            WeightType::I8 => f32_at(self.scales, r),
        }
    }

    /// True when every f32 the tensor stores is finite (neither NaN nor ±inf): the values of an
    /// f32 tensor, the row scales of an int8 matrix; integer tensors store no f32. One pass over
    /// the bytes, on the exponent bits alone.
    pub(crate) fn is_finite(&self) -> bool {
        const EXP: u32 = 0x7f80_0000;
        let floats = match self.dtype {
            WeightType::F32 => self.data,
            WeightType::I8 => self.scales,
            WeightType::Int => return true,
        };
        floats
            .as_chunks::<4>()
            .0
            .iter()
            .all(|&b| u32::from_le_bytes(b) & EXP != EXP)
    }

    /// True for an integer matrix (i8 values and one [`Requant`] per row).
    #[inline]
    pub fn is_int_matrix(&self) -> bool {
        self.dtype == WeightType::Int && !self.scales.is_empty()
    }

    /// Element `i` of an integer vector (`i32`); 0 for anything else or out of range.
    #[inline]
    pub fn int_at(&self, i: usize) -> i32 {
        if self.dtype != WeightType::Int || !self.scales.is_empty() {
            return 0;
        }
        match self.data.get(4 * i..4 * i + 4) {
            Some(b) => i32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            None => 0,
        }
    }

    /// The i8 values of row `r` of an int8 or integer matrix, as bytes (empty otherwise).
    #[inline]
    pub fn row_i8(&self, r: usize) -> &'a [u8] {
        match self.dtype {
            WeightType::I8 | WeightType::Int if !self.scales.is_empty() => self
                .data
                .get(r * self.cols..(r + 1) * self.cols)
                .unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The requantisation factor of row `r` of an integer matrix ([`Requant::ONE`] otherwise).
    #[inline]
    pub fn requant(&self, r: usize) -> Requant {
        if !self.is_int_matrix() {
            return Requant::ONE;
        }
        match (
            self.scales.get(2 * r..2 * r + 2),
            self.scales.get(2 * self.rows + r),
        ) {
            (Some(m), Some(&shift)) => Requant {
                multiplier: i32::from(i16::from_le_bytes([m[0], m[1]])),
                shift: u32::from(shift),
            },
            _ => Requant::ONE,
        }
    }

    /// The shift all rows of an integer matrix share, if they share one in [`UNIFORM_SHIFTS`].
    #[inline]
    pub fn uniform_shift(&self) -> Option<u32> {
        (self.uniform_shift != 0).then_some(u32::from(self.uniform_shift))
    }

    /// True for an integer vector whose values are all within ±[`BIAS_LIMIT`].
    #[inline]
    pub fn is_bounded(&self) -> bool {
        self.bounded
    }

    /// The raw parts of an integer matrix: i8 values (row-major), `i16` multipliers and `u8`
    /// shifts, all as bytes; for anything else, the data bytes and two empty slices.
    #[inline]
    pub(crate) fn int_parts(&self) -> (&'a [u8], &'a [u8], &'a [u8]) {
        let (m, s) = self
            .scales
            .split_at_checked(2 * self.rows)
            .unwrap_or((&[], &[]));
        (self.data, m, s)
    }

    /// `Σ_c w[r][c] · x[c]` of an integer matrix row over `min(cols, x.len())` elements, in an
    /// `i32` accumulator (loading bounds `cols` so that it cannot overflow).
    #[inline]
    pub fn dot_row_i16(&self, r: usize, x: &[i16]) -> i32 {
        crate::kernel::dot_i8_i16(self.row_i8(r), x)
    }

    /// The dequantised value at `(r, c)`: `raw · scale`.
    #[inline]
    pub fn get(&self, r: usize, c: usize) -> f32 {
        self.raw(r, c) * self.scale(r)
    }

    /// The dequantised element at flat index `i` (row-major; raw for integer tensors).
    #[inline]
    pub fn at(&self, i: usize) -> f32 {
        if self.cols <= 1 {
            // Vectors (biases, norms): no division in the hot loops.
            return self.get(i, 0);
        }
        self.get(i / self.cols, i % self.cols)
    }

    /// `Σ_c raw(r, c) · x[c]` in index order, times the row scale. Uses `min(cols, x.len())`
    /// elements. The sum is one f32 accumulator, added to in index order without FMA (so every
    /// target gives the same bits); the int8 scale multiplies the finished sum once.
    #[inline]
    pub fn dot_row(&self, r: usize, x: &[f32]) -> f32 {
        let n = self.cols.min(x.len());
        let x = &x[..n];
        match self.dtype {
            WeightType::F32 => dot_f32_le(&self.data[4 * r * self.cols..][..4 * n], x),
            WeightType::I8 => dot_i8(&self.data[r * self.cols..][..n], x) * f32_at(self.scales, r),
            WeightType::Int => (0..n)
                .map(|c| self.raw(r, c) * x[c])
                .fold(0.0, |a, b| a + b),
        }
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

    /// The blocked kernels give the bits of the plain sequential loop, remainders included.
    #[test]
    fn blocked_dots_equal_the_sequential_sum() {
        let mut seed = 12345u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            seed
        };
        for n in 0..=21 {
            let x: std::vec::Vec<f32> = (0..n).map(|_| (next() >> 8) as f32 / 3e6 - 2.5).collect();
            let q: std::vec::Vec<u8> = (0..n).map(|_| (next() >> 24) as u8).collect();
            let w: std::vec::Vec<f32> = (0..n).map(|_| (next() >> 8) as f32 / 7e6 - 1.1).collect();
            let wb: std::vec::Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
            let (mut si, mut sf) = (0.0f32, 0.0f32);
            for i in 0..n {
                si += f32::from(q[i] as i8) * x[i];
                sf += w[i] * x[i];
            }
            assert_eq!(dot_i8(&q, &x).to_bits(), si.to_bits(), "i8 n={n}");
            assert_eq!(dot_f32_le(&wb, &x).to_bits(), sf.to_bits(), "f32 n={n}");
        }
    }

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

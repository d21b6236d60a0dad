//! The integer dot-product kernels of the integer path: int8 weights (as bytes) times int16
//! activations into `i32` accumulators. Integer addition is exact and associative, so every
//! loop shape below gives the same sums, and the shape is chosen per target:
//! - x86_64 and wasm32 with WebAssembly SIMD: `pxby_dsp::dots4_i8_i16`, four rows at a time
//!   in vector intrinsics (SSE2 or AVX2; wasm SIMD) with one transpose-and-add per four rows,
//!   for whole blocks of four rows and word-aligned activations; else (and on wasm32 without
//!   SIMD) [`dot_i8_i16_fixed`] for the paper's rows of 16 and 32 columns (one straight-line
//!   block per row), else [`dot_i8_i16_lanes`], blocks of 16; LLVM turns both into `pmaddwd`
//!   (x86_64) or `i32x4.dot_i16x8_s` with simd128;
//! - Armv7E-M (Cortex-M4/M7, where `pxby_dsp` uses the DSP instructions):
//!   `pxby_dsp::dots4_pairs`, an assembly loop of four rows at a time for widths that are a
//!   multiple of 8, else
//!   [`dot2_i8_pairs`] / [`dot4_i8_pairs`]: each word of four weights split by SXTB16 and
//!   multiplied by SMLAD against the activations stored once as pairs ([`Activations`]);
//! - other 32-bit Arm (Cortex-M0): `pxby_dsp::dots4_i8_i16`, an assembly loop over blocks of
//!   four rows with its accumulators in registers, when the activations are word-aligned;
//!   else [`dot4_i8_i16_shared`], one loop loading each activation once for four rows.
//!
//! No `unsafe` here: the instructions and loops come from `pxby-dsp` as safe functions, and on
//! every other target they are plain Rust with the same results, so the unit tests run the
//! Armv7E-M kernel on the host too.
//!
//! ```
//! use pxby_core::kernel::{Activations, dot4_i8_i16, dot4_i8_pairs};
//! let rows = [[1u8, 2, 3, 4, 5], [0xff; 5], [0x80; 5], [7; 5]]; // i8: 1.., -1, -128, 7
//! let x = [100i16, -200, 300, -400, 500];
//! let mut pairs = [0u32; 2];
//! let a = Activations::with_pairs(&x, &mut pairs);
//! let w = rows.each_ref().map(|r| &r[..]);
//! assert_eq!(a.dot4(w), dot4_i8_i16(w, &x));
//! assert_eq!(a.dot4(w)[0], 100 - 400 + 900 - 1600 + 2500);
//! ```
#![deny(clippy::float_arithmetic)]

use pxby_dsp::{USES_DSP_INSTRUCTIONS, pair, smlad, sxtb16, sxtb16_ror8};

/// `Σ w[i] · x[i]` of i8 weights (as bytes) and i16 activations in one `i32` accumulator, over
/// the shorter length. [`dot_i8_i16_lanes`] except on 32-bit Arm ([`dot_i8_i16_pairs`]: few
/// registers).
#[inline(always)]
pub fn dot_i8_i16(w: &[u8], x: &[i16]) -> i32 {
    #[cfg(target_arch = "arm")]
    {
        dot_i8_i16_pairs(w, x)
    }
    #[cfg(not(target_arch = "arm"))]
    {
        dot_i8_i16_lanes(w, x)
    }
}

/// Four [`dot_i8_i16`] against the same activations (e.g. the four gates of one LSTM unit),
/// each over the shorter of its row and `x`. On 32-bit Arm one loop loads each activation once
/// for the four rows; elsewhere four [`dot_i8_i16_lanes`].
#[inline(always)]
pub fn dot4_i8_i16(w: [&[u8]; 4], x: &[i16]) -> [i32; 4] {
    #[cfg(target_arch = "arm")]
    {
        dot4_i8_i16_shared(w, x)
    }
    #[cfg(not(target_arch = "arm"))]
    {
        // Written out (not `w.map`), so that all four loops inline into the caller.
        [
            dot_i8_i16_lanes(w[0], x),
            dot_i8_i16_lanes(w[1], x),
            dot_i8_i16_lanes(w[2], x),
            dot_i8_i16_lanes(w[3], x),
        ]
    }
}

/// [`dot4_i8_i16`] as one loop over `x` shared by the four rows.
#[inline(always)]
pub fn dot4_i8_i16_shared(w: [&[u8]; 4], x: &[i16]) -> [i32; 4] {
    let n = w.iter().fold(x.len(), |n, w| n.min(w.len()));
    if w.iter().any(|w| w.len() != n) {
        // Rows of different lengths: one at a time.
        return w.map(|w| dot_i8_i16_pairs(w, x));
    }
    let (w0, w1, w2, w3, x) = (&w[0][..n], &w[1][..n], &w[2][..n], &w[3][..n], &x[..n]);
    let mut a = [0i32; 4];
    for i in 0..n {
        let v = i32::from(x[i]);
        a[0] += i32::from(w0[i] as i8) * v;
        a[1] += i32::from(w1[i] as i8) * v;
        a[2] += i32::from(w2[i] as i8) * v;
        a[3] += i32::from(w3[i] as i8) * v;
    }
    a
}

/// [`dot_i8_i16`] in blocks of 16 (each block summed on its own, the shape LLVM maps to
/// `pmaddwd`), then the remainder.
#[inline(always)]
pub fn dot_i8_i16_lanes(w: &[u8], x: &[i16]) -> i32 {
    let n = w.len().min(x.len());
    let (w, x) = (&w[..n], &x[..n]);
    let (wb, wr) = w.as_chunks::<16>();
    let (xb, xr) = x.as_chunks::<16>();
    let mut acc = 0i32;
    for (w, x) in wb.iter().zip(xb) {
        let mut block = 0i32;
        for k in 0..16 {
            block += i32::from(w[k] as i8) * i32::from(x[k]);
        }
        acc += block;
    }
    acc + dot_i8_i16_pairs(wr, xr)
}

/// [`dot_i8_i16`] with pairs of products added before the accumulator (one accumulator).
#[inline(always)]
pub fn dot_i8_i16_pairs(w: &[u8], x: &[i16]) -> i32 {
    let n = w.len().min(x.len());
    let (w, x) = (&w[..n], &x[..n]);
    let (wp, wr) = w.as_chunks::<2>();
    let (xp, xr) = x.as_chunks::<2>();
    let mut acc = 0i32;
    for (w, x) in wp.iter().zip(xp) {
        acc += i32::from(w[0] as i8) * i32::from(x[0]) + i32::from(w[1] as i8) * i32::from(x[1]);
    }
    for (&w, &x) in wr.iter().zip(xr) {
        acc += i32::from(w as i8) * i32::from(x);
    }
    acc
}

/// Four dot products by SXTB16 and SMLAD: `pairs` holds, for each block of four activations
/// `x0..x3`, the words `(x0, x2)` and `(x1, x3)` ([`pack_pairs`]); each row's first
/// `2 · pairs.len()` weights are read as little-endian words of four. Rows shorter than that
/// count as zeros beyond their end.
#[inline(always)]
pub fn dot4_i8_pairs(w: [&[u8]; 4], pairs: &[u32]) -> [i32; 4] {
    let blocks = pairs.as_chunks::<2>().0;
    let n = 4 * blocks.len();
    let rows = w.map(|r| r.get(..n).unwrap_or(&[]).as_chunks::<4>().0);
    let mut a = [0i32; 4];
    if rows.iter().any(|r| r.len() != blocks.len()) {
        return w.map(|r| dot1_i8_pairs(r, pairs));
    }
    let [r0, r1, r2, r3] = rows;
    for ((((x, w0), w1), w2), w3) in blocks.iter().zip(r0).zip(r1).zip(r2).zip(r3) {
        for (acc, w) in a.iter_mut().zip([w0, w1, w2, w3]) {
            let w = u32::from_le_bytes(*w);
            *acc = smlad(sxtb16(w), x[0], *acc);
            *acc = smlad(sxtb16_ror8(w), x[1], *acc);
        }
    }
    a
}

/// One row of [`dot4_i8_pairs`] (rows of unequal lengths).
fn dot1_i8_pairs(w: &[u8], pairs: &[u32]) -> i32 {
    let mut acc = 0i32;
    for (x, w) in pairs.as_chunks::<2>().0.iter().zip(w.as_chunks::<4>().0) {
        let w = u32::from_le_bytes(*w);
        acc = smlad(sxtb16(w), x[0], acc);
        acc = smlad(sxtb16_ror8(w), x[1], acc);
    }
    acc
}

/// Two rows of [`dot4_i8_pairs`]: few enough live registers (two accumulators, two pair
/// words, two row pointers) that nothing spills to the stack on a Cortex-M4. Rows must hold
/// `2 · pairs.len()` weights (else they count as zeros, like [`dot4_i8_pairs`]).
#[inline(always)]
pub fn dot2_i8_pairs(w0: &[u8], w1: &[u8], pairs: &[u32]) -> [i32; 2] {
    let blocks = pairs.as_chunks::<2>().0;
    let (r0, r1) = (w0.as_chunks::<4>().0, w1.as_chunks::<4>().0);
    let (mut a0, mut a1) = (0i32, 0i32);
    for ((x, w0), w1) in blocks.iter().zip(r0).zip(r1) {
        let (w0, w1) = (u32::from_le_bytes(*w0), u32::from_le_bytes(*w1));
        a0 = smlad(sxtb16(w0), x[0], a0);
        a0 = smlad(sxtb16_ror8(w0), x[1], a0);
        a1 = smlad(sxtb16(w1), x[0], a1);
        a1 = smlad(sxtb16_ror8(w1), x[1], a1);
    }
    [a0, a1]
}

/// [`Activations::dots`] by [`dot2_i8_pairs`] for rows of `R2 / 2` columns (a multiple of
/// four, all packed in `pairs`: `PW = R2 / 4` words), two rows (`R2` bytes) at a time with
/// loops of a fixed length that LLVM unrolls completely. An odd last row goes alone.
#[inline(always)]
fn dots2_fixed<const R2: usize, const PW: usize>(w: &[u8], pairs: &[u32; PW], out: &mut [i32]) {
    let (o2, orest) = out.as_chunks_mut::<2>();
    let (rows, rest) = w.as_chunks::<R2>();
    for (o, r) in o2.iter_mut().zip(rows) {
        let (w0, w1) = r.split_at(R2 / 2);
        *o = dot2_i8_pairs(w0, w1, pairs);
    }
    if let Some(o) = orest.first_mut() {
        *o = dot1_i8_pairs(rest, pairs);
    }
}

/// [`Activations::dots`] by [`dot4_i8_i16_shared`] for rows of `N` columns (`R4 = 4·N` bytes
/// per block of four rows), with loops of a fixed length that LLVM unrolls completely; the
/// rows after the last whole block go one at a time.
#[inline(always)]
pub fn dots4_shared_fixed<const R4: usize, const N: usize>(
    w: &[u8],
    x: &[i16; N],
    out: &mut [i32],
) {
    let (o4, orest) = out.as_chunks_mut::<4>();
    let (blocks, rest) = w.as_chunks::<R4>();
    for (o, b) in o4.iter_mut().zip(blocks) {
        let rows = b.as_chunks::<N>().0;
        let mut a = [0i32; 4];
        for i in 0..N {
            let v = i32::from(x[i]);
            for (acc, r) in a.iter_mut().zip(rows) {
                *acc += i32::from(r[i] as i8) * v;
            }
        }
        *o = a;
    }
    for (o, r) in orest.iter_mut().zip(rest.chunks(N)) {
        *o = dot_i8_i16_pairs(r, x);
    }
}

/// [`Activations::dots`] for rows of `N` columns, one row at a time by [`dot_i8_i16_fixed`].
#[inline(always)]
pub fn dots_fixed<const N: usize>(w: &[u8], x: &[i16; N], out: &mut [i32]) {
    for (o, r) in out.iter_mut().zip(w.as_chunks::<N>().0) {
        *o = dot_i8_i16_fixed(r, x);
    }
}

/// [`dot_i8_i16`] of exactly `N` values, a loop of a fixed length (unrolled and vectorised
/// whole by LLVM).
#[inline(always)]
pub fn dot_i8_i16_fixed<const N: usize>(w: &[u8; N], x: &[i16; N]) -> i32 {
    let mut acc = 0i32;
    for k in 0..N {
        acc += i32::from(w[k] as i8) * i32::from(x[k]);
    }
    acc
}

/// Writes the SMLAD pairs of `x`'s whole blocks of four into `out` (two words per block) and
/// returns them; empty if `out` is too short.
pub fn pack_pairs<'o>(x: &[i16], out: &'o mut [u32]) -> &'o [u32] {
    let blocks = x.as_chunks::<4>().0;
    let Some(out) = out.get_mut(..2 * blocks.len()) else {
        return &[];
    };
    for (o, b) in out.as_chunks_mut::<2>().0.iter_mut().zip(blocks) {
        *o = [pair(b[0], b[2]), pair(b[1], b[3])];
    }
    out
}

/// Words of [`Activations`] pair storage for a vector of `len` values.
pub const fn pairs_len(len: usize) -> usize {
    len / 4 * 2
}

/// An activation vector as the kernels read it: the values, and on Armv7E-M also their SMLAD
/// pairs, packed once and shared by every row that multiplies them.
#[derive(Clone, Copy, Debug)]
pub struct Activations<'a> {
    x: &'a [i16],
    pairs: &'a [u32],
}

impl<'a> Activations<'a> {
    /// `x` for the portable kernels; on targets with the DSP instructions, its pairs are
    /// packed into `pairs` (which needs [`pairs_len`]`(x.len())` words, else the portable
    /// kernel is used).
    #[inline]
    pub fn new(x: &'a [i16], pairs: &'a mut [u32]) -> Self {
        if USES_DSP_INSTRUCTIONS {
            Self::with_pairs(x, pairs)
        } else {
            Activations { x, pairs: &[] }
        }
    }

    /// Like [`Activations::new`] but packing the pairs on every target (the SXTB16/SMLAD
    /// kernel then runs with `pxby-dsp`'s portable instructions: for tests).
    pub fn with_pairs(x: &'a [i16], pairs: &'a mut [u32]) -> Self {
        Activations {
            x,
            pairs: pack_pairs(x, pairs),
        }
    }

    /// The values.
    pub fn values(&self) -> &'a [i16] {
        self.x
    }

    /// The dot products of every row of a row-major int8 matrix with `cols` columns (the rows
    /// in `w`, `out.len()` of them) with `x` (`cols` values): by [`dot2_i8_pairs`] when the
    /// pairs are packed, else four rows at a time by [`dot4_i8_i16`]. Rows missing from `w`
    /// give 0.
    #[inline]
    pub fn dots(&self, w: &[u8], cols: usize, out: &mut [i32]) {
        let x = self.x;
        let Some(w) = w
            .get(..out.len() * cols)
            .filter(|_| cols > 0 && x.len() == cols)
        else {
            out.fill(0);
            return;
        };
        let n = 2 * self.pairs.len();
        // Armv7E-M: `pxby_dsp`'s assembly loop of four rows at a time over the SMLAD pairs
        // (whole blocks of four rows, widths a multiple of 8: the paper's LSTMs).
        if !self.pairs.is_empty() && pxby_dsp::dots4_pairs(w, cols, self.pairs, out) {
            return;
        }
        // Other shapes: loops of a fixed length, unrolled completely.
        if let Some(p) = self.pairs.first_chunk::<16>().filter(|_| cols == 32) {
            return dots2_fixed::<64, 16>(w, p, out);
        }
        if let Some(p) = self.pairs.first_chunk::<8>().filter(|_| cols == 16) {
            return dots2_fixed::<32, 8>(w, p, out);
        }
        // x86_64 (SSE2 / AVX2), wasm32 with SIMD and the Cortex-M0 (assembly): `pxby_dsp`'s
        // loop of four rows at a time, for whole blocks of four rows and word-aligned
        // activations (the generator's buffers are).
        if pxby_dsp::HAS_DOTS4_LOOP
            && bytemuck::try_cast_slice::<i16, u32>(x)
                .is_ok_and(|xw| pxby_dsp::dots4_i8_i16(w, cols, xw, out))
        {
            return;
        }
        // Elsewhere (wasm32 without SIMD; other shapes): one row at a time with loops of a
        // fixed length, which LLVM turns into straight-line vector code with one horizontal
        // sum per row.
        if !cfg!(target_arch = "arm") {
            if let Some(x) = x.first_chunk::<32>().filter(|_| cols == 32) {
                return dots_fixed::<32>(w, x, out);
            }
            if let Some(x) = x.first_chunk::<16>().filter(|_| cols == 16) {
                return dots_fixed::<16>(w, x, out);
            }
        }
        // 32-bit Arm without the DSP instructions (Cortex-M0): four rows sharing each
        // activation load, unrolled for the paper's widths.
        if cfg!(target_arch = "arm") && self.pairs.is_empty() {
            if let Some(x) = x.first_chunk::<32>().filter(|_| cols == 32) {
                return dots4_shared_fixed::<128, 32>(w, x, out);
            }
            if let Some(x) = x.first_chunk::<16>().filter(|_| cols == 16) {
                return dots4_shared_fixed::<64, 16>(w, x, out);
            }
        }
        if !self.pairs.is_empty() {
            let (tx, (o2, orest)) = (&x[n..], out.as_chunks_mut::<2>());
            let rows = w.chunks_exact(2 * cols);
            for (o, w) in o2.iter_mut().zip(rows) {
                let (w0, w1) = w.split_at(cols);
                *o = dot2_i8_pairs(w0, w1, self.pairs);
                if !tx.is_empty() {
                    o[0] += dot_i8_i16_pairs(&w0[n..], tx);
                    o[1] += dot_i8_i16_pairs(&w1[n..], tx);
                }
            }
            if let Some(o) = orest.first_mut() {
                let r = o2.len() * 2;
                *o = dot_i8_i16(&w[r * cols..(r + 1) * cols], x);
            }
            return;
        }
        let (o4, orest) = out.as_chunks_mut::<4>();
        for (o, w) in o4.iter_mut().zip(w.chunks_exact(4 * cols)) {
            let (w0, rest) = w.split_at(cols);
            let (w1, rest) = rest.split_at(cols);
            let (w2, w3) = rest.split_at(cols);
            *o = dot4_i8_i16([w0, w1, w2, w3], x);
        }
        let done = o4.len() * 4;
        for (k, o) in orest.iter_mut().enumerate() {
            let r = done + k;
            *o = dot_i8_i16(&w[r * cols..(r + 1) * cols], x);
        }
    }

    /// `Σ w[r][i] · x[i]` for four rows, over `min(row length, x.len())` like
    /// [`dot4_i8_i16`]: by SXTB16/SMLAD over the packed blocks plus a scalar tail when the
    /// pairs are packed, by [`dot4_i8_i16`] otherwise.
    #[inline(always)]
    pub fn dot4(&self, w: [&[u8]; 4]) -> [i32; 4] {
        if self.pairs.is_empty() || w.iter().any(|r| r.len() < self.x.len()) {
            return dot4_i8_i16(w, self.x);
        }
        let n = 2 * self.pairs.len();
        let mut a = dot4_i8_pairs(w, self.pairs);
        if n < self.x.len() {
            let tail = dot4_i8_i16(w.map(|r| &r[n..]), &self.x[n..]);
            for (a, t) in a.iter_mut().zip(tail) {
                *a += t;
            }
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both loop shapes of the integer dot product give the same sums, extremes included.
    #[test]
    fn integer_dot_shapes_agree() {
        let mut seed = 99u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            seed
        };
        for n in 0..=70 {
            let w: std::vec::Vec<u8> = (0..n).map(|_| (next() >> 24) as u8).collect();
            let x: std::vec::Vec<i16> = (0..n).map(|_| (next() >> 16) as i16).collect();
            let want: i64 = w
                .iter()
                .zip(&x)
                .map(|(&a, &b)| i64::from(a as i8) * i64::from(b))
                .sum();
            assert_eq!(i64::from(dot_i8_i16_lanes(&w, &x)), want, "n={n}");
            assert_eq!(i64::from(dot_i8_i16_pairs(&w, &x)), want, "n={n}");
            assert_eq!(
                dot_i8_i16(&w, &x[..n / 2]),
                dot_i8_i16_pairs(&w, &x[..n / 2])
            );
        }
        for n in [0usize, 1, 5, 16, 33] {
            let rows: std::vec::Vec<std::vec::Vec<u8>> = (0..4)
                .map(|k| {
                    (0..n + usize::from(k == 3 && n == 5))
                        .map(|_| (next() >> 24) as u8)
                        .collect()
                })
                .collect();
            let x: std::vec::Vec<i16> = (0..n).map(|_| (next() >> 16) as i16).collect();
            let w = [&rows[0][..], &rows[1][..], &rows[2][..], &rows[3][..]];
            let want = w.map(|w| dot_i8_i16_pairs(w, &x));
            assert_eq!(dot4_i8_i16_shared(w, &x), want, "n={n}");
            assert_eq!(dot4_i8_i16(w, &x), want, "n={n}");
            let mut p = [0u32; 64];
            assert_eq!(
                Activations::with_pairs(&x, &mut p).dot4(w),
                want,
                "pairs n={n}"
            );
        }
        let (w, x) = ([0x80u8; 256], [i16::MIN; 256]);
        assert_eq!(dot_i8_i16_lanes(&w, &x), dot_i8_i16_pairs(&w, &x));
        assert_eq!(i64::from(dot_i8_i16_pairs(&w, &x)), 1 << 30);
    }

    /// The SXTB16/SMLAD kernel equals the portable one on random rows of every length up to
    /// 70, extremes included.
    #[test]
    fn pair_kernel_matches_portable() {
        let mut seed = 7u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            seed
        };
        for n in 0..=70 {
            let rows: std::vec::Vec<std::vec::Vec<u8>> = (0..4)
                .map(|_| (0..n).map(|_| (next() >> 24) as u8).collect())
                .collect();
            let x: std::vec::Vec<i16> = (0..n).map(|_| (next() >> 16) as i16).collect();
            let w = [&rows[0][..], &rows[1][..], &rows[2][..], &rows[3][..]];
            let mut p = [0u32; 40];
            let a = Activations::with_pairs(&x, &mut p);
            assert_eq!(a.dot4(w), w.map(|w| dot_i8_i16_pairs(w, &x)), "n={n}");
            let mut short = [0u32; 1];
            assert_eq!(
                Activations::with_pairs(&x, &mut short).dot4(w),
                dot4_i8_i16(w, &x)
            );
        }
        let (w, x) = ([0x80u8; 256], [i16::MIN; 256]);
        let mut p = [0u32; 128];
        let a = Activations::with_pairs(&x, &mut p);
        assert_eq!(a.dot4([&w[..]; 4]), [1 << 30; 4]);
    }

    /// Whole-matrix dots agree between the pair kernel and the portable one, for odd row
    /// counts and column counts that are not multiples of four.
    #[test]
    fn matrix_dots_agree() {
        let mut seed = 11u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            seed
        };
        for (rows, cols) in [
            (1, 1),
            (4, 16),
            (7, 32),
            (9, 16),
            (128, 32),
            (5, 81),
            (3, 6),
            (0, 8),
        ] {
            let w: std::vec::Vec<u8> = (0..rows * cols).map(|_| (next() >> 24) as u8).collect();
            let x: std::vec::Vec<i16> = (0..cols).map(|_| (next() >> 16) as i16).collect();
            let want: std::vec::Vec<i32> =
                w.chunks(cols).map(|r| dot_i8_i16_pairs(r, &x)).collect();
            let (mut a, mut b) = (std::vec![0i32; rows], std::vec![0i32; rows]);
            let mut p = [0u32; 64];
            Activations::with_pairs(&x, &mut p).dots(&w, cols, &mut a);
            Activations { x: &x, pairs: &[] }.dots(&w, cols, &mut b);
            assert_eq!((&a, &b), (&want, &want), "{rows}x{cols}");
            // The Cortex-M0's unrolled kernel.
            let mut m0 = std::vec![0i32; rows];
            match cols {
                32 => dots4_shared_fixed::<128, 32>(&w, x.first_chunk().unwrap(), &mut m0),
                16 => dots4_shared_fixed::<64, 16>(&w, x.first_chunk().unwrap(), &mut m0),
                _ => m0.clone_from(&want),
            }
            assert_eq!(m0, want, "M0 {rows}x{cols}");
            // Fewer outputs than the matrix has rows: the first rows only.
            let mut c = std::vec![0i32; rows.saturating_sub(2) | 1];
            if c.len() <= rows {
                Activations::with_pairs(&x, &mut p).dots(&w, cols, &mut c);
                assert_eq!(c, want[..c.len()], "{rows}x{cols}, first {}", c.len());
            }
        }
    }
}

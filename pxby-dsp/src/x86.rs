//! [`dots4_i8_i16`](crate::dots4_i8_i16) on x86_64 with vector intrinsics: AVX2 when the CPU
//! has it (detected at run time, feature `std`), else SSE2 (part of every x86_64 CPU).
//!
//! LLVM vectorises one row's dot product by itself (SSE2, the x86_64 baseline), but it ends
//! every row with a horizontal sum whose shuffles took most of a `perf` profile of the LSTM
//! steps, and it sign-extends the int8 weights with two instructions per eight. These loops
//! keep four lane sums per row in a register and add four rows across at once (one 4 × 4
//! transpose-and-add), and with AVX2 widen 16 weights with one `vpmovsxbw`.
//!
//! The intrinsics are safe functions inside functions marked `#[target_feature]`; calling
//! those is this module's only `unsafe`: SSE2 is in the baseline of every x86_64 target, and
//! the AVX2 function is called only when the CPU reports AVX2. Integer sums do not depend on
//! the order of the additions, so every variant gives the same bits as
//! [`crate::portable::dots4_i8_i16`] (tests compare them).
use core::arch::x86_64::{
    __m128i, __m256i, _mm_add_epi32, _mm_madd_epi16, _mm_setzero_si128, _mm_srai_epi16,
    _mm_unpackhi_epi8, _mm_unpackhi_epi32, _mm_unpackhi_epi64, _mm_unpacklo_epi8,
    _mm_unpacklo_epi32, _mm_unpacklo_epi64, _mm256_add_epi32, _mm256_castsi256_si128,
    _mm256_cvtepi8_epi16, _mm256_extracti128_si256, _mm256_madd_epi16, _mm256_setzero_si256,
    _mm256_unpackhi_epi32, _mm256_unpackhi_epi64, _mm256_unpacklo_epi32, _mm256_unpacklo_epi64,
};

/// The checked call of [`crate::dots4_i8_i16`]: `cols ≥ 2` even, `x.len() == cols / 2`,
/// `out.len()` a multiple of 4, `w` holding `out.len()` rows.
pub(crate) fn dots4_i8_i16(w: &[u8], cols: usize, x: &[u32], out: &mut [i32]) {
    #[allow(unsafe_code)]
    if has_avx2() {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { dots4_avx2(w, cols, x, out) }
    } else {
        // SAFETY: SSE2 is in the baseline of every x86_64 target, so the CPU has it.
        unsafe { dots4_sse2(w, cols, x, out) }
    }
}

/// True when the CPU has AVX2 (`std`'s cached detection; without `std`, false).
#[inline]
pub(crate) fn has_avx2() -> bool {
    #[cfg(feature = "std")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(feature = "std"))]
    {
        false
    }
}

/// [`dots4_i8_i16`] with AVX2: rows of 16 and 32 columns (the paper's LSTM widths) with
/// loops of a fixed length, others by SSE2 ([`dots4_any`]).
#[target_feature(enable = "avx2")]
fn dots4_avx2(w: &[u8], cols: usize, x: &[u32], out: &mut [i32]) {
    if let Some(xb) = crate::blocks::<1>(x) {
        return dots4_avx2_fixed::<1, 64>(w, &xb, out);
    }
    if let Some(xb) = crate::blocks::<2>(x) {
        return dots4_avx2_fixed::<2, 128>(w, &xb, out);
    }
    dots4_any(w, cols, x, out);
}

/// Four rows of `16·B` columns at a time (`R4 = 64·B` bytes) with AVX2: each block of 16
/// weights is one `vpmovsxbw` and one `vpmaddwd`.
#[target_feature(enable = "avx2")]
fn dots4_avx2_fixed<const B: usize, const R4: usize>(w: &[u8], x: &[[u32; 8]; B], out: &mut [i32]) {
    let x: [__m256i; B] = core::array::from_fn(|k| bytemuck::cast(x[k]));
    for (o, block) in out
        .as_chunks_mut::<4>()
        .0
        .iter_mut()
        .zip(w.as_chunks::<R4>().0)
    {
        let mut lanes = [_mm256_setzero_si256(); 4];
        for (l, row) in lanes
            .iter_mut()
            .zip(block.as_chunks::<16>().0.chunks_exact(B))
        {
            for (wb, xk) in row.iter().zip(&x) {
                let wv = _mm256_cvtepi8_epi16(bytemuck::cast(*wb));
                *l = _mm256_add_epi32(*l, _mm256_madd_epi16(wv, *xk));
            }
        }
        // The transpose-and-add within each 128-bit half, then the two halves added.
        let [a0, a1, a2, a3] = lanes;
        let s01 = _mm256_add_epi32(_mm256_unpacklo_epi32(a0, a1), _mm256_unpackhi_epi32(a0, a1));
        let s23 = _mm256_add_epi32(_mm256_unpacklo_epi32(a2, a3), _mm256_unpackhi_epi32(a2, a3));
        let t = _mm256_add_epi32(
            _mm256_unpacklo_epi64(s01, s23),
            _mm256_unpackhi_epi64(s01, s23),
        );
        let sums = _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256::<1>(t));
        *o = bytemuck::cast(sums);
    }
}

/// [`dots4_i8_i16`] in SSE2 intrinsics: rows of 16 and 32 columns (the paper's LSTM widths)
/// with loops of a fixed length, other widths by [`dots4_any`].
#[target_feature(enable = "sse2")]
fn dots4_sse2(w: &[u8], cols: usize, x: &[u32], out: &mut [i32]) {
    if let Some(xb) = crate::blocks::<1>(x) {
        return dots4_fixed::<1, 64>(w, &xb, out);
    }
    if let Some(xb) = crate::blocks::<2>(x) {
        return dots4_fixed::<2, 128>(w, &xb, out);
    }
    dots4_any(w, cols, x, out);
}

/// Four rows of `16·B` columns at a time (`R4 = 64·B` bytes), `x` as `B` blocks of eight words.
#[target_feature(enable = "sse2")]
fn dots4_fixed<const B: usize, const R4: usize>(w: &[u8], x: &[[u32; 8]; B], out: &mut [i32]) {
    let x: [[__m128i; 2]; B] = core::array::from_fn(|k| bytemuck::cast(x[k]));
    for (o, block) in out
        .as_chunks_mut::<4>()
        .0
        .iter_mut()
        .zip(w.as_chunks::<R4>().0)
    {
        let mut lanes = [_mm_setzero_si128(); 4];
        for (l, row) in lanes
            .iter_mut()
            .zip(block.as_chunks::<16>().0.chunks_exact(B))
        {
            for (wb, xk) in row.iter().zip(&x) {
                *l = _mm_add_epi32(*l, block16(*wb, *xk));
            }
        }
        *o = add_across(lanes);
    }
}

/// Four rows of any even width: whole blocks of 16 columns, then the rest one at a time.
#[target_feature(enable = "sse2")]
fn dots4_any(w: &[u8], cols: usize, x: &[u32], out: &mut [i32]) {
    let (xb, _) = x.as_chunks::<8>();
    let body = 16 * xb.len();
    for (o, block) in out.chunks_exact_mut(4).zip(w.chunks_exact(4 * cols)) {
        let mut lanes = [_mm_setzero_si128(); 4];
        for (l, row) in lanes.iter_mut().zip(block.chunks_exact(cols)) {
            let (w16, _) = row[..body].as_chunks::<16>();
            for (wb, xk) in w16.iter().zip(xb) {
                *l = _mm_add_epi32(*l, block16(*wb, bytemuck::cast(*xk)));
            }
        }
        let mut sums = add_across(lanes);
        // Columns after the last block of 16.
        for (r, s) in sums.iter_mut().enumerate() {
            let row = &block[r * cols..(r + 1) * cols];
            for c in body..cols {
                let v = (x[c / 2] >> (16 * (c % 2))) as u16 as i16;
                *s = s.wrapping_add(i32::from(row[c] as i8) * i32::from(v));
            }
        }
        o.copy_from_slice(&sums);
    }
}

/// The four lane sums of 16 int8 weights times 16 int16 values (`x[0]` the first eight).
#[inline]
#[target_feature(enable = "sse2")]
fn block16(w: [u8; 16], x: [__m128i; 2]) -> __m128i {
    let wv: __m128i = bytemuck::cast(w);
    // Bytes doubled into 16-bit lanes, then shifted down: sign-extended int8.
    let lo = _mm_srai_epi16(_mm_unpacklo_epi8(wv, wv), 8);
    let hi = _mm_srai_epi16(_mm_unpackhi_epi8(wv, wv), 8);
    _mm_add_epi32(_mm_madd_epi16(lo, x[0]), _mm_madd_epi16(hi, x[1]))
}

/// Lane `r` of the result: the sum of the four lanes of `lanes[r]` (a 4 × 4 transpose-and-add).
#[inline]
#[target_feature(enable = "sse2")]
fn add_across(lanes: [__m128i; 4]) -> [i32; 4] {
    let [a0, a1, a2, a3] = lanes;
    let s01 = _mm_add_epi32(_mm_unpacklo_epi32(a0, a1), _mm_unpackhi_epi32(a0, a1));
    let s23 = _mm_add_epi32(_mm_unpacklo_epi32(a2, a3), _mm_unpackhi_epi32(a2, a3));
    bytemuck::cast(_mm_add_epi32(
        _mm_unpacklo_epi64(s01, s23),
        _mm_unpackhi_epi64(s01, s23),
    ))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// Every x86_64 loop (SSE2 fixed widths and any width, AVX2 when the CPU has it) equals
    /// the portable loop, on random rows and the extreme values.
    #[test]
    fn sse2_and_avx2_loops_equal_the_portable_loop() {
        let mut s = 0x2545_f491u32;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        };
        for (rows, cols) in [
            (4usize, 2usize),
            (8, 16),
            (128, 32),
            (4, 256),
            (12, 6),
            (8, 50),
        ] {
            for extreme in [false, true] {
                let w: Vec<u8> = (0..rows * cols)
                    .map(|_| if extreme { 0x80 } else { next() as u8 })
                    .collect();
                let x: Vec<u32> = (0..cols / 2)
                    .map(|_| if extreme { 0x8000_8000 } else { next() })
                    .collect();
                let mut want = std::vec![0i32; rows];
                crate::portable::dots4_i8_i16(&w, cols, &x, &mut want);
                let mut got = std::vec![0i32; rows];
                #[allow(unsafe_code)]
                // SAFETY: SSE2 is in the x86_64 baseline.
                unsafe {
                    dots4_sse2(&w, cols, &x, &mut got);
                }
                assert_eq!(got, want, "SSE2 {rows}x{cols}");
                if has_avx2() {
                    got.fill(0);
                    #[allow(unsafe_code)]
                    // SAFETY: the CPU has AVX2 (checked).
                    unsafe {
                        dots4_avx2(&w, cols, &x, &mut got);
                    }
                    assert_eq!(got, want, "AVX2 {rows}x{cols}");
                }
            }
        }
    }
}

//! [`dots4_i8_i16`](crate::dots4_i8_i16) on wasm32 built with WebAssembly SIMD
//! (`-C target-feature=+simd128`, as the web page's build does): the x86_64 loop's structure
//! (four lane sums per row, four rows added across at once) with `i16x8.extend_*_i8x16_s`
//! widening 8 weights per instruction and `i32x4.dot_i16x8_s` (`pmaddwd`'s twin). On wasm the
//! SIMD intrinsics are safe functions. Integer sums, so the same bits as
//! [`crate::portable::dots4_i8_i16`]; the browser test checks the page's token stream against
//! the host's.
use core::arch::wasm32::{
    i16x8_extend_high_i8x16, i16x8_extend_low_i8x16, i32x4_add, i32x4_dot_i16x8, i32x4_shuffle,
    i64x2_shuffle, v128, v128_xor,
};

/// The checked call of [`crate::dots4_i8_i16`]: rows of 16 and 32 columns (the paper's LSTM
/// widths) with loops of a fixed length, other widths by the portable loop.
pub(crate) fn dots4_i8_i16(w: &[u8], cols: usize, x: &[u32], out: &mut [i32]) {
    if let Some(xb) = crate::blocks::<1>(x) {
        return dots4_fixed::<1, 64>(w, &xb, out);
    }
    if let Some(xb) = crate::blocks::<2>(x) {
        return dots4_fixed::<2, 128>(w, &xb, out);
    }
    crate::portable::dots4_i8_i16(w, cols, x, out);
}

/// Four rows of `16·B` columns at a time (`R4 = 64·B` bytes), `x` as `B` blocks of eight words.
fn dots4_fixed<const B: usize, const R4: usize>(w: &[u8], x: &[[u32; 8]; B], out: &mut [i32]) {
    let x: [[v128; 2]; B] = core::array::from_fn(|k| bytemuck::cast(x[k]));
    for (o, block) in out
        .as_chunks_mut::<4>()
        .0
        .iter_mut()
        .zip(w.as_chunks::<R4>().0)
    {
        let zero = v128_xor(x[0][0], x[0][0]);
        let mut lanes = [zero; 4];
        for (l, row) in lanes
            .iter_mut()
            .zip(block.as_chunks::<16>().0.chunks_exact(B))
        {
            for (wb, xk) in row.iter().zip(&x) {
                let wv: v128 = bytemuck::cast(*wb);
                let lo = i32x4_dot_i16x8(i16x8_extend_low_i8x16(wv), xk[0]);
                let hi = i32x4_dot_i16x8(i16x8_extend_high_i8x16(wv), xk[1]);
                *l = i32x4_add(*l, i32x4_add(lo, hi));
            }
        }
        // Transpose-and-add: lane r of the result is the sum of row r's four lanes.
        let [a0, a1, a2, a3] = lanes;
        let s01 = i32x4_add(
            i32x4_shuffle::<0, 4, 1, 5>(a0, a1),
            i32x4_shuffle::<2, 6, 3, 7>(a0, a1),
        );
        let s23 = i32x4_add(
            i32x4_shuffle::<0, 4, 1, 5>(a2, a3),
            i32x4_shuffle::<2, 6, 3, 7>(a2, a3),
        );
        let sums = i32x4_add(
            i64x2_shuffle::<0, 2>(s01, s23),
            i64x2_shuffle::<1, 3>(s01, s23),
        );
        *o = bytemuck::cast(sums);
    }
}

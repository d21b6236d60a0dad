//! Plain-Rust definitions of the DSP instructions, used on targets without them and as the
//! reference the instruction versions must equal.

/// SXTB16 (see [`crate::sxtb16`]).
#[inline(always)]
pub fn sxtb16(w: u32) -> u32 {
    let b0 = i16::from(w as u8 as i8);
    let b2 = i16::from((w >> 16) as u8 as i8);
    crate::pair(b0, b2)
}

/// SXTB16 with ROR #8 (see [`crate::sxtb16_ror8`]).
#[inline(always)]
pub fn sxtb16_ror8(w: u32) -> u32 {
    sxtb16(w.rotate_right(8))
}

/// SMLAD (see [`crate::smlad`]).
#[inline(always)]
pub fn smlad(a: u32, b: u32, acc: i32) -> i32 {
    let lo = i32::from(a as u16 as i16) * i32::from(b as u16 as i16);
    let hi = i32::from((a >> 16) as u16 as i16) * i32::from((b >> 16) as u16 as i16);
    acc.wrapping_add(lo).wrapping_add(hi)
}

/// The four-row dot products (see [`crate::dots4_i8_i16`], which checks the lengths): wrapping
/// `i32` sums, four rows sharing each activation.
pub fn dots4_i8_i16(w: &[u8], cols: usize, x: &[u32], out: &mut [i32]) {
    for (o, block) in out.chunks_exact_mut(4).zip(w.chunks_exact(4 * cols)) {
        let mut acc = [0i32; 4];
        for (k, &pair) in x.iter().enumerate() {
            for (half, v) in [(0, pair as u16 as i16), (1, (pair >> 16) as u16 as i16)] {
                let c = 2 * k + half;
                for (r, a) in acc.iter_mut().enumerate() {
                    let wv = i32::from(block[r * cols + c] as i8);
                    *a = a.wrapping_add(wv.wrapping_mul(i32::from(v)));
                }
            }
        }
        o.copy_from_slice(&acc);
    }
}

/// The four-row dot products over SMLAD pairs (see [`crate::dots4_pairs`], which checks the
/// lengths): the values unpacked from the pairs, then [`dots4_i8_i16`].
pub fn dots4_pairs(w: &[u8], cols: usize, pairs: &[u32], out: &mut [i32]) {
    // Pairs (x0, x2), (x1, x3) per block of four values, back to the words (x0, x1), (x2, x3).
    let mut x = [0u32; MAX_PAIR_WORDS];
    let Some(x) = x.get_mut(..pairs.len()) else {
        return out.fill(0);
    };
    for (xw, p) in x
        .as_chunks_mut::<2>()
        .0
        .iter_mut()
        .zip(pairs.as_chunks::<2>().0)
    {
        let (x0, x2) = (p[0] as u16, (p[0] >> 16) as u16);
        let (x1, x3) = (p[1] as u16, (p[1] >> 16) as u16);
        *xw = [
            u32::from(x0) | (u32::from(x1) << 16),
            u32::from(x2) | (u32::from(x3) << 16),
        ];
    }
    dots4_i8_i16(w, cols, x, out);
}

/// Words of pairs [`dots4_pairs`] unpacks on the stack: vectors of up to 256 values.
const MAX_PAIR_WORDS: usize = 128;

/// SMMULR (see [`crate::wide_gates`]): the high word of `a · m`, rounded.
#[inline(always)]
pub fn smmulr(a: i32, m: i32) -> i32 {
    ((i64::from(a) * i64::from(m) + (1 << 31)) >> 32) as i32
}

/// The gate rows of a widened matrix (see [`crate::wide_gates`], which checks the lengths).
pub fn wide_gates(w: &[u32], x: &[u32], out: &mut [u32]) {
    let block = crate::wide_block_words(x.len());
    for (b, o) in w.chunks_exact(block).zip(out.chunks_exact_mut(2)) {
        let (bias, rest) = b.split_at(4);
        let (weights, mult) = rest.split_at(4 * x.len());
        let mut acc = [0i32; 4];
        for (a, &b) in acc.iter_mut().zip(bias) {
            *a = b as i32;
        }
        for (&xw, q) in x.iter().zip(weights.chunks_exact(4)) {
            for (a, &w) in acc.iter_mut().zip(q) {
                *a = smlad(w, xw, *a);
            }
        }
        let v = |j: usize| {
            let v = smmulr(acc[j], mult[j] as i32);
            v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
        };
        for (h, o) in o.iter_mut().enumerate() {
            let lo = (*o as u16 as i16).saturating_add(v(2 * h));
            let hi = ((*o >> 16) as u16 as i16).saturating_add(v(2 * h + 1));
            *o = crate::pair(lo, hi);
        }
    }
}

/// One interpolated table lookup of [`lstm_cells`]: the input clamped to `[−2^14, 2^14)`, its
/// segment `x >> 7` and position `x & 127`, then `(y0·(128 − f) + y1·f + 64) >> 7`.
#[inline(always)]
fn lookup(table: &[u8; crate::TABLE_BYTES], x: i32) -> i32 {
    let x = x.clamp(-(1 << 14), (1 << 14) - 1);
    let at = 2 * ((x >> 7) + 128) as usize;
    let y0 = i32::from(i16::from_le_bytes([table[at], table[at + 1]]));
    let y1 = i32::from(i16::from_le_bytes([table[at + 2], table[at + 3]]));
    let f = x & 127;
    (y0 * (128 - f) + y1 * f + 64) >> 7
}

/// The LSTM cell update (see [`crate::lstm_cells`], which checks the lengths).
pub fn lstm_cells(
    gates: &[i16],
    c: &mut [i16],
    h: &mut [i16],
    sigmoid: &[u8; crate::TABLE_BYTES],
    tanh: &[u8; crate::TABLE_BYTES],
    cell_shift: u32,
) {
    let n = c.len();
    let (gi, rest) = gates.split_at(n);
    let (gf, rest) = rest.split_at(n);
    let (gg, go) = rest.split_at(n);
    for j in 0..n {
        let i = lookup(sigmoid, i32::from(gi[j]));
        let f = lookup(sigmoid, i32::from(gf[j]));
        let g = lookup(tanh, i32::from(gg[j]));
        let o = lookup(sigmoid, i32::from(go[j]));
        let fc = (f * i32::from(c[j]) + (1 << 14)) >> 15;
        let ig = (i * g + (1 << (29 - cell_shift))) >> (30 - cell_shift);
        let cn = (fc + ig).clamp(-32768, 32767);
        c[j] = cn as i16;
        let th = lookup(tanh, cn << (11 - cell_shift));
        h[j] = ((o * th + (1 << 14)) >> 15).clamp(-32768, 32767) as i16;
    }
}

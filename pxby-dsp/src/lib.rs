//! The two Cortex-M DSP instructions behind the integer LSTM kernels of `pxby-core`, and the
//! Cortex-M0's dot-product loop, as safe functions that give the same result on every target:
//! - [`sxtb16`] / [`sxtb16_ror8`]: the even / odd bytes of a word, sign-extended to two `i16`
//!   halves;
//! - [`smlad`]: two 16 × 16-bit products added to an accumulator;
//! - [`dots4_i8_i16`]: int8 rows times an int16 vector, four rows at a time (on Armv6-M,
//!   `cfg(pxby_m0)`, one `asm!` loop in the private module `m0` that keeps its accumulators in
//!   registers; on x86_64 SSE2 or AVX2 intrinsics in the private module `x86`; on wasm32 with
//!   SIMD its intrinsics in `wasm`; elsewhere [`portable::dots4_i8_i16`]);
//! - [`dots4_pairs`]: the same over the SMLAD pairs of the vector (on Armv7E-M one `asm!` loop
//!   in the private module `v7em`; elsewhere [`portable::dots4_pairs`]).
//!
//! On Armv7E-M (`thumbv7em-*`, `thumbv8m.main-*`; `cfg(pxby_dsp)` set by the build script) each
//! is one instruction, written with `asm!` in the private module `arm`, which touches no memory;
//! with `v7em`, `m0` and `x86`, the only `unsafe` code of the runtime. Everywhere else the same
//! functions are plain Rust ([`portable`]), and the tests check the instruction semantics
//! against them.
//!
//! With them, four int8 weights `w0..w3` (one little-endian word) times four int16 inputs
//! `x0..x3` take two SXTB16 and two SMLAD, once the inputs are stored as the pairs
//! `(x0, x2)` and `(x1, x3)`:
//!
//! ```
//! use pxby_dsp::{pair, smlad, sxtb16, sxtb16_ror8};
//! let w = u32::from_le_bytes([(-3i8) as u8, 5, (-128i8) as u8, 127]);
//! let x = [1000i16, -2000, 3000, -32768];
//! let acc = smlad(sxtb16(w), pair(x[0], x[2]), 7);
//! let acc = smlad(sxtb16_ror8(w), pair(x[1], x[3]), acc);
//! assert_eq!(acc, 7 - 3 * 1000 + 5 * -2000 - 128 * 3000 + 127 * -32768);
//! ```
#![no_std]
#[cfg(feature = "std")]
extern crate std;

#[cfg(pxby_dsp)]
mod arm;
#[cfg(pxby_m0)]
mod m0;
pub mod portable;
#[cfg(pxby_dsp)]
mod v7em;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm;
#[cfg(target_arch = "x86_64")]
mod x86;

/// True when this build uses the DSP instructions (`cfg(pxby_dsp)`), false when it uses
/// [`portable`].
pub const USES_DSP_INSTRUCTIONS: bool = cfg!(pxby_dsp);

/// Packs two `i16` into one word, `lo` in bits 0..16 (the layout SMLAD reads).
#[inline(always)]
pub fn pair(lo: i16, hi: i16) -> u32 {
    u32::from(lo as u16) | (u32::from(hi as u16) << 16)
}

/// SXTB16: bytes 0 and 2 of `w`, each sign-extended to 16 bits, in the low and high halves.
#[inline(always)]
pub fn sxtb16(w: u32) -> u32 {
    #[cfg(pxby_dsp)]
    {
        arm::sxtb16(w)
    }
    #[cfg(not(pxby_dsp))]
    {
        portable::sxtb16(w)
    }
}

/// SXTB16 with ROR #8: bytes 1 and 3 of `w`, each sign-extended to 16 bits.
#[inline(always)]
pub fn sxtb16_ror8(w: u32) -> u32 {
    #[cfg(pxby_dsp)]
    {
        arm::sxtb16_ror8(w)
    }
    #[cfg(not(pxby_dsp))]
    {
        portable::sxtb16_ror8(w)
    }
}

/// SMLAD: `acc + lo(a)·lo(b) + hi(a)·hi(b)` with signed 16-bit halves. Like the instruction,
/// the sum wraps on `i32` overflow (callers keep their sums in range).
#[inline(always)]
pub fn smlad(a: u32, b: u32, acc: i32) -> i32 {
    #[cfg(pxby_dsp)]
    {
        arm::smlad(a, b, acc)
    }
    #[cfg(not(pxby_dsp))]
    {
        portable::smlad(a, b, acc)
    }
}

/// True when [`dots4_i8_i16`] is a loop of its own for this target (the Cortex-M0's assembly,
/// x86_64's SSE2 / AVX2 intrinsics, wasm32's SIMD intrinsics) rather than
/// [`portable::dots4_i8_i16`], which LLVM compiles less well than a one-row loop.
pub const HAS_DOTS4_LOOP: bool = cfg!(any(
    pxby_m0,
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
));

/// `out[r] = Σ_c w[r · cols + c] · x_c` (wrapping `i32` sums) for every row `r < out.len()` of
/// a row-major int8 matrix (as bytes), where `x` holds the int16 vector as little-endian words
/// of two values (`x_{2k}` in the low half of `x[k]`, `x_{2k+1}` in the high half: the memory
/// layout of an `[i16]`, viewed as words).
///
/// The rows go four at a time: on the Cortex-M0 (`cfg(pxby_m0)`) one assembly loop, on
/// x86_64 and on wasm32 with SIMD vector intrinsics, elsewhere [`portable::dots4_i8_i16`]
/// ([`HAS_DOTS4_LOOP`] tells which). Returns `false` and leaves `out`
/// alone unless `cols` is even and at least 2, `x.len() == cols / 2`, `out.len()` is a
/// non-zero multiple of 4 and `w` holds `out.len()` rows.
///
/// ```
/// let w: Vec<u8> = (0..4 * 6).map(|i| (i as i8 - 12) as u8).collect();
/// let x = [pxby_dsp::pair(1, -2), pxby_dsp::pair(3, 100), pxby_dsp::pair(-7, 5)];
/// let mut out = [0i32; 4];
/// assert!(pxby_dsp::dots4_i8_i16(&w, 6, &x, &mut out));
/// assert_eq!(out[0], -12 * 1 + -11 * -2 + -10 * 3 + -9 * 100 + -8 * -7 + -7 * 5);
/// ```
pub fn dots4_i8_i16(w: &[u8], cols: usize, x: &[u32], out: &mut [i32]) -> bool {
    let ok = cols >= 2
        && cols.is_multiple_of(2)
        && x.len() == cols / 2
        && !out.is_empty()
        && out.len().is_multiple_of(4)
        && out.len().checked_mul(cols).is_some_and(|n| w.len() >= n);
    if ok {
        #[cfg(pxby_m0)]
        m0::dots4_i8_i16(w, cols, x, out);
        #[cfg(target_arch = "x86_64")]
        x86::dots4_i8_i16(w, cols, x, out);
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        wasm::dots4_i8_i16(w, cols, x, out);
        #[cfg(not(any(
            pxby_m0,
            target_arch = "x86_64",
            all(target_arch = "wasm32", target_feature = "simd128")
        )))]
        portable::dots4_i8_i16(w, cols, x, out);
    }
    ok
}

/// The words of a vector of `16·B` values as `B` blocks of eight words (what the vector loops
/// of x86_64 and wasm32 take), or `None` for another length.
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
fn blocks<const B: usize>(x: &[u32]) -> Option<[[u32; 8]; B]> {
    let (b, rest) = x.as_chunks::<8>();
    (b.len() == B && rest.is_empty()).then(|| core::array::from_fn(|k| b[k]))
}

/// `out[r] = Σ_c w[r · cols + c] · x_c` (wrapping `i32` sums) like [`dots4_i8_i16`], with the
/// vector given as its SMLAD pairs: per block of four values `x0..x3`, the words
/// [`pair`]`(x0, x2)` and `pair(x1, x3)` (what one weight word's [`sxtb16`] and
/// [`sxtb16_ror8`] multiply). On Armv7E-M (`cfg(pxby_dsp)`) one assembly loop of four rows at a
/// time (private module `v7em`), elsewhere [`portable::dots4_pairs`]. Returns `false` and
/// leaves `out` alone unless `cols` is a non-zero multiple of 8 (at most 256),
/// `pairs.len() == cols / 2`, `out.len()` is a non-zero multiple of 4 and `w` holds
/// `out.len()` rows.
///
/// ```
/// use pxby_dsp::pair;
/// let w: Vec<u8> = (0..4 * 8).map(|i| (i as i8 - 12) as u8).collect();
/// let x = [1i16, -2, 3, 100, -7, 5, 0, 9];
/// let pairs = [pair(x[0], x[2]), pair(x[1], x[3]), pair(x[4], x[6]), pair(x[5], x[7])];
/// let mut out = [0i32; 4];
/// assert!(pxby_dsp::dots4_pairs(&w, 8, &pairs, &mut out));
/// let row0: i32 = (0..8).map(|c| i32::from(w[c] as i8) * i32::from(x[c])).sum();
/// assert_eq!(out[0], row0);
/// ```
pub fn dots4_pairs(w: &[u8], cols: usize, pairs: &[u32], out: &mut [i32]) -> bool {
    let ok = cols >= 8
        && cols.is_multiple_of(8)
        && cols <= 256
        && pairs.len() == cols / 2
        && !out.is_empty()
        && out.len().is_multiple_of(4)
        && out.len().checked_mul(cols).is_some_and(|n| w.len() >= n);
    if ok {
        #[cfg(pxby_dsp)]
        v7em::dots4_pairs(w, cols, pairs, out);
        #[cfg(not(pxby_dsp))]
        portable::dots4_pairs(w, cols, pairs, out);
    }
    ok
}

/// Words of one block of four rows of a [`wide_gates`] matrix whose rows hold `pairs` weight
/// pairs: four biases, `4 · pairs` weight words, four multipliers.
pub const fn wide_block_words(pairs: usize) -> usize {
    4 * pairs + 8
}

/// The gate pre-activations of an LSTM matrix stored *widened*: int8 weights as `i16` pairs,
/// four rows interleaved, the layout the SMLAD loop of the Cortex-M4 reads without unpacking.
///
/// `w` holds blocks of [`wide_block_words`]`(x.len())` words, one per four rows `r0..r3`: the
/// four `i32` biases; then for each pair `p` of columns the words
/// [`pair`]`(w[r][2p], w[r][2p + 1])` of the four rows; then the four rows' multipliers `M`
/// (`i32`). `x` holds the activations as `pair(x[2p], x[2p + 1])`; `out` the gates as `i16`
/// pairs, two words per block. For every row: `a = b[r] + Σ_c w[r][c]·x[c]` (wrapping `i32`),
/// `v = (a · M[r] + 2^31) >> 32` (SMMULR), `out[r] = sat16(out[r] + sat16(v))` (SSAT,
/// QADD16). With `M = m · 2^(32 − s)` this is exactly the requantisation by a 15-bit
/// multiplier `m` and a shift `s` in `17..=32`, `(a·m + 2^(s−1)) >> s`.
///
/// On Armv7E-M (`cfg(pxby_dsp)`) assembly (private module `v7em`): per two pairs of columns
/// one `ldrd` of the activations, two `ldm` of four weight words and eight SMLAD (0.69
/// instructions per multiply-add), then 17 instructions of requantisation per block;
/// straight-line for rows of 16 and 32 columns, a loop for other widths. Elsewhere
/// [`portable::wide_gates`]. Returns `false` and leaves `out` alone unless `x.len()` is a
/// non-zero multiple of 4 (at most 128 pairs), `out` holds two words per block and `w`
/// exactly that many blocks.
///
/// ```
/// use pxby_dsp::{pair, wide_gates};
/// // One block: rows 0..3, eight columns (four pairs); row r has weights r + 1.
/// let x = [pair(100, 100); 4];
/// let mut w = vec![0u32, 0, 0, 1 << 20]; // biases
/// for _ in 0..4 {
///     w.extend((1..=4).map(|r| pair(r, r)));
/// }
/// w.extend([1u32 << 29; 4]); // M = 2^29: v = a / 8, rounded
/// let mut out = [pair(0, 0), pair(1, 32767)];
/// assert!(wide_gates(&w, &x, &mut out));
/// assert_eq!(out[0], pair(100, 200));
/// assert_eq!(out[1], pair(1 + 300, 32767)); // the last row saturates
/// ```
pub fn wide_gates(w: &[u32], x: &[u32], out: &mut [u32]) -> bool {
    let p = x.len();
    let ok = p >= 4
        && p.is_multiple_of(4)
        && p <= 128
        && !out.is_empty()
        && out.len().is_multiple_of(2)
        && w.len() == out.len() / 2 * wide_block_words(p);
    if ok {
        #[cfg(pxby_dsp)]
        v7em::wide_gates(w, x, out);
        #[cfg(not(pxby_dsp))]
        portable::wide_gates(w, x, out);
    }
    ok
}

/// Bytes of an activation table of [`lstm_cells`]: 257 little-endian `i16`.
pub const TABLE_BYTES: usize = 514;

/// The LSTM cell update of `pxby-core`'s integer path for cell shifts up to 11, over
/// `c.len()` units: `gates` holds the pre-activations `[i; f; g; o]` (`4 · c.len()` values, gate
/// units `2^-11`), `c` the cell state at `2^-cell_shift` (updated in place), `h` receives
/// the hidden state (Q15). With `L(t, x)` the interpolated lookup of table `t` (input clamped
/// to `[−2^14, 2^14)`, entries `y0, y1` of segment `(x >> 7) + 128`, `f = x & 127`,
/// `L = (y0·(128 − f) + y1·f + 64) >> 7`) and `s = cell_shift`:
///
/// `c' = sat16(((L(σ,f)·c + 2^14) >> 15) + ((L(σ,i)·L(tanh,g) + 2^(29−s)) >> (30 − s)))`,
/// `h = sat16((L(σ,o)·L(tanh, c' << (11 − s)) + 2^14) >> 15)`.
///
/// On Armv7E-M (`cfg(pxby_dsp)`) one assembly loop (private module `v7em`, 63 instructions per
/// unit: one SMLAD per lookup, SMLABB/SMULBB for the products), elsewhere
/// [`portable::lstm_cells`]. Returns `false` and does nothing unless `cell_shift ≤ 11`,
/// `h.len() == c.len() > 0` and `gates.len() == 4 · c.len()`.
///
/// ```
/// use pxby_dsp::{lstm_cells, TABLE_BYTES};
/// // Tables of a straight line through 0: y = 64·(i − 128), so L(x) = x / 2 inside the range.
/// let mut line = [0u8; TABLE_BYTES];
/// for (i, e) in line.chunks_exact_mut(2).enumerate() {
///     e.copy_from_slice(&((i as i16 - 128) * 64).to_le_bytes());
/// }
/// let gates = [2048i16, 4096, 1000, 8192]; // one unit: i, f, g, o
/// let (mut c, mut h) = ([256i16], [0i16]);
/// assert!(lstm_cells(&gates, &mut c, &mut h, &line, &line, 8));
/// // f·c: 2048·256 >> 15 = 16; i·g: 1024·500 >> 22 = 0 (rounded); c' = 16.
/// assert_eq!(c, [16]);
/// // tanh input 16 << 3 = 128 → 64; h = 4096·64 >> 15 = 8.
/// assert_eq!(h, [8]);
/// ```
pub fn lstm_cells(
    gates: &[i16],
    c: &mut [i16],
    h: &mut [i16],
    sigmoid: &[u8; TABLE_BYTES],
    tanh: &[u8; TABLE_BYTES],
    cell_shift: u32,
) -> bool {
    let n = c.len();
    let ok = cell_shift <= 11 && n > 0 && h.len() == n && gates.len() == 4 * n;
    if ok {
        #[cfg(pxby_dsp)]
        v7em::lstm_cells(gates, c, h, sigmoid, tanh, cell_shift);
        #[cfg(not(pxby_dsp))]
        portable::lstm_cells(gates, c, h, sigmoid, tanh, cell_shift);
    }
    ok
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn pair_and_sxtb16_split_words() {
        assert_eq!(pair(-1, 2), 0x0002_ffff);
        let w = u32::from_le_bytes([0x80, 0x7f, 0xff, 0x01]);
        assert_eq!(sxtb16(w), pair(-128, -1));
        assert_eq!(sxtb16_ror8(w), pair(127, 1));
    }

    /// The four-row loop equals plain sums, on random rows and the extreme values.
    #[test]
    fn four_row_dots_equal_plain_sums() {
        let mut s = 0x9e37_79b9u32;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        };
        for (rows, cols) in [(4usize, 2usize), (8, 16), (128, 32), (4, 256), (12, 6)] {
            let mut w: std::vec::Vec<u8> = (0..rows * cols).map(|_| next() as u8).collect();
            let mut xv: std::vec::Vec<i16> = (0..cols).map(|_| next() as i16).collect();
            if cols == 256 {
                w.fill(0x80);
                xv.fill(i16::MIN);
            }
            let x: std::vec::Vec<u32> = xv.chunks(2).map(|p| pair(p[0], p[1])).collect();
            let mut out = std::vec![0i32; rows];
            assert!(dots4_i8_i16(&w, cols, &x, &mut out));
            for (r, &o) in out.iter().enumerate() {
                let want: i64 = (0..cols)
                    .map(|c| i64::from(w[r * cols + c] as i8) * i64::from(xv[c]))
                    .sum();
                assert_eq!(i64::from(o), want, "{rows}x{cols} row {r}");
            }
        }
        let mut out = [0i32; 4];
        assert!(!dots4_i8_i16(&[0; 12], 3, &[0; 1], &mut out), "odd columns");
        assert!(!dots4_i8_i16(&[0; 7], 2, &[0; 1], &mut out), "short matrix");
        assert!(
            !dots4_i8_i16(&[0; 6], 2, &[0; 1], &mut out[..3]),
            "not four rows"
        );
    }

    /// The pairs form equals the plain form, and refuses what it cannot do.
    #[test]
    fn four_row_dots_over_pairs_equal_plain_sums() {
        let mut s = 0x1234_5677u32;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        };
        for (rows, cols) in [(4usize, 8usize), (8, 16), (128, 32), (4, 256)] {
            let w: std::vec::Vec<u8> = (0..rows * cols).map(|_| next() as u8).collect();
            let xv: std::vec::Vec<i16> = (0..cols).map(|_| next() as i16).collect();
            let pairs: std::vec::Vec<u32> = xv
                .chunks(4)
                .flat_map(|b| [pair(b[0], b[2]), pair(b[1], b[3])])
                .collect();
            let words: std::vec::Vec<u32> = xv.chunks(2).map(|p| pair(p[0], p[1])).collect();
            let (mut got, mut want) = (std::vec![0i32; rows], std::vec![0i32; rows]);
            assert!(dots4_pairs(&w, cols, &pairs, &mut got));
            assert!(dots4_i8_i16(&w, cols, &words, &mut want));
            assert_eq!(got, want, "{rows}x{cols}");
        }
        let mut out = [0i32; 4];
        assert!(!dots4_pairs(&[0; 48], 12, &[0; 6], &mut out), "12 columns");
        assert!(!dots4_pairs(&[0; 31], 8, &[0; 4], &mut out), "short matrix");
        assert!(!dots4_pairs(&[0; 32], 8, &[0; 3], &mut out), "short pairs");
    }

    #[test]
    fn smlad_adds_both_products_and_wraps() {
        assert_eq!(
            smlad(pair(-32768, -32768), pair(-32768, -32768), 0),
            i32::MIN
        ); // 2^31 wraps
        assert_eq!(smlad(pair(3, -4), pair(5, 6), 10), 10 + 15 - 24);
        let mut x = 0x1234_5678u32;
        for _ in 0..10_000 {
            // xorshift32: arbitrary words, checked against i64 arithmetic.
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let (a, b, acc) = (x, x.rotate_left(11), x.rotate_left(7) as i32);
            let lo = |v: u32| i64::from(v as u16 as i16);
            let hi = |v: u32| i64::from((v >> 16) as u16 as i16);
            let want = i64::from(acc) + lo(a) * lo(b) + hi(a) * hi(b);
            assert_eq!(i64::from(smlad(a, b, acc)), (want as i32).into());
            let byte = |k: u32| i64::from((a >> (8 * k)) as u8 as i8);
            assert_eq!((lo(sxtb16(a)), hi(sxtb16(a))), (byte(0), byte(2)));
            assert_eq!((lo(sxtb16_ror8(a)), hi(sxtb16_ror8(a))), (byte(1), byte(3)));
        }
    }

    /// The widened gate rows equal the requantisation by a 15-bit multiplier and a shift,
    /// written with `i64` sums, on random blocks and on the extremes (sums near ±2^30,
    /// saturating gates), for every shift the multiplier form takes.
    #[test]
    fn wide_gates_equal_i64_requantisation() {
        let mut s = 0x2545_f491u32;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        };
        for (rows, pairs) in [(4usize, 4usize), (64, 8), (128, 16), (8, 128), (12, 12)] {
            for shift in 17..=32u32 {
                let extreme = shift % 3 == 0;
                let xv: std::vec::Vec<i16> = (0..2 * pairs)
                    .map(|_| if extreme { i16::MIN } else { next() as i16 })
                    .collect();
                let wv: std::vec::Vec<i8> = (0..rows * 2 * pairs)
                    .map(|_| if extreme { i8::MIN } else { next() as i8 })
                    .collect();
                let bias: std::vec::Vec<i32> = (0..rows)
                    .map(|_| (next() as i32) >> 2) // |b| < 2^29
                    .collect();
                let mult: std::vec::Vec<u32> = (0..rows).map(|_| next() >> 17).collect();
                let mut w = std::vec::Vec::new();
                for b in 0..rows / 4 {
                    w.extend(bias[4 * b..4 * b + 4].iter().map(|&v| v as u32));
                    for p in 0..pairs {
                        for r in 4 * b..4 * b + 4 {
                            let c = r * 2 * pairs + 2 * p;
                            w.push(pair(i16::from(wv[c]), i16::from(wv[c + 1])));
                        }
                    }
                    w.extend(mult[4 * b..4 * b + 4].iter().map(|&m| m << (32 - shift)));
                }
                let x: std::vec::Vec<u32> = xv.chunks(2).map(|p| pair(p[0], p[1])).collect();
                let start: std::vec::Vec<i16> = (0..rows).map(|_| next() as i16).collect();
                let mut out: std::vec::Vec<u32> =
                    start.chunks(2).map(|p| pair(p[0], p[1])).collect();
                assert!(wide_gates(&w, &x, &mut out));
                for r in 0..rows {
                    let dot: i64 = (0..2 * pairs)
                        .map(|c| i64::from(wv[r * 2 * pairs + c]) * i64::from(xv[c]))
                        .sum();
                    let a = dot + i64::from(bias[r]);
                    let v = (a * i64::from(mult[r]) + (1 << (shift - 1))) >> shift;
                    let v = v.clamp(-32768, 32767);
                    let want = (i64::from(start[r]) + v).clamp(-32768, 32767) as i16;
                    let got = (out[r / 2] >> (16 * (r % 2))) as u16 as i16;
                    assert_eq!(got, want, "{rows}x{pairs} shift {shift} row {r}");
                }
            }
        }
        let mut out = [0u32; 2];
        let w = [0u32; wide_block_words(4)];
        assert!(wide_gates(&w, &[0; 4], &mut out));
        assert!(
            !wide_gates(&w, &[0; 2], &mut out),
            "pairs not a multiple of 4"
        );
        assert!(!wide_gates(&w[1..], &[0; 4], &mut out), "short block");
        assert!(
            !wide_gates(&w, &[0; 4], &mut out[..1]),
            "half a block of gates"
        );
    }
}

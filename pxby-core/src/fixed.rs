//! Fixed-point arithmetic of the integer path ([`crate::quant::WeightType::Int`]): requantisation
//! by a multiplier and a shift, saturation, rounding division, integer square root, and the
//! sigmoid / tanh tables on int16 inputs. Integer operations only (this module denies
//! `clippy::float_arithmetic`), so every target gives the same bits by construction.
//!
//! # Scale conventions (fixed by this module, not stored in files)
//! - gate pre-activations: `i16` at `2^-GATE_BITS` (Q4.11, range ±16);
//! - sigmoid / tanh outputs, hidden states and the head's input: `i16` at `2^-15` (Q0.15);
//! - the mixing weights `σ(alpha)` of PxByEmbed: Q15 in `0..=32768`;
//! - LayerNorm's normalised value `(y − mean) / std`: `2^-NORM_BITS`;
//! - logits: `i32` at `2^-LOGIT_BITS`.
//!
//! # Requantisation
//! A [`Requant`] `{ multiplier: M, shift: n }` stands for the real factor `M · 2^-n`, with
//! `M > 0` and `n` in [`MIN_SHIFT`]`..=`[`MAX_SHIFT`]. Applied to an accumulator `a` (first
//! saturated to `i32`), it gives `round(a · M / 2^n)`, rounding half up, computed exactly in
//! `i64`. This is gemmlowp's `MultiplyByQuantizedMultiplier` with one rounding instead of two
//! (`SaturatingRoundingDoublingHighMul` then `RoundingDivideByPOT`): the same multiplier
//! (`M` in `[2^30, 2^31)` for a normalised factor) and the same exponent, one shift.
//!
//! ```
//! use pxby_core::fixed::{Requant, sigmoid_q15};
//! let half = Requant { multiplier: 1 << 30, shift: 31 }; // 0.5
//! assert_eq!(half.apply(7), 4); // 3.5 rounds up
//! assert_eq!(half.apply(-7), -3); // -3.5 rounds up too
//! let table = pxby_core::fixed::sigmoid_table_q15();
//! assert_eq!(sigmoid_q15(&table, 0), 16384); // σ(0) = 0.5
//! ```
#![deny(clippy::float_arithmetic)]

/// Fraction bits of a gate pre-activation (Q4.11: ±16 with steps of 1/2048).
pub const GATE_BITS: u32 = 11;
/// Fraction bits of hidden states, gate outputs and the head's input (Q0.15).
pub const HIDDEN_BITS: u32 = 15;
/// Fraction bits of the logits (`i32`).
pub const LOGIT_BITS: u32 = 12;
/// Fraction bits of the normalised LayerNorm value.
pub const NORM_BITS: u32 = 11;
/// Fraction bits of `σ(alpha)` (`32768` is 1.0).
pub const ALPHA_BITS: u32 = 15;
/// Entries of each activation table: `x = −8 + i/16` for `i` in `0..=256`.
pub const TABLE_LEN: usize = 257;
/// Smallest shift of a [`Requant`].
pub const MIN_SHIFT: u32 = 1;
/// Largest shift of a [`Requant`].
pub const MAX_SHIFT: u32 = 62;
/// Largest cell-state shift (cell state at `2^-shift`, `i16`).
pub const MAX_CELL_SHIFT: u32 = 15;

/// A fixed-point factor `multiplier · 2^-shift` (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requant {
    /// Positive multiplier (normally in `[2^30, 2^31)`).
    pub multiplier: i32,
    /// Right shift, in [`MIN_SHIFT`]`..=`[`MAX_SHIFT`].
    pub shift: u32,
}

impl Requant {
    /// The identity factor `2^30 · 2^-30`.
    pub const ONE: Requant = Requant {
        multiplier: 1 << 30,
        shift: 30,
    };

    /// True when the multiplier is positive and the shift in range (what loading checks).
    pub fn is_valid(self) -> bool {
        self.multiplier > 0 && (MIN_SHIFT..=MAX_SHIFT).contains(&self.shift)
    }

    /// `round(acc · M / 2^n)` (half up), `acc` first saturated to `i32`. Exact in `i64` for a
    /// valid factor; an invalid shift is clamped into range rather than panicking.
    #[inline(always)]
    pub fn apply(self, acc: i64) -> i64 {
        let acc = acc.clamp(i64::from(i32::MIN), i64::from(i32::MAX));
        let n = self.shift.clamp(MIN_SHIFT, MAX_SHIFT);
        let p = acc * i64::from(self.multiplier);
        (p + (1i64 << (n - 1))) >> n
    }

    /// [`Requant::apply`] of `dot + bias` (saturated to `i32`, as `apply` does), saturated to
    /// `i16`: the same value, computed without `apply`'s range clamps for a factor that
    /// loading has checked ([`Requant::is_valid`] with a multiplier below `2^15`, as integer
    /// files store them; anything else gives a wrong value, never a panic).
    ///
    /// With `shift` in `17..=47` (the usual case) it needs only the high word of a 32 × 32-bit
    /// product: with `M' = M · 2^16` and `k = shift + 16 − 32`,
    /// `⌊(a·M + 2^(shift−1)) / 2^shift⌋ = ⌊(⌊a·M' / 2^32⌋ + 2^(k−1)) / 2^k⌋` exactly (adding a
    /// multiple of `2^32` commutes with the floor), which is SMMUL, an add and a shift on a
    /// Cortex-M4 instead of 64-bit arithmetic.
    #[inline(always)]
    pub fn to_i16_checked(self, dot: i32, bias: i32) -> i16 {
        let a = dot.saturating_add(bias);
        // 32-bit targets without SMMUL-class instructions (Cortex-M0): `i64` products are a
        // library call there, so two 16-bit halves instead.
        if cfg!(target_pointer_width = "32")
            && !pxby_dsp::USES_DSP_INSTRUCTIONS
            && (17..=46).contains(&self.shift)
        {
            let v = requant_halves(a, self.multiplier, self.shift);
            return v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
        }
        // On 64-bit targets the `i64` product is one instruction and needs no special case.
        if cfg!(target_pointer_width = "32") && (17..=47).contains(&self.shift) {
            let m = self.multiplier.wrapping_shl(16);
            let hi = ((i64::from(a) * i64::from(m)) >> 32) as i32;
            let k = (self.shift - 16) & 31;
            let v = hi.wrapping_add(1 << ((k - 1) & 31)) >> k;
            return v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
        }
        if cfg!(target_pointer_width = "32") {
            return self.to_i16_wide_cold(a);
        }
        self.to_i16_wide(a)
    }

    /// [`Requant::to_i16_wide`] out of line: on 32-bit targets only shifts outside the usual
    /// range get there, and the hot loops keep their registers.
    #[cold]
    #[inline(never)]
    fn to_i16_wide_cold(self, a: i32) -> i16 {
        self.to_i16_wide(a)
    }

    /// The `i64` case of [`Requant::to_i16_checked`].
    #[inline(always)]
    fn to_i16_wide(self, a: i32) -> i16 {
        let p = i64::from(a) * i64::from(self.multiplier);
        let round = 1i64 << (self.shift.wrapping_sub(1) & 63);
        sat16((p.wrapping_add(round)) >> (self.shift & 63))
    }

    /// [`Requant::apply`] saturated to `i16`.
    #[inline(always)]
    pub fn to_i16(self, acc: i64) -> i16 {
        sat16(self.apply(acc))
    }
}

/// `⌊(a·M + 2^(n−1)) / 2^n⌋` for `M` in `1..2^15` and `n` in `17..=46` with 32-bit
/// arithmetic only (the same value as [`Requant::apply`]): with `a = a_h·2^16 + a_l`
/// (`a_l` in `0..2^16`), it is `⌊(a_h·M + ⌊a_l·M / 2^16⌋ + 2^(n−17)) / 2^(n−16)⌋` — adding
/// a multiple of `2^16` commutes with the floor — and every term stays below `2^31`
/// (`|a_h·M| < 2^30`, `2^(n−17) ≤ 2^29`). For the Cortex-M0, which has no 32 × 32 → 64-bit
/// multiply.
#[inline(always)]
pub fn requant_halves(a: i32, multiplier: i32, shift: u32) -> i32 {
    let (ah, al) = (a >> 16, a & 0xFFFF);
    let low = ((al * multiplier) as u32 >> 16) as i32;
    let k = shift.wrapping_sub(16) & 31;
    (ah * multiplier + low + (1 << (k.wrapping_sub(1) & 31))) >> k
}

/// Saturates to `i16`.
#[inline(always)]
pub fn sat16(v: i64) -> i16 {
    v.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
}

/// Rounding arithmetic right shift (half up); `n = 0` returns `v`.
#[inline(always)]
pub fn shift_round(v: i64, n: u32) -> i64 {
    if n == 0 {
        v
    } else {
        (v + (1i64 << (n - 1))) >> n
    }
}

/// [`shift_round`] in `i32` (for values whose rounding cannot overflow: `|v| < 2^31 − 2^(n−1)`);
/// `n` above 31 is taken modulo 32.
#[inline(always)]
pub fn shift_round32(v: i32, n: u32) -> i32 {
    if n == 0 {
        v
    } else {
        v.wrapping_add(1 << ((n - 1) & 31)) >> (n & 31)
    }
}

/// `a / b` rounded to nearest, halves away from zero (`b > 0`; returns 0 for `b ≤ 0`).
#[inline]
pub fn div_round(a: i64, b: i64) -> i64 {
    if b <= 0 {
        return 0;
    }
    if a >= 0 {
        (a + b / 2) / b
    } else {
        -((-a + b / 2) / b)
    }
}

/// `⌊√v⌋` by the bitwise method (exact for every `u64`).
pub fn isqrt(v: u64) -> u64 {
    let mut rem = v;
    let mut root = 0u64;
    let mut bit = 1u64 << 62;
    while bit > rem {
        bit >>= 2;
    }
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    root
}

/// The lowest input the activation tables cover, in gate units (−8); they end before
/// `−TABLE_LO` (8), and lookups clamp their input to that range.
pub const TABLE_LO: i32 = -(8 << GATE_BITS);

/// The table segment `i` (`0..=255`) of a gate-unit input clamped to the tables' range, and
/// the position `f` in it (`0..128`): the clamped input is `TABLE_LO + 128·i + f`.
#[inline(always)]
fn segment(x: i32) -> (usize, i32) {
    let u = x.clamp(TABLE_LO, -TABLE_LO - 1) - TABLE_LO; // 0..=32767
    ((u >> 7) as usize, u & 127)
}

/// Looks up a table of [`TABLE_LEN`] little-endian `i16` entries (2 bytes each) at a gate-scale
/// input (`2^-GATE_BITS`), clamped to `[−8, 8)`, with linear interpolation between the 256
/// segments of width 1/16 (128 input steps each). `table` shorter than `2·TABLE_LEN` bytes
/// gives 0 (loading rejects such tables).
#[inline(always)]
pub fn lookup(table: &[u8], x: i32) -> i16 {
    let (i, f) = segment(x);
    let Some(&b) = table.get(2 * i..).and_then(|t| t.first_chunk::<4>()) else {
        return 0;
    };
    // Entries i and i + 1 as one 32-bit load.
    let pair = u32::from_le_bytes(b);
    let y0 = i32::from(pair as u16 as i16);
    let y1 = i32::from((pair >> 16) as u16 as i16);
    (y0 + (((y1 - y0) * f + 64) >> 7)) as i16
}

/// [`lookup`] of a table already read as `i16` values (the same result, without byte
/// assembly or bounds checks).
#[inline(always)]
pub fn lookup_i16(table: &[i16; TABLE_LEN], x: i32) -> i16 {
    let (i, f) = segment(x);
    let (y0, y1) = (i32::from(table[i]), i32::from(table[i + 1]));
    (y0 + (((y1 - y0) * f + 64) >> 7)) as i16
}

/// [`lookup`] for targets with the DSP instructions: entries `i` and `i + 1` as one word (one
/// load; the Cortex-M4 allows it unaligned) and the interpolation
/// `(y0·(128 − f) + y1·f + 64) >> 7` as one SMLAD — the same value as [`lookup`] (see
/// [`lookup_batch`]).
#[inline(always)]
pub fn lookup_smlad(table: &[u8; 2 * TABLE_LEN], x: i32) -> i16 {
    let (i, f) = segment(x);
    let f = f as i16;
    let ends = table
        .get(2 * i..)
        .and_then(|t| t.first_chunk::<4>())
        .map_or(0, |b| u32::from_le_bytes(*b));
    (pxby_dsp::smlad(ends, pxby_dsp::pair(128 - f, f), 64) >> 7) as i16
}

/// [`lookup_i16`] of every value of `x` into `out` (up to the shorter length), in three
/// loops that vector units like: the indices and interpolation weights (vectorised), the
/// table reads (a scalar gather), and the interpolation `(y0·(128 − f) + y1·f + 64) >> 7` —
/// equal to [`lookup_i16`]'s `y0 + (((y1 − y0)·f + 64) >> 7)`, since `128·y0` is a multiple of
/// 128 — as one `pmaddwd` per four values on x86_64. Takes arrays of `N` values so that the
/// loops have a fixed length.
#[inline(always)]
pub fn lookup_batch<const N: usize>(table: &[i16; TABLE_LEN], x: &[i16; N], out: &mut [i16; N]) {
    let mut index = [0u8; N];
    let mut weights = [[0i16; 2]; N];
    for ((x, i), w) in x.iter().zip(&mut index).zip(&mut weights) {
        let (s, f) = segment(i32::from(*x));
        let f = f as i16;
        *i = s as u8;
        *w = [128 - f, f];
    }
    let mut ends = [[0i16; 2]; N];
    for (e, &i) in ends.iter_mut().zip(&index) {
        let i = usize::from(i);
        *e = [table[i], table[i + 1]];
    }
    for ((o, e), w) in out.iter_mut().zip(&ends).zip(&weights) {
        let v = i32::from(e[0]) * i32::from(w[0]) + i32::from(e[1]) * i32::from(w[1]);
        // Between y0 and y1, so within `i16`.
        *o = ((v + 64) >> 7) as i16;
    }
}

/// σ(x) in Q15 from a sigmoid table (see [`lookup`]).
#[inline(always)]
pub fn sigmoid_q15(table: &[u8], x: i32) -> i16 {
    lookup(table, x)
}

/// The reference sigmoid table: `round(σ(−8 + i/16) · 32768)`, clamped to `i16`, as bytes.
/// Computed once on the host (writer) with [`crate::math::sigmoid`]; the loader only checks
/// the length of whatever table a file stores.
#[allow(clippy::float_arithmetic)]
pub fn sigmoid_table_q15() -> [u8; 2 * TABLE_LEN] {
    table_from(crate::math::sigmoid)
}

/// The reference tanh table: `round(tanh(−8 + i/16) · 32768)`, clamped to `i16`, as bytes.
#[allow(clippy::float_arithmetic)]
pub fn tanh_table_q15() -> [u8; 2 * TABLE_LEN] {
    table_from(crate::math::tanh)
}

#[allow(clippy::float_arithmetic)]
fn table_from(f: fn(f32) -> f32) -> [u8; 2 * TABLE_LEN] {
    let mut out = [0u8; 2 * TABLE_LEN];
    for i in 0..TABLE_LEN {
        let x = -8.0 + i as f32 / 16.0;
        let q = crate::math::round_i32(f(x) * 32768.0).clamp(-32768, 32767) as i16;
        out[2 * i..2 * i + 2].copy_from_slice(&q.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isqrt_is_exact() {
        for v in (0..5000u64).chain([u64::MAX, 1 << 62, (1 << 62) - 1, 999_999_999_999]) {
            let r = isqrt(v);
            assert!(r * r <= v, "{v}");
            assert!((r + 1).checked_mul(r + 1).is_none_or(|s| s > v), "{v}");
        }
    }

    /// The fast requantisation equals the reference on every shift, extreme inputs included.
    #[test]
    fn checked_requant_equals_apply() {
        let mut x = 0x9e37_79b9u32;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for shift in MIN_SHIFT..=MAX_SHIFT {
            for k in 0..2000 {
                let multiplier = match k {
                    0 => 1,
                    1 => 32767,
                    _ => (next() % 32767 + 1) as i32,
                };
                let q = Requant { multiplier, shift };
                let (dot, bias) = match k {
                    2 => (i32::MAX, i32::MAX),
                    3 => (i32::MIN, -1),
                    4 => (-(1 << (shift.min(31) - 1)), 0),
                    _ => (
                        (next() as i32) >> (next() % 31),
                        (next() as i32) >> (next() % 31),
                    ),
                };
                let want = q.to_i16(i64::from(dot) + i64::from(bias));
                assert_eq!(q.to_i16_checked(dot, bias), want, "{q:?} {dot} {bias}");
                if (17..=46).contains(&shift) {
                    let a = dot.saturating_add(bias);
                    let v = requant_halves(a, multiplier, shift);
                    assert_eq!(i64::from(v), q.apply(i64::from(a)), "{q:?} {a}");
                }
            }
        }
    }

    #[test]
    fn requant_rounds_half_up_and_saturates_its_input() {
        let q = Requant {
            multiplier: 3 << 29, // 0.75 · 2^31
            shift: 31,
        };
        assert_eq!(q.apply(4), 3);
        assert_eq!(q.apply(2), 2); // 1.5 → 2
        assert_eq!(q.apply(-2), -1); // -1.5 → -1
        assert_eq!(q.apply(i64::MAX), q.apply(i64::from(i32::MAX)));
        assert_eq!(Requant::ONE.apply(-12345), -12345);
        assert!(Requant::ONE.is_valid());
        assert!(
            !Requant {
                multiplier: 0,
                shift: 3
            }
            .is_valid()
        );
        assert_eq!(div_round(7, 2), 4);
        assert_eq!(div_round(-7, 2), -4);
        assert_eq!(shift_round(-3, 1), -1);
    }

    #[test]
    #[allow(clippy::float_arithmetic)]
    fn tables_interpolate_within_tolerance() {
        let (s, t) = (sigmoid_table_q15(), tanh_table_q15());
        let mut worst = (0.0f32, 0.0f32);
        for x in -16384i32..16384 {
            let xf = x as f32 / 2048.0;
            let es = (f32::from(sigmoid_q15(&s, x)) / 32768.0 - crate::math::sigmoid(xf)).abs();
            let et = (f32::from(lookup(&t, x)) / 32768.0 - crate::math::tanh(xf)).abs();
            worst = (worst.0.max(es), worst.1.max(et));
        }
        // Inside the table's [-8, 8): interpolation error only (beyond it the clamp adds at most
        // 1 - σ(8) = 3.4e-4).
        assert!(worst.0 < 1e-4 && worst.1 < 5e-4, "{worst:?}");
        // The `i16` view gives the same values everywhere, the clamps included.
        let words = |b: &[u8; 2 * TABLE_LEN]| -> [i16; TABLE_LEN] {
            core::array::from_fn(|i| i16::from_le_bytes([b[2 * i], b[2 * i + 1]]))
        };
        let (sw, tw) = (words(&s), words(&t));
        for x in (-40_000i32..40_000).chain([i32::MIN, i32::MAX]) {
            assert_eq!(lookup_i16(&sw, x), lookup(&s, x), "{x}");
            assert_eq!(lookup_i16(&tw, x), lookup(&t, x), "{x}");
        }
        assert_eq!(lookup(&[0u8; 10], 0), 0);
        // The batched lookup too, on every input of the gate range and beyond it.
        let xs: std::vec::Vec<i16> = (i16::MIN..=i16::MAX).collect();
        for chunk in xs.as_chunks::<64>().0 {
            for table in [&sw, &tw] {
                let mut out = [0i16; 64];
                lookup_batch(table, chunk, &mut out);
                for (&x, &y) in chunk.iter().zip(&out) {
                    assert_eq!(y, lookup_i16(table, i32::from(x)), "{x}");
                }
            }
        }
        // The SMLAD form too.
        for x in (-40_000i32..40_000).step_by(3) {
            assert_eq!(lookup_smlad(&s, x), lookup(&s, x), "{x}");
            assert_eq!(lookup_smlad(&t, x), lookup(&t, x), "{x}");
        }
        // Interpolation stays between the two entries for any table (so within `i16`).
        let extreme: [i16; TABLE_LEN] =
            core::array::from_fn(|i| if i % 2 == 0 { i16::MIN } else { i16::MAX });
        for chunk in xs.as_chunks::<64>().0.iter().step_by(7) {
            let mut out = [0i16; 64];
            lookup_batch(&extreme, chunk, &mut out);
            for (&x, &y) in chunk.iter().zip(&out) {
                assert_eq!(y, lookup_i16(&extreme, i32::from(x)), "{x}");
            }
        }
    }
}

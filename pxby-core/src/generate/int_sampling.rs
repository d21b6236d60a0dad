//! Next-token sampling for integer models, in integer arithmetic only: the same rules as the
//! f32 sampler (greedy, temperature, top-k among the allowed tokens; first index on ties), with
//! logits in `i32` at `2^-LOGIT_BITS`, `1/temperature` in Q16 (converted once, when the
//! generator is made), `e^-z` from a table of `2^(-i/256)` in Q16 with linear interpolation,
//! and the draw `⌊u32 · Σw / 2^32⌋` from [`Pcg32`]. One seed gives one token stream on every
//! target.
#![deny(clippy::float_arithmetic)]

use crate::vocab::VOCAB_SIZE;

use super::TokenMask;
use super::sampling::{Pcg32, Sampling};

/// `round(2^(-i/256) · 2^16)` for `i` in `0..=256`, computed by the compiler.
const EXP2_NEG_Q16: [u32; 257] = exp2_neg_table();

#[allow(clippy::float_arithmetic)]
const fn exp2_neg_table() -> [u32; 257] {
    let mut t = [0u32; 257];
    let mut i = 0;
    while i < 257 {
        // e^x with x = −i·ln2/256 ∈ [−ln 2, 0], by its Taylor series.
        let x = -(i as f64) * core::f64::consts::LN_2 / 256.0;
        let (mut term, mut sum, mut k) = (1.0f64, 1.0f64, 1);
        while k < 30 {
            term = term * x / k as f64;
            sum += term;
            k += 1;
        }
        t[i] = (sum * 65536.0 + 0.5) as u32;
        i += 1;
    }
    t
}

/// `1 / temperature` in Q16, rounded and clamped to `1..=2^31` (`None` for a temperature that
/// is NaN or not positive: greedy). The one floating-point operation of integer sampling, done
/// once per generator; IEEE division is correctly rounded, so it is the same everywhere.
#[allow(clippy::float_arithmetic)]
pub(super) fn inv_temperature_q16(t: f32) -> Option<u32> {
    if t.is_nan() || t <= 0.0 {
        return None;
    }
    let v = 65536.0 / t + 0.5;
    Some(if v >= 2_147_483_648.0 {
        1 << 31
    } else {
        (v as u32).max(1)
    })
}

/// `e^(−z / 2^LOGIT_BITS)` in Q16 for `z ≥ 0` (0 once it falls below 2^-16).
#[inline]
pub(super) fn exp_neg_q16(z: u64) -> u32 {
    // log2(e) in Q16 = 94548.
    let y = z.saturating_mul(94_548) >> 16; // z · log2 e, at 2^-12
    let k = y >> 12;
    if k >= 32 {
        return 0;
    }
    let f = (y & 4095) as usize;
    let (i, fr) = (f >> 4, (f & 15) as i64);
    let (a, b) = (i64::from(EXP2_NEG_Q16[i]), i64::from(EXP2_NEG_Q16[i + 1]));
    let v = a + (((b - a) * fr + 8) >> 4);
    (v as u32) >> k
}

/// Picks the next token from integer logits (see the [module docs](self)).
pub(super) fn sample_int(
    logits: &[i32; VOCAB_SIZE],
    allowed: TokenMask,
    sampling: Sampling,
    inv_temperature: Option<u32>,
    rng: &mut Pcg32,
) -> u8 {
    let mut cand = [0u8; VOCAB_SIZE];
    let mut n = super::sampling::candidates(allowed, &mut cand);
    if n == 0 {
        return 0;
    }
    let mut best = cand[0];
    for &t in &cand[1..n] {
        if logits[t as usize] > logits[best as usize] {
            best = t;
        }
    }
    let k = match sampling {
        Sampling::Greedy => return best,
        Sampling::Temperature(_) => 0,
        Sampling::TopK { k, .. } => k as usize,
    };
    let Some(inv_t) = inv_temperature else {
        return best;
    };
    if k > 0 && k < n {
        // Partial selection sort: the k best, higher logit first, lower id on ties.
        for i in 0..k {
            let mut m = i;
            for j in i + 1..n {
                if logits[cand[j] as usize] > logits[cand[m] as usize] {
                    m = j;
                }
            }
            cand.swap(i, m);
        }
        n = k;
    }
    let top = i64::from(logits[best as usize]);
    let mut weights = [0u32; VOCAB_SIZE];
    let mut sum = 0u64;
    for (w, &t) in weights.iter_mut().zip(&cand[..n]) {
        let d = (top - i64::from(logits[t as usize])) as u64;
        *w = exp_neg_q16(d.saturating_mul(u64::from(inv_t)) >> 16);
        sum += u64::from(*w);
    }
    if sum == 0 {
        return best;
    }
    let target = (u64::from(rng.next_u32()) * sum) >> 32;
    let mut acc = 0u64;
    for (&w, &t) in weights.iter().zip(&cand[..n]) {
        acc += u64::from(w);
        if acc > target {
            return t;
        }
    }
    cand[n - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{ALL_TOKENS, bit};

    #[test]
    #[allow(clippy::float_arithmetic)]
    fn exp_table_is_accurate() {
        assert_eq!(EXP2_NEG_Q16[0], 65536);
        assert_eq!(EXP2_NEG_Q16[256], 32768);
        for z in (0..200_000u64).step_by(37) {
            let want = crate::math::exp(-(z as f32) / 4096.0) * 65536.0;
            let got = exp_neg_q16(z) as f32;
            assert!(
                (want - got).abs() <= 2.0 + want * 2e-4,
                "z={z}: {got} vs {want}"
            );
        }
        assert_eq!(exp_neg_q16(u64::MAX), 0);
    }

    #[test]
    fn integer_sampling_rules() {
        let mut logits = [0i32; VOCAB_SIZE];
        logits[7] = 5 << 12;
        logits[9] = 4 << 12;
        let mut rng = Pcg32::new(1, 2);
        let inv = inv_temperature_q16(1.0);
        assert_eq!(inv, Some(65536));
        assert_eq!(inv_temperature_q16(0.0), None);
        assert_eq!(inv_temperature_q16(f32::NAN), None);
        assert_eq!(inv_temperature_q16(1e-12), Some(1 << 31));
        let greedy = |m, rng: &mut Pcg32| sample_int(&logits, m, Sampling::Greedy, None, rng);
        assert_eq!(greedy(ALL_TOKENS, &mut rng), 7);
        assert_eq!(greedy(ALL_TOKENS & !bit(7), &mut rng), 9);
        let top2 = Sampling::TopK {
            k: 2,
            temperature: 1.0,
        };
        let mut counts = [0usize; 2];
        for _ in 0..2000 {
            let t = sample_int(&logits, ALL_TOKENS, top2, inv, &mut rng);
            assert!(t == 7 || t == 9);
            counts[usize::from(t == 9)] += 1;
        }
        // P(9) = 1 / (1 + e) ≈ 0.269.
        assert!((440..640).contains(&counts[1]), "{counts:?}");
        assert_eq!(
            sample_int(&logits, bit(50), Sampling::Temperature(0.5), inv, &mut rng),
            50
        );
        assert_eq!(
            sample_int(&logits, 0, Sampling::Temperature(0.5), inv, &mut rng),
            0
        );
    }
}

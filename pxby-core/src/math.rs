//! The few transcendental functions the model needs, written once and used everywhere.
//!
//! Bit-exactness across targets (x86_64, Cortex-M4F, wasm) rests on three rules, which this
//! module enforces:
//! - only IEEE-754 `f32` additions, multiplications and divisions in a fixed order (no `mul_add`,
//!   no FMA contraction — Rust never contracts on its own), plus integer bit manipulation;
//! - no call into a platform maths library (`std` or `libm` would differ between targets);
//! - inputs clamped to a range where the approximations are accurate and never overflow.
//!
//! `exp` uses Cody–Waite range reduction `x = k·ln 2 + r` with `|r| ≤ ln2/2`, a degree-7
//! polynomial for `e^r` (relative error below 2e-7), and builds `2^k` from its bits.
//!
//! Why hand-written rather than `libm` or `micromath`: every shipped model's logits, sampled
//! tokens and the QEMU-vs-host parity are pinned to these exact bits (clamped inputs, this
//! polynomial, this operation order); another implementation would change their last bits.
//!
//! ```
//! use pxby_core::math::{exp, sigmoid, tanh};
//! assert!((exp(1.0) - core::f32::consts::E).abs() < 1e-6);
//! assert_eq!(sigmoid(0.0), 0.5);
//! assert!((tanh(0.5) - 0.462_117_16).abs() < 1e-6);
//! ```

/// Largest magnitude accepted by [`exp`]; inputs are clamped to `[-EXP_LIMIT, EXP_LIMIT]`.
pub const EXP_LIMIT: f32 = 80.0;
/// Inputs of [`sigmoid`] and [`tanh`] are clamped to `[-ACT_LIMIT, ACT_LIMIT]`.
pub const ACT_LIMIT: f32 = 30.0;

const LOG2E: f32 = core::f32::consts::LOG2_E;
const LN2_HI: f32 = 6.931_457_5e-1; // 0x3f317200: k * LN2_HI is exact for |k| < 2^12
const LN2_LO: f32 = 1.428_606_8e-6; // 0x35bfbe8e

/// Clamps `x` to `[lo, hi]`; NaN passes through unchanged.
#[inline]
pub fn clamp(x: f32, lo: f32, hi: f32) -> f32 {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

/// Absolute value by clearing the sign bit.
#[inline]
pub fn abs(x: f32) -> f32 {
    f32::from_bits(x.to_bits() & 0x7fff_ffff)
}

/// Rounds half away from zero to an `i32` (saturating; NaN gives 0).
#[inline]
pub fn round_i32(x: f32) -> i32 {
    if x >= 0.0 {
        (x + 0.5) as i32
    } else {
        (x - 0.5) as i32
    }
}

/// `e^x` for `x` clamped to `±EXP_LIMIT`. NaN gives NaN.
#[inline]
pub fn exp(x: f32) -> f32 {
    let x = clamp(x, -EXP_LIMIT, EXP_LIMIT);
    let k = round_i32(x * LOG2E);
    let kf = k as f32;
    let r = (x - kf * LN2_HI) - kf * LN2_LO;
    // e^r by Horner, Taylor coefficients to degree 7.
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    // |x| ≤ 80 keeps k within [-116, 116], so 2^k is a normal number.
    let scale = f32::from_bits(((k + 127) as u32) << 23);
    p * scale
}

/// Logistic sigmoid `1 / (1 + e^-x)`, input clamped to `±ACT_LIMIT`.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    let x = clamp(x, -ACT_LIMIT, ACT_LIMIT);
    1.0 / (1.0 + exp(-x))
}

/// Hyperbolic tangent, input clamped to `±ACT_LIMIT`; exactly odd (`tanh(-x) == -tanh(x)`).
#[inline]
pub fn tanh(x: f32) -> f32 {
    let x = clamp(x, -ACT_LIMIT, ACT_LIMIT);
    let a = abs(x);
    let e = exp(2.0 * a);
    let t = (e - 1.0) / (e + 1.0);
    if x < 0.0 { -t } else { t }
}

/// `1 / sqrt(x)` for `x > 0` by three Newton steps from the classic bit estimate (relative
/// error a few ulp). Returns 0 for `x ≤ 0` or NaN, and 0 for `+inf`.
#[inline]
pub fn inv_sqrt(x: f32) -> f32 {
    if x.is_nan() || x <= 0.0 || x == f32::INFINITY {
        return 0.0;
    }
    let half = 0.5 * x;
    let mut y = f32::from_bits(0x5f37_59dfu32.wrapping_sub(x.to_bits() >> 1));
    y = y * (1.5 - half * y * y);
    y = y * (1.5 - half * y * y);
    y = y * (1.5 - half * y * y);
    y
}

/// Sequential dot product `Σ a[i]·b[i]` over the shorter length, in index order.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut s = 0.0f32;
    for (x, y) in a.iter().zip(b) {
        s += x * y;
    }
    s
}

/// Index of the largest value (the first one on ties); NaN never wins. 0 for an empty slice.
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    let mut best_v = f32::NEG_INFINITY;
    for (i, &v) in values.iter().enumerate() {
        if v > best_v {
            best_v = v;
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_accuracy() {
        let mut x = -20.0f32;
        while x < 20.0 {
            let want = f64::from(x).exp();
            let got = f64::from(exp(x));
            assert!(
                ((got - want) / want).abs() < 3e-7,
                "x={x} got={got} want={want}"
            );
            x += 0.013;
        }
        assert!(exp(1000.0).is_finite());
        assert!(exp(-1000.0) > 0.0);
        assert!(exp(f32::NAN).is_nan());
    }

    #[test]
    fn activations_accuracy() {
        let mut x = -12.0f32;
        while x < 12.0 {
            let xd = f64::from(x);
            assert!(
                (f64::from(sigmoid(x)) - 1.0 / (1.0 + (-xd).exp())).abs() < 2e-7,
                "{x}"
            );
            assert!((f64::from(tanh(x)) - xd.tanh()).abs() < 3e-7, "{x}");
            x += 0.0037;
        }
        assert_eq!(tanh(100.0), 1.0);
        assert_eq!(sigmoid(-100.0), 1.0 / (1.0 + exp(30.0)));
    }

    #[test]
    fn inv_sqrt_accuracy() {
        for &x in &[1e-5f32, 0.1, 1.0, 2.0, 3.7, 1e4, 1e20] {
            let want = 1.0 / f64::from(x).sqrt();
            assert!(((f64::from(inv_sqrt(x)) - want) / want).abs() < 5e-7, "{x}");
        }
        assert_eq!(inv_sqrt(0.0), 0.0);
        assert_eq!(inv_sqrt(-1.0), 0.0);
        assert_eq!(inv_sqrt(f32::NAN), 0.0);
    }

    #[test]
    fn argmax_ties_and_nan() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), 1);
        assert_eq!(argmax(&[f32::NAN, 0.5]), 1);
        assert_eq!(argmax(&[]), 0);
    }
}

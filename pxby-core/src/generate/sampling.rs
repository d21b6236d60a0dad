//! Next-token sampling: greedy, temperature or top-k over the allowed tokens, with randomness
//! from [`Pcg32`] (integer only, so the same seed gives the same stream everywhere) and the
//! softmax on [`crate::math::exp`].

use crate::math::exp;
use crate::vocab::VOCAB_SIZE;

use super::{TokenMask, bit};

/// PCG32 (XSH-RR, 64-bit state) — M. O'Neill's reference generator, integer only.
///
/// Hand-written (25 lines) rather than taken from `rand_pcg`: the generator needs only
/// `next_u32` and a `const fn` seeding that matches the reference `pcg32_srandom_r`, every
/// seeded generation ever made depends on this exact stream (pinned by the reference vector
/// below), and it keeps `rand_core` out of the firmware's flash budget.
///
/// ```
/// use pxby_core::generate::Pcg32;
/// let mut rng = Pcg32::new(42, 54);
/// assert_eq!(rng.next_u32(), 0xa15c02b7); // pcg32-demo's first value
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pcg32 {
    state: u64,
    inc: u64,
}

const PCG_MULT: u64 = 6_364_136_223_846_793_005;

impl Pcg32 {
    /// Seeds like the reference `pcg32_srandom_r(initstate, initseq)`.
    pub const fn new(seed: u64, stream: u64) -> Self {
        let inc = (stream << 1) | 1;
        let mut s = 0u64.wrapping_mul(PCG_MULT).wrapping_add(inc);
        s = s.wrapping_add(seed);
        s = s.wrapping_mul(PCG_MULT).wrapping_add(inc);
        Pcg32 { state: s, inc }
    }

    /// Next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old.wrapping_mul(PCG_MULT).wrapping_add(self.inc);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        let rot = (old >> 59) as u32;
        xorshifted.rotate_right(rot)
    }

    /// Uniform in `[0, 1)` with 24 random bits (exact in f32).
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
    }
}

/// How the next token is chosen from the logits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampling {
    /// Highest logit (first on ties).
    Greedy,
    /// Softmax of `logits / temperature` (temperature ≤ 0 or NaN means greedy).
    Temperature(f32),
    /// Softmax over the `k` highest logits only (`k = 0` means all).
    TopK {
        /// Number of candidates.
        k: u8,
        /// Softmax temperature.
        temperature: f32,
    },
}

/// Writes the tokens `allowed` lets through into `cand`, in index order; returns how many.
pub(super) fn candidates(allowed: TokenMask, cand: &mut [u8; VOCAB_SIZE]) -> usize {
    let mut n = 0;
    for t in 0..VOCAB_SIZE {
        if allowed & bit(t as u8) != 0 {
            cand[n] = t as u8;
            n += 1;
        }
    }
    n
}

/// Picks a token among `allowed` (never empty when called) from `logits`.
pub(super) fn sample(
    logits: &[f32; VOCAB_SIZE],
    allowed: TokenMask,
    sampling: Sampling,
    rng: &mut Pcg32,
) -> u8 {
    let mut cand = [0u8; VOCAB_SIZE];
    let mut n = candidates(allowed, &mut cand);
    if n == 0 {
        return 0;
    }
    // Greedy choice: highest logit, first on ties, NaN never wins.
    let mut best = cand[0];
    let mut best_v = f32::NEG_INFINITY;
    for &t in &cand[..n] {
        let v = logits[t as usize];
        if v > best_v {
            best_v = v;
            best = t;
        }
    }
    let (k, temperature) = match sampling {
        Sampling::Greedy => return best,
        Sampling::Temperature(t) => (0usize, t),
        Sampling::TopK { k, temperature } => (k as usize, temperature),
    };
    if temperature.is_nan() || temperature <= 0.0 || !best_v.is_finite() {
        return best;
    }
    if k > 0 && k < n {
        // Partial selection sort: the k best (higher logit first, lower id on ties, NaN last).
        for i in 0..k {
            let mut m = i;
            for j in i + 1..n {
                let (a, b) = (logits[cand[j] as usize], logits[cand[m] as usize]);
                if a > b || (b.is_nan() && !a.is_nan()) {
                    m = j;
                }
            }
            cand.swap(i, m);
        }
        n = k;
    }
    let mut weights = [0.0f32; VOCAB_SIZE];
    let mut sum = 0.0f32;
    for (w, &t) in weights.iter_mut().zip(&cand[..n]) {
        let v = logits[t as usize];
        *w = if v.is_nan() {
            0.0
        } else {
            exp((v - best_v) / temperature)
        };
        sum += *w;
    }
    if sum.is_nan() || sum <= 0.0 || !sum.is_finite() {
        return best;
    }
    let target = rng.next_f32() * sum;
    let mut acc = 0.0f32;
    for (w, &t) in weights.iter().zip(&cand[..n]) {
        acc += *w;
        if acc > target {
            return t;
        }
    }
    cand[n - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::ALL_TOKENS;

    #[test]
    fn pcg32_reference_stream() {
        let mut r = Pcg32::new(42, 54);
        let got: [u32; 6] = core::array::from_fn(|_| r.next_u32());
        assert_eq!(
            got,
            [
                0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e
            ]
        );
    }

    #[test]
    fn sampling_rules() {
        let mut logits = [0.0f32; VOCAB_SIZE];
        logits[7] = 5.0;
        logits[9] = 4.0;
        let mut rng = Pcg32::new(1, 2);
        assert_eq!(sample(&logits, ALL_TOKENS, Sampling::Greedy, &mut rng), 7);
        assert_eq!(
            sample(&logits, ALL_TOKENS & !bit(7), Sampling::Greedy, &mut rng),
            9
        );
        for _ in 0..50 {
            let t = sample(
                &logits,
                ALL_TOKENS,
                Sampling::TopK {
                    k: 2,
                    temperature: 1.0,
                },
                &mut rng,
            );
            assert!(t == 7 || t == 9);
        }
        let mut nan = [f32::NAN; VOCAB_SIZE];
        nan[3] = 0.0;
        assert_eq!(
            sample(&nan, ALL_TOKENS, Sampling::Temperature(1.0), &mut rng),
            3
        );
        assert_eq!(
            sample(&logits, bit(50), Sampling::Temperature(0.5), &mut rng),
            50
        );
    }
}

//! The paper's generation metrics (SPEC §8), computed exactly as scipy and nltk do:
//!
//! - [`hamming`]: `scipy.spatial.distance.hamming` (fraction of differing positions);
//! - [`cosine_similarity`]: `1 - scipy.spatial.distance.cosine` (integer dot products, then
//!   `1 - uv / sqrt(uu * vv)` clipped to `[0, 2]` as scipy does, then `1 -` that);
//! - [`bleu`]: `nltk.translate.bleu_score.sentence_bleu([reference], hypothesis)` with the default
//!   uniform 4-gram weights and no smoothing: clipped n-gram precisions 1..=4, brevity penalty,
//!   0 when no unigram matches, and nltk's `sys.float_info.min` stand-in for a zero higher-order
//!   precision (so such a score is ~1e-77, i.e. 0 to any printed precision).
//!
//! `../shared/golden/metrics.json` holds 32 cases; the tests match all of them to 1e-9.
//!
//! Why hand-written: the paper's numbers come from scipy and nltk, and no Rust crate reproduces
//! their quirks (nltk's clipping and `float_info.min` stand-in, scipy's integer dot products).
//!
//! ```
//! use pxby_data::metrics::{bleu, cosine_similarity, hamming};
//! let a = [1u8, 2, 3, 4, 5];
//! assert_eq!(hamming(&a, &a).unwrap(), 0.0);
//! assert!((cosine_similarity(&a, &a).unwrap() - 1.0).abs() < 1e-12);
//! assert_eq!(bleu(&a, &a), 1.0);
//! assert_eq!(bleu(&a, &[9, 9, 9, 9, 9]), 0.0);
//! ```

use std::collections::HashMap;
use std::hash::Hash;

/// Errors of the vector metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    /// The two vectors differ in length.
    #[error("vectors differ in length: {0} vs {1}")]
    LengthMismatch(usize, usize),
    /// The vectors are empty.
    #[error("empty vectors")]
    Empty,
}

fn check(a: usize, b: usize) -> Result<(), MetricError> {
    if a != b {
        Err(MetricError::LengthMismatch(a, b))
    } else if a == 0 {
        Err(MetricError::Empty)
    } else {
        Ok(())
    }
}

/// Fraction of positions where `a` and `b` differ (`scipy.spatial.distance.hamming`).
pub fn hamming<T: PartialEq>(a: &[T], b: &[T]) -> Result<f64, MetricError> {
    check(a.len(), b.len())?;
    let diff = a.iter().zip(b).filter(|(x, y)| x != y).count();
    Ok(diff as f64 / a.len() as f64)
}

/// `1 - scipy.spatial.distance.cosine(a, b)`. NaN when either vector is all zeros (scipy
/// divides by zero there too).
pub fn cosine_similarity(a: &[u8], b: &[u8]) -> Result<f64, MetricError> {
    check(a.len(), b.len())?;
    // scipy keeps integer inputs integer: the dot products are exact.
    let dot = |x: &[u8], y: &[u8]| -> u64 {
        x.iter()
            .zip(y)
            .map(|(&p, &q)| u64::from(p) * u64::from(q))
            .sum()
    };
    let (uv, uu, vv) = (dot(a, b), dot(a, a), dot(b, b));
    let prod = u128::from(uu) * u128::from(vv);
    if prod == 0 {
        return Ok(f64::NAN);
    }
    let dist = (1.0 - uv as f64 / (prod as f64).sqrt()).clamp(0.0, 2.0);
    Ok(1.0 - dist)
}

/// Counts of the n-grams of `s`.
fn ngram_counts<T: Eq + Hash>(s: &[T], n: usize) -> HashMap<&[T], usize> {
    let mut m = HashMap::new();
    if s.len() >= n {
        for w in s.windows(n) {
            *m.entry(w).or_insert(0) += 1;
        }
    }
    m
}

/// nltk's `modified_precision`: (clipped matches, max(1, hypothesis n-grams)).
pub fn modified_precision<T: Eq + Hash>(
    reference: &[T],
    hypothesis: &[T],
    n: usize,
) -> (usize, usize) {
    let hyp = ngram_counts(hypothesis, n);
    let refc = ngram_counts(reference, n);
    let numerator = hyp
        .iter()
        .map(|(g, &c)| c.min(refc.get(g).copied().unwrap_or(0)))
        .sum();
    let denominator = hyp.values().sum::<usize>().max(1);
    (numerator, denominator)
}

/// nltk's `brevity_penalty(closest_ref_len, hyp_len)`.
pub fn brevity_penalty(ref_len: usize, hyp_len: usize) -> f64 {
    if hyp_len > ref_len {
        1.0
    } else if hyp_len == 0 {
        0.0
    } else {
        (1.0 - ref_len as f64 / hyp_len as f64).exp()
    }
}

/// Sum with Neumaier compensation (close to Python's `math.fsum` for a handful of terms).
fn fsum(xs: &[f64]) -> f64 {
    let mut sum = 0.0f64;
    let mut c = 0.0f64;
    for &x in xs {
        let t = sum + x;
        if sum.abs() >= x.abs() {
            c += (sum - t) + x;
        } else {
            c += (x - t) + sum;
        }
        sum = t;
    }
    sum + c
}

/// `nltk.translate.bleu_score.sentence_bleu([reference], hypothesis)`: uniform 4-gram weights,
/// no smoothing.
pub fn bleu<T: Eq + Hash>(reference: &[T], hypothesis: &[T]) -> f64 {
    const N: usize = 4;
    let mut p = [(0usize, 0usize); N];
    for (i, slot) in p.iter_mut().enumerate() {
        *slot = modified_precision(reference, hypothesis, i + 1);
    }
    if p[0].0 == 0 {
        return 0.0;
    }
    let bp = brevity_penalty(reference.len(), hypothesis.len());
    let w = 1.0 / N as f64;
    let logs: Vec<f64> = p
        .iter()
        .map(|&(num, den)| {
            let pi = if num == 0 {
                f64::MIN_POSITIVE // nltk's method0: sys.float_info.min
            } else {
                num as f64 / den as f64
            };
            w * pi.ln()
        })
        .collect();
    bp * fsum(&logs).exp()
}

/// Mean and (population) standard deviation accumulator, as `numpy.mean` / `numpy.std`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeanStd {
    values: Vec<f64>,
}

impl MeanStd {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a value.
    pub fn push(&mut self, v: f64) {
        self.values.push(v);
    }
    /// Number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }
    /// True when no value was added.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    /// Mean (NaN when empty).
    pub fn mean(&self) -> f64 {
        if self.values.is_empty() {
            return f64::NAN;
        }
        self.values.iter().sum::<f64>() / self.values.len() as f64
    }
    /// Population standard deviation (NaN when empty).
    pub fn std(&self) -> f64 {
        let m = self.mean();
        if self.values.is_empty() {
            return f64::NAN;
        }
        let var =
            self.values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / self.values.len() as f64;
        var.sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hamming_basics() {
        assert_eq!(hamming(&[1, 2, 3, 4], &[1, 0, 3, 0]).unwrap(), 0.5);
        assert_eq!(
            hamming(&[1, 2], &[1]),
            Err(MetricError::LengthMismatch(2, 1))
        );
        assert_eq!(hamming::<u8>(&[], &[]), Err(MetricError::Empty));
    }

    #[test]
    fn cosine_basics() {
        assert!((cosine_similarity(&[1, 0], &[0, 1]).unwrap()).abs() < 1e-15);
        assert!(cosine_similarity(&[0, 0], &[0, 1]).unwrap().is_nan());
        let c = cosine_similarity(&[1, 2, 3], &[2, 4, 6]).unwrap();
        assert!((c - 1.0).abs() < 1e-15);
    }

    #[test]
    fn bleu_known_values() {
        // Hand-computed: hyp = ref with one of 8 tokens changed in the middle.
        let r = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let h = [1u8, 2, 3, 9, 5, 6, 7, 8];
        // p1 = 7/8, p2 = 5/7, p3 = 3/6, p4 = 1/5, bp = 1.
        let want = ((7.0f64 / 8.0).ln() + (5.0f64 / 7.0).ln() + 0.5f64.ln() + 0.2f64.ln()) / 4.0;
        assert!((bleu(&r, &h) - want.exp()).abs() < 1e-15);
        // Clipping: repeated hypothesis tokens count at most as often as in the reference.
        assert_eq!(modified_precision(&[1u8, 2], &[1u8, 1, 1, 1], 1), (1, 4));
        // Brevity penalty for a short hypothesis.
        let short = bleu(&r, &r[..6]);
        assert!((short - (1.0f64 - 8.0 / 6.0).exp()).abs() < 1e-15);
        // No 4-gram match: nltk's float_info.min stand-in, effectively 0.
        let b = bleu(&[1u8, 2, 3, 4], &[1u8, 2, 3, 5]);
        assert!(b > 0.0 && b < 1e-70);
        assert_eq!(bleu::<u8>(&[1, 2, 3], &[]), 0.0);
    }

    #[test]
    fn mean_std() {
        let mut m = MeanStd::new();
        for v in [1.0, 2.0, 3.0, 4.0] {
            m.push(v);
        }
        assert_eq!(m.mean(), 2.5);
        assert!((m.std() - 1.25f64.sqrt()).abs() < 1e-15);
        assert!(MeanStd::new().mean().is_nan());
    }
}

//! Scoring a row on every validation item, and 95 % bootstrap intervals over items.
//!
//! Each item keeps its sums ([`ItemScore`]), so a metric is the pooled mean over all windows
//! and an interval resamples items (with replacement), not windows: windows of one sprite are
//! not independent. Differences between two rows are paired: both rows are scored on the same
//! items, and each resample draws the same items for both.

use std::collections::HashMap;

use pxby_data::dataset::Item;
use pxby_data::eval::{EvalOptions, score_item};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};
use tch::Device;

use crate::error::{Error, Result};
use crate::eval::TchPredictor;
use crate::model::Family;
use crate::train;
use crate::windows::{Sequence, Windows};

/// Bootstrap resamples per interval.
pub const RESAMPLES: usize = 2000;
/// Seed of the resampling (intervals are reproducible).
const SEED: u64 = 0x7AB1E1;

/// One validation item's sums.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemScore {
    /// Item id.
    pub id: u32,
    /// SPEC §8 windows (64-token prompt + 16 generated).
    pub windows: u32,
    /// Sum of the windows' Hamming distances.
    pub hamming: f64,
    /// Sum of cosine similarities.
    pub cosine: f64,
    /// Sum of BLEU scores.
    pub bleu: f64,
    /// Sum of the accuracies of the 16 generated tokens.
    pub generated_accuracy: f64,
    /// Teacher-forced windows (the training length, every `val_stride` tokens).
    pub next_windows: u32,
    /// Of which the next token was predicted exactly.
    pub next_correct: u32,
    /// Sum of their cross-entropy losses.
    pub next_loss: f64,
}

/// A metric of Table 1, pooled over windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// SPEC §8 Hamming distance (lower is better).
    Hamming,
    /// SPEC §8 cosine similarity.
    Cosine,
    /// SPEC §8 BLEU.
    Bleu,
    /// Accuracy of the 16 greedily generated tokens.
    GeneratedAccuracy,
    /// Teacher-forced next-token accuracy.
    NextAccuracy,
    /// Teacher-forced cross-entropy (lower is better).
    NextLoss,
}

impl Metric {
    /// Every metric, in table order.
    pub const ALL: [Metric; 6] = [
        Metric::Hamming,
        Metric::Cosine,
        Metric::Bleu,
        Metric::GeneratedAccuracy,
        Metric::NextAccuracy,
        Metric::NextLoss,
    ];

    /// Short name.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Hamming => "Hamming",
            Metric::Cosine => "cosine",
            Metric::Bleu => "BLEU",
            Metric::GeneratedAccuracy => "generated-token accuracy",
            Metric::NextAccuracy => "next-token accuracy",
            Metric::NextLoss => "validation loss",
        }
    }

    /// Whether a smaller value is better.
    pub fn lower_is_better(self) -> bool {
        matches!(self, Metric::Hamming | Metric::NextLoss)
    }

    /// (sum, count) of one item.
    fn parts(self, s: &ItemScore) -> (f64, f64) {
        let w = f64::from(s.windows);
        let n = f64::from(s.next_windows);
        match self {
            Metric::Hamming => (s.hamming, w),
            Metric::Cosine => (s.cosine, w),
            Metric::Bleu => (s.bleu, w),
            Metric::GeneratedAccuracy => (s.generated_accuracy, w),
            Metric::NextAccuracy => (f64::from(s.next_correct), n),
            Metric::NextLoss => (s.next_loss, n),
        }
    }
}

/// A value with its 95 % bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// The estimate on all items.
    pub value: f64,
    /// 2.5th percentile of the resamples.
    pub lo: f64,
    /// 97.5th percentile.
    pub hi: f64,
}

impl Interval {
    /// Whether 0 lies outside the interval (a difference that resampling does not explain).
    pub fn excludes_zero(&self) -> bool {
        self.lo > 0.0 || self.hi < 0.0
    }
}

/// The pooled value of `metric` over `items` (NaN without windows).
pub fn value(items: &[ItemScore], metric: Metric) -> f64 {
    pooled(items.iter(), metric)
}

fn pooled<'a>(items: impl Iterator<Item = &'a ItemScore>, metric: Metric) -> f64 {
    let (s, n) = items.fold((0.0, 0.0), |(s, n), it| {
        let (a, b) = metric.parts(it);
        (s + a, n + b)
    });
    s / n
}

fn percentile_interval(value: f64, mut samples: Vec<f64>) -> Interval {
    samples.retain(|v| v.is_finite());
    samples.sort_by(f64::total_cmp);
    if samples.is_empty() {
        return Interval {
            value,
            lo: f64::NAN,
            hi: f64::NAN,
        };
    }
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Interval {
        value,
        lo: at(0.025),
        hi: at(0.975),
    }
}

/// Item indices of every resample (the same for every metric and row).
fn resamples(n: usize) -> impl Iterator<Item = Vec<usize>> {
    let mut rng = Pcg64Mcg::seed_from_u64(SEED);
    (0..RESAMPLES).map(move |_| (0..n).map(|_| rng.random_range(0..n)).collect())
}

/// `metric` over `items` with its 95 % interval.
pub fn interval(items: &[ItemScore], metric: Metric) -> Interval {
    let samples = resamples(items.len())
        .map(|idx| pooled(idx.iter().map(|&i| &items[i]), metric))
        .collect();
    percentile_interval(value(items, metric), samples)
}

/// `metric(a) − metric(b)` with its paired 95 % interval, or `None` when the two rows were not
/// scored on the same items.
pub fn difference(a: &[ItemScore], b: &[ItemScore], metric: Metric) -> Option<Interval> {
    let ids = |s: &[ItemScore]| s.iter().map(|i| i.id).collect::<Vec<_>>();
    if a.is_empty() || ids(a) != ids(b) {
        return None;
    }
    let samples = resamples(a.len())
        .map(|idx| {
            pooled(idx.iter().map(|&i| &a[i]), metric) - pooled(idx.iter().map(|&i| &b[i]), metric)
        })
        .collect();
    Some(percentile_interval(
        value(a, metric) - value(b, metric),
        samples,
    ))
}

/// Scores `model` on every item of `val` (SPEC §8 windows of the dataset item with the same
/// id, and teacher-forced windows of `seq_len` every `val_stride` tokens).
pub fn score_items(
    model: &dyn Family,
    device: Device,
    val: &[Sequence],
    items: &[&Item],
    seq_len: usize,
    val_stride: usize,
    windows_per_item: Option<usize>,
) -> Result<Vec<ItemScore>> {
    let by_id: HashMap<u32, &Item> = items.iter().map(|it| (it.id, *it)).collect();
    let options = EvalOptions {
        max_windows_per_item: windows_per_item,
    };
    let mut predictor = TchPredictor::new(model, device);
    let mut out = Vec::with_capacity(val.len());
    for seq in val {
        let item = by_id.get(&seq.id).ok_or_else(|| {
            Error::Eval(format!("validation item {} is not in the dataset", seq.id))
        })?;
        let scores =
            score_item(item, &options, &mut predictor).map_err(|e| Error::Eval(e.to_string()))?;
        let windows = Windows::new(vec![seq.clone()], seq_len, val_stride);
        let (next_windows, next_correct, next_loss) = if windows.is_empty() {
            (0, 0, 0.0)
        } else {
            let stats = train::evaluate(model, &windows, device)?;
            (
                stats.count(),
                stats.correct(),
                stats.loss() * stats.count() as f64,
            )
        };
        let count = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        out.push(ItemScore {
            id: seq.id,
            windows: count(scores.len() as u64),
            hamming: scores.iter().map(|s| s.hamming).sum(),
            cosine: scores.iter().map(|s| s.cosine).sum(),
            bleu: scores.iter().map(|s| s.bleu).sum(),
            generated_accuracy: scores.iter().map(|s| s.accuracy).sum(),
            next_windows: count(next_windows),
            next_correct: count(next_correct),
            next_loss,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: u32, hamming: f64, windows: u32) -> ItemScore {
        ItemScore {
            id,
            windows,
            hamming: hamming * f64::from(windows),
            cosine: 0.0,
            bleu: 0.0,
            generated_accuracy: 0.0,
            next_windows: 10,
            next_correct: id % 10,
            next_loss: 0.0,
        }
    }

    #[test]
    fn pooled_value_weights_items_by_their_windows() {
        let items = [item(1, 0.1, 1), item(2, 0.4, 3)];
        assert!((value(&items, Metric::Hamming) - 0.325).abs() < 1e-12);
        assert!((value(&items, Metric::NextAccuracy) - 0.15).abs() < 1e-12);
    }

    #[test]
    fn interval_contains_the_value_and_narrows_with_more_items() {
        let few: Vec<_> = (0..8)
            .map(|i| item(i, f64::from(i % 4) / 10.0, 2))
            .collect();
        let many: Vec<_> = (0..256)
            .map(|i| item(i, f64::from(i % 4) / 10.0, 2))
            .collect();
        let (a, b) = (
            interval(&few, Metric::Hamming),
            interval(&many, Metric::Hamming),
        );
        assert!(a.lo <= a.value && a.value <= a.hi, "{a:?}");
        assert!(b.hi - b.lo < (a.hi - a.lo) / 2.0, "{a:?} vs {b:?}");
        assert_eq!(a, interval(&few, Metric::Hamming), "reproducible");
    }

    #[test]
    fn paired_difference_sees_a_small_consistent_shift() {
        // Items vary a lot, but b is worse than a by 0.01 on every item: paired resampling
        // shows a difference that unpaired intervals (which overlap) would hide.
        let a: Vec<_> = (0..40)
            .map(|i| item(i, f64::from(i % 7) / 10.0, 3))
            .collect();
        let b: Vec<_> = (0..40)
            .map(|i| item(i, f64::from(i % 7) / 10.0 + 0.01, 3))
            .collect();
        let (ia, ib) = (interval(&a, Metric::Hamming), interval(&b, Metric::Hamming));
        assert!(ia.hi > ib.lo, "the unpaired intervals overlap");
        let d = difference(&a, &b, Metric::Hamming).expect("same items");
        assert!(d.excludes_zero() && d.hi < 0.0, "{d:?}");
        assert!(difference(&a, &b[1..], Metric::Hamming).is_none());
    }
}

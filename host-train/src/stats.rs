//! Classification statistics of one pass: mean loss, accuracy and weighted F1
//! (scikit-learn's `f1_score(average="weighted")`: per-class F1 weighted by true support).

use pxby_core::vocab::VOCAB_SIZE;

/// Running totals of a pass over windows.
#[derive(Clone, Debug)]
pub struct Stats {
    loss_sum: f64,
    count: u64,
    correct: u64,
    true_count: Vec<u64>,
    pred_count: Vec<u64>,
    hit_count: Vec<u64>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            loss_sum: 0.0,
            count: 0,
            correct: 0,
            true_count: vec![0; VOCAB_SIZE],
            pred_count: vec![0; VOCAB_SIZE],
            hit_count: vec![0; VOCAB_SIZE],
        }
    }
}

impl Stats {
    /// Adds a batch: its mean loss and the (target, prediction) pairs. Classes outside the
    /// vocabulary are counted in the accuracy but not in the F1 table.
    pub fn add(&mut self, mean_loss: f64, targets: &[i64], predictions: &[i64]) {
        let n = targets.len().min(predictions.len());
        self.loss_sum += mean_loss * n as f64;
        self.count += n as u64;
        for (&t, &p) in targets.iter().zip(predictions) {
            if t == p {
                self.correct += 1;
            }
            let (t, p) = (t as usize, p as usize);
            if let Some(c) = self.true_count.get_mut(t) {
                *c += 1;
            }
            if let Some(c) = self.pred_count.get_mut(p) {
                *c += 1;
            }
            if t == p
                && let Some(c) = self.hit_count.get_mut(t)
            {
                *c += 1;
            }
        }
    }

    /// Number of windows seen.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Number of exact next-token predictions.
    pub fn correct(&self) -> u64 {
        self.correct
    }

    /// Mean loss per window (NaN when empty).
    pub fn loss(&self) -> f64 {
        self.loss_sum / self.count as f64
    }

    /// Fraction of exact next-token predictions (NaN when empty).
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.count as f64
    }

    /// Weighted F1 over the classes present in the targets.
    pub fn weighted_f1(&self) -> f64 {
        let mut num = 0.0;
        let mut support = 0u64;
        for c in 0..VOCAB_SIZE {
            let t = self.true_count[c];
            if t == 0 {
                continue;
            }
            let denom = t + self.pred_count[c];
            let f1 = 2.0 * self.hit_count[c] as f64 / denom as f64;
            num += t as f64 * f1;
            support += t;
        }
        if support == 0 {
            f64::NAN
        } else {
            num / support as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_f1_matches_sklearn() {
        // sklearn: f1_score([0,0,1,1,2], [0,1,1,1,0], average="weighted") = (2·0.5 + 2·0.8 + 1·0) / 5 = 0.52
        let mut s = Stats::default();
        s.add(1.0, &[0, 0, 1, 1, 2], &[0, 1, 1, 1, 0]);
        assert!((s.weighted_f1() - 0.52).abs() < 1e-9);
        assert!((s.accuracy() - 0.6).abs() < 1e-12);
        assert!((s.loss() - 1.0).abs() < 1e-12);
    }
}

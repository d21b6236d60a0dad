//! `host-train bench`: milliseconds per training step (forward, backward, AdamW) of Table 1
//! models on random windows, so families and implementations can be compared in one run.

use std::time::Instant;

use pxby_core::vocab::VOCAB_SIZE;
use tch::{Device, Kind, Tensor, nn};

use crate::error::Result;
use crate::model::ModelSpec;
use crate::model::mamba::{MambaModel, Scan};
use crate::optim::{AdamW, AdamWConfig};
use crate::train::Built;

/// Median, fastest and slowest milliseconds of one training step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepTime {
    /// Median.
    pub median: f64,
    /// Fastest step.
    pub min: f64,
    /// Slowest step.
    pub max: f64,
}

/// Times `steps` training steps of `model` (after two warm-up steps) on random contexts
/// `[batch, seq_len, 9]` and random targets.
pub fn training_step(
    built: &Built,
    batch: i64,
    seq_len: i64,
    steps: usize,
    device: Device,
) -> Result<StepTime> {
    let vars = built
        .vars
        .iter()
        .map(|(k, t)| (k.clone(), t.shallow_clone()))
        .collect();
    let mut opt = AdamW::new(vars, AdamWConfig::default());
    let vocab = VOCAB_SIZE as i64;
    let mut times = Vec::with_capacity(steps);
    for k in 0..steps + 2 {
        let x = Tensor::randint(vocab, [batch, seq_len, 9], (Kind::Int64, device));
        let y = Tensor::randint(vocab, [batch], (Kind::Int64, device));
        let started = Instant::now();
        let loss = built.model.forward(&x).cross_entropy_for_logits(&y);
        opt.zero_grad();
        loss.backward();
        opt.step();
        // Wait for the step to finish (matters on CUDA).
        let _ = f64::try_from(loss.detach().to_device(Device::Cpu));
        if k >= 2 {
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(StepTime {
        median: times.get(times.len() / 2).copied().unwrap_or(f64::NAN),
        min: times.first().copied().unwrap_or(f64::NAN),
        max: times.last().copied().unwrap_or(f64::NAN),
    })
}

/// An SSM-family model (`spec.family` is ignored) whose blocks scan by `scan`.
pub fn build_ssm(spec: &ModelSpec, device: Device, seed: u64, scan: Scan) -> Result<Built> {
    tch::manual_seed(seed as i64);
    let vs = nn::VarStore::new(device);
    let model = MambaModel::new(&vs.root(), &spec.config)?.with_scan(scan);
    let vars = vs.variables().into_iter().collect();
    Ok(Built {
        vs,
        model: Box::new(model),
        vars,
    })
}

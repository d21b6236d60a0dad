//! `host-train export`: a run's model as a pxby-core model file, written by
//! [`pxby_core::format::write_model`] (which does the int8 quantisation) with the training
//! metadata: dataset hash, epochs, training seconds and the validation metrics of the epoch.

use std::fmt;
use std::path::{Path, PathBuf};

use pxby_core::calibrate::{calibrate, write_int_model};
use pxby_core::format::{Metadata, Metric, write_model};
use pxby_core::quant::WeightType;

use crate::checkpoint::{self, Checkpoint};
use crate::error::{Error, Result};
use crate::model::FamilyKind;
use crate::run::{RunConfig, files, write_atomic};

/// Weight storage of the exported file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weights {
    /// 32-bit floats.
    F32,
    /// int8 matrices (per output row, symmetric), f32 vectors.
    Int8,
    /// Integer-only inference (pxby-core's `WeightType::Int`): int8 weights, int16 activations
    /// with static scales calibrated on [`CALIBRATION_WINDOWS`] training windows.
    Int,
}

/// Training windows the integer export calibrates on: this many, evenly spaced over all
/// training windows of the run (its `seq_len` and `stride`), recording the largest absolute
/// value at each activation boundary (min/max, no percentile). The one rule is
/// [`pxby_data::windows::evenly_spaced`], which `pxby quantize` uses too.
pub const CALIBRATION_WINDOWS: usize = pxby_data::windows::CALIBRATION_WINDOWS;

/// The calibration windows of a run (see [`CALIBRATION_WINDOWS`]), from its dataset file, which
/// must still have the hash the run was trained on.
pub fn calibration_windows(run: &RunConfig) -> Result<Vec<Vec<pxby_core::context::Context>>> {
    let data = crate::data::load(&run.data, run.limit_items)?;
    if data.dataset_hash != run.dataset_hash {
        return Err(Error::Usage(format!(
            "{} has changed since the run started (hash {} instead of {})",
            run.data.display(),
            data.dataset_hash,
            run.dataset_hash
        )));
    }
    Ok(pxby_data::windows::evenly_spaced(
        data.train.iter().map(|s| s.contexts.as_slice()),
        run.seq_len,
        run.stride,
        CALIBRATION_WINDOWS,
    ))
}

/// Which model of the run to export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// The epoch with the lowest validation loss (`best.safetensors`).
    Best,
    /// The last finished epoch (`checkpoint.safetensors`).
    Last,
}

impl Which {
    /// That model's file in `run_dir`.
    pub fn path(self, run_dir: &Path) -> PathBuf {
        run_dir.join(match self {
            Which::Best => files::BEST,
            Which::Last => files::CHECKPOINT,
        })
    }
}

/// What was written.
#[derive(Clone, Debug)]
pub struct ExportSummary {
    /// File size in bytes.
    pub bytes: usize,
    /// Parameters.
    pub params: usize,
    /// Epoch the weights come from.
    pub epoch: u32,
    /// Validation next-token accuracy of that epoch.
    pub val_acc: f64,
    /// Weight storage.
    pub weights: Weights,
}

impl fmt::Display for ExportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wrote {:?} model: {} bytes, {} parameters, epoch {}, validation accuracy {:.4}",
            self.weights, self.bytes, self.params, self.epoch, self.val_acc
        )
    }
}

/// `unix_seconds` (UTC) as `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, whole seconds).
fn utc_timestamp(unix_seconds: i64) -> Result<String> {
    let date_err = |e: &dyn fmt::Display| Error::Format(format!("formatting the date: {e}"));
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .map_err(|e| date_err(&e))?
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| date_err(&e))
}

/// Now (UTC) as `YYYY-MM-DDTHH:MM:SSZ`.
fn utc_now() -> Result<String> {
    utc_timestamp(time::OffsetDateTime::now_utc().unix_timestamp())
}

/// Encodes the model of `ckpt` (trained on `run`) as a pxby-core model file.
pub fn encode(
    run: &RunConfig,
    ckpt: &Checkpoint,
    weights: Weights,
    notes: &str,
) -> Result<Vec<u8>> {
    if ckpt.model.family != FamilyKind::Rnn {
        return Err(Error::Usage(format!(
            "pxby-core runs only the rnn family; this run is {:?}",
            ckpt.model.family
        )));
    }
    let cfg = &ckpt.model.config;
    let mut owned: Vec<(&'static str, Vec<f32>)> = Vec::new();
    for spec in cfg.tensors() {
        let t = ckpt
            .tensors
            .get(spec.name)
            .ok_or_else(|| Error::Format(format!("the checkpoint lacks tensor {}", spec.name)))?;
        let v = Vec::<f32>::try_from(t.flatten(0, -1))
            .map_err(|e| Error::torch(format!("reading {}", spec.name), e))?;
        owned.push((spec.name, v));
    }
    let tensors: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    let st = &ckpt.state;
    let epoch = st.history.last().filter(|r| r.epoch == st.epoch);
    let mut metrics = heapless::Vec::<Metric<'_>, { pxby_core::format::MAX_METRICS }>::new();
    if let Some(r) = epoch {
        for (name, value) in [
            ("val_loss", r.val_loss),
            ("val_acc", r.val_acc),
            ("val_f1", r.val_f1),
            ("train_loss", r.train_loss),
            ("train_acc", r.train_acc),
        ] {
            let _ = metrics.push(Metric {
                name,
                value: value as f32,
            });
        }
    }
    let created = format!("{} host-train {}", utc_now()?, env!("CARGO_PKG_VERSION"));
    let meta = Metadata {
        dataset_hash: &run.dataset_hash,
        epochs: st.epoch,
        train_seconds: st.train_seconds as f32,
        created: &created,
        notes,
        metrics,
    };
    let fmt_err = |e: pxby_core::Error| Error::Format(e.to_string());
    let wt = match weights {
        Weights::F32 => WeightType::F32,
        Weights::Int8 => WeightType::I8,
        Weights::Int => {
            let f32_bytes = write_model(cfg, &meta, WeightType::F32, &tensors).map_err(fmt_err)?;
            let f32_model = pxby_core::Model::from_bytes(&f32_bytes).map_err(fmt_err)?;
            let windows = calibration_windows(run)?;
            let ranges = calibrate(&f32_model, windows.iter().map(std::vec::Vec::as_slice))
                .map_err(fmt_err)?;
            return write_int_model(cfg, &meta, &tensors, &ranges).map_err(fmt_err);
        }
    };
    write_model(cfg, &meta, wt, &tensors).map_err(fmt_err)
}

/// Exports the run in `run_dir` to `out` (atomically). `out` may not be one of the run's files
/// ([`Error::OutputIsInput`](crate::Error::OutputIsInput), before anything is read or written).
pub fn export(
    run_dir: &Path,
    out: &Path,
    weights: Weights,
    which: Which,
    notes: &str,
) -> Result<ExportSummary> {
    let run_files = [files::RUN, files::CHECKPOINT, files::BEST, files::METRICS];
    pxby_data::paths::refuse_overwriting_inputs(out, run_files.map(|f| run_dir.join(f)))?;
    let run = RunConfig::load(run_dir)?;
    let path = which.path(run_dir);
    let ckpt = checkpoint::load(&path)?;
    let bytes = encode(&run, &ckpt, weights, notes)?;
    write_atomic(out, &bytes)?;
    let val_acc = ckpt.state.history.last().map_or(f64::NAN, |r| r.val_acc);
    Ok(ExportSummary {
        bytes: bytes.len(),
        params: ckpt.model.config.param_count(),
        epoch: ckpt.state.epoch,
        val_acc,
        weights,
    })
}

/// The reverse of [`encode`]: a tch model holding the (dequantised) weights of a pxby-core model
/// file, e.g. to continue training from it or to compare the two implementations.
pub fn import(model: &pxby_core::Model<'_>, device: tch::Device) -> Result<crate::train::Built> {
    let spec = crate::model::ModelSpec {
        family: FamilyKind::Rnn,
        config: *model.config(),
    };
    let mut built = crate::train::build_model(&spec, device, 0)?;
    let _guard = tch::no_grad_guard();
    for (name, var) in &mut built.vars {
        let values = model
            .tensor_f32(name)
            .ok_or_else(|| Error::Format(format!("the model file lacks tensor {name}")))?;
        let t = tch::Tensor::from_slice(&values)
            .reshape(var.size())
            .to_device(device);
        var.copy_(&t);
    }
    Ok(built)
}

#[cfg(test)]
mod tests {
    use super::utc_timestamp;

    #[test]
    fn timestamps_are_rfc3339_utc_in_whole_seconds() {
        for (t, want) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_700_000_000, "2023-11-14T22:13:20Z"),
            (1_709_164_800, "2024-02-29T00:00:00Z"),
            (4_102_444_799, "2099-12-31T23:59:59Z"),
        ] {
            assert_eq!(utc_timestamp(t).unwrap(), want);
        }
    }
}

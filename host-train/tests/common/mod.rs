//! Helpers shared by the integration tests (they need libtorch: see the crate docs).
#![allow(dead_code)]

use std::collections::BTreeMap;

use host_train::checkpoint::Checkpoint;
use host_train::model::{Family, ModelSpec};
use host_train::run::{RunConfig, TrainState};
use pxby_core::context::Context;
use tch::{Device, Kind, Tensor};

/// A RunConfig for encoding tests.
pub fn run_config(model: ModelSpec, hash: &str) -> RunConfig {
    RunConfig {
        model,
        data: "test".into(),
        dataset_hash: hash.into(),
        seq_len: 64,
        stride: 32,
        val_stride: None,
        batch: 8,
        lr: 1e-3,
        weight_decay: 0.01,
        epochs: 1,
        patience: None,
        max_steps: None,
        limit_items: None,
        seed: 0,
    }
}

/// A checkpoint of the given variables (for export::encode).
pub fn checkpoint_of(model: ModelSpec, vars: &BTreeMap<String, Tensor>) -> Checkpoint {
    Checkpoint {
        model,
        state: TrainState::start(0),
        tensors: vars
            .iter()
            .map(|(k, t)| (k.clone(), t.detach().to_device(Device::Cpu)))
            .collect(),
    }
}

/// tch logits of one window.
pub fn tch_logits(model: &dyn Family, window: &[Context]) -> Vec<f32> {
    let _g = tch::no_grad_guard();
    let xs: Vec<i64> = window
        .iter()
        .flat_map(|c| c.iter().map(|&t| i64::from(t)))
        .collect();
    let x = Tensor::from_slice(&xs).view([1, window.len() as i64, 9]);
    let y = model.forward(&x).to_kind(Kind::Float).flatten(0, -1);
    Vec::<f32>::try_from(y).expect("logits to vec")
}

/// pxby-core logits of one window.
pub fn core_logits(model: &pxby_core::Model<'_>, window: &[Context]) -> Vec<f32> {
    let mut scratch = vec![0.0f32; model.scratch_len_for(window.len())];
    let mut logits = [0.0f32; pxby_core::vocab::VOCAB_SIZE];
    model
        .logits_for(window, &mut scratch, &mut logits)
        .expect("core forward");
    logits.to_vec()
}

/// Index of the largest value (first on ties).
pub fn argmax(xs: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in xs.iter().enumerate() {
        if x > xs[best] {
            best = i;
        }
    }
    best
}

/// The shared data folder (`$PXBY_SHARED/data/pokemon`, default `../shared` from the repo root).
pub fn pokemon_source() -> std::path::PathBuf {
    let shared = std::env::var_os("PXBY_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    shared.join("data/pokemon")
}

/// A real dataset of the first 120 rows of the shared pokedex.csv (about a tenth validation), built once
/// with pxby-tools' builder from the shared data and cached under the target folder.
/// `PXBY_TEST_DATASET=FILE` uses an existing dataset file instead.
pub fn small_dataset() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("PXBY_TEST_DATASET") {
        return p.into();
    }
    let path =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("host-train-pokemon-120.pxds");
    if pxby_data::dataset::Dataset::read(&path).is_ok() {
        return path;
    }
    let opts = pxby_tools::builder::BuildOptions {
        limit: Some(120),
        ..Default::default()
    };
    let (ds, _report) = pxby_tools::builder::build(&pokemon_source(), &opts, &|| {})
        .expect("build the test dataset");
    ds.write(&path).expect("write the test dataset");
    path
}

/// The validation items of [`small_dataset`] as sequences.
pub fn validation_sequences() -> Vec<host_train::windows::Sequence> {
    let data = host_train::data::load(&small_dataset(), None).expect("read the test dataset");
    data.val
}

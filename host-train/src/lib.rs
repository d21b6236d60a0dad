//! # host-train
//!
//! Trains, evaluates and exports PixelBytes models with [`tch`] (libtorch): CUDA when present,
//! CPU otherwise, same binary. Model files are written through `pxby_core::format`, so the
//! handheld runtime loads exactly what was trained.
//!
//! ## Building and testing
//!
//! host-train links libtorch 2.11.0 (`tch` 0.24.0) and is not a default member of the
//! workspace: `cargo build` / `cargo test` at the root never need libtorch. To build it:
//!
//! ```text
//! scripts/setup-torch.sh && cargo test -p host-train
//! cargo build --release -p host-train
//! ```
//!
//! `scripts/setup-torch.sh` (idempotent) installs the torch 2.11.0 wheel into `.venv` without
//! downloading anything at build time beyond it, and links `.torch` to its libtorch folder;
//! `.cargo/config.toml` points `LIBTORCH` there, and this crate's `build.rs` adds the rpath.
//!
//! ## Commands
//!
//! ```text
//! host-train train  --data pokemon.pxds --out runs/best [--epochs 30 --patience 3] [--resume]
//! host-train export --run runs/best --out model.pxby [--weights f32|int8] [--best|--last]
//! host-train eval   --run runs/best --data pokemon.pxds [--split val] [--best|--last]
//! host-train eval   --run runs/best --data pokemon.pxds --next-token-stride 1   # every token
//! host-train table  --data pokemon.pxds --out results [--epochs 4 --max-steps-per-epoch 60]
//! ```
//!
//! ## Sampling the training windows
//!
//! SPEC §5's default stride of 32 makes every 32nd token a target, the same ones every epoch: the
//! paper's model then memorises them (training loss 1.53 against 1.81 on validation after 36
//! epochs). `--stride 1 --max-steps 710 --val-stride 32` trains on a fresh random draw from all
//! windows each epoch (the same number of steps) while validating on the fixed stride-32
//! windows; `--resume` with new `--lr`, `--stride` or `--max-steps` switches a running schedule.
//!
//! See [`run`] for what a run directory holds.

pub mod bench;
pub mod checkpoint;
pub mod data;
pub mod error;
pub mod eval;
pub mod export;
pub mod model;
pub mod optim;
pub mod plot;
pub mod run;
pub mod stats;
pub mod table;
pub mod train;
pub mod windows;

pub use error::{Error, Result};

/// Picks a device: `cuda` (error if unavailable), `cpu`, or `auto` (CUDA when available).
pub fn select_device(name: &str) -> Result<tch::Device> {
    match name {
        "cpu" => Ok(tch::Device::Cpu),
        "cuda" if tch::Cuda::is_available() => Ok(tch::Device::Cuda(0)),
        "cuda" => Err(Error::Usage(
            "--device cuda: CUDA is not available to libtorch on this machine".into(),
        )),
        "auto" => Ok(tch::Device::cuda_if_available()),
        other => Err(Error::Usage(format!(
            "--device {other}: expected auto, cpu or cuda"
        ))),
    }
}

//! # pxby-core
//!
//! The `no_std`, heap-free runtime of PixelBytes: everything a microcontroller needs to run a
//! trained PixelBytes model (SPEC §1–§7), identical on x86_64, Cortex-M and wasm.
//!
//! ## Modules
//! - [`vocab`]: the 113 tokens (58 bytes, 55 NES colours), both directions.
//! - [`context`]: the 3x3 context rule, batch ([`context::contexts`]) and incremental
//!   ([`context::ContextCursor`]); they agree token for token.
//! - [`config`]: [`config::ModelConfig`] and the canonical tensor table (PyTorch names, each
//!   tensor keyed by a typed [`config::Slot`]).
//! - [`quant`]: f32 / int8 (per-row scale) weight views behind one kernel shape, and how one
//!   tensor of each storage type is laid out in a file.
//! - [`weights`]: the typed tensor table of a loaded model ([`weights::Weights`], by slot).
//! - [`format`]: the model file (layout documented there): the zero-copy reader
//!   [`format::ModelFile::parse`] and the writer `format::write_model` (feature `alloc`).
//! - [`model`]: [`Model::from_bytes`] and the forward pass — PxByEmbed (conv / noconv /
//!   center), LSTM stack, head.
//! - [`fixed`]: fixed-point primitives of the integer path (requantisation by multiplier and
//!   shift, integer square root, int16 sigmoid / tanh tables).
//! - [`intparams`]: the integer block of a [`quant::WeightType::Int`] file and its load-time
//!   checks.
//! - [`integer`]: the integer-only forward pass (no floating point) of such files.
//! - `calibrate` (feature `alloc`): activation ranges from the f32 model and the integer
//!   file writer.
//! - [`header`]: the one codec of the `(h, w)` header segment (SPEC §4).
//! - [`math`]: the one implementation of `exp`, `sigmoid`, `tanh`, `1/sqrt` (bit-exact rules).
//! - [`generate`]: the streaming [`generate::Generator`] (window ring, greedy / temperature /
//!   top-k with PCG32, structured sprite mode).
//! - [`error`]: the crate's one [`Error`] enum.
//!
//! ## Layers
//! Each module uses only the ones before it, never the other way: the base modules `error`,
//! `vocab`, `math`, `context` and `header` (which use at most `vocab`), then `config` →
//! `quant` → `weights` → `format` → `model` → `generate`. The file format sits *below* the model: [`format`] turns bytes into
//! a configuration, metadata and [`weights::Weights`] without naming [`Model`], and
//! [`Model::from_bytes`] wraps that result; so the module that knows the bytes never depends on
//! the maths, and the model knows the file only through [`format::ModelFile`].
//!
//! ## Model file in one paragraph
//! `PXBY` magic, `u16` version, `u32` header length, a postcard header (configuration, one
//! storage type per tensor, training metadata), padding to 4, the weights of every tensor in
//! [`config::ModelConfig::tensors`] order (f32, or int8 matrices with one f32 scale per output
//! row), and a CRC-32 of everything before it; little-endian. The paper's best model
//! (dim 81, d_state 32, depth 2, bidirectional, conv; 33,417 parameters) is 39,544 bytes with
//! int8 weights. Every malformed file is a typed [`Error`], never a panic.
//!
//! ## Determinism
//! IEEE f32 additions and multiplications in a fixed sequential order, no FMA, our own clamped
//! transcendental functions ([`math`]), an integer PRNG: the same model, prompt and seed give
//! the same bits on every target.
//!
//! ## Memory
//! No heap in the inference path. [`generate::Generator`]`<64>` (window 64, sized for the
//! paper's best model) needs about 30.2 KB ([`generate::Generator::RAM_BYTES`]), nearly all of
//! it the caller-provided [`generate::Buffers`] (a `const fn new()`, so it can be a
//! zero-initialised static; never moved by the generator); a loaded
//! [`Model`] is a few hundred bytes of views into the file bytes, which may stay in flash.
//!
//! ## Features
//! - `alloc`: the writer (`format::write_model`) and `Model::tensor_f32`.
//! - `std`: `alloc` plus `std::error::Error` for [`Error`].
//!
//! ## Example
//! ```
//! use pxby_core::config::ModelConfig;
//! use pxby_core::format::{write_model, Metadata};
//! use pxby_core::generate::{Buffers, Generator, Options, Sampling};
//! use pxby_core::quant::WeightType;
//! use pxby_core::Model;
//!
//! // A model file (here with made-up weights; normally exported by the trainer).
//! let cfg = ModelConfig::PAPER_BEST;
//! let tensors: Vec<(&str, Vec<f32>)> = cfg
//!     .tensors()
//!     .map(|t| (t.name, (0..t.len()).map(|i| ((i % 13) as f32 - 6.0) / 40.0).collect()))
//!     .collect();
//! let list: Vec<(&str, &[f32])> = tensors.iter().map(|(n, v)| (*n, v.as_slice())).collect();
//! let bytes = write_model(&cfg, &Metadata::default(), WeightType::I8, &list)?;
//! assert!(bytes.len() <= 40 * 1024);
//!
//! // On the device: load zero-copy and generate a 4x3 sprite and its caption.
//! let model = Model::from_bytes(&bytes)?;
//! let options = Options {
//!     structured: true,
//!     sampling: Sampling::TopK { k: 8, temperature: 0.9 },
//!     seed: 42,
//!     max_caption: 20,
//!     ..Options::default()
//! };
//! let mut buffers = Buffers::<64>::boxed(); // a `static` or stack `Buffers::new()` on a device
//! let generator = Generator::from_text(&model, &mut buffers, "(4, 3)\n", options)?;
//! let steps: Vec<_> = generator.collect();
//! assert_eq!(steps.iter().filter(|s| pxby_core::vocab::is_colour(s.token)).count(), 12);
//! # Ok::<(), pxby_core::Error>(())
//! ```
#![no_std]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

#[cfg(feature = "alloc")]
pub mod calibrate;
pub mod config;
pub mod context;
pub mod error;
pub mod fixed;
pub mod format;
pub mod generate;
pub mod header;
pub mod integer;
pub mod intparams;
pub mod kernel;
pub mod math;
pub mod model;
pub mod quant;
pub mod vocab;
pub mod weights;
pub mod wide;

pub use error::Error;
pub use model::Model;

//! Streaming generation (SPEC §7): a window of the last `W` tokens, next-token sampling, and a
//! structured mode that always yields a well-formed sprite.
//!
//! The generator caches what depends on one token only in a ring of `W` rows — its PxByEmbed
//! output for f32 and int8-weight files; for integer files ([`crate::integer`]) its first-layer
//! input projections `W_ih · x + b_ih` of both directions — and recomputes the rest of the LSTM
//! stack over the window for every new token (the backward LSTM of the paper's model sees the
//! whole window, so nothing else can be cached). All buffers are fixed arrays sized by const
//! generics, checked against the model at construction ([`crate::Error::Capacity`]):
//!
//! - `W`: window (default 64), `D`: largest `dim` (default 81), `S`: largest `d_state`
//!   (default 32) — the defaults fit the paper's best model exactly.
//! - RAM: the big arrays are a separate [`Buffers`] that the generator borrows, so firmware can
//!   keep them in a `.bss` static or one stack frame and nothing 30 KB large is ever moved:
//!   `4·W·D` (embedding ring) + `4·W·S` (layer buffer) + `4·5·S` (gates, cell) + 452 (logits)
//!   bytes — 30,020 for `Buffers<64>` (PAPER_BEST), [`Buffers::BYTES`]. Integer models run
//!   in their own [`IntBuffers`] ([`Generator::with_int_buffers`]: the projection ring, the
//!   first layer's reverse outputs, the LSTM work values, one embedding and `i32` logits —
//!   19,752 bytes for `IntBuffers<64>`), or in a [`Buffers`] whose arrays are then used as
//!   `i16` / `i32` (safe casts with `bytemuck`; [`crate::Error::Capacity`] if they do not fit). The
//!   generator value itself (cursor, PRNG, grammar, references) is [`Generator::STATE_BYTES`] (a few hundred
//!   bytes); [`Generator::RAM_BYTES`] is the sum.
//!
//! Sampling is greedy, temperature or top-k; randomness comes from [`Pcg32`] (integer only, so
//! the same seed gives the same stream everywhere) and the softmax uses [`crate::math::exp`]
//! (f32 files) or integer arithmetic with a table of `2^(-i/256)` (integer files,
//! `int_sampling`).
//!
//! The parts, one file each: `grammar` (structured mode: which tokens may come next, with the
//! header read by [`crate::header`]), `sampling` ([`Pcg32`], [`Sampling`]), `int_sampling`
//! (the integer sampler), `buffers`
//! ([`Buffers`]) and `generator` ([`Generator`], [`Options`], [`Step`]).
//!
//! ```
//! # use pxby_core::{config::ModelConfig, format::{write_model, Metadata}, quant::WeightType, Model};
//! # let cfg = ModelConfig::PAPER_BEST;
//! # let owned: Vec<(&str, Vec<f32>)> = cfg.tensors()
//! #     .map(|t| (t.name, (0..t.len()).map(|i| ((i * 7919 % 97) as f32 - 48.0) / 300.0).collect()))
//! #     .collect();
//! # let list: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
//! # let bytes = write_model(&cfg, &Metadata::default(), WeightType::I8, &list).unwrap();
//! use pxby_core::generate::{Buffers, Generator, Options, Sampling};
//! use pxby_core::vocab::Symbol;
//! let model = Model::from_bytes(&bytes)?;
//! let options = Options { structured: true, sampling: Sampling::TopK { k: 5, temperature: 0.8 }, seed: 7, ..Options::default() };
//! let mut buffers = Buffers::<64>::boxed(); // or `static` / stack `Buffers::new()` on a device
//! let mut generator = Generator::from_text(&model, &mut buffers, "(3, 4)\n", options)?;
//! let colours = generator.by_ref().take(3 * 5).filter(|s| matches!(s.symbol, Symbol::Colour(_))).count();
//! assert_eq!(colours, 12); // 3 rows of 4 colours, each row ended by \t or \n
//! # Ok::<(), pxby_core::Error>(())
//! ```

mod buffers;
mod generator;
mod grammar;
mod int_sampling;
mod sampling;

pub use buffers::{Buffers, INT_WORK_ROWS, IntBuffers};
pub use generator::{Cursor, Generator, Options, ROW_CAP, Step};
pub use sampling::{Pcg32, Sampling};

use crate::vocab::VOCAB_SIZE;

/// A set of tokens as a bit mask (bit `t` = token `t`).
pub type TokenMask = u128;
/// Every token of the vocabulary.
pub const ALL_TOKENS: TokenMask = (1u128 << VOCAB_SIZE) - 1;

/// The mask of token `t` alone.
const fn bit(t: u8) -> TokenMask {
    1u128 << t
}

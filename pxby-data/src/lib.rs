//! # pxby-data
//!
//! PixelBytes data on the host, shared by the `pxby` tool (`pxby-tools`) and the trainer
//! (`host-train`): the dataset file ([`dataset`]), the SPEC §4 item layout ([`layout`]), SPEC §2
//! text normalisation ([`text`]), the paper's metrics ([`metrics`]) and SPEC §8 evaluation
//! ([`eval`]), the SPEC §5 windows ([`windows`]), input files read within limits ([`input`]),
//! atomic file writes ([`atomic`]) and the rule that no output replaces an input ([`paths`]).
//!
//! It needs std but no network and no image decoding; the vocabulary, the context rule and the
//! model maths stay in `pxby-core`.

pub mod atomic;
pub mod dataset;
pub mod eval;
pub mod input;
pub mod layout;
pub mod metrics;
pub mod paths;
pub mod text;
pub mod windows;

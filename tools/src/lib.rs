//! # pxby-tools
//!
//! Host tooling for PixelBytes, built on `pxby-core` (which owns the vocabulary, the context rule
//! and the model) and `pxby-data` (the dataset file, layout, text normalisation, metrics and
//! SPEC §8 evaluation): dataset building, pixelation, generation and rendering, scraping and
//! previews. The `pxby` binary (`src/bin/pxby`) is a thin command-line layer over this library
//! and `pxby-data`.

/// The bundled default model, `fixtures/models/default-int8.pxby` (the integer-only file; see
/// `fixtures/models/MODEL_CARD.md`): what `pxby generate` and `pxby eval` run without
/// `--model`, and what `pxby serve` gives the page.
pub const DEFAULT_MODEL: &[u8] = include_bytes!("../../fixtures/models/default-int8.pxby");

pub mod builder;
pub mod bundle;
pub mod card;
pub mod pixelate;
pub mod preview;
pub mod quantize;
pub mod scrape;
pub mod serve;
pub mod strict_csv;

//! # pxby-tools
//!
//! Host tooling for PixelBytes, built on `pxby-core` (which owns the vocabulary, the context rule
//! and the model): dataset building, pixelation, evaluation, generation and rendering, scraping
//! and inspection. The `pxby` binary is a thin command-line layer over this library.
#![warn(missing_docs)]

pub mod builder;
pub mod card;
pub mod cli;
pub mod dataset;
pub mod eval;
pub mod layout;
pub mod metrics;
pub mod pixelate;
pub mod preview;
pub mod scrape;
pub mod text;

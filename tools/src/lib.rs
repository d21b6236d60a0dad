//! # pxby-tools
//!
//! Host tooling for PixelBytes, built on `pxby-core` (which owns the vocabulary, the context rule
//! and the model) and `pxby-data` (the dataset file, layout, text normalisation, metrics and
//! SPEC §8 evaluation): dataset building, pixelation, generation and rendering, scraping and
//! previews. The `pxby` binary (`src/bin/pxby`) is a thin command-line layer over this library
//! and `pxby-data`.

pub mod builder;
pub mod card;
pub mod pixelate;
pub mod preview;
pub mod quantize;
pub mod scrape;
pub mod serve;
pub mod strict_csv;

//! # pxby-core
//!
//! The `no_std`, heap-free runtime of PixelBytes.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod config;
pub mod context;
pub mod error;
pub mod format;
pub mod generate;
pub mod math;
pub mod model;
pub mod quant;
#[cfg(feature = "embedded-graphics")]
pub mod screen;
pub mod vocab;

pub use error::Error;
pub use model::Model;

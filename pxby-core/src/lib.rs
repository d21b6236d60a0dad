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
pub mod vocab;

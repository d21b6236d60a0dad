//! The board-independent part of the PixelBytes handheld demo (`no_std`, no heap): the options
//! of one generation and the loop that generates tokens with `pxby-core` and draws each on the
//! screen. The firmware binary runs it on the Cortex-M4F; the host tests run the very same code
//! to check that QEMU produced identical tokens and pixels.
#![no_std]
#![warn(missing_docs)]

pub mod args;
pub mod demo;

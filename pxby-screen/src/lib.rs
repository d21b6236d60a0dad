//! # pxby-screen
//!
//! The 160x128 PixelBytes screen, drawn progressively as tokens arrive (`no_std`, no heap), and
//! the handheld's generate-and-draw loop.
//!
//! One piece of drawing code for every display: the firmware draws into the handheld's ST7735
//! (or, in QEMU, into the compact [`IndexedFramebuffer`]), and the host preview of
//! `pxby generate` draws into `embedded-graphics-simulator`. Because [`Screen`] only talks to a
//! `DrawTarget<Color = Rgb565>` and uses integer maths, every target ends up with exactly the
//! same pixels.
//!
//! ## Modules
//! - [`layout`]: where the title bar, sprite box, description and status line sit.
//! - [`palette`]: every colour the screen draws ([`palette::SCREEN_PALETTE`]).
//! - [`framebuffer`]: [`IndexedFramebuffer`], one palette index per pixel (20 KiB).
//! - [`screen`]: the [`Screen`] state machine, with the sprite scaling, the word wrap of the
//!   description and the status line in private modules of their own.
//! - [`args`]: the options of one run ([`args::Options`]), parsed from `key=value` words.
//! - [`demo`]: the generate-and-draw loop ([`demo::run`]) every board and the host tests run.
//!
//! ```
//! use pxby_screen::{IndexedFramebuffer, Phase, Screen};
//! use pxby_core::vocab::{byte_to_token, colour_to_token, SEG_SEP};
//!
//! let mut fb = IndexedFramebuffer::new();
//! let mut screen = Screen::new();
//! screen.draw_frame(&mut fb).unwrap();
//! for &b in b"(1, 1)" {
//!     screen.push(byte_to_token(b).unwrap(), &mut fb).unwrap();
//! }
//! screen.push(SEG_SEP, &mut fb).unwrap();
//! assert_eq!(screen.phase(), Phase::Sprite);
//! screen.push(colour_to_token(0).unwrap(), &mut fb).unwrap(); // one black pixel
//! assert_eq!(screen.tokens(), 8);
//! ```
#![no_std]

#[cfg(test)]
extern crate std;

pub mod args;
pub mod demo;
pub mod framebuffer;
mod glyph;
pub mod layout;
pub mod palette;
pub mod screen;
mod sprite;
mod status;
mod wrap;

pub use framebuffer::{IndexedFramebuffer, UnknownColour};
pub use layout::{HEIGHT, PIXELS, WIDTH};
pub use screen::{NO_SIZE, Phase, Screen};
pub use sprite::WRAP_COLUMNS;

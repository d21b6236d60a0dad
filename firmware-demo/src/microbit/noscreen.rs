//! The micro:bit has no screen: a draw target of the handheld's size that discards every pixel,
//! so that the shared generate-and-draw loop (`pxby_screen::demo`) runs unchanged and ends a
//! run exactly where the host's does.

use core::convert::Infallible;

use embedded_graphics::{
    Pixel,
    pixelcolor::Rgb565,
    prelude::{DrawTarget, OriginDimensions, Size},
};
use pxby_screen::{HEIGHT, WIDTH};

/// A 160x128 display that draws nothing.
pub struct NoScreen;

impl OriginDimensions for NoScreen {
    fn size(&self) -> Size {
        Size::new(WIDTH, HEIGHT)
    }
}

impl DrawTarget for NoScreen {
    type Color = Rgb565;
    type Error = Infallible;

    fn draw_iter<I>(&mut self, _pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        Ok(())
    }
}

//! The run's results as host files: the framebuffer (RGB565 little-endian) and a PNG of the
//! screen (the token stream is [`super::token_log`]'s).

use pxby_screen::{
    HEIGHT, IndexedFramebuffer, PIXELS, WIDTH, args::Options, palette::SCREEN_PALETTE,
    palette::rgb888,
};
use semihosting::io::Write as _;

use super::{png, semihost};

/// Writes the framebuffer (RGB565 LE) and the PNG (2x) where asked; on failure, says which
/// file.
/// Not inlined: its buffers then share stack depth with the generator instead of adding to it.
#[inline(never)]
pub fn write(opts: &Options<'_>, fb: &IndexedFramebuffer) -> Result<(), &'static str> {
    if !opts.screen_path.is_empty() {
        let mut f = semihost::create(opts.screen_path).map_err(|_| "the screen file")?;
        let mut buf = [0u8; 2 * WIDTH as usize * 8];
        let mut first = 0;
        while first < PIXELS {
            let n = fb.rgb565_le(first, &mut buf);
            f.write_all(&buf[..n]).map_err(|_| "the screen file")?;
            first += n / 2;
        }
    }
    if !opts.png_path.is_empty() {
        const SCALE: usize = 2;
        let mut f = semihost::create(opts.png_path).map_err(|_| "the PNG file")?;
        let w = WIDTH as usize;
        let indices = fb.indices();
        png::write(
            w * SCALE,
            HEIGHT as usize * SCALE,
            |y, out| {
                let row = &indices[(y / SCALE) * w..(y / SCALE + 1) * w];
                for (x, px) in out.chunks_exact_mut(3).enumerate() {
                    // embedded-graphics' widening, as the host preview's PNG has it.
                    px.copy_from_slice(&rgb888(SCREEN_PALETTE[usize::from(row[x / SCALE])]));
                }
            },
            |bytes| f.write_all(bytes).map_err(drop),
        )
        .map_err(|_| "the PNG file")?;
    }
    Ok(())
}

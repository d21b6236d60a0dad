//! The run's results as host files: the token stream (written while it is generated, through
//! a 64-byte buffer, so no token log takes RAM), the framebuffer (RGB565 little-endian) and a
//! PNG of the screen.

use pxby_screen::{
    HEIGHT, IndexedFramebuffer, PIXELS, WIDTH, args::Options, palette::SCREEN_PALETTE,
    palette::rgb888,
};
use semihosting::io::Write as _;

use super::{png, semihost};

/// The token stream file (`tokens=PATH`), written as the tokens come.
pub struct TokenLog {
    file: Option<semihosting::fs::File>,
    buf: [u8; 64],
    len: usize,
    failed: bool,
    /// Tokens seen (written or not).
    pub count: usize,
}

impl TokenLog {
    /// Creates the file of `path` (nothing for an empty path).
    pub fn create(path: &str) -> Result<Self, &'static str> {
        let file = if path.is_empty() {
            None
        } else {
            Some(semihost::create(path).map_err(|_| "the token file")?)
        };
        Ok(TokenLog {
            file,
            buf: [0; 64],
            len: 0,
            failed: false,
            count: 0,
        })
    }

    /// Appends one token (a write to the host every 64).
    pub fn push(&mut self, token: u8) {
        self.count += 1;
        if self.file.is_none() {
            return;
        }
        self.buf[self.len] = token;
        self.len += 1;
        if self.len == self.buf.len() {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if let Some(f) = &mut self.file {
            self.failed |= f.write_all(&self.buf[..self.len]).is_err();
        }
        self.len = 0;
    }

    /// Writes what is buffered; an error if any write failed.
    pub fn finish(&mut self) -> Result<(), &'static str> {
        self.flush();
        if self.failed {
            Err("the token file")
        } else {
            Ok(())
        }
    }
}

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

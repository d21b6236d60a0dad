//! The QEMU board (mps2-an386): options from the semihosting command line, the screen in a
//! 20 KiB palette-indexed framebuffer, results written to host files, status as the exit code.
//!
//! Exit codes: 0 done, 2 bad argument, 3 bad model file, 4 generation or drawing failed,
//! 5 a host file could not be written, 6 the stack ran into the statics, 7 HardFault.

use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::{hprint, hprintln};
use panic_semihosting as _;
use pxby_core::{
    model::Model,
    screen::{self, IndexedFramebuffer, SCREEN_PALETTE, Screen},
    vocab::{self, ROW_SEP, SEG_SEP, Symbol},
};

use firmware_demo::{
    args::{self, MAX_TOKENS, Options},
    demo,
};

use crate::{
    model_data, png,
    semihost::{self, HostFile},
    stack, ticks,
};

/// Symbols used to print image rows: one per palette colour.
const COLOUR_CHARS: &[u8; vocab::COLOURS] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS";

#[entry]
fn main() -> ! {
    static mut FB: IndexedFramebuffer = IndexedFramebuffer::new();
    static mut LOG: [u8; MAX_TOKENS] = [0; MAX_TOKENS];
    static mut CMDLINE: [u8; 512] = [0; 512];

    stack::paint();
    let Some(mut cp) = cortex_m::Peripherals::take() else {
        semihost::exit(4)
    };
    ticks::start(&mut cp.SYST);

    let Some(line) = semihost::command_line(CMDLINE) else {
        hprintln!("error: the command line is longer than 512 bytes or not UTF-8");
        semihost::exit(2)
    };
    let opts = match args::parse(line) {
        Ok(o) => o,
        Err(args::BadArg(word)) => {
            hprintln!("error: bad argument `{}`\n{}", word, args::USAGE);
            semihost::exit(2)
        }
    };
    let model = match Model::from_bytes(model_data::bytes()) {
        Ok(m) => m,
        Err(e) => {
            hprintln!("error: embedded model: {}", e);
            semihost::exit(3)
        }
    };
    print_model(&model);

    let label = demo::status_label(&opts);
    let mut screen = Screen::with_label(label.as_str());
    if screen.draw_frame(FB).is_err() {
        hprintln!("error: drawing the screen frame");
        semihost::exit(4)
    }
    let mut text = TextOut::new(opts.quiet);
    let mut logged = 0usize;
    let result = demo::run(
        &model,
        &opts,
        &mut screen,
        FB,
        |token| {
            if let Some(slot) = LOG.get_mut(logged) {
                *slot = token;
                logged += 1;
            }
            text.push(token);
        },
        ticks::now,
    );
    text.flush();
    let run = match result {
        Ok(r) => r,
        Err(e) => {
            hprintln!("error: {}", e);
            semihost::exit(4)
        }
    };
    let _ = screen.finish(FB);

    if let Err(what) = write_outputs(&opts, &LOG[..logged], FB) {
        hprintln!("error: cannot write {}", what);
        semihost::exit(5)
    }
    hprintln!(
        "tokens: {} ({} prompt + {} generated), window {}",
        logged,
        run.prompt,
        run.generated,
        opts.window
    );
    if opts.bench && run.generated > 0 {
        let per =
            |ticks: u64, n: usize| ticks * ticks::QEMU_INSTRUCTIONS_PER_TICK / n.max(1) as u64;
        hprintln!(
            "bench: window={} generated={} model_ticks={} screen_ticks={} model_instr_per_token={} screen_instr_per_token={} full_window_tokens={} full_window_model_instr_per_token={}",
            opts.window,
            run.generated,
            run.model_ticks,
            run.screen_ticks,
            per(run.model_ticks, run.generated),
            per(run.screen_ticks, run.generated),
            run.full_window_tokens,
            per(run.full_window_model_ticks, run.full_window_tokens)
        );
    }
    let s = stack::measure();
    hprintln!(
        "stack_peak_bytes={} stack_available_bytes={}",
        s.peak,
        s.available
    );
    if s.overflowed {
        hprintln!("error: the stack reached the end of the statics");
        semihost::exit(6)
    }
    semihost::exit(0)
}

/// A HardFault (e.g. a stack overflow into the vector of statics) ends the run with status 7
/// instead of spinning until the test's timeout.
#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    semihost::exit(7)
}

#[inline(never)]
fn print_model(model: &Model<'_>) {
    let c = model.config();
    let m = model.metadata();
    hprintln!(
        "model: dim {} d_state {} depth {} bi {} {:?} weights {:?}, {} params, {} bytes, crc {:08x}",
        c.dim,
        c.d_state,
        c.depth,
        c.bidirectional,
        c.embed,
        model.weights(),
        model.param_count(),
        model.file_size(),
        model.crc()
    );
    if !m.notes.is_empty() {
        hprintln!("model notes: {}", m.notes);
    }
}

/// Writes the token stream, the framebuffer (RGB565 LE) and the PNG (2x) where asked.
/// Not inlined: its buffers then share stack depth with the generator instead of adding to it.
#[inline(never)]
fn write_outputs(
    opts: &Options<'_>,
    tokens: &[u8],
    fb: &IndexedFramebuffer,
) -> Result<(), &'static str> {
    if !opts.tokens_path.is_empty() {
        let mut f = HostFile::create(opts.tokens_path).map_err(|_| "the token file")?;
        f.write_all(tokens).map_err(|_| "the token file")?;
        f.close().map_err(|_| "the token file")?;
    }
    if !opts.screen_path.is_empty() {
        let mut f = HostFile::create(opts.screen_path).map_err(|_| "the screen file")?;
        let mut buf = [0u8; 2 * screen::WIDTH as usize * 8];
        let mut first = 0;
        while first < screen::PIXELS {
            let n = fb.rgb565_le(first, &mut buf);
            f.write_all(&buf[..n]).map_err(|_| "the screen file")?;
            first += n / 2;
        }
        f.close().map_err(|_| "the screen file")?;
    }
    if !opts.png_path.is_empty() {
        const SCALE: usize = 2;
        let mut f = HostFile::create(opts.png_path).map_err(|_| "the PNG file")?;
        let w = screen::WIDTH as usize;
        let indices = fb.indices();
        png::write(
            w * SCALE,
            screen::HEIGHT as usize * SCALE,
            |y, out| {
                let row = &indices[(y / SCALE) * w..(y / SCALE + 1) * w];
                for (x, px) in out.chunks_exact_mut(3).enumerate() {
                    let c = SCREEN_PALETTE[usize::from(row[x / SCALE])];
                    px.copy_from_slice(&rgb888(c));
                }
            },
            |bytes| f.write_all(bytes),
        )
        .map_err(|_| "the PNG file")?;
        f.close().map_err(|_| "the PNG file")?;
    }
    Ok(())
}

/// RGB565 widened to 8 bits per channel (bit replication, as image viewers do).
fn rgb888(c: embedded_graphics::pixelcolor::Rgb565) -> [u8; 3] {
    use embedded_graphics::pixelcolor::RgbColor;
    let (r, g, b) = (c.r(), c.g(), c.b());
    [
        (r << 3) | (r >> 2),
        (g << 2) | (g >> 4),
        (b << 3) | (b >> 2),
    ]
}

/// Prints the generated text as it arrives: the header and caption as text, image rows as one
/// character per pixel.
struct TextOut {
    quiet: bool,
    line: [u8; 96],
    len: usize,
}

impl TextOut {
    fn new(quiet: bool) -> Self {
        Self {
            quiet,
            line: [0; 96],
            len: 0,
        }
    }

    fn push(&mut self, token: u8) {
        if self.quiet {
            return;
        }
        match vocab::decode(token) {
            Some(Symbol::Byte(_)) if token == ROW_SEP || token == SEG_SEP => self.flush(),
            Some(Symbol::Byte(b)) => {
                let c = if b.is_ascii_graphic() || b == b' ' {
                    b
                } else {
                    b'?'
                };
                self.put(c);
            }
            Some(Symbol::Colour(_)) => {
                self.put(COLOUR_CHARS[usize::from(token - vocab::FIRST_COLOUR)]);
            }
            None => self.put(b'?'),
        }
    }

    fn put(&mut self, c: u8) {
        if self.len == self.line.len() {
            self.flush_partial();
        }
        self.line[self.len] = c;
        self.len += 1;
    }

    fn flush_partial(&mut self) {
        if let Ok(s) = core::str::from_utf8(&self.line[..self.len]) {
            hprint!("{}", s);
        }
        self.len = 0;
    }

    fn flush(&mut self) {
        if self.quiet {
            return;
        }
        self.flush_partial();
        hprintln!();
    }
}

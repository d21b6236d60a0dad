//! The BBC micro:bit board in QEMU (`-machine microbit`: nRF51822, Cortex-M0, 256 KiB of flash,
//! 16 KiB of RAM): the integer model at window 32, options from the semihosting command line,
//! the text on the console, the token stream to a host file, status as the exit code. There is
//! no screen: the shared loop draws into [`noscreen::NoScreen`].
//!
//! Exit codes as the `qemu` board's: 0 done, 2 bad argument (including what this board cannot
//! honour: `window=64`, a size beyond the structured grammar), 3 bad model file, 4 generation
//! failed, 5 a host file could not be written, 6 the stack ran into the statics, 7 HardFault,
//! 101 a panic.

#[path = "../qemu/console.rs"]
mod console;
mod noscreen;
#[path = "../qemu/report.rs"]
mod report;
#[path = "../qemu/semihost.rs"]
mod semihost;
#[path = "../qemu/stack.rs"]
mod stack;
#[path = "../qemu/ticks.rs"]
mod ticks;
#[path = "../qemu/token_log.rs"]
mod token_log;

use core::mem::MaybeUninit;

use cortex_m_rt::{ExceptionFrame, entry, exception};
use pxby_core::{generate, model::Model};
use pxby_screen::{
    Screen,
    args::{self, Mode, Options},
    demo,
};

use crate::model_data;
use noscreen::NoScreen;

/// `println!` on the host console, through [`semihost::println`].
macro_rules! say {
    ($($arg:tt)*) => {
        semihost::println(format_args!($($arg)*))
    };
}

/// Instructions per SysTick tick as a fraction (QEMU's nRF51 core clock is 16 MHz: 62.5).
const TICK_INSTRUCTIONS: (u64, u64) = (125, 2);

/// The one window that fits in 16 KiB (window 64's integer buffers alone take ~20 KB).
const WINDOW: usize = 32;

#[entry]
fn main() -> ! {
    static mut CMDLINE: [MaybeUninit<u8>; 512] = [MaybeUninit::uninit(); 512];
    static mut MODEL: Result<Model<'static>, pxby_core::Error> = Err(pxby_core::Error::Truncated);

    stack::paint();
    let Some(mut cp) = cortex_m::Peripherals::take() else {
        semihost::exit(4)
    };
    ticks::start(&mut cp.SYST);

    let Some(line) = semihost::command_line(CMDLINE) else {
        say!("error: the command line is longer than 512 bytes or not UTF-8");
        semihost::exit(2)
    };
    let opts = match options(line) {
        Ok(o) => o,
        Err(Refused::Bad(args::BadArg(word))) => {
            say!("error: bad argument `{}`\n{}", word, args::USAGE);
            semihost::exit(2)
        }
        Err(Refused::Board(why)) => {
            say!("error: {}", why);
            semihost::exit(2)
        }
    };
    let model = match load_model(MODEL) {
        Ok(m) => m,
        Err(e) => {
            say!("error: embedded model: {}", e);
            semihost::exit(3)
        }
    };
    print_config(model, &opts);

    let label = demo::status_label(&opts);
    let mut screen = Screen::with_label(label.as_str());
    let mut display = NoScreen;
    let _ = screen.draw_frame(&mut display);
    let (run, mut log) = report::generate(model, &opts, &mut screen, &mut display);
    if let Err(what) = log.finish() {
        say!("error: cannot write {}", what);
        semihost::exit(5)
    }
    report::finish(&opts, &run, log.count)
}

/// Loads the embedded model straight into `slot`, a static: one copy (no temporary in this
/// frame or in `main`'s), and the loader's deep stack is gone before generation starts.
#[inline(never)]
fn load_model(
    slot: &'static mut Result<Model<'static>, pxby_core::Error>,
) -> &'static Result<Model<'static>, pxby_core::Error> {
    *slot = Model::from_bytes(model_data::bytes());
    if let Ok(model) = slot.as_mut()
        && let Err(e) = model_data::attach_wide(model)
    {
        *slot = Err(e);
    }
    slot
}

/// Why the command line was refused.
enum Refused<'a> {
    /// A word the option grammar does not accept (as on every board).
    Bad(args::BadArg<'a>),
    /// A valid option this board cannot honour.
    Board(&'static str),
}

/// The options of `line`: the `qemu` board's grammar, with window 32 by default (the only one
/// that fits in 16 KiB) and a prompt size the structured grammar accepts.
fn options(line: &str) -> Result<Options<'_>, Refused<'_>> {
    let mut opts = args::parse(line).map_err(Refused::Bad)?;
    let window_given = line
        .split(' ')
        .any(|w| w.split_once('=').is_some_and(|(k, _)| k == "window"));
    if !window_given {
        opts.window = WINDOW;
    }
    if opts.window != WINDOW {
        return Err(Refused::Board(
            "window=64 does not fit in the micro:bit's 16 KiB of RAM; window=32 is the largest that does",
        ));
    }
    let max_side = generate::Options::default().max_side;
    if opts.mode == Mode::Structured
        && let Some((h, w)) = opts.size
        && (h > u16::from(max_side) || w > u16::from(max_side))
    {
        return Err(Refused::Board(
            "h=/w=: a structured sprite has sides of at most 32 pixels",
        ));
    }
    Ok(opts)
}

/// A HardFault ends the run with status 7 instead of spinning until the test's timeout.
#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    semihost::exit(7)
}

/// The configuration line: the model, the window and the sampling options.
#[inline(never)]
fn print_config(model: &Model<'_>, opts: &Options<'_>) {
    let c = model.config();
    say!(
        "micro:bit (Cortex-M0, 16 KiB RAM): model dim {} d_state {} depth {} bi {} weights {:?}, {} params, {} bytes, crc {:08x}; window {} seed {} temp {} topk {} mode {:?}",
        c.dim,
        c.d_state,
        c.depth,
        c.bidirectional,
        model.weights(),
        model.param_count(),
        model.file_size(),
        model.crc(),
        opts.window,
        opts.seed,
        opts.temperature,
        opts.top_k,
        opts.mode
    );
    let notes = model.metadata().notes;
    if !notes.is_empty() {
        say!("model notes: {}", notes);
    }
}

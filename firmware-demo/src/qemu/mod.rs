//! The QEMU board (mps2-an386): options from the semihosting command line, the screen in a
//! 20 KiB palette-indexed framebuffer, results written to host files, status as the exit code.
//!
//! Exit codes: 0 done, 2 bad argument, 3 bad model file, 4 generation or drawing failed,
//! 5 a host file could not be written, 6 the stack ran into the statics, 7 HardFault, 101 a
//! panic.
//!
//! Semihosting (command line, console, files, exit status and the panic handler) is the
//! `semihosting` crate's.

mod console;
mod outputs;
mod png;
mod report;
mod semihost;
mod stack;
mod ticks;
mod token_log;

use core::mem::MaybeUninit;

use cortex_m_rt::{ExceptionFrame, entry, exception};
use pxby_core::model::Model;
use pxby_screen::{IndexedFramebuffer, Screen, args, demo};

use crate::model_data;

/// `println!` on the host console, through [`semihost::println`].
macro_rules! say {
    ($($arg:tt)*) => {
        semihost::println(format_args!($($arg)*))
    };
}

/// Instructions per SysTick tick as a fraction (QEMU's mps2-an386 core clock is 25 MHz).
const TICK_INSTRUCTIONS: (u64, u64) = (40, 1);

#[entry]
fn main() -> ! {
    static mut FB: IndexedFramebuffer = IndexedFramebuffer::new();
    static mut CMDLINE: [MaybeUninit<u8>; 512] = [MaybeUninit::uninit(); 512];

    stack::paint();
    let Some(mut cp) = cortex_m::Peripherals::take() else {
        semihost::exit(4)
    };
    ticks::start(&mut cp.SYST);

    let Some(line) = semihost::command_line(CMDLINE) else {
        say!("error: the command line is longer than 512 bytes or not UTF-8");
        semihost::exit(2)
    };
    let opts = match args::parse(line) {
        Ok(o) => o,
        Err(args::BadArg(word)) => {
            say!("error: bad argument `{}`\n{}", word, args::USAGE);
            semihost::exit(2)
        }
    };
    let mut model = match Model::from_bytes(model_data::bytes()) {
        Ok(m) => m,
        Err(e) => {
            say!("error: embedded model: {}", e);
            semihost::exit(3)
        }
    };
    if let Err(e) = model_data::attach_wide(&mut model) {
        say!("error: embedded widened weights: {}", e);
        semihost::exit(3)
    }
    print_model(&model);

    let label = demo::status_label(&opts);
    let mut screen = Screen::with_label(label.as_str());
    if screen.draw_frame(FB).is_err() {
        say!("error: drawing the screen frame");
        semihost::exit(4)
    }
    let (run, mut log) = report::generate(&model, &opts, &mut screen, FB);
    let _ = screen.finish(FB);

    if let Err(what) = log.finish().and_then(|()| outputs::write(&opts, FB)) {
        say!("error: cannot write {}", what);
        semihost::exit(5)
    }
    report::finish(&opts, &run, log.count)
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
    say!(
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
        say!("model notes: {}", m.notes);
    }
}

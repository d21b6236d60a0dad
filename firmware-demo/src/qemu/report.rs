//! The end of a run on the QEMU boards (`qemu`, `microbit`): the token count, the bench line
//! (instructions from SysTick ticks), the measured stack and the exit status.

use pxby_screen::{args::Options, demo::Run};

use super::{semihost, stack, ticks};

/// Prints the run's summary and exits: status 0, or 6 when the stack reached the statics.
/// `logged` is the number of tokens written to the token stream.
#[inline(never)]
pub fn finish(opts: &Options<'_>, run: &Run, logged: usize) -> ! {
    semihost::println(format_args!(
        "tokens: {} ({} prompt + {} generated), window {}",
        logged, run.prompt, run.generated, opts.window
    ));
    if opts.bench && run.generated > 0 {
        let per = |t: u64, n: usize| ticks::instructions(t) / n.max(1) as u64;
        semihost::println(format_args!(
            "bench: window={} generated={} model_ticks={} screen_ticks={} model_instr_per_token={} screen_instr_per_token={} full_window_tokens={} full_window_model_instr_per_token={}",
            opts.window,
            run.generated,
            run.model_ticks,
            run.screen_ticks,
            per(run.model_ticks, run.generated),
            per(run.screen_ticks, run.generated),
            run.full_window_tokens,
            per(run.full_window_model_ticks, run.full_window_tokens)
        ));
    }
    let s = stack::measure();
    semihost::println(format_args!(
        "stack_peak_bytes={} stack_available_bytes={}",
        s.peak, s.available
    ));
    if s.overflowed {
        semihost::println(format_args!(
            "error: the stack reached the end of the statics"
        ));
        semihost::exit(6)
    }
    semihost::exit(0)
}

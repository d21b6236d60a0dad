//! A run on the QEMU boards (`qemu`, `microbit`): generation with the token stream going to its
//! host file and the text to the console, then the end of the run — the token count, the bench
//! line (instructions from SysTick ticks), the measured stack and the exit status.

use embedded_graphics::{pixelcolor::Rgb565, prelude::DrawTarget};
use pxby_core::model::Model;
use pxby_screen::{Screen, args::Options, demo, demo::Run};

use super::console::TextOut;
use super::token_log::TokenLog;
use super::{semihost, stack, ticks};

/// Generates and draws on `display` ([`demo::run`]), writing the token stream and the text as
/// the tokens come. Returns the run and its token log, still to be finished (written out);
/// exits with status 5 when the token file cannot be created, 4 when generation fails.
#[inline(always)]
pub fn generate<D>(
    model: &Model<'_>,
    opts: &Options<'_>,
    screen: &mut Screen,
    display: &mut D,
) -> (Run, TokenLog)
where
    D: DrawTarget<Color = Rgb565>,
    D::Error: core::fmt::Debug,
{
    let mut text = TextOut::new(opts.quiet);
    let mut log = match TokenLog::create(opts.tokens_path) {
        Ok(log) => log,
        Err(what) => {
            semihost::println(format_args!("error: cannot write {what}"));
            semihost::exit(5)
        }
    };
    let result = demo::run(
        model,
        opts,
        screen,
        display,
        |token| {
            log.push(token);
            text.push(token);
        },
        ticks::now,
    );
    text.flush();
    match result {
        Ok(run) => (run, log),
        Err(e) => {
            semihost::println(format_args!("error: {e}"));
            semihost::exit(4)
        }
    }
}

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

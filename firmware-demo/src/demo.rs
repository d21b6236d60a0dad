//! The generate-and-draw loop shared by every board and by the host tests.

use embedded_graphics::{pixelcolor::Rgb565, prelude::DrawTarget};
use pxby_core::{generate, model::Model, screen::Screen, vocab};

use crate::args::{Mode, Options};

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Run {
    /// Prompt tokens fed to the screen (the header from `h=`/`w=`).
    pub prompt: usize,
    /// Tokens generated.
    pub generated: usize,
    /// Clock ticks spent in the model (generator steps).
    pub model_ticks: u64,
    /// Clock ticks spent drawing.
    pub screen_ticks: u64,
    /// Tokens generated with a full window (the steady state that the benchmark reports).
    pub full_window_tokens: usize,
    /// Clock ticks of the model over those tokens.
    pub full_window_model_ticks: u64,
}

/// Why a run stopped early.
#[derive(Debug)]
pub enum DemoError<E> {
    /// The generator failed (e.g. a model with buffers too large for the window).
    Generate(pxby_core::Error),
    /// The display failed.
    Draw(E),
}

impl<E: core::fmt::Debug> core::fmt::Display for DemoError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DemoError::Generate(e) => write!(f, "generation failed: {e}"),
            DemoError::Draw(e) => write!(f, "drawing failed: {e:?}"),
        }
    }
}

/// Longest prompt: `(65535, 65535)\n`.
const PROMPT_CAP: usize = 16;

/// Smallest sprite side a structured run may choose by itself: no sprite of the Pokémon data is
/// narrower than 9 pixels, and a thinner one is not a picture.
pub const MIN_SIDE: u8 = 9;

/// The prompt tokens for `opts` (the header `(h, w)\n` when a size is given) into `buf`.
pub fn prompt(opts: &Options<'_>, buf: &mut [u8; PROMPT_CAP]) -> usize {
    let Some((h, w)) = opts.size else {
        return 0;
    };
    let mut text = Label::default();
    let _ = core::fmt::Write::write_fmt(&mut text, format_args!("({h}, {w})"));
    let mut n = 0;
    for b in text.as_str().bytes() {
        if let Some(t) = vocab::byte_to_token(b) {
            buf[n] = t;
            n += 1;
        }
    }
    buf[n] = vocab::SEG_SEP;
    n + 1
}

/// Generates with `opts` and draws every token (prompt first) on `screen`/`display`;
/// `on_token` sees each token in order, `clock` is read around every model step and every
/// drawing step (pass `|| 0` where there is no clock).
pub fn run<'m, D>(
    model: &'m Model<'m>,
    opts: &Options<'_>,
    screen: &mut Screen,
    display: &mut D,
    on_token: impl FnMut(u8),
    clock: impl Fn() -> u64,
) -> Result<Run, DemoError<D::Error>>
where
    D: DrawTarget<Color = Rgb565>,
{
    match opts.window {
        32 => run_window::<32, D>(model, opts, screen, display, on_token, clock),
        _ => run_window::<64, D>(model, opts, screen, display, on_token, clock),
    }
}

// Not inlined: the two window sizes must not share (and add up in) one stack frame.
#[inline(never)]
fn run_window<'m, const W: usize, D>(
    model: &'m Model<'m>,
    opts: &Options<'_>,
    screen: &mut Screen,
    display: &mut D,
    mut on_token: impl FnMut(u8),
    clock: impl Fn() -> u64,
) -> Result<Run, DemoError<D::Error>>
where
    D: DrawTarget<Color = Rgb565>,
{
    let mut buf = [0u8; PROMPT_CAP];
    let n = prompt(opts, &mut buf);
    let prompt = &buf[..n];
    let mut run = Run {
        prompt: n,
        ..Run::default()
    };
    let t0 = clock();
    for &t in prompt {
        on_token(t);
        screen.push(t, display).map_err(DemoError::Draw)?;
    }
    run.screen_ticks += clock() - t0;

    let options = generate::Options {
        sampling: sampling(opts),
        seed: opts.seed,
        structured: opts.mode == Mode::Structured,
        // A size the user fixed with `h=`/`w=` is taken as given.
        min_side: if opts.size.is_some() { 1 } else { MIN_SIDE },
        ..generate::Options::default()
    };
    // The generator's big arrays (~30 KB for window 64) live in this frame, written once in
    // place (zeroed) and only borrowed by the generator: one window's buffers are on the stack
    // at a time, so RAM = static + this frame, not the sum of both windows' buffers.
    let mut buffers = generate::Buffers::<W>::new();
    let t0 = clock();
    let mut generator = generate::Generator::new(model, &mut buffers, prompt, options)
        .map_err(DemoError::Generate)?;
    run.model_ticks += clock() - t0;
    while run.generated < opts.max_tokens {
        let full = generator.window_len() == W;
        let t0 = clock();
        let step = generator.step();
        let t1 = clock();
        run.model_ticks += t1 - t0;
        if full && step.is_some() {
            run.full_window_tokens += 1;
            run.full_window_model_ticks += t1 - t0;
        }
        let Some(step) = step else { break };
        run.generated += 1;
        on_token(step.token);
        screen.push(step.token, display).map_err(DemoError::Draw)?;
        run.screen_ticks += clock() - t1;
        if screen.phase() == pxby_core::screen::Phase::Done {
            break;
        }
    }
    Ok(run)
}

/// The sampling rule of `opts`: temperature 0 is greedy, top-k 0 is plain temperature sampling.
pub fn sampling(opts: &Options<'_>) -> generate::Sampling {
    match (opts.temperature, opts.top_k) {
        (t, _) if t <= 0.0 => generate::Sampling::Greedy,
        (t, 0) => generate::Sampling::Temperature(t),
        (t, k) => generate::Sampling::TopK { k, temperature: t },
    }
}

/// The status-line label of a run: `seed N`.
pub fn status_label(opts: &Options<'_>) -> Label {
    let mut label = Label::default();
    let _ = core::fmt::Write::write_fmt(&mut label, format_args!("seed {}", opts.seed));
    label
}

/// A short fixed-capacity string (status labels, the prompt header).
#[derive(Default)]
pub struct Label {
    buf: [u8; 24],
    len: usize,
}

impl Label {
    /// The text written so far (cut at 24 bytes).
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl core::fmt::Write for Label {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

//! The generate-and-draw loop shared by every board and by the host tests.

use core::fmt::Write as _;

use embedded_graphics::{pixelcolor::Rgb565, prelude::DrawTarget};
use pxby_core::{generate, model::Model};

use crate::{
    args::{Mode, Options},
    screen::{Phase, Screen},
};

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

/// Longest prompt: `(65535, 65535)\n` (15 tokens), rounded up.
pub const PROMPT_CAP: usize = 16;

/// Smallest sprite side a structured run may choose by itself: no sprite of the Pokémon data is
/// narrower than 9 pixels, and a thinner one is not a picture.
pub const MIN_SIDE: u8 = 9;

/// The prompt tokens for `opts` (the header `(h, w)\n` when a size is given) into `buf`;
/// returns how many. This is where the handheld encodes a header.
pub fn prompt(opts: &Options<'_>, buf: &mut [u8; PROMPT_CAP]) -> usize {
    let Some((h, w)) = opts.size else {
        return 0;
    };
    // `(65535, 65535)\n` is 15 tokens, at most PROMPT_CAP.
    let Ok(tokens) = pxby_core::header::tokens(h, w) else {
        return 0;
    };
    buf[..tokens.len()].copy_from_slice(&tokens);
    tokens.len()
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
    let mut buf = [0u8; PROMPT_CAP];
    let n = prompt(opts, &mut buf);
    run_prompt(model, opts, &buf[..n], screen, display, on_token, clock)
}

/// Like [`run`], with the prompt given as tokens instead of `opts.size`: e.g. a dataset item's
/// header and its first rows ([`completion_prompt`]), teacher-forced and drawn, then completed
/// by the model. In structured mode the prompt must follow the layout. A non-empty prompt
/// starts with a header, which is taken as given (any side from 1 pixel).
pub fn run_prompt<'m, D>(
    model: &'m Model<'m>,
    opts: &Options<'_>,
    prompt: &[u8],
    screen: &mut Screen,
    display: &mut D,
    on_token: impl FnMut(u8),
    clock: impl Fn() -> u64,
) -> Result<Run, DemoError<D::Error>>
where
    D: DrawTarget<Color = Rgb565>,
{
    match opts.window {
        32 => run_window::<32, D>(model, opts, prompt, screen, display, on_token, clock),
        _ => run_window::<64, D>(model, opts, prompt, screen, display, on_token, clock),
    }
}

/// How many leading tokens of an item's stream (`header \n rows \n caption`, SPEC §4) hold its
/// header and its first `rows` sprite rows, with the separator after the last of them (the row
/// separator, or the segment separator after the sprite's last row): the prompt of a
/// completion. `None` when the stream has no header or fewer than `rows` rows.
pub fn completion_prompt(item: &[u8], rows: usize) -> Option<usize> {
    use pxby_core::vocab::{ROW_SEP, SEG_SEP};
    let header_end = item.iter().position(|&t| t == SEG_SEP)? + 1;
    let mut end = header_end;
    for i in 0..rows {
        let len = item[end..]
            .iter()
            .position(|&t| t == ROW_SEP || t == SEG_SEP)?;
        let sep = item[end + len];
        end += len + 1;
        // An empty row, or the sprite's end before the last row asked for.
        if len == 0 || (sep == SEG_SEP && i + 1 < rows) {
            return None;
        }
    }
    Some(end)
}

// Not inlined: the two window sizes must not share (and add up in) one stack frame.
#[inline(never)]
fn run_window<'m, const W: usize, D>(
    model: &'m Model<'m>,
    opts: &Options<'_>,
    prompt: &[u8],
    screen: &mut Screen,
    display: &mut D,
    mut on_token: impl FnMut(u8),
    clock: impl Fn() -> u64,
) -> Result<Run, DemoError<D::Error>>
where
    D: DrawTarget<Color = Rgb565>,
{
    let mut run = Run {
        prompt: prompt.len(),
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
        // A size the user fixed with `h=`/`w=` (the prompt's header) is taken as given.
        min_side: if prompt.is_empty() { MIN_SIDE } else { 1 },
        ..generate::Options::default()
    };
    // The generator's big arrays live in the frame of `float_buffers` or `int_buffers`
    // (whichever the model needs), written once in place (zeroed) and only borrowed by the
    // generator: one set of buffers is on the stack at a time, so RAM = static + that frame.
    let steps = Steps {
        prompt,
        options,
        max_tokens: opts.max_tokens,
    };
    let sink = Sink {
        run: &mut run,
        screen,
        display,
        on_token,
        clock,
    };
    if model.int_params().is_some() {
        int_buffers::<W, _, _, _>(model, &steps, sink)?;
    } else {
        float_buffers::<W, _, _, _>(model, &steps, sink)?;
    }
    Ok(run)
}

/// What the generation loop needs besides the screen.
struct Steps<'p> {
    prompt: &'p [u8],
    options: generate::Options,
    max_tokens: usize,
}

/// Where the generation loop's tokens and timings go.
struct Sink<'s, D, F, C> {
    run: &'s mut Run,
    screen: &'s mut Screen,
    display: &'s mut D,
    on_token: F,
    clock: C,
}

/// Generation in f32 [`generate::Buffers`] (~30 KB at window 64).
#[inline(never)]
fn float_buffers<const W: usize, D, F, C>(
    model: &Model<'_>,
    steps: &Steps<'_>,
    sink: Sink<'_, D, F, C>,
) -> Result<(), DemoError<D::Error>>
where
    D: DrawTarget<Color = Rgb565>,
    F: FnMut(u8),
    C: Fn() -> u64,
{
    let mut buffers = generate::Buffers::<W>::new();
    drive(steps, sink, || {
        generate::Generator::new(model, &mut buffers, steps.prompt, steps.options)
    })
}

/// Generation of an integer model in [`generate::IntBuffers`] (~20 KB at window 64).
#[inline(never)]
fn int_buffers<const W: usize, D, F, C>(
    model: &Model<'_>,
    steps: &Steps<'_>,
    sink: Sink<'_, D, F, C>,
) -> Result<(), DemoError<D::Error>>
where
    D: DrawTarget<Color = Rgb565>,
    F: FnMut(u8),
    C: Fn() -> u64,
{
    let mut buffers = generate::IntBuffers::<W>::new();
    drive(steps, sink, || {
        generate::Generator::with_int_buffers(model, &mut buffers, steps.prompt, steps.options)
    })
}

/// Builds the generator with `start` (timed as model work), then steps it up to
/// `steps.max_tokens` times, drawing every token.
#[inline(always)]
fn drive<'g, const W: usize, D, F, C>(
    steps: &Steps<'_>,
    sink: Sink<'_, D, F, C>,
    start: impl FnOnce() -> Result<generate::Generator<'g, W>, pxby_core::Error>,
) -> Result<(), DemoError<D::Error>>
where
    D: DrawTarget<Color = Rgb565>,
    F: FnMut(u8),
    C: Fn() -> u64,
{
    let Sink {
        run,
        screen,
        display,
        mut on_token,
        clock,
    } = sink;
    let t0 = clock();
    let mut generator = start().map_err(DemoError::Generate)?;
    run.model_ticks += clock() - t0;
    while run.generated < steps.max_tokens {
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
        if screen.phase() == Phase::Done {
            break;
        }
    }
    Ok(())
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
    let mut label = Label::new();
    // Cannot overflow: "seed " and 20 digits.
    let _ = write!(label.as_mut_view(), "seed {}", opts.seed);
    label
}

/// Bytes of a [`Label`]: `seed 18446744073709551615 A:next` (the PyGamer's) fits.
pub const LABEL_TEXT_CAP: usize = 32;

/// A short string that never holds half a character (status labels; the screen shows the
/// first [`LABEL_CAP`](crate::layout::LABEL_CAP) characters). Text that does not fit is not
/// written: `write!` returns an error and the label keeps what came before.
pub type Label = heapless::String<LABEL_TEXT_CAP, u8>;

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(h: u16, w: u16) -> Options<'static> {
        Options {
            size: Some((h, w)),
            ..Options::default()
        }
    }

    #[test]
    fn the_prompt_is_the_header_and_a_separator() {
        let mut buf = [0u8; PROMPT_CAP];
        assert_eq!(prompt(&Options::default(), &mut buf), 0);
        let n = prompt(&sized(25, 7), &mut buf);
        let want: std::vec::Vec<u8> = b"(25, 7)"
            .iter()
            .map(|&b| pxby_core::vocab::byte_to_token(b).unwrap())
            .chain([pxby_core::vocab::SEG_SEP])
            .collect();
        assert_eq!(&buf[..n], &want[..]);
        assert_eq!(prompt(&sized(u16::MAX, u16::MAX), &mut buf), 15);
        assert_eq!(
            pxby_core::header::parse_tokens(&buf[..15]),
            Ok((u16::MAX, u16::MAX))
        );
    }

    #[test]
    fn a_completion_prompt_is_the_header_and_whole_rows() {
        use pxby_core::vocab::{ROW_SEP, SEG_SEP};
        let mut item: std::vec::Vec<u8> = b"(2, 3)"
            .iter()
            .map(|&b| pxby_core::vocab::byte_to_token(b).unwrap())
            .collect();
        item.push(SEG_SEP);
        let header = item.len();
        item.extend([60, 61, 62, ROW_SEP, 63, 64, 65, SEG_SEP, 10, 11, SEG_SEP]);
        assert_eq!(completion_prompt(&item, 0), Some(header));
        assert_eq!(completion_prompt(&item, 1), Some(header + 4));
        assert_eq!(completion_prompt(&item, 2), Some(header + 8));
        assert_eq!(completion_prompt(&item, 3), None);
        assert_eq!(completion_prompt(&item[..header - 1], 0), None);
    }

    #[test]
    fn labels_never_hold_half_a_character() {
        let opts = Options {
            seed: u64::MAX,
            ..Options::default()
        };
        assert_eq!(status_label(&opts).as_str(), "seed 18446744073709551615");
        let mut label = Label::new();
        assert!(write!(label, "seed {} A:next", u64::MAX).is_ok());
        assert_eq!(label.len(), LABEL_TEXT_CAP);
        // One byte short of a two-byte character: the character is left out whole.
        let mut label = Label::new();
        let almost = "x".repeat(LABEL_TEXT_CAP - 1);
        assert!(write!(label, "{almost}é").is_err());
        assert_eq!(label.as_str(), almost);
        let mut label = Label::new();
        assert!(write!(label, "{}", "é".repeat(LABEL_TEXT_CAP)).is_err());
        assert!(write!(label, "{}", "é".repeat(LABEL_TEXT_CAP / 2)).is_ok());
        assert_eq!(label.chars().count(), LABEL_TEXT_CAP / 2);
    }

    #[test]
    fn sampling_follows_temperature_and_top_k() {
        let with = |temperature, top_k| Options {
            temperature,
            top_k,
            ..Options::default()
        };
        assert!(matches!(
            sampling(&with(0.0, 8)),
            generate::Sampling::Greedy
        ));
        assert!(matches!(
            sampling(&with(0.5, 0)),
            generate::Sampling::Temperature(t) if t == 0.5
        ));
        assert!(matches!(
            sampling(&with(0.9, 8)),
            generate::Sampling::TopK { k: 8, temperature } if temperature == 0.9
        ));
    }
}

//! # pxby-web
//!
//! PixelBytes in the browser. The page's WebAssembly module is this crate built for
//! `wasm32-unknown-unknown`: it loads a `.pxby` model from bytes with
//! [`pxby_core::Model::from_bytes`] and runs the handheld's own generate-and-draw loop
//! ([`pxby_screen::demo::run`]) into an RGBA copy of the 160x128 screen, so the page shows the
//! same tokens and the same pixels as the firmware and `pxby generate`'s card.
//!
//! The logic lives in [`Session`] (safe Rust, tested on the host); the C ABI the page calls
//! (`ffi`, wasm only) is a thin layer over one `Session` and needs no `wasm-bindgen`.
//!
//! ```
//! use pxby_web::{Request, Session};
//! let mut session = Session::new();
//! // Not a model: refused with the loader's message, and no model is loaded.
//! let err = session.load(b"not a model").unwrap_err();
//! assert!(err.to_string().starts_with("not a PixelBytes model:"));
//! assert!(session.generate(&Request::default(), |_| {}, || 0).is_err());
//! ```

use core::convert::Infallible;

use embedded_graphics::{
    Pixel,
    pixelcolor::Rgb565,
    prelude::{DrawTarget, OriginDimensions, Size},
};
use pxby_core::Model;
use pxby_screen::{
    Screen,
    args::{Mode, Options},
    demo::{self, Run},
    palette,
};

#[cfg(target_arch = "wasm32")]
mod ffi;

/// Bytes of the RGBA screen: 160 x 128 pixels, 4 bytes each, row-major.
pub const RGBA_LEN: usize = pxby_screen::PIXELS * 4;

/// Largest sprite side the page asks for: the structured generator's largest header
/// (`pxby_core::generate::Options::default().max_side`).
pub const MAX_SIDE: u16 = 32;

/// Highest temperature the page accepts.
pub const MAX_TEMPERATURE: f32 = 10.0;

/// Why a model was refused or a run could not start.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WebError {
    /// The model file does not load (the loader's reason).
    Model(pxby_core::Error),
    /// No model has been loaded yet.
    NoModel,
    /// An option is out of range (which and why).
    BadOption(&'static str),
    /// Generation failed (e.g. a model too large for the window buffers).
    Generate(String),
}

impl core::fmt::Display for WebError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            WebError::Model(e) => write!(f, "not a PixelBytes model: {e}"),
            WebError::NoModel => f.write_str("no model is loaded"),
            WebError::BadOption(why) => f.write_str(why),
            WebError::Generate(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for WebError {}

/// The options of one run, as the page's controls give them (the options of `pxby generate`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Request {
    /// Seed of the sampler.
    pub seed: u64,
    /// Sampling temperature, `0..=MAX_TEMPERATURE`; 0 is greedy.
    pub temperature: f32,
    /// Top-k (0: all tokens).
    pub top_k: u8,
    /// Structured sprite mode.
    pub structured: bool,
    /// Sprite size `(h, w)` given as the prompt, each side `1..=MAX_SIDE`; `None`: the model
    /// writes the header.
    pub size: Option<(u16, u16)>,
    /// Context window: 32 or 64.
    pub window: usize,
    /// Most tokens to generate, `1..=2048`.
    pub max_tokens: usize,
}

impl Default for Request {
    fn default() -> Self {
        let o = Options::default();
        Self {
            seed: o.seed,
            temperature: o.temperature,
            top_k: o.top_k,
            structured: true,
            size: None,
            window: o.window,
            max_tokens: o.max_tokens,
        }
    }
}

impl Request {
    /// The screen loop's options, or which option is out of range.
    pub fn options(&self) -> Result<Options<'static>, WebError> {
        if !(self.temperature.is_finite() && (0.0..=MAX_TEMPERATURE).contains(&self.temperature)) {
            return Err(WebError::BadOption("temperature must be between 0 and 10"));
        }
        if self.window != 32 && self.window != 64 {
            return Err(WebError::BadOption("the window is 32 or 64 tokens"));
        }
        if !(1..=pxby_screen::args::MAX_TOKENS).contains(&self.max_tokens) {
            return Err(WebError::BadOption("max tokens must be between 1 and 2048"));
        }
        if let Some((h, w)) = self.size
            && !((1..=MAX_SIDE).contains(&h) && (1..=MAX_SIDE).contains(&w))
        {
            return Err(WebError::BadOption(
                "sprite sides must be between 1 and 32 pixels",
            ));
        }
        Ok(Options {
            seed: self.seed,
            temperature: self.temperature,
            top_k: self.top_k,
            mode: if self.structured {
                Mode::Structured
            } else {
                Mode::Free
            },
            window: self.window,
            max_tokens: self.max_tokens,
            size: self.size,
            ..Options::default()
        })
    }
}

/// One page's state: the loaded model, the screen and the last run's tokens.
pub struct Session {
    model: Option<Vec<u8>>,
    rgba: Box<[u8; RGBA_LEN]>,
    tokens: Vec<u8>,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    /// No model, a black screen.
    pub fn new() -> Self {
        let mut rgba = Box::new([0u8; RGBA_LEN]);
        RgbaScreen(&mut rgba[..]).clear_black();
        Self {
            model: None,
            rgba,
            tokens: Vec::new(),
        }
    }

    /// Loads `bytes` as the model if [`Model::from_bytes`] accepts them; otherwise returns its
    /// reason and keeps the previous model.
    pub fn load(&mut self, bytes: &[u8]) -> Result<(), WebError> {
        Model::from_bytes(bytes).map_err(WebError::Model)?;
        self.model = Some(bytes.to_vec());
        Ok(())
    }

    /// Whether a model is loaded.
    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }

    /// Runs the handheld's loop with `request` (as `pxby generate`'s card does: frame, run,
    /// finish), drawing into [`Session::rgba`]; `on_token` sees every token (prompt first)
    /// before it is drawn, `clock` is read around each model and drawing step.
    pub fn generate(
        &mut self,
        request: &Request,
        on_token: impl FnMut(u8),
        clock: impl Fn() -> u64,
    ) -> Result<Run, WebError> {
        let opts = request.options()?;
        let mut buf = [0u8; demo::PROMPT_CAP];
        let n = demo::prompt(&opts, &mut buf);
        self.run(&opts, &buf[..n], on_token, clock)
    }

    /// Completion (as `pxby generate --complete`): keeps the header and the first `rows` sprite
    /// rows of `item` (a dataset item's token stream) as the prompt, teacher-forced and drawn,
    /// and lets the model finish the sprite and write the caption, in structured mode
    /// (`request.size` and `request.structured` are not used).
    pub fn complete(
        &mut self,
        request: &Request,
        item: &[u8],
        rows: usize,
        on_token: impl FnMut(u8),
        clock: impl Fn() -> u64,
    ) -> Result<Run, WebError> {
        let opts = Request {
            structured: true,
            size: None,
            ..*request
        }
        .options()?;
        let n = demo::completion_prompt(item, rows).ok_or(WebError::BadOption(
            "the item has fewer sprite rows than asked for (or is not a dataset item)",
        ))?;
        self.run(&opts, &item[..n], on_token, clock)
    }

    /// Draws a known token stream (e.g. the original of a completion) on the screen with no
    /// model, its status line showing `label`; [`Session::tokens`] becomes `tokens`.
    pub fn draw_stream(&mut self, tokens: &[u8], label: &str) {
        let mut display = RgbaScreen(&mut self.rgba[..]);
        display.clear_black();
        let mut screen = Screen::with_label(label);
        let Ok(()) = screen.draw_frame(&mut display);
        for &t in tokens {
            let Ok(()) = screen.push(t, &mut display);
        }
        let Ok(()) = screen.finish(&mut display);
        self.tokens.clear();
        self.tokens.extend_from_slice(tokens);
    }

    /// The loop with `prompt` (frame, run, finish).
    fn run(
        &mut self,
        opts: &Options<'_>,
        prompt: &[u8],
        mut on_token: impl FnMut(u8),
        clock: impl Fn() -> u64,
    ) -> Result<Run, WebError> {
        let bytes = self.model.as_deref().ok_or(WebError::NoModel)?;
        let model = Model::from_bytes(bytes).map_err(WebError::Model)?;
        let tokens = &mut self.tokens;
        tokens.clear();
        let mut display = RgbaScreen(&mut self.rgba[..]);
        display.clear_black();
        let label = demo::status_label(opts);
        let mut screen = Screen::with_label(label.as_str());
        let Ok(()) = screen.draw_frame(&mut display);
        let run = demo::run_prompt(
            &model,
            opts,
            prompt,
            &mut screen,
            &mut display,
            |t| {
                tokens.push(t);
                on_token(t);
            },
            clock,
        )
        .map_err(|e| WebError::Generate(e.to_string()))?;
        let Ok(()) = screen.finish(&mut display);
        Ok(run)
    }

    /// The screen as RGBA, row-major, 160 x 128 (alpha always 255).
    pub fn rgba(&self) -> &[u8; RGBA_LEN] {
        &self.rgba
    }

    /// Every token of the last run, prompt first.
    pub fn tokens(&self) -> &[u8] {
        &self.tokens
    }
}

/// The `[r, g, b]` of a colour token in the sprite's own palette (the NES colours of the
/// vocabulary), `None` for byte tokens.
pub fn token_rgb(token: u8) -> Option<[u8; 3]> {
    pxby_core::vocab::token_to_colour(token)
}

/// A `DrawTarget` over an RGBA buffer of the screen's size; colours are widened as
/// `embedded-graphics-simulator` widens them ([`palette::rgb888`]).
struct RgbaScreen<'a>(&'a mut [u8]);

impl RgbaScreen<'_> {
    fn clear_black(&mut self) {
        for px in self.0.chunks_exact_mut(4) {
            px.copy_from_slice(&[0, 0, 0, 255]);
        }
    }
}

impl OriginDimensions for RgbaScreen<'_> {
    fn size(&self) -> Size {
        Size::new(pxby_screen::WIDTH, pxby_screen::HEIGHT)
    }
}

impl DrawTarget for RgbaScreen<'_> {
    type Color = Rgb565;
    type Error = Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        let (w, h) = (pxby_screen::WIDTH, pxby_screen::HEIGHT);
        for Pixel(p, c) in pixels {
            let (Ok(x), Ok(y)) = (u32::try_from(p.x), u32::try_from(p.y)) else {
                continue;
            };
            if x < w && y < h {
                let i = (y * w + x) as usize * 4;
                let [r, g, b] = palette::rgb888(c);
                self.0[i..i + 4].copy_from_slice(&[r, g, b, 255]);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT_MODEL: &[u8] = include_bytes!("../../fixtures/models/default-int8.pxby");

    fn sized(seed: u64) -> Request {
        Request {
            seed,
            size: Some((8, 8)),
            max_tokens: 300,
            ..Request::default()
        }
    }

    #[test]
    fn a_bad_file_is_refused_and_the_previous_model_kept() {
        let mut s = Session::new();
        s.load(DEFAULT_MODEL).unwrap();
        let first = s.generate(&sized(1), |_| {}, || 0).unwrap();
        let tokens = s.tokens().to_vec();
        let mut broken = DEFAULT_MODEL.to_vec();
        let last = broken.len() - 1;
        broken[last] ^= 0xff;
        let err = s.load(&broken).unwrap_err();
        assert!(matches!(err, WebError::Model(_)), "{err}");
        assert!(s.load(&DEFAULT_MODEL[..10]).is_err());
        assert_eq!(s.generate(&sized(1), |_| {}, || 0).unwrap(), first);
        assert_eq!(s.tokens(), &tokens[..]);
    }

    #[test]
    fn absurd_options_are_refused() {
        let mut s = Session::new();
        s.load(DEFAULT_MODEL).unwrap();
        for bad in [
            Request {
                temperature: f32::NAN,
                ..sized(1)
            },
            Request {
                temperature: -1.0,
                ..sized(1)
            },
            Request {
                temperature: 1e9,
                ..sized(1)
            },
            Request {
                window: 48,
                ..sized(1)
            },
            Request {
                max_tokens: 0,
                ..sized(1)
            },
            Request {
                max_tokens: 5000,
                ..sized(1)
            },
            Request {
                size: Some((0, 8)),
                ..sized(1)
            },
            Request {
                size: Some((8, MAX_SIDE + 1)),
                ..sized(1)
            },
        ] {
            assert!(
                matches!(s.generate(&bad, |_| {}, || 0), Err(WebError::BadOption(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_largest_side_is_the_generators() {
        assert_eq!(
            MAX_SIDE,
            u16::from(pxby_core::generate::Options::default().max_side)
        );
        let mut s = Session::new();
        s.load(DEFAULT_MODEL).unwrap();
        let largest = Request {
            size: Some((MAX_SIDE, MAX_SIDE)),
            max_tokens: 40,
            ..Request::default()
        };
        assert!(s.generate(&largest, |_| {}, || 0).is_ok());
    }

    #[test]
    fn a_completion_keeps_the_prompt_and_refuses_too_many_rows() {
        let mut s = Session::new();
        s.load(DEFAULT_MODEL).unwrap();
        let mut item: Vec<u8> = b"(2, 3)"
            .iter()
            .map(|&b| pxby_core::vocab::byte_to_token(b).unwrap())
            .collect();
        item.push(pxby_core::vocab::SEG_SEP);
        item.extend([60, 61, 62, pxby_core::vocab::ROW_SEP, 63, 64, 65]);
        item.push(pxby_core::vocab::SEG_SEP);
        let run = s.complete(&sized(1), &item, 1, |_| {}, || 0).unwrap();
        assert_eq!(run.prompt, 11);
        assert_eq!(&s.tokens()[..11], &item[..11]);
        assert!(matches!(
            s.complete(&sized(1), &item, 3, |_| {}, || 0),
            Err(WebError::BadOption(_))
        ));
        s.draw_stream(&item, "original");
        assert_eq!(s.tokens(), &item[..]);
    }

    #[test]
    fn every_token_is_seen_and_drawn() {
        let mut s = Session::new();
        s.load(DEFAULT_MODEL).unwrap();
        let mut seen = Vec::new();
        let run = s.generate(&sized(3), |t| seen.push(t), || 0).unwrap();
        assert_eq!(seen, s.tokens());
        assert_eq!(run.prompt + run.generated, seen.len());
        assert!(s.rgba().chunks_exact(4).all(|px| px[3] == 255));
        // The frame is drawn: not every pixel is black.
        assert!(s.rgba().chunks_exact(4).any(|px| px[..3] != [0, 0, 0]));
    }
}

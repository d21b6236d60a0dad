//! Host rendering of a generated Pokémon card: the handheld's own loop
//! ([`pxby_screen::demo::run`], generation with `pxby-core` and drawing with
//! [`pxby_screen::Screen`]) run on the host into an `embedded-graphics-simulator` display, so
//! the preview is pixel for pixel what the device shows.
//!
//! ```
//! # use pxby_core::{config::ModelConfig, format::{write_model, Metadata}, quant::WeightType, Model};
//! # let cfg = ModelConfig { dim: 18, d_state: 8, ..ModelConfig::PAPER_BEST };
//! # let owned: Vec<(&str, Vec<f32>)> = cfg.tensors()
//! #     .map(|t| (t.name, (0..t.len()).map(|i| ((i * 7919 % 97) as f32 - 48.0) / 200.0).collect()))
//! #     .collect();
//! # let list: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
//! # let bytes = write_model(&cfg, &Metadata::default(), WeightType::I8, &list).unwrap();
//! use pxby_screen::args::{Mode, Options};
//! let model = Model::from_bytes(&bytes)?;
//! let opts = Options { seed: 7, mode: Mode::Structured, size: Some((4, 5)), max_tokens: 120, ..Options::default() };
//! let card = pxby_tools::card::render(&model, &opts)?;
//! assert_eq!(card.screen_rgb565().len(), 160 * 128 * 2);
//! assert!(card.text().header.starts_with("(4, 5)"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;

use embedded_graphics::{pixelcolor::Rgb565, prelude::*};
use embedded_graphics_simulator::{OutputSettingsBuilder, SimulatorDisplay};
use pxby_core::{
    model::Model,
    vocab::{self, ROW_SEP, SEG_SEP, Symbol},
};
use pxby_data::atomic::{WriteError, write_atomic_with};
use pxby_screen::{self as screen, Screen, args::Options, demo};

/// Why a card could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// Generation failed (e.g. the model is too large for the window buffers).
    #[error("generation failed: {0}")]
    Generate(String),
    /// The PNG could not be written.
    #[error("writing {path}: {source}")]
    Png {
        /// The file.
        path: String,
        /// The cause.
        source: image::ImageError,
    },
}

/// A generated card: the token stream and the final screen.
pub struct Card {
    /// Every token, prompt first.
    pub tokens: Vec<u8>,
    /// The final screen.
    pub display: SimulatorDisplay<Rgb565>,
}

/// The text segments of a generated stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CardText {
    /// The first segment (the header, e.g. `(25, 22)`).
    pub header: String,
    /// Rows and columns of the image segment (`(rows, widest row)`).
    pub image: (usize, usize),
    /// The size the header states, when it is a valid header (else the screen shows
    /// [`screen::NO_SIZE`] and wraps the image at [`screen::WRAP_COLUMNS`]).
    pub size: Option<(u16, u16)>,
    /// The text after the image (the description).
    pub caption: String,
}

/// Runs the device loop on the host (see the [module docs](self)).
pub fn render(model: &Model<'_>, opts: &Options<'_>) -> Result<Card, CardError> {
    let mut buf = [0u8; demo::PROMPT_CAP];
    let n = demo::prompt(opts, &mut buf);
    render_prompt(model, opts, &buf[..n])
}

/// Like [`render`] with the prompt given as tokens ([`demo::run_prompt`]): a completion, e.g.
/// a dataset item's header and first rows ([`demo::completion_prompt`]); `opts.size` is not
/// used.
pub fn render_prompt(
    model: &Model<'_>,
    opts: &Options<'_>,
    prompt: &[u8],
) -> Result<Card, CardError> {
    let mut display = SimulatorDisplay::<Rgb565>::new(Size::new(screen::WIDTH, screen::HEIGHT));
    let label = demo::status_label(opts);
    let mut screen = Screen::with_label(label.as_str());
    let draw = |e: core::convert::Infallible| CardError::Generate(format!("{e:?}"));
    screen.draw_frame(&mut display).map_err(draw)?;
    let mut tokens = Vec::new();
    demo::run_prompt(
        model,
        opts,
        prompt,
        &mut screen,
        &mut display,
        |t| tokens.push(t),
        || 0,
    )
    .map_err(|e| CardError::Generate(e.to_string()))?;
    screen.finish(&mut display).map_err(draw)?;
    Ok(Card { tokens, display })
}

/// The card of a known token stream (e.g. a dataset item, the original of a completion): the
/// same screen, drawn token by token with no model, its status line showing `label`.
pub fn draw_stream(tokens: &[u8], label: &str) -> Card {
    let mut display = SimulatorDisplay::<Rgb565>::new(Size::new(screen::WIDTH, screen::HEIGHT));
    let mut screen = Screen::with_label(label);
    let Ok(()) = screen.draw_frame(&mut display);
    for &t in tokens {
        let Ok(()) = screen.push(t, &mut display);
    }
    let Ok(()) = screen.finish(&mut display);
    Card {
        tokens: tokens.to_vec(),
        display,
    }
}

impl Card {
    /// The screen as RGB565 little-endian, row-major (the firmware's screen file format).
    pub fn screen_rgb565(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(screen::PIXELS * 2);
        for y in 0..screen::HEIGHT as i32 {
            for x in 0..screen::WIDTH as i32 {
                let c = self.display.get_pixel(Point::new(x, y));
                bytes.extend_from_slice(&c.into_storage().to_le_bytes());
            }
        }
        bytes
    }

    /// Writes the screen as a PNG, each pixel scaled up `scale` times, atomically
    /// ([`pxby_data::atomic`]: an existing file is replaced whole or left as it was).
    pub fn save_png(&self, path: &Path, scale: u32) -> Result<(), CardError> {
        let settings = OutputSettingsBuilder::new().scale(scale.max(1)).build();
        let image = self.display.to_rgb_output_image(&settings);
        write_atomic_with(path, |_, tmp| image.save_png(tmp)).map_err(|e| CardError::Png {
            path: path.display().to_string(),
            source: match e {
                WriteError::Io(io) => image::ImageError::IoError(io),
                WriteError::Fill(png) => png,
            },
        })
    }

    /// The stream's text: header, image size and caption.
    pub fn text(&self) -> CardText {
        text_of(&self.tokens)
    }
}

/// Splits a token stream into header text, image size and caption text as the screen reads it
/// (bytes outside printable ASCII are dropped from the text; colour tokens outside the image
/// are ignored). A colour before any separator starts the image (the header was skipped), and
/// a header that is not a valid size reads as [`screen::NO_SIZE`].
pub fn text_of(tokens: &[u8]) -> CardText {
    let as_text = |seg: &[u8]| -> String {
        seg.iter()
            .filter_map(|&t| match vocab::decode(t) {
                Some(Symbol::Byte(b)) if b.is_ascii_graphic() || b == b' ' => Some(b as char),
                _ => None,
            })
            .collect()
    };
    let start = tokens
        .iter()
        .position(|&t| t == SEG_SEP || vocab::is_colour(t));
    let (head, body) = match start {
        Some(i) if tokens[i] == SEG_SEP => (&tokens[..=i], &tokens[i + 1..]),
        Some(i) => (&tokens[..i], &tokens[i..]),
        None => (tokens, &[][..]),
    };
    let size = pxby_core::header::parse_tokens(head).ok();
    let header = match size {
        Some(_) => as_text(&head[..head.len() - 1]),
        None if start.is_none() => as_text(head),
        None => screen::NO_SIZE.to_string(),
    };
    let mut segments = body.split(|&t| t == SEG_SEP);
    let image = if start.is_none() {
        (0, 0)
    } else {
        segments.next().map_or((0, 0), |seg| {
            let rows = seg.split(|&t| t == ROW_SEP);
            rows.fold((0, 0), |(n, w), r| (n + 1, w.max(r.len())))
        })
    };
    let caption = segments.next().map(as_text).unwrap_or_default();
    CardText {
        header,
        image,
        size,
        caption,
    }
}

impl CardText {
    /// The one-line description of the image `pxby generate` prints, e.g.
    /// `[sprite: 25 rows x 22 columns]`; for an image without a valid size, how many colour
    /// rows came and that the screen wraps them.
    pub fn image_line(&self) -> String {
        let (rows, cols) = self.image;
        match self.size {
            Some(_) => format!("[sprite: {rows} rows x {cols} columns]"),
            None if rows == 0 => "[sprite: none (no size header, no image)]".to_string(),
            None => format!(
                "[sprite: no size header; {rows} rows, the widest {cols} columns, drawn wrapped at {} columns]",
                screen::WRAP_COLUMNS
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_of_splits_segments() {
        let t = |s: &str| {
            s.bytes()
                .map(|b| vocab::byte_to_token(b).unwrap())
                .collect::<Vec<u8>>()
        };
        let mut stream = t("(2, 3)\n");
        stream.extend([60, 61, 62, ROW_SEP, 63, 64, 65, SEG_SEP]);
        stream.extend(t("a small cat.\n"));
        let text = text_of(&stream);
        assert_eq!(text.header, "(2, 3)");
        assert_eq!(text.image, (2, 3));
        assert_eq!(text.size, Some((2, 3)));
        assert_eq!(text.caption, "a small cat.");
        assert_eq!(text.image_line(), "[sprite: 2 rows x 3 columns]");
        assert_eq!(
            text_of(&[]),
            CardText {
                image: (0, 0),
                ..CardText::default()
            }
        );
    }

    /// Free sampling that skips the header or never separates rows (the stream of issue 16,
    /// point 10: "[sprite: 1 rows x 1182 columns]" under a "????????" title).
    #[test]
    fn streams_without_a_size_read_as_the_screen_draws_them() {
        let t = |s: &str| {
            s.bytes()
                .map(|b| vocab::byte_to_token(b).unwrap())
                .collect::<Vec<u8>>()
        };
        let colours = std::iter::repeat_n(60u8, 1182);
        // Tabs as a header, then 1,182 colours with no row separator, then a caption.
        let mut stream = t("\t\t\t");
        stream.push(SEG_SEP);
        stream.extend(colours.clone());
        stream.push(SEG_SEP);
        stream.extend(t("a cat.\n"));
        let text = text_of(&stream);
        assert_eq!((text.header.as_str(), text.size), (screen::NO_SIZE, None));
        assert_eq!((text.image, text.caption.as_str()), ((1, 1182), "a cat."));
        assert_eq!(
            text.image_line(),
            "[sprite: no size header; 1 rows, the widest 1182 columns, drawn wrapped at 25 columns]"
        );
        // No header at all: the colours are the image.
        let text = text_of(&colours.collect::<Vec<u8>>());
        assert_eq!(
            (text.header.as_str(), text.image),
            (screen::NO_SIZE, (1, 1182))
        );
    }
}

//! Options of one generation, parsed from `key=value` words (the QEMU command line; the PyGamer
//! uses the defaults with a new seed per button press).

/// Sequence mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Header, then an image of exactly that size, then a caption.
    Structured,
    /// Whatever the model emits.
    Free,
}

/// Everything one run needs.
#[derive(Clone, Copy, Debug)]
pub struct Options<'a> {
    /// Seed of the sampler.
    pub seed: u64,
    /// Sampling temperature; 0 = greedy.
    pub temperature: f32,
    /// Top-k (0 = all tokens).
    pub top_k: u8,
    /// Structured or free generation.
    pub mode: Mode,
    /// Context window: 32 or 64.
    pub window: usize,
    /// Most tokens to generate.
    pub max_tokens: usize,
    /// Prompt header `(h, w)`, if given.
    pub size: Option<(u16, u16)>,
    /// Host file for the token stream (`""`: none).
    pub tokens_path: &'a str,
    /// Host file for the framebuffer as RGB565 little-endian (`""`: none).
    pub screen_path: &'a str,
    /// Host file for the PNG of the screen (`""`: none).
    pub png_path: &'a str,
    /// Measure SysTick ticks per token and print them.
    pub bench: bool,
    /// Do not print the generated text.
    pub quiet: bool,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Self {
            seed: 1,
            temperature: 0.8,
            top_k: 8,
            mode: Mode::Structured,
            window: 64,
            max_tokens: 1200,
            size: None,
            tokens_path: "pxby-tokens.bin",
            screen_path: "pxby-screen.rgb565",
            png_path: "demo.png",
            bench: false,
            quiet: false,
        }
    }
}

/// Largest `max` accepted (the token log is this long).
pub const MAX_TOKENS: usize = 2048;

/// A word of the command line that is not understood.
#[derive(Clone, Copy, Debug)]
pub struct BadArg<'a>(pub &'a str);

/// Usage text.
pub const USAGE: &str = "options: seed=N temp=F(0=greedy) topk=K(0..255, 0=all) mode=structured|free window=32|64 \
max=N(<=2048) h=N w=N tokens=PATH screen=PATH png=PATH bench quiet";

/// Parses space-separated `key=value` words over the defaults.
pub fn parse(line: &str) -> Result<Options<'_>, BadArg<'_>> {
    let mut o = Options::default();
    let mut h = None;
    let mut w = None;
    for word in line.split(' ').filter(|w| !w.is_empty()) {
        let (k, v) = word.split_once('=').unwrap_or((word, ""));
        let bad = BadArg(word);
        match k {
            "seed" => o.seed = v.parse().map_err(|_| bad)?,
            "temp" => {
                let t: f32 = v.parse().map_err(|_| bad)?;
                if !(t.is_finite() && t >= 0.0) {
                    return Err(bad);
                }
                o.temperature = t;
            }
            "topk" => o.top_k = v.parse().map_err(|_| bad)?,
            "mode" => {
                o.mode = match v {
                    "structured" => Mode::Structured,
                    "free" => Mode::Free,
                    _ => return Err(bad),
                }
            }
            "window" => {
                o.window = match v {
                    "32" => 32,
                    "64" => 64,
                    _ => return Err(bad),
                }
            }
            "max" => {
                o.max_tokens = v.parse().map_err(|_| bad)?;
                if o.max_tokens > MAX_TOKENS {
                    return Err(bad);
                }
            }
            "h" => h = Some(v.parse::<u16>().map_err(|_| bad)?),
            "w" => w = Some(v.parse::<u16>().map_err(|_| bad)?),
            "tokens" => o.tokens_path = v,
            "screen" => o.screen_path = v,
            "png" => o.png_path = v,
            "bench" if v.is_empty() => o.bench = true,
            "quiet" if v.is_empty() => o.quiet = true,
            _ => return Err(bad),
        }
    }
    o.size = match (h, w) {
        (Some(h @ 1..), Some(w @ 1..)) => Some((h, w)),
        (None, None) => None,
        _ => return Err(BadArg("h=/w=: give both, each at least 1")),
    };
    Ok(o)
}

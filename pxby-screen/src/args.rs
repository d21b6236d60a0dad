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

/// A word of the command line that is not understood (or, for an incomplete size, what is
/// wrong with it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadArg<'a>(pub &'a str);

impl core::fmt::Display for BadArg<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "bad argument `{}`", self.0)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_words_give_the_defaults() {
        let o = parse("").unwrap();
        let d = Options::default();
        assert_eq!(
            (
                o.seed,
                o.temperature,
                o.top_k,
                o.mode,
                o.window,
                o.max_tokens,
                o.size
            ),
            (
                d.seed,
                d.temperature,
                d.top_k,
                d.mode,
                d.window,
                d.max_tokens,
                d.size
            )
        );
        assert_eq!((o.bench, o.quiet), (false, false));
        assert_eq!(o.png_path, "demo.png");
    }

    #[test]
    fn every_option_is_read() {
        let o = parse(
            "  seed=7 temp=0 topk=0 mode=free window=32 max=2048 h=3 w=4 tokens=t.bin \
             screen= png=p.png bench quiet",
        )
        .unwrap();
        assert_eq!(o.seed, 7);
        assert_eq!(o.temperature, 0.0);
        assert_eq!((o.top_k, o.mode, o.window), (0, Mode::Free, 32));
        assert_eq!((o.max_tokens, o.size), (MAX_TOKENS, Some((3, 4))));
        assert_eq!(
            (o.tokens_path, o.screen_path, o.png_path),
            ("t.bin", "", "p.png")
        );
        assert!(o.bench && o.quiet);
        assert_eq!(
            parse("mode=structured window=64").unwrap().mode,
            Mode::Structured
        );
    }

    #[test]
    fn bad_words_are_named() {
        for (line, word) in [
            ("seed=x", "seed=x"),
            ("seed=-1", "seed=-1"),
            ("seed=18446744073709551616", "seed=18446744073709551616"),
            ("seed", "seed"),
            ("temp=-0.5", "temp=-0.5"),
            ("temp=NaN", "temp=NaN"),
            ("temp=inf", "temp=inf"),
            ("temp=hot", "temp=hot"),
            ("topk=256", "topk=256"),
            ("mode=random", "mode=random"),
            ("window=48", "window=48"),
            ("max=2049", "max=2049"),
            ("max=", "max="),
            ("h=0x10 w=2", "h=0x10"),
            ("w=70000 h=1", "w=70000"),
            ("bench=1", "bench=1"),
            ("quiet=yes", "quiet=yes"),
            ("seed=1 verbose", "verbose"),
            ("=1", "=1"),
        ] {
            assert_eq!(parse(line).map(|_| ()), Err(BadArg(word)), "{line}");
        }
    }

    #[test]
    fn a_size_needs_both_sides_each_at_least_one() {
        let size = BadArg("h=/w=: give both, each at least 1");
        for line in ["h=3", "w=3", "h=0 w=3", "h=3 w=0"] {
            assert_eq!(parse(line).map(|_| ()), Err(size), "{line}");
        }
        assert_eq!(parse("h=1 w=65535").unwrap().size, Some((1, 65535)));
        assert_eq!(std::format!("{}", BadArg("x=1")), "bad argument `x=1`");
    }
}

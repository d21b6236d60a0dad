//! Streaming generation (SPEC §7): a window of the last `W` tokens, next-token sampling, and a
//! structured mode that always yields a well-formed sprite.
//!
//! The generator caches each token's PxByEmbed output in a ring of `W` rows and recomputes the
//! LSTM stack over the window for every new token (the backward LSTM of the paper's model sees
//! the whole window, so nothing else can be cached). All buffers are fixed arrays sized by const
//! generics, checked against the model at construction ([`Error::Capacity`]):
//!
//! - `W`: window (default 64), `D`: largest `dim` (default 81), `S`: largest `d_state`
//!   (default 32) — the defaults fit the paper's best model exactly.
//! - RAM: the big arrays are a separate [`Buffers`] that the generator borrows, so firmware can
//!   keep them in a `.bss` static or one stack frame and nothing 30 KB large is ever moved:
//!   `4·W·D` (embedding ring) + `4·W·S` (layer buffer) + `4·5·S` (gates, cell) + 452 (logits)
//!   bytes — 30,020 for `Buffers<64>` (PAPER_BEST), [`Buffers::BYTES`]. The generator value
//!   itself (cursor, PRNG, grammar, references) is [`Generator::STATE_BYTES`] (a few hundred
//!   bytes); [`Generator::RAM_BYTES`] is the sum.
//!
//! Sampling is greedy, temperature or top-k; randomness comes from [`Pcg32`] (integer only, so
//! the same seed gives the same stream everywhere) and the softmax uses [`crate::math::exp`].
//!
//! ```
//! # use pxby_core::{config::ModelConfig, format::{write_model, Metadata}, quant::WeightType, Model};
//! # let cfg = ModelConfig::PAPER_BEST;
//! # let owned: Vec<(&str, Vec<f32>)> = cfg.tensors()
//! #     .map(|t| (t.name, (0..t.len()).map(|i| ((i * 7919 % 97) as f32 - 48.0) / 300.0).collect()))
//! #     .collect();
//! # let list: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
//! # let bytes = write_model(&cfg, &Metadata::default(), WeightType::I8, &list).unwrap();
//! use pxby_core::generate::{Buffers, Generator, Options, Sampling};
//! use pxby_core::vocab::Symbol;
//! let model = Model::from_bytes(&bytes)?;
//! let options = Options { structured: true, sampling: Sampling::TopK { k: 5, temperature: 0.8 }, seed: 7, ..Options::default() };
//! let mut buffers = Buffers::<64>::boxed(); // or `static` / stack `Buffers::new()` on a device
//! let mut generator = Generator::from_text(&model, &mut buffers, "(3, 4)\n", options)?;
//! let colours = generator.by_ref().take(3 * 5).filter(|s| matches!(s.symbol, Symbol::Colour(_))).count();
//! assert_eq!(colours, 12); // 3 rows of 4 colours, each row ended by \t or \n
//! # Ok::<(), pxby_core::Error>(())
//! ```

use crate::context::{Context, ContextCursor};
use crate::error::Error;
use crate::math::exp;
use crate::model::Model;
use crate::vocab::{FIRST_COLOUR, ROW_SEP, SEG_SEP, Symbol, VOCAB_SIZE, byte_to_token, decode};

/// Row capacity of the generator's context cursor (tokens per `\t`-terminated row, separator
/// included): images up to 63 columns.
pub const ROW_CAP: usize = 64;
/// The context cursor type the generator uses.
pub type Cursor = ContextCursor<ROW_CAP>;

/// A set of tokens as a bit mask (bit `t` = token `t`).
pub type TokenMask = u128;
/// Every token of the vocabulary.
pub const ALL_TOKENS: TokenMask = (1u128 << VOCAB_SIZE) - 1;

/// PCG32 (XSH-RR, 64-bit state) — M. O'Neill's reference generator, integer only.
///
/// ```
/// use pxby_core::generate::Pcg32;
/// let mut rng = Pcg32::new(42, 54);
/// assert_eq!(rng.next_u32(), 0xa15c02b7); // pcg32-demo's first value
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pcg32 {
    state: u64,
    inc: u64,
}

const PCG_MULT: u64 = 6_364_136_223_846_793_005;

impl Pcg32 {
    /// Seeds like the reference `pcg32_srandom_r(initstate, initseq)`.
    pub const fn new(seed: u64, stream: u64) -> Self {
        let inc = (stream << 1) | 1;
        let mut s = 0u64.wrapping_mul(PCG_MULT).wrapping_add(inc);
        s = s.wrapping_add(seed);
        s = s.wrapping_mul(PCG_MULT).wrapping_add(inc);
        Pcg32 { state: s, inc }
    }

    /// Next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old.wrapping_mul(PCG_MULT).wrapping_add(self.inc);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        let rot = (old >> 59) as u32;
        xorshifted.rotate_right(rot)
    }

    /// Uniform in `[0, 1)` with 24 random bits (exact in f32).
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
    }
}

/// How the next token is chosen from the logits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampling {
    /// Highest logit (first on ties).
    Greedy,
    /// Softmax of `logits / temperature` (temperature ≤ 0 or NaN means greedy).
    Temperature(f32),
    /// Softmax over the `k` highest logits only (`k = 0` means all).
    TopK {
        /// Number of candidates.
        k: u8,
        /// Softmax temperature.
        temperature: f32,
    },
}

/// Generation options.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// Sampling rule.
    pub sampling: Sampling,
    /// PRNG seed (stream [`Options::STREAM`]).
    pub seed: u64,
    /// Structured mode: header `(h, w)`, then exactly `h` rows of `w` colours, then a caption;
    /// generation ends after the caption's `\n`.
    pub structured: bool,
    /// Structured mode: largest image side the header may announce (clamped to 1..=63).
    pub max_side: u8,
    /// Structured mode: smallest image side the header may announce (clamped to 1..=`max_side`).
    pub min_side: u8,
    /// Structured mode: longest caption in bytes before `\n` is forced.
    pub max_caption: u16,
}

impl Options {
    /// PCG32 stream used by the generator.
    pub const STREAM: u64 = 0x5058_4259; // "PXBY"
}

impl Default for Options {
    /// Greedy, seed 0, unstructured, sides 1 to 32, captions up to 256 bytes.
    fn default() -> Self {
        Options {
            sampling: Sampling::Greedy,
            seed: 0,
            structured: false,
            max_side: 32,
            min_side: 1,
            max_caption: 256,
        }
    }
}

/// One generated token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Token id.
    pub token: u8,
    /// Its 3x3 context (SPEC §4).
    pub context: Context,
    /// The decoded byte or colour.
    pub symbol: Symbol,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Open,
    Height { value: u8, digits: u8 },
    Space,
    Width { value: u8, digits: u8 },
    End,
    Image { row: u8, col: u8 },
    Caption { len: u16 },
    Done,
}

/// The structured-mode grammar: which tokens may come next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Structure {
    phase: Phase,
    h: u8,
    w: u8,
    max_side: u8,
    min_side: u8,
    max_caption: u16,
}

const fn tok(b: u8) -> u8 {
    match byte_to_token(b) {
        Some(t) => t,
        None => 0,
    }
}
const OPEN: u8 = tok(b'(');
const CLOSE: u8 = tok(b')');
const COMMA: u8 = tok(b',');
const SPACE: u8 = tok(b' ');
const DIGIT0: u8 = tok(b'0');
const COLOURS: TokenMask = ALL_TOKENS & !((1u128 << FIRST_COLOUR) - 1);
/// Caption bytes: every byte token except `\x00`, `\t`, `\n` and the two halves of U+00A0.
const CAPTION: TokenMask =
    ((1u128 << FIRST_COLOUR) - 1) & !0b111 & !(1u128 << tok(0xC2)) & !(1u128 << tok(0xA0));

const fn bit(t: u8) -> TokenMask {
    1u128 << t
}

impl Structure {
    fn new(o: &Options) -> Self {
        let max_side = o.max_side.clamp(1, (ROW_CAP - 1) as u8);
        Structure {
            phase: Phase::Open,
            h: 0,
            w: 0,
            max_side,
            min_side: o.min_side.clamp(1, max_side),
            max_caption: o.max_caption,
        }
    }

    /// Whether a side that reads `v` so far can still end within `min_side..=max_side`
    /// (sides have at most two digits, as `max_side` ≤ 63).
    fn viable(&self, v: u16) -> bool {
        let (min, max) = (self.min_side as u16, self.max_side as u16);
        v <= max && (v >= min || (min.max(v * 10) <= max.min(v * 10 + 9)))
    }

    /// The digits that may extend a side reading `value` (`digits` digits so far).
    fn digits(&self, value: u8, digits: u8) -> TokenMask {
        let mut m = 0;
        for d in 0..10u16 {
            if (digits > 0 || d > 0) && self.viable(value as u16 * 10 + d) {
                m |= bit(DIGIT0 + d as u8);
            }
        }
        m
    }

    /// `end` (the `,` or `)` closing a side) when the side read so far is complete.
    fn close(&self, value: u8, digits: u8, end: u8) -> TokenMask {
        if digits > 0 && value >= self.min_side {
            bit(end)
        } else {
            0
        }
    }

    fn allowed(&self) -> TokenMask {
        match self.phase {
            Phase::Open => bit(OPEN),
            Phase::Height { value, digits } => {
                self.digits(value, digits) | self.close(value, digits, COMMA)
            }
            Phase::Space => bit(SPACE),
            Phase::Width { value, digits } => {
                self.digits(value, digits) | self.close(value, digits, CLOSE)
            }
            Phase::End => bit(SEG_SEP),
            Phase::Image { row, col } => {
                if col < self.w {
                    COLOURS
                } else if row + 1 < self.h {
                    bit(ROW_SEP)
                } else {
                    bit(SEG_SEP)
                }
            }
            Phase::Caption { len } => {
                if len >= self.max_caption {
                    bit(SEG_SEP)
                } else {
                    CAPTION | bit(SEG_SEP)
                }
            }
            Phase::Done => 0,
        }
    }

    /// Advances over `t`, which must be allowed.
    fn advance(&mut self, t: u8) -> Result<(), Error> {
        if (t as usize) >= VOCAB_SIZE || self.allowed() & bit(t) == 0 {
            return Err(Error::InvalidPrompt);
        }
        let digit = t.wrapping_sub(DIGIT0);
        self.phase = match self.phase {
            Phase::Open => Phase::Height {
                value: 0,
                digits: 0,
            },
            Phase::Height { value, digits } => {
                if t == COMMA {
                    self.h = value;
                    Phase::Space
                } else {
                    Phase::Height {
                        value: value * 10 + digit,
                        digits: digits + 1,
                    }
                }
            }
            Phase::Space => Phase::Width {
                value: 0,
                digits: 0,
            },
            Phase::Width { value, digits } => {
                if t == CLOSE {
                    self.w = value;
                    Phase::End
                } else {
                    Phase::Width {
                        value: value * 10 + digit,
                        digits: digits + 1,
                    }
                }
            }
            Phase::End => Phase::Image { row: 0, col: 0 },
            Phase::Image { row, col } => {
                if t == ROW_SEP {
                    Phase::Image {
                        row: row + 1,
                        col: 0,
                    }
                } else if t == SEG_SEP {
                    Phase::Caption { len: 0 }
                } else {
                    Phase::Image { row, col: col + 1 }
                }
            }
            Phase::Caption { len } => {
                if t == SEG_SEP {
                    Phase::Done
                } else {
                    Phase::Caption { len: len + 1 }
                }
            }
            Phase::Done => Phase::Done,
        };
        Ok(())
    }
}

/// Picks a token among `allowed` (never empty when called) from `logits`.
fn sample(
    logits: &[f32; VOCAB_SIZE],
    allowed: TokenMask,
    sampling: Sampling,
    rng: &mut Pcg32,
) -> u8 {
    // Candidates in index order.
    let mut cand = [0u8; VOCAB_SIZE];
    let mut n = 0;
    for t in 0..VOCAB_SIZE {
        if allowed & bit(t as u8) != 0 {
            cand[n] = t as u8;
            n += 1;
        }
    }
    if n == 0 {
        return 0;
    }
    // Greedy choice: highest logit, first on ties, NaN never wins.
    let mut best = cand[0];
    let mut best_v = f32::NEG_INFINITY;
    for &t in &cand[..n] {
        let v = logits[t as usize];
        if v > best_v {
            best_v = v;
            best = t;
        }
    }
    let (k, temperature) = match sampling {
        Sampling::Greedy => return best,
        Sampling::Temperature(t) => (0usize, t),
        Sampling::TopK { k, temperature } => (k as usize, temperature),
    };
    if temperature.is_nan() || temperature <= 0.0 || !best_v.is_finite() {
        return best;
    }
    if k > 0 && k < n {
        // Partial selection sort: the k best (higher logit first, lower id on ties, NaN last).
        for i in 0..k {
            let mut m = i;
            for j in i + 1..n {
                let (a, b) = (logits[cand[j] as usize], logits[cand[m] as usize]);
                if a > b || (b.is_nan() && !a.is_nan()) {
                    m = j;
                }
            }
            cand.swap(i, m);
        }
        n = k;
    }
    let mut weights = [0.0f32; VOCAB_SIZE];
    let mut sum = 0.0f32;
    for (w, &t) in weights.iter_mut().zip(&cand[..n]) {
        let v = logits[t as usize];
        *w = if v.is_nan() {
            0.0
        } else {
            exp((v - best_v) / temperature)
        };
        sum += *w;
    }
    if sum.is_nan() || sum <= 0.0 || !sum.is_finite() {
        return best;
    }
    let target = rng.next_f32() * sum;
    let mut acc = 0.0f32;
    for (w, &t) in weights.iter().zip(&cand[..n]) {
        acc += *w;
        if acc > target {
            return t;
        }
    }
    cand[n - 1]
}

/// The large working arrays of a [`Generator`]: the embedding ring (`W × D` floats), the layer
/// buffer (`W × S`), gates and cell state (`5 × S`) and the logits (113).
///
/// They live outside the generator so that they can be placed where the caller wants — a
/// zero-initialised `static` (`.bss`) or a stack frame on a microcontroller, a [`Buffers::boxed`]
/// on the host — and are never moved: a [`Generator`] only borrows them. [`Buffers::new`] is a
/// `const fn` returning all zeros. The contents are scratch: every generator overwrites what it
/// reads, so one `Buffers` can serve many generators, one after another.
///
/// Size: [`Buffers::BYTES`] = `4·(W·D + W·S + 5·S + 113)`; 30,020 bytes for `Buffers<64>`
/// (the paper's best model), 15,556 for `Buffers<32>`.
pub struct Buffers<const W: usize = 64, const D: usize = 81, const S: usize = 32> {
    embeds: [[f32; D]; W],
    layer: [[f32; S]; W],
    work: [[f32; S]; 5],
    logits: [f32; VOCAB_SIZE],
}

impl<const W: usize, const D: usize, const S: usize> Buffers<W, D, S> {
    /// Bytes of RAM the buffers take (`size_of::<Self>()`).
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// All-zero buffers (usable in a `static`).
    pub const fn new() -> Self {
        Buffers {
            embeds: [[0.0; D]; W],
            layer: [[0.0; S]; W],
            work: [[0.0; S]; 5],
            logits: [0.0; VOCAB_SIZE],
        }
    }

    /// All-zero buffers on the heap (host convenience for large `W`, `D`, `S`).
    #[cfg(feature = "alloc")]
    pub fn boxed() -> alloc::boxed::Box<Self> {
        alloc::boxed::Box::new(Self::new())
    }
}

impl<const W: usize, const D: usize, const S: usize> Default for Buffers<W, D, S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const W: usize, const D: usize, const S: usize> core::fmt::Debug for Buffers<W, D, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Buffers<{W}, {D}, {S}> ({} bytes)", Self::BYTES)
    }
}

/// A streaming generator over a window of the last `W` tokens (see the [module docs](self)).
///
/// `D` and `S` are the largest `dim` and `d_state` it can run; the defaults fit the paper's best
/// model. Its large arrays are a borrowed [`Buffers`]; the generator itself is a few hundred
/// bytes ([`Generator::STATE_BYTES`]). It is also an [`Iterator`] of [`Step`]s (endless unless
/// structured).
#[derive(Debug)]
pub struct Generator<'m, const W: usize = 64, const D: usize = 81, const S: usize = 32> {
    model: &'m Model<'m>,
    buffers: &'m mut Buffers<W, D, S>,
    options: Options,
    rng: Pcg32,
    cursor: Cursor,
    structure: Option<Structure>,
    /// Ring index of the oldest token in the window.
    start: usize,
    /// Tokens in the window (≤ W).
    len: usize,
}

impl<'m, const W: usize, const D: usize, const S: usize> Generator<'m, W, D, S> {
    /// Bytes of the generator value itself (model and buffer references, cursor, PRNG, grammar
    /// state): `size_of::<Self>()`, without the borrowed [`Buffers`].
    pub const STATE_BYTES: usize = core::mem::size_of::<Self>();

    /// Bytes of RAM one generator needs in all: [`Generator::STATE_BYTES`] plus
    /// [`Buffers::BYTES`] (the model weights stay wherever the file bytes are, e.g. flash).
    pub const RAM_BYTES: usize = Self::STATE_BYTES + Buffers::<W, D, S>::BYTES;

    fn empty(
        model: &'m Model<'m>,
        buffers: &'m mut Buffers<W, D, S>,
        options: Options,
        cursor: Cursor,
    ) -> Result<Self, Error> {
        if W == 0 || model.dim() > D || model.d_state() > S {
            return Err(Error::Capacity);
        }
        Ok(Generator {
            model,
            buffers,
            options,
            rng: Pcg32::new(options.seed, Options::STREAM),
            cursor,
            structure: options.structured.then(|| Structure::new(&options)),
            start: 0,
            len: 0,
        })
    }

    /// A generator after a prompt of tokens (may be empty), working in `buffers`. In structured
    /// mode the prompt must follow the layout (e.g. `(25, 22)\n` or a prefix of it), else
    /// [`Error::InvalidPrompt`]. Errors with [`Error::Capacity`] if the model is larger than
    /// `D`/`S` (or `W` is 0).
    pub fn new(
        model: &'m Model<'m>,
        buffers: &'m mut Buffers<W, D, S>,
        prompt: &[u8],
        options: Options,
    ) -> Result<Self, Error> {
        let mut g = Self::empty(model, buffers, options, Cursor::new())?;
        for &t in prompt {
            g.push(t)?;
        }
        Ok(g)
    }

    /// Like [`Generator::new`] with a text prompt: each byte must be in the vocabulary
    /// ([`Error::InvalidByte`] otherwise), `\t` and `\n` included.
    pub fn from_text(
        model: &'m Model<'m>,
        buffers: &'m mut Buffers<W, D, S>,
        prompt: &str,
        options: Options,
    ) -> Result<Self, Error> {
        let mut g = Self::empty(model, buffers, options, Cursor::new())?;
        for b in prompt.bytes() {
            g.push(byte_to_token(b).ok_or(Error::InvalidByte(b))?)?;
        }
        Ok(g)
    }

    /// A generator whose window holds the given contexts (the last `W` of them if more), and
    /// whose cursor — which gives the contexts of the tokens generated next — is `cursor`: the
    /// state after the token of the last context. This is how evaluation continues a dataset
    /// window (contexts taken from the item, cursor advanced over the item's tokens up to that
    /// point). Structured mode is not available here ([`Error::Unsupported`]).
    pub fn with_window(
        model: &'m Model<'m>,
        buffers: &'m mut Buffers<W, D, S>,
        contexts: &[Context],
        cursor: Cursor,
        options: Options,
    ) -> Result<Self, Error> {
        if options.structured {
            return Err(Error::Unsupported);
        }
        let mut g = Self::empty(model, buffers, options, cursor)?;
        let skip = contexts.len().saturating_sub(W);
        for ctx in &contexts[skip..] {
            g.append(ctx)?;
        }
        Ok(g)
    }

    /// Embeds `ctx` into the ring (dropping the oldest token when full).
    fn append(&mut self, ctx: &Context) -> Result<(), Error> {
        let d = self.model.dim();
        let slot = (self.start + self.len) % W;
        self.model.embed(
            ctx,
            &mut self.buffers.embeds.as_flattened_mut()[slot * d..(slot + 1) * d],
        )?;
        if self.len < W {
            self.len += 1;
        } else {
            self.start = (self.start + 1) % W;
        }
        Ok(())
    }

    /// Appends a known token (teacher forcing) and returns its context. In structured mode the
    /// token must be allowed at this point ([`Error::InvalidPrompt`]).
    pub fn push(&mut self, token: u8) -> Result<Context, Error> {
        if token as usize >= VOCAB_SIZE {
            return Err(Error::InvalidToken(token));
        }
        if let Some(s) = &mut self.structure {
            s.advance(token)?;
        }
        let ctx = self.cursor.push(token);
        self.append(&ctx)?;
        Ok(ctx)
    }

    /// Computes and returns the next-token logits for the current window.
    pub fn logits(&mut self) -> &[f32; VOCAB_SIZE] {
        let d = self.model.dim();
        let b = &mut *self.buffers;
        let ring = &b.embeds.as_flattened()[..W * d];
        let (start, len) = (self.start, self.len);
        let row = |t: usize| {
            let i = (start + t) % W;
            &ring[i * d..(i + 1) * d]
        };
        self.model.forward_parts(
            row,
            len,
            b.layer.as_flattened_mut(),
            b.work.as_flattened_mut(),
            &mut b.logits,
        );
        &b.logits
    }

    /// The tokens allowed next: all of them, or the structured-mode set (empty when done).
    pub fn allowed(&self) -> TokenMask {
        self.structure.map_or(ALL_TOKENS, |s| s.allowed())
    }

    /// True once a structured generation has produced its caption's final `\n`.
    pub fn is_done(&self) -> bool {
        self.allowed() == 0
    }

    /// Generates one token: logits over the window, sampling among the allowed tokens, then
    /// the token is appended. `None` only when a structured generation is complete.
    pub fn step(&mut self) -> Option<Step> {
        let allowed = self.allowed();
        if allowed == 0 {
            return None;
        }
        self.logits();
        let token = sample(
            &self.buffers.logits,
            allowed,
            self.options.sampling,
            &mut self.rng,
        );
        let context = self.push(token).ok()?;
        Some(Step {
            token,
            context,
            symbol: decode(token)?,
        })
    }

    /// The context cursor (row, column, previous row length of the next token).
    pub fn cursor(&self) -> &Cursor {
        &self.cursor
    }

    /// Tokens currently in the window.
    pub fn window_len(&self) -> usize {
        self.len
    }

    /// The options in use.
    pub fn options(&self) -> &Options {
        &self.options
    }
}

impl<const W: usize, const D: usize, const S: usize> Iterator for Generator<'_, W, D, S> {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        self.step()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcg32_reference_stream() {
        let mut r = Pcg32::new(42, 54);
        let got: [u32; 6] = core::array::from_fn(|_| r.next_u32());
        assert_eq!(
            got,
            [
                0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e
            ]
        );
    }

    #[test]
    fn grammar_masks() {
        let mut s = Structure::new(&Options {
            max_side: 25,
            ..Options::default()
        });
        assert_eq!(s.allowed(), bit(OPEN));
        for b in *b"(2" {
            s.advance(tok(b)).unwrap();
        }
        // after "2": digits 0..=5 or ','
        let m = s.allowed();
        assert!(m & bit(tok(b'5')) != 0 && m & bit(tok(b'6')) == 0 && m & bit(COMMA) != 0);
        assert_eq!(s.advance(tok(b'9')), Err(Error::InvalidPrompt));
        for b in *b"5, 3)" {
            s.advance(tok(b)).unwrap();
        }
        assert_eq!((s.h, s.w), (25, 3));
        s.advance(SEG_SEP).unwrap();
        assert_eq!(s.allowed(), COLOURS);
        assert_eq!(CAPTION.count_ones(), 58 - 3 - 2);
    }

    /// The tokens `s` allows after reading `text`.
    fn allowed_after(mut s: Structure, text: &[u8]) -> TokenMask {
        for &b in text {
            s.advance(tok(b)).unwrap();
        }
        s.allowed()
    }

    /// The digit tokens of `m`.
    fn digits_in(m: TokenMask) -> TokenMask {
        m & (0..10).fold(0, |a, d| a | bit(DIGIT0 + d))
    }

    /// The tokens of the digits `ds`.
    fn digit_set(ds: &[u8]) -> TokenMask {
        ds.iter().fold(0, |a, &d| a | bit(DIGIT0 + d))
    }

    #[test]
    fn grammar_min_side() {
        let s = Structure::new(&Options {
            max_side: 25,
            min_side: 8,
            ..Options::default()
        });
        // First digit: 1 or 2 (10..=25 follow), 8 or 9; never 3..=7 (no way back into range).
        assert_eq!(digits_in(allowed_after(s, b"(")), digit_set(&[1, 2, 8, 9]));
        let m = allowed_after(s, b"(1");
        assert_eq!(
            (digits_in(m), m & bit(COMMA)),
            (digit_set(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 0)
        );
        let m = allowed_after(s, b"(9");
        assert_eq!((digits_in(m), m & bit(COMMA)), (0, bit(COMMA)));
        assert_eq!(
            digits_in(allowed_after(s, b"(2")),
            digit_set(&[0, 1, 2, 3, 4, 5])
        );
        assert_eq!(allowed_after(s, b"(12, 8") & bit(CLOSE), bit(CLOSE));
        assert_eq!(
            digits_in(allowed_after(s, b"(12, ")),
            digit_set(&[1, 2, 8, 9])
        );
        // min_side above max_side is clamped to it.
        let only = Structure::new(&Options {
            max_side: 5,
            min_side: 9,
            ..Options::default()
        });
        assert_eq!(digits_in(allowed_after(only, b"(")), digit_set(&[5]));
    }

    #[test]
    fn sampling_rules() {
        let mut logits = [0.0f32; VOCAB_SIZE];
        logits[7] = 5.0;
        logits[9] = 4.0;
        let mut rng = Pcg32::new(1, 2);
        assert_eq!(sample(&logits, ALL_TOKENS, Sampling::Greedy, &mut rng), 7);
        assert_eq!(
            sample(&logits, ALL_TOKENS & !bit(7), Sampling::Greedy, &mut rng),
            9
        );
        for _ in 0..50 {
            let t = sample(
                &logits,
                ALL_TOKENS,
                Sampling::TopK {
                    k: 2,
                    temperature: 1.0,
                },
                &mut rng,
            );
            assert!(t == 7 || t == 9);
        }
        let mut nan = [f32::NAN; VOCAB_SIZE];
        nan[3] = 0.0;
        assert_eq!(
            sample(&nan, ALL_TOKENS, Sampling::Temperature(1.0), &mut rng),
            3
        );
        assert_eq!(
            sample(&logits, bit(50), Sampling::Temperature(0.5), &mut rng),
            50
        );
    }
}

//! The paper's evaluation (SPEC §8), shared by every model family.
//!
//! From every item of a split, windows of [`PROMPT`] + [`GENERATED`] tokens start every
//! [`STRIDE`] tokens (indices wrap around to the start of the same item, as in SPEC §5). The
//! model sees the 64 true contexts, then generates 16 tokens greedily; the context of each
//! generated token follows the 3x3 rule from the item's real history (`pxby_core`'s
//! [`ContextCursor`]), and the window grows from 64 to 80 as in the reference. The 16 generated
//! contexts are compared with the 16 true ones (both flattened to 144 integers) with
//! [`metrics`](crate::metrics): Hamming, cosine, BLEU; beside them the next-token accuracy of the
//! 16 generated centre tokens and the cross-entropy of the true 65th token given the 64.
//!
//! The model is anything that implements [`Predictor`]: [`CorePredictor`] runs a `pxby-core`
//! model file (f32 or int8); `host-train` implements it for its tch families.
//!
//! ```
//! # use pxby_core::{config::ModelConfig, format::{write_model, Metadata}, quant::WeightType, Model};
//! # use pxby_data::{dataset::{Dataset, Item}, eval::{evaluate, CorePredictor, EvalOptions}};
//! # let cfg = ModelConfig { dim: 18, d_state: 8, ..ModelConfig::PAPER_BEST };
//! # let owned: Vec<(&str, Vec<f32>)> = cfg.tensors()
//! #     .map(|t| (t.name, (0..t.len()).map(|i| ((i * 7919 % 97) as f32 - 48.0) / 200.0).collect()))
//! #     .collect();
//! # let list: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
//! # let bytes = write_model(&cfg, &Metadata::default(), WeightType::I8, &list).unwrap();
//! let model = Model::from_bytes(&bytes)?;
//! let item = Item::new(10, "Tiny".into(), 1, 2, &[60, 61], &[32, 33])?;
//! let report = evaluate(&[&item], &EvalOptions::default(), &mut CorePredictor::new(&model))?;
//! assert_eq!(report.windows, 1);
//! assert!(report.accuracy.mean >= 0.0 && report.accuracy.mean <= 1.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use pxby_core::context::{CENTRE, CONTEXT_CELLS, Context, ContextCursor, contexts};
use pxby_core::fixed::LOGIT_BITS;
use pxby_core::math::argmax;
use pxby_core::model::Model;
use pxby_core::quant::WeightType;
use pxby_core::vocab::VOCAB_SIZE;
use serde::Serialize;

use crate::dataset::Item;
use crate::metrics::{MeanStd, MetricError, bleu, cosine_similarity, hamming};

/// True contexts the model sees before generating.
pub const PROMPT: usize = 64;
/// Tokens generated and compared per window.
pub const GENERATED: usize = 16;
/// Distance between window starts.
pub const STRIDE: usize = PROMPT + GENERATED;

/// Cursor capacity used to replay an item's history (image rows are at most 25 + 1 wide).
pub type Cursor = ContextCursor<64>;

/// Why an evaluation stopped.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The model failed on a window.
    #[error("model: {0}")]
    Model(#[from] pxby_core::Error),
    /// A metric could not be computed (never for well-formed windows).
    #[error("metric: {0}")]
    Metric(#[from] MetricError),
    /// A host model (e.g. a tch family) failed.
    #[error("predictor: {0}")]
    Predictor(String),
    /// Nothing to evaluate.
    #[error("no evaluation window (empty split?)")]
    NoWindows,
}

/// A next-token model: the logits of the token that follows `window` (1..=80 contexts).
pub trait Predictor {
    /// Writes the next-token logits for `window` into `out`.
    fn logits(&mut self, window: &[Context], out: &mut [f32; VOCAB_SIZE]) -> Result<(), EvalError>;
}

/// A [`Predictor`] over a `pxby-core` model.
///
/// On f32 and int8-weight files it caches the PxByEmbed output of the window it saw last, so a
/// window that grows by one context costs one embedding plus the LSTMs. On integer files
/// ([`WeightType::Int`]) it runs the integer-only path of `pxby-core` ([`Model::int_embed`],
/// [`Model::int_project`], [`Model::int_forward`]: the same integers as
/// [`Model::int_logits_for`]) and caches each context's first-layer projections, keeping those a
/// window shares with the last one at its start or shifted (a window that grows, or the next
/// SPEC §5 window); the `i32` logits at `2^-LOGIT_BITS` become f32 only here, exactly (a power
/// of two scale), for the softmax and loss of the host.
pub struct CorePredictor<'m> {
    model: &'m Model<'m>,
    seen: Vec<Context>,
    embeds: Vec<f32>,
    scratch: Vec<f32>,
    /// Integer files: projections of `seen` (`int_proj_len` each), one embedding, the LSTM
    /// buffers.
    proj: Vec<i16>,
    x: Vec<i16>,
    buf: Vec<i16>,
}

impl<'m> CorePredictor<'m> {
    /// A predictor for `model`.
    pub fn new(model: &'m Model<'m>) -> Self {
        Self {
            model,
            seen: Vec::new(),
            embeds: Vec::new(),
            scratch: Vec::new(),
            proj: Vec::new(),
            x: Vec::new(),
            buf: Vec::new(),
        }
    }

    /// The integer path's logits (`2^-LOGIT_BITS` units) for `window`.
    fn int_logits(
        &mut self,
        window: &[Context],
        out: &mut [i32; VOCAB_SIZE],
    ) -> Result<(), EvalError> {
        let m = self.model;
        let pl = m.int_proj_len();
        // Reuse the longest tail of `seen` that `window` starts with (all of it when the window
        // grew; the overlap of two SPEC §5 windows `stride` apart).
        let n = self.seen.len();
        let drop = (0..n)
            .find(|&o| {
                let tail = &self.seen[o..];
                tail.len() <= window.len() && window[..tail.len()] == *tail
            })
            .unwrap_or(n);
        self.seen.drain(..drop);
        self.proj.drain(..drop * pl);
        let keep = self.seen.len();
        self.x.resize(m.dim(), 0);
        self.proj.resize(window.len() * pl, 0);
        for (i, ctx) in window.iter().enumerate().skip(keep) {
            m.int_embed(ctx, &mut self.x)?;
            m.int_project(&self.x, &mut self.proj[i * pl..(i + 1) * pl])?;
            self.seen.push(*ctx);
        }
        self.buf.resize(m.int_scratch_len(window.len()), 0);
        let (buf, work) = self.buf.split_at_mut(m.int_rev_len(window.len()));
        let proj = &self.proj;
        m.int_forward(
            |t| &proj[t * pl..(t + 1) * pl],
            window.len(),
            buf,
            work,
            out,
        );
        Ok(())
    }
}

/// Integer logits at `2^-LOGIT_BITS` as f32 (exact below 2^24 units; rounded to nearest above).
pub fn int_logits_to_f32(logits: &[i32; VOCAB_SIZE], out: &mut [f32; VOCAB_SIZE]) {
    let unit = 1.0 / (1u32 << LOGIT_BITS) as f32;
    for (o, &l) in out.iter_mut().zip(logits) {
        *o = l as f32 * unit;
    }
}

impl Predictor for CorePredictor<'_> {
    fn logits(&mut self, window: &[Context], out: &mut [f32; VOCAB_SIZE]) -> Result<(), EvalError> {
        if self.model.weights() == WeightType::Int {
            let mut ints = [0i32; VOCAB_SIZE];
            self.int_logits(window, &mut ints)?;
            int_logits_to_f32(&ints, out);
            return Ok(());
        }
        let d = self.model.dim();
        let keep = self
            .seen
            .iter()
            .zip(window)
            .take_while(|(a, b)| a == b)
            .count();
        self.seen.truncate(keep);
        self.embeds.resize(window.len() * d, 0.0);
        for (i, ctx) in window.iter().enumerate().skip(keep) {
            self.model
                .embed(ctx, &mut self.embeds[i * d..(i + 1) * d])?;
            self.seen.push(*ctx);
        }
        self.scratch
            .resize(self.model.scratch_len(window.len()), 0.0);
        self.model
            .logits(&self.embeds[..window.len() * d], &mut self.scratch, out)?;
        Ok(())
    }
}

/// Evaluation settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvalOptions {
    /// Evaluate at most this many windows per item (all when `None`).
    pub max_windows_per_item: Option<usize>,
}

/// The scores of one window.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct WindowScore {
    /// Hamming distance of the 144 generated vs true context values (lower is better).
    pub hamming: f64,
    /// Cosine similarity (higher is better).
    pub cosine: f64,
    /// BLEU (higher is better).
    pub bleu: f64,
    /// Fraction of the 16 generated centre tokens equal to the true ones.
    pub accuracy: f64,
    /// Cross-entropy (nats) of the true token after the 64-token prompt.
    pub cross_entropy: f64,
}

/// Mean and population standard deviation of one metric.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Mean over windows.
    pub mean: f64,
    /// Standard deviation over windows (numpy's default, ddof 0).
    pub std: f64,
}

impl From<&MeanStd> for Summary {
    fn from(m: &MeanStd) -> Self {
        Summary {
            mean: m.mean(),
            std: m.std(),
        }
    }
}

/// The evaluation of a split.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvalReport {
    /// Items evaluated.
    pub items: usize,
    /// Windows evaluated.
    pub windows: usize,
    /// Hamming distance (lower is better).
    pub hamming: Summary,
    /// Cosine similarity (higher is better).
    pub cosine: Summary,
    /// BLEU (higher is better).
    pub bleu: Summary,
    /// Next-token accuracy of the generated centre tokens.
    pub accuracy: Summary,
    /// Cross-entropy of the 64-token windows, in nats per token.
    pub cross_entropy: Summary,
    /// Teacher-forced windows scored by [`next_token`] (SPEC §5's validation windows), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token_windows: Option<usize>,
    /// Their next-token accuracy (the trainer's validation accuracy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token_accuracy: Option<f64>,
    /// Their mean cross-entropy in nats (the trainer's validation loss).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token_loss: Option<f64>,
    /// On the same windows, the fraction where the model's most likely next token is that of
    /// another model ([`agreement`]; `pxby eval --agree-with`), if asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token_agreement: Option<f64>,
}

impl EvalReport {
    /// A mean ± std table (Markdown).
    pub fn table(&self) -> String {
        let row = |name: &str, s: &Summary| format!("| {name} | {:.4} ± {:.4} |\n", s.mean, s.std);
        let mut t = format!(
            "{} windows of {PROMPT}+{GENERATED} tokens from {} items\n\n| metric | mean ± std |\n|---|---|\n",
            self.windows, self.items
        );
        t += &row("Hamming ↓", &self.hamming);
        t += &row("cosine ↑", &self.cosine);
        t += &row("BLEU ↑", &self.bleu);
        t += &row("next-token accuracy ↑", &self.accuracy);
        t += &row("cross-entropy (nats) ↓", &self.cross_entropy);
        if let (Some(n), Some(acc), Some(loss)) = (
            self.next_token_windows,
            self.next_token_accuracy,
            self.next_token_loss,
        ) {
            t += &format!(
                "\nteacher-forced on {n} SPEC §5 windows: next-token accuracy {:.2} %, loss {loss:.4} nats\n",
                100.0 * acc
            );
        }
        if let Some(a) = self.next_token_agreement {
            t += &format!(
                "top-1 agreement with the other model on those windows: {:.2} %\n",
                100.0 * a
            );
        }
        t
    }

    /// The report with the top-1 agreement of [`agreement`].
    pub fn with_agreement(self, a: Agreement) -> Self {
        EvalReport {
            next_token_agreement: Some(a.rate()),
            ..self
        }
    }

    /// The report with the teacher-forced scores of `next` (from [`next_token`]).
    pub fn with_next_token(self, next: NextToken) -> Self {
        EvalReport {
            next_token_windows: Some(next.windows),
            next_token_accuracy: Some(next.accuracy()),
            next_token_loss: Some(next.loss()),
            ..self
        }
    }
}

/// The windows [`next_token`] scores: SPEC §5's, `seq_len` contexts every `stride` tokens (the
/// trainer's validation windows by default: 128 every 32).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextTokenOptions {
    /// Contexts per window.
    pub seq_len: usize,
    /// Tokens between window starts.
    pub stride: usize,
}

impl Default for NextTokenOptions {
    fn default() -> Self {
        NextTokenOptions {
            seq_len: 128,
            stride: 32,
        }
    }
}

/// Teacher-forced next-token totals over windows.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NextToken {
    /// Windows scored.
    pub windows: usize,
    /// Windows whose most likely next token (first on ties) is the target.
    pub correct: usize,
    /// Sum of the targets' cross-entropies, in nats.
    pub loss_sum: f64,
}

impl NextToken {
    /// Fraction of exact predictions (NaN without windows).
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.windows as f64
    }

    /// Mean cross-entropy (NaN without windows).
    pub fn loss(&self) -> f64 {
        self.loss_sum / self.windows as f64
    }

    fn add(mut self, other: NextToken) -> Self {
        self.windows += other.windows;
        self.correct += other.correct;
        self.loss_sum += other.loss_sum;
        self
    }
}

/// Scores the next token of every SPEC §5 window of one item, teacher-forced.
pub fn next_token_item<P: Predictor + ?Sized>(
    item: &Item,
    options: &NextTokenOptions,
    predictor: &mut P,
) -> Result<NextToken, EvalError> {
    let ctxs: Vec<Context> = contexts(&item.tokens).collect();
    let mut out = NextToken::default();
    if ctxs.is_empty() {
        return Ok(out);
    }
    let mut window = Vec::with_capacity(options.seq_len);
    let mut logits = [0.0f32; VOCAB_SIZE];
    for start in crate::windows::starts(ctxs.len(), options.stride) {
        let (contexts, target) = crate::windows::window(&ctxs, start, options.seq_len);
        window.clear();
        window.extend(contexts.copied());
        predictor.logits(&window, &mut logits)?;
        out.windows += 1;
        out.correct += usize::from(argmax(&logits) == usize::from(target));
        out.loss_sum += nll(&logits, target);
    }
    Ok(out)
}

/// [`next_token_item`] over `items` on all cores (one predictor per worker made by `make`);
/// `on_item` is called after each item.
pub fn next_token<P, F>(
    items: &[&Item],
    options: &NextTokenOptions,
    make: F,
    on_item: impl Fn() + Sync,
) -> Result<NextToken, EvalError>
where
    P: Predictor,
    F: Fn() -> P + Sync,
{
    let per_item = per_item_parallel(items, make, on_item, |item, p| {
        next_token_item(item, options, p)
    })?;
    if per_item.iter().all(|n| n.windows == 0) {
        return Err(EvalError::NoWindows);
    }
    Ok(per_item
        .into_iter()
        .fold(NextToken::default(), NextToken::add))
}

/// Teacher-forced top-1 agreement of two models over windows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Agreement {
    /// Windows scored.
    pub windows: usize,
    /// Windows where both models' most likely next token (first on ties) is the same.
    pub agree: usize,
}

impl Agreement {
    /// Fraction of windows where the two models agree (NaN without windows).
    pub fn rate(&self) -> f64 {
        self.agree as f64 / self.windows as f64
    }
}

/// Compares the most likely next token of `a` and `b` on every SPEC §5 window of one item
/// (the windows of [`next_token_item`]).
pub fn agreement_item<A: Predictor + ?Sized, B: Predictor + ?Sized>(
    item: &Item,
    options: &NextTokenOptions,
    a: &mut A,
    b: &mut B,
) -> Result<Agreement, EvalError> {
    let ctxs: Vec<Context> = contexts(&item.tokens).collect();
    let mut out = Agreement::default();
    if ctxs.is_empty() {
        return Ok(out);
    }
    let mut window = Vec::with_capacity(options.seq_len);
    let (mut la, mut lb) = ([0.0f32; VOCAB_SIZE], [0.0f32; VOCAB_SIZE]);
    for start in crate::windows::starts(ctxs.len(), options.stride) {
        window.clear();
        window.extend(
            crate::windows::window(&ctxs, start, options.seq_len)
                .0
                .copied(),
        );
        a.logits(&window, &mut la)?;
        b.logits(&window, &mut lb)?;
        out.windows += 1;
        out.agree += usize::from(argmax(&la) == argmax(&lb));
    }
    Ok(out)
}

/// [`agreement_item`] over `items` on all cores (one pair of predictors per worker, made by
/// `make_a` and `make_b`); `on_item` is called after each item.
pub fn agreement<A, B, FA, FB>(
    items: &[&Item],
    options: &NextTokenOptions,
    make_a: FA,
    make_b: FB,
    on_item: impl Fn() + Sync,
) -> Result<Agreement, EvalError>
where
    A: Predictor,
    B: Predictor,
    FA: Fn() -> A + Sync,
    FB: Fn() -> B + Sync,
{
    let per_item = per_item_parallel(
        items,
        || (make_a(), make_b()),
        on_item,
        |item, (a, b)| agreement_item(item, options, a, b),
    )?;
    let total = per_item
        .into_iter()
        .fold(Agreement::default(), |t, x| Agreement {
            windows: t.windows + x.windows,
            agree: t.agree + x.agree,
        });
    if total.windows == 0 {
        return Err(EvalError::NoWindows);
    }
    Ok(total)
}

/// Window start positions of an item of `len` tokens: `0, 80, 160, …` below `len`.
pub fn window_starts(len: usize) -> impl Iterator<Item = usize> {
    (0..len).step_by(STRIDE)
}

/// Scores one window of `item` (whose contexts are `ctxs`) starting at `start`.
pub fn score_window<P: Predictor + ?Sized>(
    item: &Item,
    ctxs: &[Context],
    start: usize,
    predictor: &mut P,
) -> Result<WindowScore, EvalError> {
    let n = item.tokens.len();
    let mut window: Vec<Context> = (start..start + PROMPT).map(|i| ctxs[i % n]).collect();
    // The cursor after the last prompt token: replay the item's history up to it.
    let last = (start + PROMPT - 1) % n;
    let mut cursor = Cursor::new();
    for &t in &item.tokens[..=last] {
        cursor.push(t);
    }
    let mut generated = Vec::with_capacity(GENERATED * CONTEXT_CELLS);
    let mut target = Vec::with_capacity(GENERATED * CONTEXT_CELLS);
    let mut hits = 0usize;
    let mut cross_entropy = 0.0;
    let mut logits = [0.0f32; VOCAB_SIZE];
    for j in 0..GENERATED {
        predictor.logits(&window, &mut logits)?;
        let truth = ctxs[(start + PROMPT + j) % n];
        if j == 0 {
            cross_entropy = nll(&logits, truth[CENTRE]);
        }
        let token = argmax(&logits) as u8;
        let ctx = cursor.push(token);
        hits += usize::from(token == truth[CENTRE]);
        generated.extend_from_slice(&ctx);
        target.extend_from_slice(&truth);
        window.push(ctx);
    }
    let as_str = |v: &[u8]| {
        v.iter()
            .map(std::string::ToString::to_string)
            .collect::<Vec<_>>()
    };
    Ok(WindowScore {
        hamming: hamming(&generated, &target)?,
        cosine: cosine_similarity(&generated, &target)?,
        bleu: bleu(&as_str(&target), &as_str(&generated)),
        accuracy: hits as f64 / GENERATED as f64,
        cross_entropy,
    })
}

/// Negative log-likelihood of `target` under softmax(`logits`), in f64.
fn nll(logits: &[f32; VOCAB_SIZE], target: u8) -> f64 {
    let max = logits
        .iter()
        .fold(f64::NEG_INFINITY, |m, &x| m.max(f64::from(x)));
    let sum: f64 = logits.iter().map(|&x| (f64::from(x) - max).exp()).sum();
    sum.ln() + max - f64::from(logits[target as usize])
}

/// Scores every window of one item.
pub fn score_item<P: Predictor + ?Sized>(
    item: &Item,
    options: &EvalOptions,
    predictor: &mut P,
) -> Result<Vec<WindowScore>, EvalError> {
    let ctxs: Vec<Context> = contexts(&item.tokens).collect();
    let limit = options.max_windows_per_item.unwrap_or(usize::MAX);
    window_starts(item.tokens.len())
        .take(limit)
        .map(|start| score_window(item, &ctxs, start, predictor))
        .collect()
}

/// Aggregates window scores into a report.
pub fn summarise(items: usize, scores: &[WindowScore]) -> Result<EvalReport, EvalError> {
    if scores.is_empty() {
        return Err(EvalError::NoWindows);
    }
    let mut acc: [MeanStd; 5] = Default::default();
    for s in scores {
        for (m, v) in acc
            .iter_mut()
            .zip([s.hamming, s.cosine, s.bleu, s.accuracy, s.cross_entropy])
        {
            m.push(v);
        }
    }
    Ok(EvalReport {
        items,
        windows: scores.len(),
        hamming: (&acc[0]).into(),
        cosine: (&acc[1]).into(),
        bleu: (&acc[2]).into(),
        accuracy: (&acc[3]).into(),
        cross_entropy: (&acc[4]).into(),
        next_token_windows: None,
        next_token_accuracy: None,
        next_token_loss: None,
        next_token_agreement: None,
    })
}

/// Evaluates `items` sequentially with one predictor.
pub fn evaluate<P: Predictor + ?Sized>(
    items: &[&Item],
    options: &EvalOptions,
    predictor: &mut P,
) -> Result<EvalReport, EvalError> {
    let mut scores = Vec::new();
    for item in items {
        scores.extend(score_item(item, options, predictor)?);
    }
    summarise(items.len(), &scores)
}

/// `score(item, predictor)` for every item on all cores, one predictor per worker made by
/// `make`, calling `on_item` after each item; results in item order.
fn per_item_parallel<P, F, T>(
    items: &[&Item],
    make: F,
    on_item: impl Fn() + Sync,
    score: impl Fn(&Item, &mut P) -> Result<T, EvalError> + Sync,
) -> Result<Vec<T>, EvalError>
where
    F: Fn() -> P + Sync,
    T: Send,
{
    use rayon::prelude::*;
    items
        .par_iter()
        .map_init(&make, |p, item| {
            let r = score(item, p);
            on_item();
            r
        })
        .collect()
}

/// Evaluates `items` on all cores, one predictor per worker made by `make`; `on_item` is called
/// after each item (for a progress bar).
pub fn evaluate_parallel<P, F>(
    items: &[&Item],
    options: &EvalOptions,
    make: F,
    on_item: impl Fn() + Sync,
) -> Result<EvalReport, EvalError>
where
    P: Predictor,
    F: Fn() -> P + Sync,
{
    let per_item = per_item_parallel(items, make, on_item, |item, p| score_item(item, options, p))?;
    summarise(items.len(), &per_item.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A predictor that always knows the next true token (an oracle) must score perfectly.
    struct Oracle<'a> {
        item: &'a Item,
        start: usize,
        calls: usize,
    }

    impl Predictor for Oracle<'_> {
        fn logits(
            &mut self,
            window: &[Context],
            out: &mut [f32; VOCAB_SIZE],
        ) -> Result<(), EvalError> {
            let n = self.item.tokens.len();
            let next = self.item.tokens[(self.start + window.len()) % n];
            out.fill(0.0);
            out[next as usize] = 1.0;
            self.calls += 1;
            Ok(())
        }
    }

    /// Knows the target of every SPEC §5 window of `item` (it reads the window's position back
    /// from its first context).
    struct NextOracle {
        ctxs: Vec<Context>,
        seq_len: usize,
    }

    impl Predictor for NextOracle {
        fn logits(
            &mut self,
            window: &[Context],
            out: &mut [f32; VOCAB_SIZE],
        ) -> Result<(), EvalError> {
            let n = self.ctxs.len();
            let start = (0..n)
                .find(|&s| (0..window.len()).all(|j| self.ctxs[(s + j) % n] == window[j]))
                .expect("a window of the item");
            out.fill(0.0);
            out[self.ctxs[(start + self.seq_len) % n][CENTRE] as usize] = 30.0;
            Ok(())
        }
    }

    #[test]
    fn next_token_counts_every_window_and_scores_an_oracle_perfectly() {
        let it = item();
        let options = NextTokenOptions {
            seq_len: 40,
            stride: 32,
        };
        let ctxs: Vec<Context> = contexts(&it.tokens).collect();
        let make = || NextOracle {
            ctxs: ctxs.clone(),
            seq_len: 40,
        };
        let r = next_token(&[&it, &it], &options, make, || {}).expect("score");
        let per_item = it.tokens.len().div_ceil(32);
        assert_eq!(r.windows, 2 * per_item);
        assert_eq!(r.correct, r.windows);
        assert!(r.loss() < 1e-3, "{}", r.loss());
        // A predictor that knows nothing: uniform logits, loss ln(113), accuracy of token 0.
        struct Flat;
        impl Predictor for Flat {
            fn logits(
                &mut self,
                _: &[Context],
                out: &mut [f32; VOCAB_SIZE],
            ) -> Result<(), EvalError> {
                out.fill(0.0);
                Ok(())
            }
        }
        let r = next_token(&[&it], &options, || Flat, || {}).expect("score");
        assert!((r.loss() - (VOCAB_SIZE as f64).ln()).abs() < 1e-9);
        assert!(next_token(&[], &options, || Flat, || {}).is_err());
    }

    fn item() -> Item {
        item_with_caption(150)
    }

    fn item_with_caption(len: usize) -> Item {
        let caption: Vec<u8> = (0..len).map(|i| 32 + (i * 7 % 26) as u8).collect();
        let image: Vec<u8> = (0..12).map(|i| 58 + (i * 5 % 55) as u8).collect();
        Item::new(1, "Test".into(), 3, 4, &image, &caption).unwrap()
    }

    #[test]
    fn oracle_scores_perfectly_including_wrapped_windows() {
        // The last window wraps inside the prompt (150) or inside the generated part (205).
        for (caption, rest) in [(150, 13), (205, 68)] {
            let item = item_with_caption(caption);
            let ctxs: Vec<Context> = contexts(&item.tokens).collect();
            let n = item.tokens.len();
            assert_eq!(n % STRIDE, rest);
            for start in window_starts(n) {
                let mut oracle = Oracle {
                    item: &item,
                    start,
                    calls: 0,
                };
                let s = score_window(&item, &ctxs, start, &mut oracle).unwrap();
                assert_eq!(oracle.calls, GENERATED);
                assert_eq!(
                    (s.hamming, s.accuracy, s.bleu),
                    (0.0, 1.0, 1.0),
                    "window at {start}"
                );
                assert!((s.cosine - 1.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn a_constant_predictor_scores_badly() {
        struct Constant;
        impl Predictor for Constant {
            fn logits(
                &mut self,
                _: &[Context],
                out: &mut [f32; VOCAB_SIZE],
            ) -> Result<(), EvalError> {
                out.fill(0.0);
                out[112] = 5.0;
                Ok(())
            }
        }
        let item = item();
        let r = evaluate(&[&item], &EvalOptions::default(), &mut Constant).unwrap();
        assert_eq!(r.windows, item.tokens.len().div_ceil(STRIDE));
        assert!(r.accuracy.mean < 0.1 && r.hamming.mean > 0.2, "{r:?}");
        // Uniform-ish logits: cross-entropy is about ln(113) minus the favoured token's share.
        assert!(r.cross_entropy.mean > 1.0);
    }

    #[test]
    fn core_predictor_cache_matches_a_fresh_forward() {
        use pxby_core::{
            config::ModelConfig,
            format::{Metadata, write_model},
            quant::WeightType,
        };
        let cfg = ModelConfig {
            dim: 27,
            d_state: 8,
            ..ModelConfig::PAPER_BEST
        };
        let owned: Vec<(&str, Vec<f32>)> = cfg
            .tensors()
            .map(|t| {
                (
                    t.name,
                    (0..t.len())
                        .map(|i| ((i * 7919 % 101) as f32 - 50.0) / 150.0)
                        .collect(),
                )
            })
            .collect();
        let list: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
        let bytes = write_model(&cfg, &Metadata::default(), WeightType::F32, &list).unwrap();
        let model = Model::from_bytes(&bytes).unwrap();
        let item = item();
        let ctxs: Vec<Context> = contexts(&item.tokens).collect();
        let mut cached = CorePredictor::new(&model);
        let (mut a, mut b) = ([0.0; VOCAB_SIZE], [0.0; VOCAB_SIZE]);
        // Growing windows, then an unrelated one (cache miss), then growing again.
        for w in [
            &ctxs[..64],
            &ctxs[..65],
            &ctxs[..66],
            &ctxs[80..144],
            &ctxs[80..145],
        ] {
            cached.logits(w, &mut a).unwrap();
            CorePredictor::new(&model).logits(w, &mut b).unwrap();
            assert_eq!(a, b);
        }
    }

    /// An integer file (calibrated on `item`) of a small random model, and its f32 file.
    fn int_and_f32_files(item: &Item) -> (Vec<u8>, Vec<u8>) {
        use pxby_core::calibrate::{calibrate, write_int_model};
        use pxby_core::config::ModelConfig;
        use pxby_core::format::{Metadata, random_weights, write_model};
        let cfg = ModelConfig {
            dim: 27,
            d_state: 8,
            ..ModelConfig::PAPER_BEST
        };
        let w = random_weights(&cfg, 11, 1.0);
        let list: Vec<(&str, &[f32])> = w.iter().map(|(n, v)| (*n, v.as_slice())).collect();
        let f32_file = write_model(&cfg, &Metadata::default(), WeightType::F32, &list).unwrap();
        let ctxs: Vec<Context> = contexts(&item.tokens).collect();
        let ranges = calibrate(
            &Model::from_bytes(&f32_file).unwrap(),
            [&ctxs[..128], &ctxs[64..]],
        )
        .unwrap();
        let int_file = write_int_model(&cfg, &Metadata::default(), &list, &ranges).unwrap();
        (int_file, f32_file)
    }

    #[test]
    fn integer_files_run_the_integer_path_and_its_cache_changes_nothing() {
        let item = item();
        let (int_file, f32_file) = int_and_f32_files(&item);
        let model = Model::from_bytes(&int_file).unwrap();
        assert_eq!(model.weights(), WeightType::Int);
        // The f32 path refuses integer files: what eval called before.
        let mut scratch = vec![0.0; model.scratch_len_for(4)];
        let ctxs: Vec<Context> = contexts(&item.tokens).collect();
        assert!(
            model
                .logits_for(&ctxs[..4], &mut scratch, &mut [0.0; VOCAB_SIZE])
                .is_err()
        );
        let mut cached = CorePredictor::new(&model);
        let mut got = [0.0f32; VOCAB_SIZE];
        let mut want = [0i32; VOCAB_SIZE];
        let mut scratch = Vec::new();
        // Growing windows, an unrelated one, SPEC §5 windows 32 apart (a shifted overlap),
        // wrapping windows, a shorter one and an empty one.
        let wrap: Vec<Context> = ctxs[150..].iter().chain(&ctxs[..40]).copied().collect();
        let n = ctxs.len();
        let windows: Vec<Vec<Context>> = vec![
            ctxs[..64].to_vec(),
            ctxs[..65].to_vec(),
            ctxs[80..144].to_vec(),
            ctxs[0..128].to_vec(),
            ctxs[32..160].to_vec(),
            ctxs[64..n].to_vec(),
            wrap.clone(),
            wrap[8..].to_vec(),
            ctxs[70..72].to_vec(),
            vec![],
        ];
        for w in &windows {
            cached.logits(w, &mut got).unwrap();
            scratch.resize(model.int_scratch_len_for(w.len()), 0);
            model.int_logits_for(w, &mut scratch, &mut want).unwrap();
            let want_f32 = want.map(|v| v as f32 / (1u32 << LOGIT_BITS) as f32);
            assert_eq!(got, want_f32, "window of {}", w.len());
            // A fresh predictor gives the same.
            let mut fresh = [0.0f32; VOCAB_SIZE];
            CorePredictor::new(&model).logits(w, &mut fresh).unwrap();
            assert_eq!(fresh, got);
        }
        // SPEC §8 and the teacher-forced windows score an integer file; it mostly agrees with
        // its f32 file (random weights, calibrated on this item) and fully with itself.
        let r = evaluate(
            &[&item],
            &EvalOptions::default(),
            &mut CorePredictor::new(&model),
        )
        .unwrap();
        assert!(r.bleu.mean > 0.0 && r.hamming.mean <= 1.0, "{r:?}");
        let opts = NextTokenOptions::default();
        let next = next_token(&[&item], &opts, || CorePredictor::new(&model), || {}).unwrap();
        assert_eq!(next.windows, n.div_ceil(32));
        assert!(next.loss().is_finite());
        let f32_model = Model::from_bytes(&f32_file).unwrap();
        let same = agreement(
            &[&item],
            &opts,
            || CorePredictor::new(&model),
            || CorePredictor::new(&model),
            || {},
        )
        .unwrap();
        assert_eq!((same.windows, same.agree), (next.windows, next.windows));
        let vs_f32 = agreement(
            &[&item],
            &opts,
            || CorePredictor::new(&model),
            || CorePredictor::new(&f32_model),
            || {},
        )
        .unwrap();
        assert!(vs_f32.rate() >= 0.5, "{vs_f32:?}");
        let report = r.with_next_token(next).with_agreement(vs_f32);
        assert!(report.table().contains("top-1 agreement"));
    }

    #[test]
    fn nll_is_log_softmax() {
        let mut l = [0.0f32; VOCAB_SIZE];
        assert!((nll(&l, 3) - (VOCAB_SIZE as f64).ln()).abs() < 1e-12);
        l[3] = 1000.0;
        assert!(nll(&l, 3).abs() < 1e-12);
    }

    #[test]
    fn empty_split_is_an_error() {
        assert!(matches!(
            evaluate(&[], &EvalOptions::default(), &mut CoreLess),
            Err(EvalError::NoWindows)
        ));
    }

    struct CoreLess;
    impl Predictor for CoreLess {
        fn logits(&mut self, _: &[Context], _: &mut [f32; VOCAB_SIZE]) -> Result<(), EvalError> {
            Err(EvalError::Predictor("unused".into()))
        }
    }
}

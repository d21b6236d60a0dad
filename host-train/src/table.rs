//! `host-train table`: the paper's Table 1 and Figure 2 regenerated on our data.
//!
//! The fifteen configurations of [`rows`] are trained one after the other with ONE budget
//! ([`TableOptions`]) through the ordinary training loop ([`crate::train::train`]: run
//! directories, checkpoints, resume) and scored with the shared SPEC §8 evaluation
//! ([`pxby_tools::eval::evaluate`] over [`crate::eval::TchPredictor`]). Layout of `--out`:
//!
//! ```text
//! OUT/runs/NAME/           a normal run directory (run.json, checkpoint, best model, metrics.csv)
//! OUT/runs/NAME/result.json   the row's result; a row whose result exists is not retrained
//! OUT/table1.md            ours beside the paper's numbers (rewritten after every row)
//! OUT/figure2.png          loss, accuracy, F1 per epoch of the best RNN, attention and SSM
//! ```
//!
//! A killed sweep continues where it stopped: finished rows are read back, the row in progress
//! resumes from its last checkpoint. Asking for more `--epochs` than a finished row has extends
//! it (resume + new evaluation); a resumed run keeps its saved settings (steps per epoch,
//! batch, window) apart from the epoch count and the learning rate.

use std::path::{Path, PathBuf};
use std::time::Instant;

use plotters::prelude::*;
use pxby_core::config::{Embed, ModelConfig};
use pxby_core::vocab::VOCAB_SIZE;
use pxby_data::dataset::{Dataset, Split};
use pxby_data::eval::{EvalOptions, Summary, evaluate};
use serde::{Deserialize, Serialize};
use tch::Device;

use crate::error::{Error, Result};
use crate::eval::TchPredictor;
use crate::model::{FamilyKind, ModelSpec};
use crate::plot::{Curve, epoch_chart};
use crate::run::{EpochRecord, RunConfig, Schedule, files, write_atomic};
use crate::train::{TrainData, TrainOptions, load_model, train};

/// File of a row's result inside its run directory.
pub const RESULT: &str = "result.json";

/// Positional encoding of the attention rows (`--positions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PositionsArg {
    /// None, as in the paper.
    None,
    /// Learned absolute positions.
    Learned,
    /// Sinusoidal positions.
    Sinusoidal,
}

impl PositionsArg {
    fn family(self) -> FamilyKind {
        match self {
            PositionsArg::None => FamilyKind::Attention,
            PositionsArg::Learned => FamilyKind::AttentionLearned,
            PositionsArg::Sinusoidal => FamilyKind::AttentionSinusoidal,
        }
    }
}

/// The paper's numbers for one row (mean, std).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PaperRow {
    /// Hamming distance.
    pub hamming: (f64, f64),
    /// Cosine similarity.
    pub cosine: (f64, f64),
    /// BLEU.
    pub bleu: (f64, f64),
}

/// One row of Table 1: a model and the paper's scores for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Short unique name (run directory, `--only`).
    pub name: &'static str,
    /// The model.
    pub spec: ModelSpec,
    /// The paper's scores.
    pub paper: PaperRow,
    /// A remark printed under the table, if any.
    pub note: Option<&'static str>,
}

const fn cfg(dim: u16, d_state: u16, depth: u8, bidirectional: bool, embed: Embed) -> ModelConfig {
    ModelConfig {
        vocab: VOCAB_SIZE as u16,
        dim,
        d_state,
        depth,
        bidirectional,
        embed,
    }
}

/// The fifteen rows of the paper's Table 1, in its order; the attention rows use `attention`.
pub fn rows(attention: FamilyKind) -> Vec<Row> {
    use Embed::{Center, PxBy, PxByNoConv};
    use FamilyKind::{Rnn, Ssm};
    let p = |h: (f64, f64), c: (f64, f64), b: (f64, f64)| PaperRow {
        hamming: h,
        cosine: c,
        bleu: b,
    };
    let row = |name, family, config, paper| Row {
        name,
        spec: ModelSpec { family, config },
        paper,
        note: None,
    };
    let mut rows = vec![
        row(
            "ssm-bi-1",
            Ssm,
            cfg(81, 64, 1, true, PxBy),
            p((0.170, 0.086), (0.883, 0.105), (0.753, 0.115)),
        ),
        row(
            "ssm-bi-2",
            Ssm,
            cfg(81, 64, 2, true, PxBy),
            p((0.158, 0.074), (0.896, 0.095), (0.771, 0.097)),
        ),
        row(
            "ssm-uni-2",
            Ssm,
            cfg(81, 64, 2, false, PxBy),
            p((0.166, 0.081), (0.886, 0.102), (0.760, 0.106)),
        ),
        row(
            "att-1",
            attention,
            cfg(81, 64, 1, true, PxBy),
            p((0.157, 0.064), (0.887, 0.103), (0.765, 0.088)),
        ),
        row(
            "att-2",
            attention,
            cfg(81, 64, 2, true, PxBy),
            p((0.159, 0.066), (0.887, 0.103), (0.760, 0.092)),
        ),
        row(
            "rnn-center",
            Rnn,
            cfg(81, 64, 2, true, Center),
            p((0.185, 0.074), (0.888, 0.083), (0.750, 0.093)),
        ),
        row(
            "rnn-noconv",
            Rnn,
            cfg(81, 64, 2, true, PxByNoConv),
            p((0.153, 0.061), (0.902, 0.090), (0.777, 0.083)),
        ),
        row(
            "rnn-in162",
            Rnn,
            cfg(162, 64, 2, true, PxBy),
            p((0.152, 0.062), (0.905, 0.089), (0.778, 0.084)),
        ),
        row(
            "rnn-in36",
            Rnn,
            cfg(36, 64, 2, true, PxBy),
            p((0.152, 0.061), (0.904, 0.090), (0.778, 0.083)),
        ),
        row(
            "rnn-state128",
            Rnn,
            cfg(81, 128, 2, true, PxBy),
            p((0.153, 0.063), (0.903, 0.091), (0.776, 0.086)),
        ),
        row(
            "rnn-state32",
            Rnn,
            cfg(81, 32, 2, true, PxBy),
            p((0.149, 0.062), (0.899, 0.095), (0.785, 0.082)),
        ),
        row(
            "rnn-depth1",
            Rnn,
            cfg(81, 64, 1, true, PxBy),
            p((0.149, 0.062), (0.897, 0.096), (0.780, 0.085)),
        ),
        row(
            "rnn-depth3",
            Rnn,
            cfg(81, 64, 3, true, PxBy),
            p((0.153, 0.063), (0.906, 0.087), (0.776, 0.086)),
        ),
        row(
            "rnn-base",
            Rnn,
            cfg(81, 64, 2, true, PxBy),
            p((0.151, 0.062), (0.903, 0.090), (0.779, 0.084)),
        ),
        row(
            "rnn-uni",
            Rnn,
            cfg(81, 64, 2, false, PxBy),
            p((0.153, 0.064), (0.904, 0.088), (0.777, 0.087)),
        ),
    ];
    rows[13].note = Some(
        "the paper prints this row as `Bi PxBy N 81 64 2`, a duplicate of row 7; every other RNN \
         row changes one setting of `Bi PxBy Y 81 64 2`, so we read it as that base configuration",
    );
    rows[5].note = Some("centre embedding: no convolution exists, the paper's `Y` does not apply");
    rows
}

/// The sweep's budget and where it goes.
#[derive(Clone, Debug, clap::Args)]
pub struct TableOptions {
    /// Dataset file (pxby-tools format).
    #[arg(long)]
    pub data: PathBuf,
    /// Output folder (run directories, table1.md, figure2.png).
    #[arg(long)]
    pub out: PathBuf,
    /// Epochs per configuration.
    #[arg(long, default_value_t = 4)]
    pub epochs: u32,
    /// Optimiser steps per epoch (the same for every configuration).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_steps_per_epoch: u64,
    /// Validation items used for the per-epoch validation and the SPEC §8 evaluation (the first
    /// N of the split).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..))]
    pub eval_items: u64,
    /// SPEC §8 windows per evaluated item (at most).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..))]
    pub windows_per_item: u64,
    /// Training window length (64 = the evaluation's prompt).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub seq_len: u32,
    /// Training window stride.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    pub stride: u32,
    /// Batch size (the paper's 32).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch: u32,
    /// AdamW learning rate (the paper's 1e-3).
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Positional encoding of the attention rows.
    #[arg(long, value_enum, default_value_t = PositionsArg::None)]
    pub positions: PositionsArg,
    /// Train and evaluate only this row (by name); the table still lists every row.
    #[arg(long)]
    pub only: Option<String>,
    /// auto (CUDA when available), cpu or cuda.
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Seed of every row.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// No per-epoch lines.
    #[arg(long)]
    pub quiet: bool,
}

/// Mean and standard deviation, as stored in `result.json`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    /// Mean.
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
}

impl From<Summary> for MeanStd {
    fn from(s: Summary) -> Self {
        MeanStd {
            mean: s.mean,
            std: s.std,
        }
    }
}

/// What a finished row stores in `result.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RowResult {
    /// Row name.
    pub name: String,
    /// The model trained.
    pub spec: ModelSpec,
    /// Number of trainable parameters.
    pub params: u64,
    /// Epochs trained.
    pub epochs: u32,
    /// Epoch of the evaluated (best-by-validation-loss) model.
    pub best_epoch: u32,
    /// Its validation loss.
    pub best_val_loss: f64,
    /// Seconds of training, per-epoch validation included.
    pub train_seconds: f64,
    /// Seconds of the SPEC §8 evaluation.
    pub eval_seconds: f64,
    /// Items and windows evaluated.
    pub eval_items: usize,
    /// Windows evaluated.
    pub eval_windows: usize,
    /// Hamming distance.
    pub hamming: MeanStd,
    /// Cosine similarity.
    pub cosine: MeanStd,
    /// BLEU.
    pub bleu: MeanStd,
    /// Next-token accuracy of the 16 generated centre tokens.
    pub accuracy: MeanStd,
    /// Per-epoch history (Figure 2).
    pub history: Vec<EpochRecord>,
}

impl RowResult {
    fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        serde_json::from_str(&text).map_err(|source| Error::Json {
            path: path.to_path_buf(),
            source,
        })
    }

    fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|source| Error::Json {
            path: path.to_path_buf(),
            source,
        })?;
        write_atomic(path, text.as_bytes())
    }
}

fn row_dir(out: &Path, name: &str) -> PathBuf {
    out.join("runs").join(name)
}

/// Reads the results that exist under `out`, one slot per row.
pub fn load_results(out: &Path, rows: &[Row]) -> Result<Vec<Option<RowResult>>> {
    rows.iter()
        .map(|r| {
            let path = row_dir(out, r.name).join(RESULT);
            if path.exists() {
                RowResult::load(&path).map(Some)
            } else {
                Ok(None)
            }
        })
        .collect()
}

/// Trains and evaluates one row in `dir` (resuming a run already there).
pub fn run_row(
    row: &Row,
    opts: &TableOptions,
    data: &TrainData,
    ds: &Dataset,
    device: Device,
    dir: &Path,
) -> Result<RowResult> {
    let cfg = RunConfig {
        model: row.spec,
        data: opts.data.clone(),
        dataset_hash: data.dataset_hash.clone(),
        seq_len: opts.seq_len as usize,
        stride: opts.stride as usize,
        val_stride: None,
        batch: opts.batch as usize,
        lr: opts.lr,
        weight_decay: 0.01,
        epochs: opts.epochs,
        patience: None,
        max_steps: Some(opts.max_steps_per_epoch),
        limit_items: None,
        seed: opts.seed,
    };
    let resume = dir.join(files::RUN).exists();
    let topts = TrainOptions {
        out: dir.to_path_buf(),
        device,
        resume: resume.then(Schedule::default),
        progress: false,
        verbose: !opts.quiet,
    };
    let state = train(cfg, data, &topts)?;
    let (built, _) = load_model(&dir.join(files::BEST), device)?;
    let params: u64 = built.vars.values().map(|t| t.numel() as u64).sum();
    let items: Vec<_> = ds
        .split(Split::Val)
        .filter(|it| !it.tokens.is_empty())
        .take(opts.eval_items as usize)
        .collect();
    let options = EvalOptions {
        max_windows_per_item: Some(opts.windows_per_item as usize),
    };
    let started = Instant::now();
    let mut predictor = TchPredictor::new(built.model.as_ref(), device);
    let report =
        evaluate(&items, &options, &mut predictor).map_err(|e| Error::Eval(e.to_string()))?;
    Ok(RowResult {
        name: row.name.to_string(),
        spec: row.spec,
        params,
        epochs: state.epoch,
        best_epoch: state.best_epoch,
        best_val_loss: state.best_val_loss,
        train_seconds: state.train_seconds,
        eval_seconds: started.elapsed().as_secs_f64(),
        eval_items: report.items,
        eval_windows: report.windows,
        hamming: report.hamming.into(),
        cosine: report.cosine.into(),
        bleu: report.bleu.into(),
        accuracy: report.accuracy.into(),
        history: state.history,
    })
}

/// The whole sweep: every row (or `--only`), then table1.md and figure2.png.
pub fn run(opts: &TableOptions) -> Result<()> {
    let device = crate::select_device(&opts.device)?;
    let rows = rows(opts.positions.family());
    if let Some(only) = &opts.only
        && !rows.iter().any(|r| r.name == only)
    {
        let names: Vec<_> = rows.iter().map(|r| r.name).collect();
        return Err(Error::Usage(format!(
            "--only {only}: no such row (rows: {})",
            names.join(", ")
        )));
    }
    let ds = Dataset::read(&opts.data).map_err(|e| Error::Dataset {
        path: opts.data.clone(),
        reason: e.to_string(),
    })?;
    let mut data = crate::data::from_dataset(&ds, None);
    data.val.truncate(opts.eval_items as usize);
    std::fs::create_dir_all(&opts.out).map_err(|e| Error::io(&opts.out, e))?;
    let todo: Vec<&Row> = rows
        .iter()
        .filter(|r| opts.only.as_deref().is_none_or(|o| o == r.name))
        .collect();
    println!(
        "table: {} rows, {} epochs x {} steps x batch {} (seq-len {}), validation/evaluation on {} items, device {device:?}",
        todo.len(),
        opts.epochs,
        opts.max_steps_per_epoch,
        opts.batch,
        opts.seq_len,
        data.val.len()
    );
    let sweep = Instant::now();
    let mut fresh = 0usize;
    for (k, row) in todo.iter().enumerate() {
        let dir = row_dir(&opts.out, row.name);
        let result_path = dir.join(RESULT);
        if result_path.exists() {
            let done = RowResult::load(&result_path)?;
            if done.epochs >= opts.epochs {
                println!(
                    "[{}/{}] {}: done before, skipped",
                    k + 1,
                    todo.len(),
                    row.name
                );
                continue;
            }
            // More epochs asked for: the run resumes from its checkpoint and is scored again.
            println!(
                "[{}/{}] {}: extending from {} to {} epochs",
                k + 1,
                todo.len(),
                row.name,
                done.epochs,
                opts.epochs
            );
        }
        println!("[{}/{}] {}: training", k + 1, todo.len(), row.name);
        let started = Instant::now();
        let result = run_row(row, opts, &data, &ds, device, &dir)?;
        result.save(&result_path)?;
        fresh += 1;
        let elapsed = sweep.elapsed().as_secs_f64();
        let left = todo.len() - k - 1;
        println!(
            "[{}/{}] {}: hamming {:.3} cosine {:.3} bleu {:.3} acc {:.3} | {} params | train {:.0} s, eval {:.0} s | row {:.0} s; sweep {:.0} s, ~{:.0} s left for {} rows",
            k + 1,
            todo.len(),
            row.name,
            result.hamming.mean,
            result.cosine.mean,
            result.bleu.mean,
            result.accuracy.mean,
            result.params,
            result.train_seconds,
            result.eval_seconds,
            started.elapsed().as_secs_f64(),
            elapsed,
            elapsed / fresh as f64 * left as f64,
            left
        );
        write_outputs(&opts.out, &rows, opts)?;
    }
    write_outputs(&opts.out, &rows, opts)?;
    println!(
        "wrote {} and {}",
        opts.out.join("table1.md").display(),
        opts.out.join("figure2.png").display()
    );
    Ok(())
}

fn write_outputs(out: &Path, rows: &[Row], opts: &TableOptions) -> Result<()> {
    let results = load_results(out, rows)?;
    write_atomic(
        &out.join("table1.md"),
        markdown(rows, &results, opts).as_bytes(),
    )?;
    figure2(&out.join("figure2.png"), rows, &results)
}

fn type_name(f: FamilyKind) -> &'static str {
    match f {
        FamilyKind::Rnn => "RNN",
        FamilyKind::Attention => "Att",
        FamilyKind::AttentionLearned => "Att+learned pos",
        FamilyKind::AttentionSinusoidal => "Att+sin pos",
        FamilyKind::Ssm => "SSM",
    }
}

fn pm(m: (f64, f64)) -> String {
    format!("{:.3} ± {:.3}", m.0, m.1)
}

fn ours(m: &MeanStd) -> String {
    format!("**{:.3}** ± {:.3}", m.mean, m.std)
}

/// Table 1 in Markdown: ours beside the paper's, missing rows marked.
pub fn markdown(rows: &[Row], results: &[Option<RowResult>], opts: &TableOptions) -> String {
    let mut s = String::new();
    s.push_str("# Table 1 on our data (ours in bold, the paper's beside)\n\n");
    s.push_str(&format!(
        "Budget (every row): {} epochs × {} AdamW steps of batch {} (lr {}, windows of {} every {}), \
         best-by-validation-loss model evaluated (SPEC §8) on the first {} validation items, at most {} windows each; \
         the paper trained 200 epochs on its own data.\n\n",
        opts.epochs,
        opts.max_steps_per_epoch,
        opts.batch,
        opts.lr,
        opts.seq_len,
        opts.stride,
        opts.eval_items,
        opts.windows_per_item
    ));
    s.push_str("| # | Type | Dir. | Emb. | Conv. | In | Mod | Depth | Params | Train s | Hamming ↓ | paper | Cosine ↑ | paper | BLEU ↑ | paper | Next-token acc. | Val loss |\n");
    s.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (i, (row, res)) in rows.iter().zip(results).enumerate() {
        let c = &row.spec.config;
        let emb = match c.embed {
            Embed::Center => "Center",
            _ => "PxBy",
        };
        let conv = match c.embed {
            Embed::PxBy => "Y",
            Embed::PxByNoConv => "N",
            Embed::Center => "–",
        };
        let dir = if c.bidirectional { "Bi" } else { "Uni" };
        let head = format!(
            "| {} | {} | {dir} | {emb} | {conv} | {} | {} | {} |",
            i + 1,
            type_name(row.spec.family),
            c.dim,
            c.d_state,
            c.depth
        );
        let p = &row.paper;
        match res {
            Some(r) => s.push_str(&format!(
                "{head} {} | {:.0} | {} | {} | {} | {} | {} | {} | {:.3} ± {:.3} | {:.3} |\n",
                r.params,
                r.train_seconds,
                ours(&r.hamming),
                pm(p.hamming),
                ours(&r.cosine),
                pm(p.cosine),
                ours(&r.bleu),
                pm(p.bleu),
                r.accuracy.mean,
                r.accuracy.std,
                r.best_val_loss
            )),
            None => s.push_str(&format!(
                "{head} – | – | *not run* | {} | *not run* | {} | *not run* | {} | – | – |\n",
                pm(p.hamming),
                pm(p.cosine),
                pm(p.bleu)
            )),
        }
    }
    let missing: Vec<_> = rows
        .iter()
        .zip(results)
        .filter(|(_, r)| r.is_none())
        .map(|(row, _)| row.name)
        .collect();
    s.push('\n');
    if missing.is_empty() {
        s.push_str("All 15 rows are done.\n");
    } else {
        s.push_str(&format!(
            "Missing rows (not run): {}.\n",
            missing.join(", ")
        ));
    }
    s.push_str("\nNotes:\n");
    for (i, row) in rows.iter().enumerate() {
        if let Some(n) = row.note {
            s.push_str(&format!("- Row {} (`{}`): {n}.\n", i + 1, row.name));
        }
    }
    s.push_str(
        "- Attention and SSM: PxByEmbed to `In` = 81, a linear layer to `Mod` = 64, then the family at width 64 \
         (81 is not a multiple of the 4 heads: PyTorch's `MultiheadAttention(81, 4)` raises). Attention: \
         post-norm encoder layers, ReLU, feed-forward 4·64, dropout 0, no mask. SSM: Mamba blocks \
         (d_inner 128, N 16, conv 4, dt_rank 4); `Bi` = `LayerNorm(m(x) + flip(m(flip(x))))` in layer 1.\n",
    );
    s.push_str(
        "- Train s: wall-clock seconds of training including the per-epoch validation pass, on a shared CPU; \
         the evaluation's next-token accuracy is over the 16 generated centre tokens.\n",
    );
    s.push_str(
        "- Three of the nine context cells are always 0, so unrelated windows already score BLEU ≈ 0.3 (SPEC §8).\n",
    );
    s
}

/// The best row of a family (lowest Hamming distance), for Figure 2.
fn best_of<'a>(
    rows: &'a [Row],
    results: &'a [Option<RowResult>],
    family: fn(FamilyKind) -> bool,
) -> Option<(&'a Row, &'a RowResult)> {
    rows.iter()
        .zip(results)
        .filter_map(|(row, r)| r.as_ref().map(|r| (row, r)))
        .filter(|(row, _)| family(row.spec.family))
        .min_by(|a, b| a.1.hamming.mean.total_cmp(&b.1.hamming.mean))
}

/// Figure 2: loss, accuracy and weighted F1 per epoch (train solid, validation dashed) of the
/// best RNN, attention and SSM rows that exist.
pub fn figure2(path: &Path, rows: &[Row], results: &[Option<RowResult>]) -> Result<()> {
    type IsFamily = fn(FamilyKind) -> bool;
    let families: [(&str, IsFamily, RGBColor); 3] = [
        ("RNN", |f| f == FamilyKind::Rnn, BLUE),
        (
            "Att",
            |f| {
                matches!(
                    f,
                    FamilyKind::Attention
                        | FamilyKind::AttentionLearned
                        | FamilyKind::AttentionSinusoidal
                )
            },
            RED,
        ),
        ("SSM", |f| f == FamilyKind::Ssm, GREEN),
    ];
    let series: Vec<(String, RGBColor, &[EpochRecord])> = families
        .iter()
        .filter_map(|(label, is, colour)| {
            best_of(rows, results, *is)
                .map(|(row, r)| (format!("{label} ({})", row.name), *colour, &r.history[..]))
        })
        .collect();
    crate::plot::write_png_atomic(path, |tmp| draw_figure2(tmp, &series))
}

type Series<'a> = (String, RGBColor, &'a [EpochRecord]);

fn draw_figure2(path: &Path, series: &[Series<'_>]) -> std::result::Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let text = crate::plot::have_font();
    let root = BitMapBackend::new(path, (1500, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let panels = root.split_evenly((1, 3));
    for (panel, curve) in panels.iter().zip(Curve::ALL) {
        let pts = |h: &[EpochRecord], val: bool| -> Vec<(f64, f64)> {
            h.iter()
                .map(|r| {
                    let (t, v) = curve.values(r);
                    (r.epoch as f64, if val { v } else { t })
                })
                .filter(|p| p.1.is_finite())
                .collect()
        };
        let all: Vec<(f64, f64)> = series
            .iter()
            .flat_map(|(_, _, h)| {
                let mut v = pts(h, false);
                v.extend(pts(h, true));
                v
            })
            .collect();
        let mut chart = epoch_chart(panel, curve.title(), &all, text)?;
        for (label, colour, h) in series {
            let colour = *colour;
            let a = chart
                .draw_series(LineSeries::new(pts(h, false), colour.stroke_width(2)))
                .map_err(|e| err(&e))?;
            if text {
                a.label(format!("{label} train"))
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour));
            }
            let b = chart
                .draw_series(DashedLineSeries::new(
                    pts(h, true),
                    6,
                    4,
                    colour.stroke_width(2),
                ))
                .map_err(|e| err(&e))?;
            if text {
                b.label(format!("{label} val (dashed)"))
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.mix(0.5)));
            }
        }
        if text && !series.is_empty() {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font(("sans-serif", 13))
                .draw()
                .map_err(|e| err(&e))?;
        }
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

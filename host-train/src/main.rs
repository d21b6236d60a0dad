//! `host-train`: train, export and evaluate PixelBytes models with tch. See the crate docs.
//!
//! The clap layer: library types carry no clap derive, so the enums taken on the command line
//! have twins here (`*Arg`) that convert into them.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use host_train::export::Weights;
use host_train::model::{FamilyKind, ModelSpec};
use host_train::run::{RunConfig, Schedule};
use host_train::table::{Budget, Positions, TableOptions};
use host_train::train::{TrainOptions, train};
use host_train::{Error, Result, data, select_device};
use pxby_core::config::{Embed, ModelConfig};
use pxby_core::vocab::VOCAB_SIZE;
use pxby_data::dataset::Split;

/// Largest `--dim` and `--d-state`.
const MAX_WIDTH: i64 = 1024;
/// Largest `--depth` (pxby-core's `MAX_DEPTH`).
const MAX_DEPTH: i64 = pxby_core::config::MAX_DEPTH as i64;
/// Largest `--seq-len`.
const MAX_SEQ_LEN: i64 = 1024;
/// `train --seq-len` by default, and the window length of `eval --model --next-token-stride`.
const DEFAULT_SEQ_LEN: u32 = 128;
/// Largest `--batch`.
const MAX_BATCH: i64 = 1024;
/// Largest batch × seq_len × max(dim, d_state): one activation of a training step, in values
/// (64 Mi; the peak memory of a step is a few dozen such tensors).
const MAX_STEP_VALUES: u64 = 1 << 26;

/// `--lr`: a finite number > 0.
fn positive_finite(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("must be a finite number > 0, not {s}")),
    }
}

/// `--weight-decay`: a finite number ≥ 0.
fn non_negative_finite(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("must be a finite number ≥ 0, not {s}")),
    }
}

/// Refuses a training step too large for memory, before anything is allocated.
fn check_step_size(batch: u32, seq_len: u32, width: u16) -> Result<()> {
    let values = u64::from(batch) * u64::from(seq_len) * u64::from(width);
    if values > MAX_STEP_VALUES {
        return Err(Error::Usage(format!(
            "--batch {batch} x --seq-len {seq_len} x width {width} = {values} values per \
             activation, more than {MAX_STEP_VALUES}: lower one of them"
        )));
    }
    Ok(())
}

#[derive(Parser)]
#[command(
    name = "host-train",
    version,
    about = "Train, export and evaluate PixelBytes models (tch)"
)]
struct Cli {
    /// libtorch intra-op threads (1 is fastest for this small model on small machines).
    #[arg(long, global = true, default_value_t = 1)]
    threads: i32,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model (or continue a killed run with --resume).
    Train(TrainArgs),
    /// Write a pxby-core model file from a run.
    Export(ExportArgs),
    /// SPEC §8 evaluation of a run's tch model (shared code of pxby_data::eval).
    Eval(EvalArgs),
    /// Train and evaluate the paper's Table 1 (15 configurations) with one budget; writes
    /// table1.md and figure2.png (resumable).
    Table(TableArgs),
    /// Milliseconds per training step (forward, backward, AdamW) of Table 1 rows on random
    /// windows; the SSM rows with both scans. Prints a Markdown table.
    Bench(BenchArgs),
}

#[derive(Args)]
struct BenchArgs {
    /// Timed steps per row (after two warm-up steps).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10000))]
    steps: u32,
    /// Batch size (1..=1024).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=MAX_BATCH))]
    batch: u32,
    /// Window length (2..=1024).
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u32).range(2..=MAX_SEQ_LEN))]
    seq_len: u32,
    /// Rows to time (names of `host-train table`).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "rnn-base,rnn-state32,att-1,ssm-bi-1,ssm-bi-2"
    )]
    rows: Vec<String>,
    /// auto (CUDA when available), cpu or cuda.
    #[arg(long, default_value = "auto")]
    device: String,
}

fn run_bench(a: BenchArgs, threads: i32) -> Result<()> {
    use host_train::bench::{build_ssm, training_step};
    use host_train::model::mamba::Scan;
    let rows = host_train::table::rows(FamilyKind::Attention);
    let width = rows
        .iter()
        .map(|r| r.spec.config.dim.max(r.spec.config.d_state))
        .max()
        .unwrap_or(0);
    check_step_size(a.batch, a.seq_len, width)?;
    let device = select_device(&a.device)?;
    println!(
        "training step, batch {} x window {}, {} steps after 2 warm-up, {threads} libtorch thread(s), device {device:?}\n",
        a.batch, a.seq_len, a.steps
    );
    println!("| row | family | params | scan | median ms | min | max | × first row |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut first = None;
    for name in &a.rows {
        let row = rows
            .iter()
            .find(|r| r.name == name)
            .ok_or_else(|| Error::Usage(format!("--rows {name}: no such row")))?;
        let mut variants = vec![("–", host_train::train::build_model(&row.spec, device, 0)?)];
        if row.spec.family == FamilyKind::Ssm {
            variants = vec![
                ("stepwise", build_ssm(&row.spec, device, 0, Scan::Stepwise)?),
                (
                    "sequential (before)",
                    build_ssm(&row.spec, device, 0, Scan::Sequential)?,
                ),
            ];
        }
        for (scan, built) in variants {
            let params: i64 = built.vars.values().map(|t| t.numel() as i64).sum();
            let t = training_step(
                &built,
                i64::from(a.batch),
                i64::from(a.seq_len),
                a.steps as usize,
                device,
            )?;
            let base = *first.get_or_insert(t.median);
            println!(
                "| {name} | {:?} | {params} | {scan} | {:.1} | {:.1} | {:.1} | {:.2} |",
                row.spec.family,
                t.median,
                t.min,
                t.max,
                t.median / base
            );
        }
    }
    Ok(())
}

/// `host-train eval`: exactly one of `--run` and `--model` says what is evaluated.
#[derive(Args)]
#[command(group(ArgGroup::new("source").required(true).args(["run", "model"])))]
struct EvalArgs {
    /// Run directory (its tch model is evaluated). Exactly one of --run and --model.
    #[arg(long)]
    run: Option<PathBuf>,
    /// A pxby-core model file (f32, int8 or integer, run by pxby-core). Exactly one of --run
    /// and --model.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Dataset file.
    #[arg(long)]
    data: PathBuf,
    /// Which items.
    #[arg(long, value_enum, default_value_t = SplitArg::Val)]
    split: SplitArg,
    /// Evaluate the best-by-validation-loss model (the default).
    #[arg(long, conflicts_with = "last")]
    best: bool,
    /// Evaluate the last checkpoint instead.
    #[arg(long)]
    last: bool,
    /// At most this many windows per item.
    #[arg(long)]
    max_windows_per_item: Option<usize>,
    /// Instead of SPEC §8: the trainer's loss, next-token accuracy and weighted F1 on every
    /// window of the split starting every N tokens (1 = every token; the trainer validates on
    /// stride 32). With --run: the run's windows and items (its --seq-len and --limit-items);
    /// with --model: windows of --next-token-len contexts over every item of the split.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    next_token_stride: Option<u32>,
    /// With --model and --next-token-stride: contexts per window (1..=1024; default 128, the
    /// trainer's default --seq-len). A run uses its own --seq-len.
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "run",
        requires = "next_token_stride",
        value_parser = clap::value_parser!(u32).range(1..=MAX_SEQ_LEN)
    )]
    next_token_len: Option<u32>,
    /// auto (CUDA when available), cpu or cuda.
    #[arg(long, default_value = "auto")]
    device: String,
}

/// `host-train table`: the budget defaults are the default model's recipe (MODEL_CARD.md).
#[derive(Args)]
struct TableArgs {
    /// Dataset file (pxby-tools format).
    #[arg(long)]
    data: PathBuf,
    /// Results folder (sweep.json, runs/, table1.md, figure2.png).
    #[arg(long)]
    out: PathBuf,
    /// Epochs per row (more than a finished row has extends it).
    #[arg(long, default_value_t = Budget::default().epochs, value_parser = clap::value_parser!(u32).range(1..))]
    epochs: u32,
    /// Optimiser steps per epoch (the same for every row).
    #[arg(long, default_value_t = Budget::default().steps_per_epoch, value_parser = clap::value_parser!(u64).range(1..))]
    max_steps_per_epoch: u64,
    /// Training window length (2..=1024).
    #[arg(long, default_value_t = Budget::default().seq_len as u32, value_parser = clap::value_parser!(u32).range(2..=MAX_SEQ_LEN))]
    seq_len: u32,
    /// Training window stride (1: a fresh random draw of all windows each epoch).
    #[arg(long, default_value_t = Budget::default().stride as u32, value_parser = clap::value_parser!(u32).range(1..))]
    stride: u32,
    /// Validation window stride (SPEC §5's 32).
    #[arg(long, default_value_t = Budget::default().val_stride as u32, value_parser = clap::value_parser!(u32).range(1..))]
    val_stride: u32,
    /// Batch size (the paper's 32; 1..=1024).
    #[arg(long, default_value_t = Budget::default().batch as u32, value_parser = clap::value_parser!(u32).range(1..=MAX_BATCH))]
    batch: u32,
    /// AdamW learning rate (the paper's 1e-3; a finite number > 0).
    #[arg(long, default_value_t = Budget::default().lr, value_parser = positive_finite)]
    lr: f64,
    /// Seed of every row.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Positional encoding of the attention rows.
    #[arg(long, value_enum, default_value_t = PositionsArg::None)]
    positions: PositionsArg,
    /// Score only the first N validation items (default: all).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    eval_items: Option<u64>,
    /// At most N SPEC §8 windows per item (default: every window).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    windows_per_item: Option<u64>,
    /// Train and score only this row (by name); the table still lists every row.
    #[arg(long)]
    only: Option<String>,
    /// Rows trained at once, each in its own process (use the number of cores).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    jobs: u32,
    /// auto (CUDA when available), cpu or cuda.
    #[arg(long, default_value = "auto")]
    device: String,
    /// Use a results folder made with another dataset or budget: its runs are moved aside.
    #[arg(long)]
    force: bool,
    /// No per-epoch lines.
    #[arg(long)]
    quiet: bool,
}

/// Positional encoding of the attention rows.
#[derive(Clone, Copy, ValueEnum)]
enum PositionsArg {
    /// None, as in the paper.
    None,
    /// Learned absolute positions.
    Learned,
    /// Sinusoidal positions.
    Sinusoidal,
}

impl TableArgs {
    fn options(&self) -> TableOptions {
        TableOptions {
            data: self.data.clone(),
            out: self.out.clone(),
            budget: Budget {
                epochs: self.epochs,
                steps_per_epoch: self.max_steps_per_epoch,
                batch: self.batch as usize,
                seq_len: self.seq_len as usize,
                stride: self.stride as usize,
                val_stride: self.val_stride as usize,
                lr: self.lr,
                seed: self.seed,
                positions: match self.positions {
                    PositionsArg::None => Positions::None,
                    PositionsArg::Learned => Positions::Learned,
                    PositionsArg::Sinusoidal => Positions::Sinusoidal,
                },
            },
            eval_items: self.eval_items.map(|n| n as usize),
            windows_per_item: self.windows_per_item.map(|n| n as usize),
            only: self.only.clone(),
            jobs: self.jobs as usize,
            device: self.device.clone(),
            force: self.force,
            quiet: self.quiet,
        }
    }

    /// The command that trains and scores one row in its own process: this binary with the
    /// same options, `--only NAME --jobs 1`.
    fn child(&self, threads: i32, name: &str) -> std::process::Command {
        let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("host-train"));
        let mut c = std::process::Command::new(exe);
        c.arg("--threads").arg(threads.to_string()).arg("table");
        c.arg("--data").arg(&self.data).arg("--out").arg(&self.out);
        let value = |v: &dyn std::fmt::Display| v.to_string();
        for (flag, v) in [
            ("--epochs", value(&self.epochs)),
            ("--max-steps-per-epoch", value(&self.max_steps_per_epoch)),
            ("--seq-len", value(&self.seq_len)),
            ("--stride", value(&self.stride)),
            ("--val-stride", value(&self.val_stride)),
            ("--batch", value(&self.batch)),
            ("--lr", value(&self.lr)),
            ("--seed", value(&self.seed)),
            ("--device", self.device.clone()),
            ("--only", name.to_string()),
            ("--jobs", "1".to_string()),
        ] {
            c.arg(flag).arg(v);
        }
        let positions = self
            .positions
            .to_possible_value()
            .map(|p| p.get_name().to_string());
        c.arg("--positions")
            .arg(positions.unwrap_or_else(|| "none".into()));
        if let Some(n) = self.eval_items {
            c.arg("--eval-items").arg(n.to_string());
        }
        if let Some(n) = self.windows_per_item {
            c.arg("--windows-per-item").arg(n.to_string());
        }
        if self.quiet {
            c.arg("--quiet");
        }
        c
    }
}

fn run_table(a: TableArgs, threads: i32) -> Result<()> {
    // The widest row of Table 1.
    let width = host_train::table::rows(FamilyKind::Attention)
        .iter()
        .map(|r| r.spec.config.dim.max(r.spec.config.d_state))
        .max()
        .unwrap_or(0);
    check_step_size(a.batch, a.seq_len, width)?;
    host_train::table::run(&a.options(), &|name| a.child(threads, name))
}

#[derive(Clone, Copy, ValueEnum)]
enum EmbedArg {
    /// PxByEmbed with the 3x3 convolution mix.
    Pxby,
    /// PxByEmbed without the convolution.
    PxbyNoconv,
    /// Plain embedding of the centre token.
    Center,
}

/// `--split`: which items of the dataset ([`Split`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SplitArg {
    /// `id % 10 != 0`.
    Train,
    /// `id % 10 == 0`.
    Val,
    /// Every item.
    All,
}

impl From<SplitArg> for Split {
    fn from(a: SplitArg) -> Split {
        match a {
            SplitArg::Train => Split::Train,
            SplitArg::Val => Split::Val,
            SplitArg::All => Split::All,
        }
    }
}

/// `--family`: the architecture ([`FamilyKind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FamilyArg {
    /// PxByEmbed → LSTM stack (first layer optionally bidirectional) → linear head.
    /// The only family pxby-core runs.
    Rnn,
    /// PxByEmbed → linear dim→d_state → TransformerEncoder (4 heads, no positional encoding, as
    /// in the paper) → head on the last position.
    Attention,
    /// As `attention` with learned absolute positions added before the encoder.
    AttentionLearned,
    /// As `attention` with sinusoidal positions added before the encoder.
    AttentionSinusoidal,
    /// PxByEmbed → linear dim→d_state → Mamba blocks (first bidirectional when configured) →
    /// head on the last position.
    Ssm,
}

impl From<FamilyArg> for FamilyKind {
    fn from(a: FamilyArg) -> FamilyKind {
        match a {
            FamilyArg::Rnn => FamilyKind::Rnn,
            FamilyArg::Attention => FamilyKind::Attention,
            FamilyArg::AttentionLearned => FamilyKind::AttentionLearned,
            FamilyArg::AttentionSinusoidal => FamilyKind::AttentionSinusoidal,
            FamilyArg::Ssm => FamilyKind::Ssm,
        }
    }
}

/// `--weights`: storage of the exported file ([`Weights`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum WeightsArg {
    /// 32-bit floats.
    F32,
    /// int8 matrices (per output row, symmetric), f32 vectors.
    Int8,
    /// Integer-only inference: int8 weights, int16 activations, static scales calibrated on 256
    /// training windows (largest absolute value per activation boundary).
    Int,
}

impl From<WeightsArg> for Weights {
    fn from(a: WeightsArg) -> Weights {
        match a {
            WeightsArg::F32 => Weights::F32,
            WeightsArg::Int8 => Weights::Int8,
            WeightsArg::Int => Weights::Int,
        }
    }
}

#[derive(Args)]
struct TrainArgs {
    /// Dataset file (pxby-tools format).
    #[arg(long)]
    data: PathBuf,
    /// Run directory (created; must not hold a run unless --resume).
    #[arg(long)]
    out: PathBuf,
    /// Model family.
    #[arg(long, value_enum, default_value_t = FamilyArg::Rnn)]
    family: FamilyArg,
    /// Embedding dimension (1..=1024).
    #[arg(long, default_value_t = 81, value_parser = clap::value_parser!(u16).range(1..=MAX_WIDTH))]
    dim: u16,
    /// Recurrent state size (1..=1024).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=MAX_WIDTH))]
    d_state: u16,
    /// Number of layers (1..=8).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=MAX_DEPTH))]
    depth: u8,
    /// First layer bidirectional (the default).
    #[arg(long, conflicts_with = "unidirectional")]
    bidirectional: bool,
    /// First layer unidirectional.
    #[arg(long)]
    unidirectional: bool,
    /// Embedding front.
    #[arg(long, value_enum, default_value_t = EmbedArg::Pxby)]
    embed: EmbedArg,
    /// Window length (1..=1024).
    #[arg(long, default_value_t = DEFAULT_SEQ_LEN, value_parser = clap::value_parser!(u32).range(1..=MAX_SEQ_LEN))]
    seq_len: u32,
    /// Training window stride [default: 32]; with --resume, the new stride from the next epoch on.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    stride: Option<u32>,
    /// Validation window stride [default: the training stride].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    val_stride: Option<u32>,
    /// Batch size (1..=1024).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=MAX_BATCH))]
    batch: u32,
    /// AdamW learning rate, a finite number > 0 [default: 1e-3]; with --resume, the new rate
    /// from the next epoch on.
    #[arg(long, value_parser = positive_finite)]
    lr: Option<f64>,
    /// AdamW decoupled weight decay, a finite number ≥ 0 (PyTorch's default).
    #[arg(long, default_value_t = 0.01, value_parser = non_negative_finite)]
    weight_decay: f64,
    /// Maximum number of epochs.
    #[arg(long, default_value_t = 200)]
    epochs: u32,
    /// Stop after this many epochs without a better validation loss.
    #[arg(long)]
    patience: Option<u32>,
    /// At most this many optimiser steps per epoch (with a small --stride: a fresh random subset
    /// of the windows every epoch); with --resume, the new limit from the next epoch on.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_steps: Option<u64>,
    /// Use only the first N training and the first N validation items.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    limit_items: Option<u64>,
    /// auto (CUDA when available), cpu or cuda.
    #[arg(long, default_value = "auto")]
    device: String,
    /// Seed of initialisation and shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Continue the run in --out from its last checkpoint.
    #[arg(long)]
    resume: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct ExportArgs {
    /// Run directory.
    #[arg(long)]
    run: PathBuf,
    /// Model file to write.
    #[arg(long)]
    out: PathBuf,
    /// Weight storage.
    #[arg(long, value_enum, default_value_t = WeightsArg::F32)]
    weights: WeightsArg,
    /// Export the best-by-validation-loss model (the default).
    #[arg(long, conflicts_with = "last")]
    best: bool,
    /// Export the last checkpoint instead.
    #[arg(long)]
    last: bool,
    /// Free text stored in the file's metadata.
    #[arg(long, default_value = "")]
    notes: String,
}

fn run_train(a: TrainArgs) -> Result<()> {
    check_step_size(a.batch, a.seq_len, a.dim.max(a.d_state))?;
    let embed = match a.embed {
        EmbedArg::Pxby => Embed::PxBy,
        EmbedArg::PxbyNoconv => Embed::PxByNoConv,
        EmbedArg::Center => Embed::Center,
    };
    let config = ModelConfig {
        vocab: VOCAB_SIZE as u16,
        dim: a.dim,
        d_state: a.d_state,
        depth: a.depth,
        bidirectional: !a.unidirectional,
        embed,
    };
    let device = select_device(&a.device)?;
    let limit = a.limit_items.map(|n| n as usize);
    let data = data::load(&a.data, limit)?;
    let cfg = RunConfig {
        model: ModelSpec {
            family: a.family.into(),
            config,
        },
        data: a.data.clone(),
        dataset_hash: data.dataset_hash.clone(),
        seq_len: a.seq_len as usize,
        stride: a.stride.unwrap_or(32) as usize,
        val_stride: a.val_stride.map(|v| v as usize),
        batch: a.batch as usize,
        lr: a.lr.unwrap_or(1e-3),
        weight_decay: a.weight_decay,
        epochs: a.epochs,
        patience: a.patience,
        max_steps: a.max_steps,
        limit_items: limit,
        seed: a.seed,
    };
    println!(
        "device {device:?}; {} training and {} validation items",
        data.train.len(),
        data.val.len()
    );
    let opts = TrainOptions {
        out: a.out.clone(),
        device,
        resume: a.resume.then_some(Schedule {
            lr: a.lr,
            stride: a.stride.map(|s| s as usize),
            max_steps: a.max_steps,
        }),
        progress: !a.quiet,
        verbose: true,
    };
    let state = train(cfg, &data, &opts)?;
    println!(
        "done: {} epochs, {:.1} s of training, best validation loss {:.4} at epoch {}",
        state.epoch, state.train_seconds, state.best_val_loss, state.best_epoch
    );
    Ok(())
}

fn run_export(a: ExportArgs) -> Result<()> {
    let which = if a.last {
        host_train::export::Which::Last
    } else {
        host_train::export::Which::Best
    };
    let summary = host_train::export::export(&a.run, &a.out, a.weights.into(), which, &a.notes)?;
    println!("{summary}");
    Ok(())
}

fn run_eval(a: EvalArgs) -> Result<()> {
    let which = if a.last {
        host_train::export::Which::Last
    } else {
        host_train::export::Which::Best
    };
    let device = select_device(&a.device)?;
    if let Some(stride) = a.next_token_stride {
        let stats = match (&a.model, &a.run) {
            (Some(model), _) => host_train::eval::next_token_model_file(
                model,
                &a.data,
                a.split.into(),
                a.next_token_len.unwrap_or(DEFAULT_SEQ_LEN) as usize,
                stride as usize,
            )?,
            (None, Some(run)) => host_train::eval::next_token(
                run,
                &a.data,
                which,
                a.split.into(),
                stride as usize,
                device,
            )?,
            (None, None) => return Err(Error::Usage("eval needs --run or --model".into())),
        };
        let (n, acc) = (stats.count(), stats.accuracy());
        println!("windows          {n} (stride {stride})");
        println!("loss             {:.4}", stats.loss());
        println!(
            "accuracy         {:.2}% ({} of {n}; binomial std {:.2} points)",
            100.0 * acc,
            stats.correct(),
            100.0 * (acc * (1.0 - acc) / n as f64).sqrt()
        );
        println!("weighted F1      {:.4}", stats.weighted_f1());
        return Ok(());
    }
    let split = Split::from(a.split);
    let options = pxby_data::eval::EvalOptions {
        max_windows_per_item: a.max_windows_per_item,
    };
    let report = match (&a.model, &a.run) {
        (Some(model), _) => host_train::eval::eval_model_file(model, &a.data, split, &options)?,
        (None, Some(run)) => {
            host_train::eval::eval_run(run, &a.data, which, split, &options, device)?
        }
        (None, None) => return Err(Error::Usage("eval needs --run or --model".into())),
    };
    print!("{}", report.table());
    Ok(())
}

fn main() -> ExitCode {
    // A closed stdout (`host-train eval ... | head -1`) ends the command quietly, killed by
    // SIGPIPE like any Unix filter (status 141 in a shell), instead of a panic in `println!`.
    sigpipe::reset();
    let cli = Cli::parse();
    tch::set_num_threads(cli.threads.max(1));
    let result = match cli.command {
        Command::Train(a) => run_train(a),
        Command::Export(a) => run_export(a),
        Command::Eval(a) => run_eval(a),
        Command::Table(a) => run_table(a, cli.threads),
        Command::Bench(a) => run_bench(a, cli.threads),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let Error::Usage(_) = e {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn names<T: ValueEnum>() -> Vec<String> {
        T::value_variants()
            .iter()
            .filter_map(clap::ValueEnum::to_possible_value)
            .map(|p| p.get_name().to_owned())
            .collect()
    }

    #[test]
    fn command_line_names_and_conversions() {
        assert_eq!(names::<SplitArg>(), ["train", "val", "all"]);
        assert_eq!(
            names::<FamilyArg>(),
            [
                "rnn",
                "attention",
                "attention-learned",
                "attention-sinusoidal",
                "ssm"
            ]
        );
        assert_eq!(names::<WeightsArg>(), ["f32", "int8", "int"]);
        for (a, s) in [
            (SplitArg::Train, Split::Train),
            (SplitArg::Val, Split::Val),
            (SplitArg::All, Split::All),
        ] {
            assert_eq!(Split::from(a), s);
        }
        for (a, f) in [
            (FamilyArg::Rnn, FamilyKind::Rnn),
            (FamilyArg::Attention, FamilyKind::Attention),
            (FamilyArg::AttentionLearned, FamilyKind::AttentionLearned),
            (
                FamilyArg::AttentionSinusoidal,
                FamilyKind::AttentionSinusoidal,
            ),
            (FamilyArg::Ssm, FamilyKind::Ssm),
        ] {
            assert_eq!(FamilyKind::from(a), f);
        }
        assert_eq!(Weights::from(WeightsArg::F32), Weights::F32);
        assert_eq!(Weights::from(WeightsArg::Int8), Weights::Int8);
        assert_eq!(Weights::from(WeightsArg::Int), Weights::Int);
        Cli::command().debug_assert();
    }
}

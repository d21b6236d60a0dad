//! The `pxby` subcommands' arguments and implementations (`main` only dispatches).

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use pxby_data::dataset::{Dataset, DatasetError, MAGIC, Split, Stats};
use pxby_data::input::{self, read_input};
use pxby_data::paths::refuse_overwriting_inputs;
use pxby_tools::builder::{BuildOptions, BuildReport, build};
use pxby_tools::pixelate::Downsample;
use pxby_tools::preview::{SheetOptions, contact_sheet};

use crate::values::{DownsampleArg, SplitArg};

/// A boxed error for the command layer (every library error is typed; this only carries them
/// to `main` for printing).
pub type CliError = Box<dyn std::error::Error + Send + Sync>;

/// `pxby dataset build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Source folder holding `pokedex.csv` (columns id, name, sprite, description) and the
    /// sprite images it names (paths relative to the folder).
    #[arg(long, value_name = "DIR")]
    pub source: PathBuf,
    /// Dataset file to write (written atomically: a temporary file renamed into place).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Longer side of the pixelated sprites, in cells (1..=255).
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u16).range(1..=255))]
    pub max_size: u16,
    /// Only use the first N rows of the CSV.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Colour reduction: `kmeans` (the reference: bicubic 2x intermediate, k-means K=55 in
    /// CIELAB, nearest neighbour) or `majority` (most frequent palette colour per cell).
    #[arg(long, value_enum, default_value_t = DownsampleArg::KMeans)]
    pub mode: DownsampleArg,
    /// Also write a contact sheet (`DIR/contact_sheet.png`) of the built sprites.
    #[arg(long, value_name = "DIR")]
    pub preview: Option<PathBuf>,
    /// Skip malformed CSV records (more or fewer fields than the header, an unterminated or
    /// misplaced quote) with a reported reason, instead of stopping at the first one.
    #[arg(long)]
    pub lenient: bool,
}

/// `pxby dataset preview`.
#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// Dataset file to show.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// PNG to write.
    #[arg(long, value_name = "PNG")]
    pub out: PathBuf,
    /// Sprites per row.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub columns: u32,
    /// Pixels per sprite cell.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub scale: u32,
    /// Skip the first N items.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub offset: usize,
    /// Show at most N items.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// `pxby inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A dataset file (`.pxds`) or a model file (magic `PXBY`).
    pub file: PathBuf,
}

/// `text` with control characters (ANSI escapes, NUL, ...) escaped, so that text from a file
/// cannot drive the terminal.
fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// Loads a model from its file's bytes; errors name the file, and a dataset file is called one.
fn load_model<'a>(path: &Path, bytes: &'a [u8]) -> Result<pxby_core::Model<'a>, CliError> {
    if bytes.starts_with(&MAGIC) {
        return Err(format!("{}: a dataset file, not a model file", path.display()).into());
    }
    pxby_core::Model::from_bytes(bytes).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// The bytes of `--model FILE`, or of the bundled default model when there is none, with the
/// name errors use.
fn model_bytes(path: Option<&Path>) -> Result<(Cow<'static, [u8]>, PathBuf), CliError> {
    Ok(match path {
        Some(p) => (Cow::Owned(read_input(p, input::MODEL)?), p.to_path_buf()),
        None => (
            Cow::Borrowed(pxby_tools::DEFAULT_MODEL),
            PathBuf::from("the bundled default-int8.pxby"),
        ),
    })
}

/// Reads a dataset file; errors name the file, and a model file is called one.
fn read_dataset(path: &Path) -> Result<Dataset, CliError> {
    Dataset::read(path).map_err(|e| match e {
        DatasetError::Input(e) => e.to_string().into(),
        DatasetError::BadMagic if starts_with(path, &pxby_core::format::MAGIC) => {
            format!("{}: a model file, not a dataset file", path.display()).into()
        }
        e => format!("{}: {e}", path.display()).into(),
    })
}

/// Whether the file at `path` starts with `magic`.
fn starts_with(path: &Path, magic: &[u8]) -> bool {
    use std::io::Read;
    let mut head = vec![0; magic.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == magic
}

fn progress_bar(len: u64) -> ProgressBar {
    let pb = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg} (eta {eta})",
    ) {
        pb.set_style(style);
    }
    pb
}

/// Counts the data rows of a CSV cheaply (for the progress bar length; 0 when it cannot be
/// read, which the build then reports).
fn count_rows(csv: &Path) -> u64 {
    read_input(csv, input::CSV).map_or(0, |bytes| {
        csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(bytes.as_slice())
            .byte_records()
            .count() as u64
    })
}

/// Runs `pxby dataset build`.
pub fn dataset_build(args: &BuildArgs) -> Result<(), CliError> {
    let start = Instant::now();
    let total = count_rows(&args.source.join(pxby_tools::builder::CSV_NAME));
    let total = args.limit.map_or(total, |l| total.min(l as u64));
    let pb = progress_bar(total);
    pb.set_message("pixelating");
    let opts = BuildOptions {
        max_size: args.max_size,
        limit: args.limit,
        mode: args.mode.into(),
        lenient: args.lenient,
    };
    let (ds, report) = build(&args.source, &opts, &|| pb.inc(1))?;
    pb.finish_and_clear();
    let sheet = args
        .preview
        .as_ref()
        .map(|dir| dir.join("contact_sheet.png"));
    for out in std::iter::once(&args.out).chain(&sheet) {
        refuse_overwriting_inputs(out, &report.inputs)?;
    }
    if ds.items.is_empty() {
        print_report(&ds, &report);
        return Err("no usable item: nothing written".into());
    }
    // The contact sheet first: a failing --preview leaves --out as it was.
    if let (Some(dir), Some(path)) = (&args.preview, &sheet) {
        std::fs::create_dir_all(dir).map_err(|e| format!("--preview {}: {e}", dir.display()))?;
        write_sheet(
            &ds,
            path,
            &SheetOptions {
                max_size: ds.max_size,
                ..SheetOptions::default()
            },
            0,
            None,
        )
        .map_err(|e| format!("--preview {}: {e}", path.display()))?;
    }
    ds.write(&args.out)?;
    print_report(&ds, &report);
    println!(
        "wrote {} ({} bytes) in {:.2} s, content hash {}",
        args.out.display(),
        std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0),
        start.elapsed().as_secs_f64(),
        ds.content_hash()
    );
    if let Some(path) = &sheet {
        println!("preview: {}", path.display());
    }
    Ok(())
}

fn write_sheet(
    ds: &Dataset,
    path: &Path,
    opts: &SheetOptions,
    offset: usize,
    limit: Option<usize>,
) -> Result<usize, CliError> {
    let items = ds.items.get(offset..).unwrap_or(&[]);
    let items = &items[..limit.unwrap_or(usize::MAX).min(items.len())];
    let sheet = contact_sheet(items, opts)?;
    let mut png = Vec::new();
    sheet.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    pxby_data::atomic::write_atomic(path, &png)?;
    Ok(items.len())
}

fn print_stats(s: &Stats) {
    println!("items: {} (train {}, val {})", s.items, s.train, s.val);
    println!(
        "tokens: {} (colour {}, byte {}; image/text ratio {:.3}); per item min {} mean {:.1} max {}",
        s.tokens,
        s.colour_tokens,
        s.byte_tokens,
        s.image_text_ratio(),
        s.min_len,
        s.tokens as f64 / s.items.max(1) as f64,
        s.max_len
    );
    println!("palette colours used: {} of 55", s.colours_used());
    let hist = |m: &std::collections::BTreeMap<u16, usize>| {
        m.iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("image heights: {}", hist(&s.heights));
    println!("image widths:  {}", hist(&s.widths));
    let mut sizes: Vec<_> = s.sizes.iter().collect();
    sizes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let top: Vec<String> = sizes
        .iter()
        .take(8)
        .map(|((h, w), n)| format!("{h}x{w}:{n}"))
        .collect();
    println!(
        "image sizes: {} distinct; most common {}",
        s.sizes.len(),
        top.join(" ")
    );
}

fn print_report(ds: &Dataset, r: &BuildReport) {
    println!("rows read: {}", r.rows);
    print_stats(&ds.stats());
    println!(
        "dropped characters: {} outside the vocabulary, {} non-ASCII after NFKD",
        r.dropped_chars, r.non_ascii_chars
    );
    println!("skipped: {}", r.skipped.len());
    for s in &r.skipped {
        println!(
            "  line {} (id {}): {}",
            s.line,
            printable(s.id.as_deref().unwrap_or("?")),
            printable(&s.reason)
        );
    }
}

/// Runs `pxby dataset preview`.
pub fn dataset_preview(args: &PreviewArgs) -> Result<(), CliError> {
    refuse_overwriting_inputs(&args.out, [&args.data])?;
    let ds = read_dataset(&args.data)?;
    let opts = SheetOptions {
        columns: args.columns,
        scale: args.scale,
        max_size: ds.max_size,
    };
    let n = write_sheet(&ds, &args.out, &opts, args.offset, args.limit)?;
    println!("wrote {} ({n} sprites)", args.out.display());
    Ok(())
}

/// Runs `pxby inspect`: a dataset file's statistics, or a model file's configuration,
/// parameter count, sizes, checksum, metadata and tensor table.
pub fn inspect(args: &InspectArgs) -> Result<(), CliError> {
    // The larger limit of the two kinds until the magic says which one it is.
    let bytes = read_input(&args.file, input::DATASET)?;
    if bytes.starts_with(&MAGIC) {
        let ds = Dataset::from_bytes(&bytes)?;
        println!("dataset file {}", args.file.display());
        println!(
            "format version {}, {} bytes, max size {}",
            ds.version,
            bytes.len(),
            ds.max_size
        );
        println!("source: {}", printable(&ds.source));
        println!("content hash: {}", ds.content_hash());
        print_stats(&ds.stats());
        Ok(())
    } else if bytes.starts_with(&pxby_core::format::MAGIC) {
        // The model limit, now that it is one.
        input::check_input(&args.file, input::MODEL)?;
        inspect_model(&args.file, &bytes)
    } else {
        Err(format!(
            "{}: neither a PixelBytes dataset nor a model file (unknown magic)",
            args.file.display()
        )
        .into())
    }
}

fn inspect_model(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let model = pxby_core::Model::from_bytes(bytes)
        .map_err(|e| format!("{}: invalid model file: {e}", path.display()))?;
    let c = model.config();
    let m = model.metadata();
    println!("model file {}", path.display());
    println!(
        "format version {}, {} bytes, CRC-32 {:08x}, weights {:?}",
        pxby_core::format::VERSION,
        model.file_size(),
        model.crc(),
        model.weights()
    );
    println!(
        "config: vocab {}, dim {}, d_state {}, depth {}, bidirectional {}, embed {:?} (E = {})",
        c.vocab,
        c.dim,
        c.d_state,
        c.depth,
        c.bidirectional,
        c.embed,
        c.embed_inner()
    );
    println!("parameters: {}", model.param_count());
    println!(
        "metadata: dataset hash {:?}, epochs {}, train seconds {:.1}, created {:?}",
        m.dataset_hash, m.epochs, m.train_seconds, m.created
    );
    if !m.notes.is_empty() {
        println!("notes: {}", printable(m.notes));
    }
    for metric in &m.metrics {
        println!("metric {}: {}", printable(metric.name), metric.value);
    }
    println!("tensors:");
    for t in c.tensors() {
        let shape: Vec<String> = t.shape[..usize::from(t.rank)]
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        println!("  {:28} [{}] {} values", t.name, shape.join(", "), t.len());
    }
    if let Some(p) = model.int_params() {
        use pxby_core::config::Direction;
        let s = &p.scales;
        println!("integer inference (int16 activation scales, real = q * scale):");
        println!("  mix scale {:e}", s.mix);
        println!("  projection scale {:e}", s.proj);
        println!("  embedding output scale {:e}", s.embed);
        println!("  layernorm weight scale {:e}", s.norm_weight);
        println!(
            "  layernorm eps {} (projection units squared), output factor {} * 2^-{}",
            p.ln_eps, p.norm.multiplier, p.norm.shift
        );
        println!(
            "  fixed: gates 2^-{}, hidden states 2^-{}, logits 2^-{}",
            pxby_core::fixed::GATE_BITS,
            pxby_core::fixed::HIDDEN_BITS,
            pxby_core::fixed::LOGIT_BITS
        );
        let mut lstms = vec![(0, Direction::Forward)];
        if c.bidirectional {
            lstms.push((0, Direction::Reverse));
        }
        lstms.extend((1..usize::from(c.depth)).map(|k| (k, Direction::Forward)));
        for (layer, dir) in lstms {
            println!(
                "  lstm {layer} {dir:?}: cell state scale 2^-{}",
                p.cell_shift(c, layer, dir)
            );
        }
    }
    Ok(())
}

/// `pxby bench pixelate`.
#[derive(Debug, Args)]
pub struct BenchPixelateArgs {
    /// Source folder with `pokedex.csv` and sprites (as for `dataset build`).
    #[arg(long, value_name = "DIR")]
    pub source: PathBuf,
    /// Only the first N rows.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Longer side of the pixelated sprites.
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u16).range(1..=255))]
    pub max_size: u16,
}

/// Runs `pxby bench pixelate`: for every sprite and both down-sampling modes, the time of one
/// pixelation (one thread, image already decoded) and its reconstruction error (mean CIELAB ΔE
/// between the source pixels and the cells covering them), as a table.
pub fn bench_pixelate(args: &BenchPixelateArgs) -> Result<(), CliError> {
    use pxby_data::metrics::MeanStd;
    use pxby_tools::pixelate::{PixelateOptions, pixelate_image, reconstruction_error};
    let csv_path = args.source.join(pxby_tools::builder::CSV_NAME);
    let csv_bytes = read_input(&csv_path, input::CSV)?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_bytes.as_slice());
    let headers = rdr.headers()?.clone();
    let col = headers
        .iter()
        .position(|h| h.trim() == "sprite")
        .ok_or("no `sprite` column")?;
    let mut images = Vec::new();
    let mut decode = MeanStd::new();
    for rec in rdr.records().take(args.limit.unwrap_or(usize::MAX)) {
        let Ok(rec) = rec else { continue };
        let Some(sprite) = rec.get(col) else { continue };
        let t = Instant::now();
        let Ok(bytes) = read_input(&args.source.join(sprite.trim()), input::SPRITE) else {
            continue;
        };
        if let Ok(img) = image::load_from_memory(&bytes) {
            decode.push(t.elapsed().as_secs_f64() * 1e3);
            images.push(img.to_rgba8());
        }
    }
    println!(
        "{} sprites, decode {:.3} ± {:.3} ms each",
        images.len(),
        decode.mean(),
        decode.std()
    );
    println!("| mode     | ms/sprite (mean ± std) | total s | ΔE (mean ± std) | colours/sprite |");
    println!("|---|---|---|---|---|");
    for mode in [Downsample::KMeans, Downsample::Majority] {
        let opts = PixelateOptions {
            max_size: args.max_size,
            mode,
            ..PixelateOptions::default()
        };
        let (mut ms, mut de, mut cols) = (MeanStd::new(), MeanStd::new(), MeanStd::new());
        for img in &images {
            let t = Instant::now();
            let Ok(s) = pixelate_image(img, &opts) else {
                continue;
            };
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            de.push(reconstruction_error(img, &s)?);
            let distinct: std::collections::BTreeSet<u8> = s.tokens.iter().copied().collect();
            cols.push(distinct.len() as f64);
        }
        println!(
            "| {:8} | {:.3} ± {:.3} | {:.2} | {:.2} ± {:.2} | {:.1} |",
            format!("{mode:?}").to_lowercase(),
            ms.mean(),
            ms.std(),
            ms.mean() * ms.len() as f64 / 1e3,
            de.mean(),
            de.std(),
            cols.mean()
        );
    }
    Ok(())
}

/// `pxby eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Model file (`.pxby`: f32, int8 weights, or an integer file, scored on its integer path).
    /// Default: the bundled integer model (fixtures/models/default-int8.pxby).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Dataset file (from `pxby dataset build`).
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Which items: `val` (id % 10 == 0), `train` or `all`.
    #[arg(long, value_enum, default_value_t = SplitArg::Val)]
    pub split: SplitArg,
    /// Evaluate only the first N items of the split.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// At most N SPEC §8 windows per item (all by default).
    #[arg(long, value_name = "N")]
    pub max_windows: Option<usize>,
    /// Length of the teacher-forced next-token windows (SPEC §5; the trainer's 128).
    #[arg(long, value_name = "N", default_value_t = 128, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub next_token_len: u32,
    /// Tokens between their starts (the trainer validates every 32).
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    pub next_token_stride: u32,
    /// Also report, on the same teacher-forced windows, how often the model's most likely next
    /// token is that of this other model file (e.g. an integer file against its f32 file);
    /// `next_token_agreement` in `--json`.
    #[arg(long, value_name = "FILE")]
    pub agree_with: Option<PathBuf>,
    /// Print the report as JSON instead of a table (`next_token_accuracy` and
    /// `next_token_loss` are the teacher-forced scores).
    #[arg(long)]
    pub json: bool,
}

/// Runs `pxby eval`: SPEC §8 and the teacher-forced next-token accuracy and loss on SPEC §5
/// windows, with the `pxby-core` model on all cores.
pub fn eval(args: &EvalArgs) -> Result<(), CliError> {
    use pxby_data::eval::{
        CorePredictor, EvalOptions, NextTokenOptions, agreement, evaluate_parallel, next_token,
    };
    let (bytes, name) = model_bytes(args.model.as_deref())?;
    let model = load_model(&name, &bytes)?;
    let other_bytes = match &args.agree_with {
        Some(path) => Some(read_input(path, input::MODEL)?),
        None => None,
    };
    let other = match (&args.agree_with, &other_bytes) {
        (Some(path), Some(b)) => Some(load_model(path, b)?),
        _ => None,
    };
    let split = Split::from(args.split);
    let ds = read_dataset(&args.data)?;
    let items: Vec<_> = ds
        .split(split)
        .take(args.limit.unwrap_or(usize::MAX))
        .collect();
    let options = EvalOptions {
        max_windows_per_item: args.max_windows,
    };
    let pb = progress_bar(items.len() as u64);
    if args.json {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let start = Instant::now();
    let report = evaluate_parallel(
        &items,
        &options,
        || CorePredictor::new(&model),
        || pb.inc(1),
    )?;
    pb.set_position(0);
    let next_options = NextTokenOptions {
        seq_len: args.next_token_len as usize,
        stride: args.next_token_stride as usize,
    };
    let next = next_token(
        &items,
        &next_options,
        || CorePredictor::new(&model),
        || pb.inc(1),
    )?;
    let mut report = report.with_next_token(next);
    if let Some(other) = &other {
        pb.set_position(0);
        let a = agreement(
            &items,
            &next_options,
            || CorePredictor::new(&model),
            || CorePredictor::new(other),
            || pb.inc(1),
        )?;
        report = report.with_agreement(a);
    }
    pb.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let cfg = model.config();
        println!(
            "model {} ({:?} weights; dim {}, d_state {}, depth {}, {}, {:?}), data {} ({:?} split)",
            name.display(),
            model.weights(),
            cfg.dim,
            cfg.d_state,
            cfg.depth,
            if cfg.bidirectional {
                "bidirectional"
            } else {
                "unidirectional"
            },
            cfg.embed,
            args.data.display(),
            split,
        );
        if let Some(path) = &args.agree_with {
            println!("agreement with {}", path.display());
        }
        print!("{}", report.table());
        println!("({:.1} s)", start.elapsed().as_secs_f64());
    }
    Ok(())
}

/// `pxby quantize`.
#[derive(Debug, Args)]
pub struct QuantizeArgs {
    /// The f32 model file (`.pxby`) to quantise.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// The dataset file it was trained on (its content hash must be the model's
    /// `dataset_hash`); calibration uses its training split.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// The integer model file to write (atomically).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Calibration windows of 128 contexts, evenly spaced over all training windows (at most
    /// 65,536: they are held in memory, 1,152 bytes each).
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub windows: u32,
    /// Tokens between the starts of the training windows they are picked from (the training
    /// run's stride).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub stride: u32,
    /// Calibrate even when the dataset's content hash is not the model's `dataset_hash`.
    #[arg(long)]
    pub force: bool,
}

/// Runs `pxby quantize`: f32 file + dataset → integer file, and what it did.
pub fn quantize(args: &QuantizeArgs) -> Result<(), CliError> {
    use pxby_tools::quantize::{QuantizeOptions, SEQ_LEN, quantize};
    refuse_overwriting_inputs(&args.out, [&args.model, &args.data])?;
    let start = Instant::now();
    let bytes = read_input(&args.model, input::MODEL)?;
    let model = load_model(&args.model, &bytes)?;
    let ds = read_dataset(&args.data)?;
    let options = QuantizeOptions {
        windows: args.windows as usize,
        stride: args.stride as usize,
        seq_len: SEQ_LEN,
        force: args.force,
    };
    let (int_bytes, report) =
        quantize(&model, &ds, &options).map_err(|e| format!("{}: {e}", args.model.display()))?;
    pxby_data::atomic::write_atomic(&args.out, &int_bytes)
        .map_err(|e| format!("{}: {e}", args.out.display()))?;
    if report.hash_differs {
        eprintln!(
            "warning: {} is not the dataset {} was trained on (--force)",
            args.data.display(),
            args.model.display()
        );
    }
    let r = &report.ranges;
    println!(
        "calibrated on {} of {} training windows ({SEQ_LEN} contexts, stride {}, evenly spaced; min/max)",
        report.windows, report.of_windows, options.stride
    );
    println!(
        "ranges (max |v|): mix {:.4}, projection {:.4}, embedding {:.4}",
        r.mix, r.proj, r.embed
    );
    let c = model.config();
    let mut lstms = vec![format!(
        "lstm 0 forward: gates {:.3}, cell {:.3}",
        r.gates[0], r.cells[0]
    )];
    if c.bidirectional {
        lstms.push(format!(
            "lstm 0 reverse: gates {:.3}, cell {:.3}",
            r.gates_reverse, r.cell_reverse
        ));
    }
    for k in 1..usize::from(c.depth).min(r.cells.len()) {
        lstms.push(format!(
            "lstm {k} forward: gates {:.3}, cell {:.3}",
            r.gates[k], r.cells[k]
        ));
    }
    println!("{}", lstms.join("; "));
    println!(
        "wrote {} ({} bytes, Int weights) in {:.1} s",
        args.out.display(),
        int_bytes.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `pxby generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Model file (`.pxby`). Default: the bundled integer model
    /// (fixtures/models/default-int8.pxby).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Prompt: a sprite size header such as "(25, 22)", each side 1..=32; the sprite and its
    /// description follow. Without it the model writes the header too.
    #[arg(long, value_name = "TEXT", conflicts_with = "complete")]
    pub prompt: Option<String>,
    /// Completion: take validation item ID (id % 10 == 0) of --data, keep its header and its
    /// first --rows sprite rows as the prompt, and let the model finish the sprite and write the
    /// caption. The completion's card goes to --out, the original item's card (same screen,
    /// drawn from the dataset's tokens) to --original-out.
    #[arg(long, value_name = "ID", requires_all = ["rows", "data"])]
    pub complete: Option<u32>,
    /// With --complete: how many of the item's sprite rows to keep (0 keeps only the header).
    #[arg(long, value_name = "K", requires = "complete")]
    pub rows: Option<usize>,
    /// With --complete: the dataset file (`pxby dataset build --out`).
    #[arg(long, value_name = "DATASET", requires = "complete")]
    pub data: Option<PathBuf>,
    /// With --complete: the original item's card PNG. Default: beside --out, named
    /// `<out>-original.png` (e.g. card.png and card-original.png).
    #[arg(long, value_name = "PNG", requires = "complete")]
    pub original_out: Option<PathBuf>,
    /// Seed of the sampler (the same seed gives the same card on every machine and on the
    /// handheld).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Sampling temperature; 0 picks the most likely token (greedy).
    #[arg(long, default_value_t = 0.8)]
    pub temperature: f32,
    /// Sample among the K most likely tokens (0: all of them).
    #[arg(long, default_value_t = 8)]
    pub top_k: u8,
    /// Free sampling: the model may put any token anywhere, so the sprite may come out ragged
    /// or never close. Without it generation is structured: a well-formed header, rows that end
    /// at the header's width, exactly its height of rows, only colours inside the image, then a
    /// caption.
    #[arg(long)]
    pub free: bool,
    /// Structured generation (the default; accepted for scripts that name it).
    #[arg(long, conflicts_with = "free")]
    pub structured: bool,
    /// Context window in tokens, as on the device (32 or 64).
    #[arg(long, default_value_t = 64, value_parser = parse_window)]
    pub window: usize,
    /// Stop after this many generated tokens (at most 2048).
    #[arg(long, default_value_t = 1200, value_parser = clap::value_parser!(u16).range(1..=2048))]
    pub max_tokens: u16,
    /// Card PNG to write: the 160x128 handheld screen, scaled up.
    #[arg(long, value_name = "PNG")]
    pub out: PathBuf,
    /// Scale of the PNG.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub scale: u32,
}

fn parse_window(s: &str) -> Result<usize, String> {
    match s {
        "32" => Ok(32),
        "64" => Ok(64),
        _ => Err(format!(
            "the device runs windows of 32 or 64 tokens, not {s}"
        )),
    }
}

/// Parses a sprite header prompt `(h, w)` with the one codec ([`pxby_core::header`]); the final
/// `\n` may be left out.
pub fn parse_header(text: &str) -> Result<(u16, u16), pxby_core::header::HeaderError> {
    if text.ends_with('\n') {
        pxby_core::header::parse(text)
    } else {
        pxby_core::header::parse(format!("{text}\n"))
    }
}

/// Runs `pxby generate`: the handheld's loop on the host, a card PNG and the text on stdout.
pub fn generate(args: &GenerateArgs) -> Result<(), CliError> {
    use pxby_screen::args::{Mode, Options};
    if !(args.temperature.is_finite() && args.temperature >= 0.0) {
        return Err(format!(
            "--temperature must be a number ≥ 0, got {}",
            args.temperature
        )
        .into());
    }
    let size = match &args.prompt {
        None => None,
        Some(p) => Some(parse_header(p).map_err(|e| {
            format!("--prompt must be a sprite header such as \"(25, 22)\", got {p:?}: {e}")
        })?),
    };
    // The largest sprite the handheld generates (pxby-core's structured grammar, either mode).
    let max_side = u16::from(pxby_core::generate::Options::default().max_side);
    if let Some((h, w)) = size
        && (h > max_side || w > max_side)
    {
        return Err(format!(
            "--prompt ({h}, {w}): each side must be 1..={max_side} (the largest sprite the \
             handheld generates)"
        )
        .into());
    }
    let completion = match (args.complete, args.rows, &args.data) {
        (Some(id), Some(rows), Some(data)) => Some(completion(args, id, rows, data)?),
        _ => None,
    };
    refuse_overwriting_inputs(&args.out, args.model.iter().chain(args.data.iter()))?;
    let (bytes, name) = model_bytes(args.model.as_deref())?;
    let model = load_model(&name, &bytes)?;
    let opts = Options {
        seed: args.seed,
        temperature: args.temperature,
        top_k: args.top_k,
        mode: if args.free {
            Mode::Free
        } else {
            Mode::Structured
        },
        window: args.window,
        max_tokens: args.max_tokens as usize,
        size,
        ..Options::default()
    };
    let card = match &completion {
        None => pxby_tools::card::render(&model, &opts)?,
        Some(c) => pxby_tools::card::render_prompt(&model, &opts, &c.item[..c.prompt])?,
    };
    card.save_png(&args.out, args.scale)?;
    let text = card.text();
    println!("{}", text.header);
    println!("{}", text.image_line());
    println!("{}", text.caption);
    eprintln!(
        "{} tokens; card written to {}",
        card.tokens.len(),
        args.out.display()
    );
    if let Some(c) = &completion {
        let original = pxby_tools::card::draw_stream(&c.item, &format!("original #{}", c.id));
        original.save_png(&c.original_out, args.scale)?;
        println!("original: {}", original.text().caption);
        eprintln!(
            "completion of item {} from its header and {} of {} rows ({} prompt tokens); \
             the original's card written to {}",
            c.id,
            c.rows,
            c.height,
            c.prompt,
            c.original_out.display()
        );
    }
    Ok(())
}

/// What `pxby generate --complete` starts from.
struct Completion {
    id: u32,
    rows: usize,
    height: u16,
    /// The item's whole token stream.
    item: Vec<u8>,
    /// Tokens of the prompt: the header and the first `rows` rows.
    prompt: usize,
    original_out: PathBuf,
}

/// Checks `--complete ID --rows K --data DATASET` and finds the prompt.
fn completion(
    args: &GenerateArgs,
    id: u32,
    rows: usize,
    data: &Path,
) -> Result<Completion, CliError> {
    if args.free {
        return Err(
            "--complete runs structured generation (the prompt follows the layout); \
                    leave out --free"
                .into(),
        );
    }
    let original_out = args.original_out.clone().unwrap_or_else(|| {
        let stem = args.out.file_stem().unwrap_or_default().to_string_lossy();
        args.out.with_file_name(format!("{stem}-original.png"))
    });
    if original_out == args.out {
        return Err("--original-out and --out name the same file".into());
    }
    refuse_overwriting_inputs(
        &original_out,
        args.model.iter().chain([&data.to_path_buf()]),
    )?;
    let ds = read_dataset(data)?;
    let Some(item) = ds.get(id) else {
        return Err(format!("{}: no item with id {id}", data.display()).into());
    };
    if !item.is_validation() {
        return Err(format!(
            "item {id} is in the training split; --complete takes a validation item \
             (id % 10 == 0, e.g. {}), which the model never saw",
            ds.split(Split::Val)
                .take(3)
                .map(|i| i.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into());
    }
    if rows > usize::from(item.height) {
        return Err(format!(
            "--rows {rows}: the sprite of item {id} ({}) has only {} rows",
            item.name, item.height
        )
        .into());
    }
    let max_side = u16::from(pxby_core::generate::Options::default().max_side);
    if item.height > max_side || item.width > max_side {
        return Err(format!(
            "item {id} is {}x{}: larger than the {max_side}x{max_side} sprites the handheld \
             generates",
            item.height, item.width
        )
        .into());
    }
    let prompt = pxby_screen::demo::completion_prompt(&item.tokens, rows).ok_or_else(|| {
        format!(
            "{}: item {id}'s tokens do not follow the layout",
            data.display()
        )
    })?;
    Ok(Completion {
        id,
        rows,
        height: item.height,
        item: item.tokens.clone(),
        prompt,
        original_out,
    })
}

#[cfg(test)]
mod tests {
    use super::parse_header;

    #[test]
    fn header_prompts_parse() {
        assert_eq!(parse_header("(25, 22)"), Ok((25, 22)));
        assert_eq!(parse_header("(3, 4)\n"), Ok((3, 4)));
        for bad in [
            "(0, 4)",
            "(3,4)",
            "(03, 4)",
            "(+3, 4)",
            "hello",
            "(3, 4)\n\n",
        ] {
            assert!(parse_header(bad).is_err(), "{bad:?}");
        }
    }
}

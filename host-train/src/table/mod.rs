//! `host-train table`: the paper's Table 1 and Figure 2 regenerated on our data.
//!
//! The fifteen configurations of [`rows`] are trained with ONE recipe ([`Budget`], by default
//! the default model's) through the ordinary training loop ([`crate::train::train`]: run
//! directories, checkpoints, resume), then scored on every validation item ([`score`]): SPEC §8
//! over every 64 + 16 window, and teacher-forced next-token accuracy and loss, each with a 95 %
//! bootstrap interval over items. Layout of `--out`:
//!
//! ```text
//! OUT/sweep.json              dataset hash and budget the folder belongs to
//! OUT/runs/NAME/              a normal run directory (run.json, checkpoint, best model, metrics.csv)
//! OUT/runs/NAME/result.json   the row's scores per item; a row whose result is current is not retrained
//! OUT/runs/NAME.log           the output of the process that trained the row (with --jobs)
//! OUT/table1.md               ours beside the paper's numbers, and what they say about its claims
//! OUT/figure2.png             loss, accuracy, F1 per epoch of the best RNN, attention and SSM
//! ```
//!
//! A killed sweep continues where it stopped, across sessions: finished rows are read back and
//! rows in progress resume from their last checkpoint. More `--epochs` than a finished row has
//! extends it. A folder made from another dataset or budget is refused unless `--force` (which
//! moves its runs aside); a row whose run directory cannot be read is moved aside and trained
//! again; a `result.json` that cannot be read, or was scored differently, is scored again.
//! `--jobs N` trains N rows at once, each in its own process (one libtorch thread each by
//! default); a lock file keeps two processes off one row.

mod figure;
mod markdown;
mod options;
mod result;
mod rows;
pub mod score;

use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

use pxby_data::dataset::{Dataset, Item, Split};
use tch::Device;

pub use figure::figure2;
pub use markdown::markdown;
pub use options::{Budget, MANIFEST, Manifest, TableOptions};
pub use result::{RESULT, RowResult, SCORE_VERSION, Scoring};
pub use rows::{PaperRow, Positions, Row, rows};

use crate::checkpoint;
use crate::error::{Error, Result};
use crate::model::FamilyKind;
use crate::run::{RunConfig, Schedule, files, write_atomic};
use crate::train::{TrainData, TrainOptions, load_model, train};
use score::{Metric, value};

/// The run directory of a row.
pub fn row_dir(out: &Path, name: &str) -> PathBuf {
    out.join("runs").join(name)
}

/// The results that can be read under `out`, one slot per row.
pub fn load_results(out: &Path, rows: &[Row]) -> Vec<Option<RowResult>> {
    rows.iter()
        .map(|r| RowResult::load(&row_dir(out, r.name).join(RESULT)).ok())
        .collect()
}

/// The order rows are trained in: RNN rows first (most of the paper's claims are about them),
/// then attention, then the SSM rows (the slowest per step).
fn training_order(rows: &[Row]) -> Vec<&Row> {
    let rank = |f: FamilyKind| match f {
        FamilyKind::Rnn => 0,
        FamilyKind::Ssm => 2,
        _ => 1,
    };
    let mut v: Vec<&Row> = rows.iter().collect();
    v.sort_by_key(|r| rank(r.spec.family));
    v
}

/// The whole sweep: every row (or `--only`), then `table1.md` and `figure2.png`. With
/// `opts.jobs > 1`, `child(name)` gives the command that trains and scores one row in its own
/// process (the binary with the same options and `--only NAME --jobs 1`).
pub fn run(opts: &TableOptions, child: &(dyn Fn(&str) -> Command + Sync)) -> Result<()> {
    let rows = rows(opts.budget.positions.family());
    if let Some(only) = &opts.only
        && !rows.iter().any(|r| r.name == only)
    {
        let names: Vec<_> = rows.iter().map(|r| r.name).collect();
        return Err(Error::Usage(format!(
            "--only {only}: no such row (rows: {})",
            names.join(", ")
        )));
    }
    if opts.jobs == 0 {
        return Err(Error::Usage("--jobs must be at least 1".into()));
    }
    let device = crate::select_device(&opts.device)?;
    let ds = Dataset::read(&opts.data).map_err(|e| Error::Dataset {
        path: opts.data.clone(),
        reason: e.to_string(),
    })?;
    let data = crate::data::from_dataset(&ds, None);
    std::fs::create_dir_all(&opts.out).map_err(|e| Error::io(&opts.out, e))?;
    claim_folder(opts, &data.dataset_hash)?;

    let todo: Vec<&Row> = training_order(&rows)
        .into_iter()
        .filter(|r| opts.only.as_deref().is_none_or(|o| o == r.name))
        .collect();
    let b = &opts.budget;
    println!(
        "table: {} rows, {} epochs x {} steps x batch {} (windows of {}, stride {}; validation stride {}, {} items), {} job(s), device {device:?}",
        todo.len(),
        b.epochs,
        b.steps_per_epoch,
        b.batch,
        b.seq_len,
        b.stride,
        b.val_stride,
        data.val.len(),
        opts.jobs
    );
    if opts.jobs > 1 && todo.len() > 1 {
        let scoring = Scoring::of(opts);
        let (done, left): (Vec<&Row>, Vec<&Row>) = todo.iter().partition(|r| {
            RowResult::load(&row_dir(&opts.out, r.name).join(RESULT))
                .is_ok_and(|res| res.is_current(b, &scoring))
        });
        for r in done {
            println!("{}: done before, skipped", r.name);
        }
        run_children(opts, &left, child)?;
    } else {
        let items: Vec<&Item> = ds.split(Split::Val).collect();
        for (k, row) in todo.iter().enumerate() {
            let tag = format!("[{}/{}] {}", k + 1, todo.len(), row.name);
            let r = match ensure_row(row, opts, &data, &items, device, &tag) {
                // Another sweep process is on this row: leave it to that one.
                Err(Error::RowBusy(why)) if opts.only.is_none() => {
                    println!("{tag}: {why}; skipped");
                    continue;
                }
                other => other?,
            };
            println!(
                "{tag}: hamming {:.4} cosine {:.4} bleu {:.4} next-token acc {:.4} | {} params, best epoch {} | train {:.0} s, scoring {:.0} s",
                value(&r.items, Metric::Hamming),
                value(&r.items, Metric::Cosine),
                value(&r.items, Metric::Bleu),
                value(&r.items, Metric::NextAccuracy),
                r.params,
                r.best_epoch,
                r.train_seconds,
                r.eval_seconds
            );
            write_outputs(opts, &rows)?;
        }
    }
    write_outputs(opts, &rows)?;
    println!(
        "wrote {} and {}",
        opts.out.join("table1.md").display(),
        opts.out.join("figure2.png").display()
    );
    Ok(())
}

/// Checks `OUT/sweep.json` against this invocation (refusing another dataset or budget unless
/// `--force`, which moves the old runs aside) and records this invocation's.
fn claim_folder(opts: &TableOptions, dataset_hash: &str) -> Result<()> {
    let mine = Manifest {
        dataset_hash: dataset_hash.to_string(),
        budget: opts.budget.clone(),
    };
    let runs = opts.out.join("runs");
    let conflict = match Manifest::load(&opts.out)? {
        Some(theirs) => theirs.conflict(&mine),
        None if runs.exists() => Some("it has runs but no sweep.json".to_string()),
        None => None,
    };
    if let Some(why) = conflict {
        if !opts.force {
            return Err(Error::Usage(format!(
                "{} belongs to another sweep: {why}. Use another --out, or --force to move its runs aside and start over",
                opts.out.display()
            )));
        }
        if runs.exists() {
            let moved = move_aside(&runs, "replaced")?;
            println!("--force: {why}; moved its runs to {}", moved.display());
        }
    }
    mine.save(&opts.out)
}

/// Renames `path` to the first free `path.TAG-N`; returns the new name.
fn move_aside(path: &Path, tag: &str) -> Result<PathBuf> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let to = (1..)
        .map(|n| path.with_file_name(format!("{name}.{tag}-{n}")))
        .find(|p| !p.exists())
        .unwrap_or_else(|| path.with_file_name(format!("{name}.{tag}")));
    std::fs::rename(path, &to).map_err(|e| Error::io(path, e))?;
    Ok(to)
}

/// An exclusive lock on `runs/NAME.lock` while a process works on the row.
fn lock_row(out: &Path, name: &str) -> Result<File> {
    let runs = out.join("runs");
    std::fs::create_dir_all(&runs).map_err(|e| Error::io(&runs, e))?;
    let path = runs.join(format!("{name}.lock"));
    let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::RowBusy(format!(
            "row {name} is being trained by another process (it holds {})",
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

/// Why the run directory of `row` cannot be resumed, if it cannot.
fn unreadable_run(dir: &Path, row: &Row, dataset_hash: &str) -> Option<String> {
    let ckpt = dir.join(files::CHECKPOINT);
    if !dir.join(files::RUN).exists() {
        return ckpt
            .exists()
            .then(|| "a checkpoint without run.json".to_string());
    }
    let cfg = match RunConfig::load(dir) {
        Ok(cfg) => cfg,
        Err(e) => return Some(e.to_string()),
    };
    if cfg.model != row.spec {
        return Some(format!("run.json holds another model ({:?})", cfg.model));
    }
    if cfg.dataset_hash != dataset_hash {
        return Some(format!("run.json names dataset {}", cfg.dataset_hash));
    }
    if !ckpt.exists() {
        return None;
    }
    match checkpoint::load(&ckpt) {
        Err(e) => Some(e.to_string()),
        Ok(c) if c.state.epoch > 0 => checkpoint::load(&dir.join(files::BEST))
            .err()
            .map(|e| e.to_string()),
        Ok(_) => None,
    }
}

/// Trains (or resumes) and scores one row unless its result is current; returns the result.
fn ensure_row(
    row: &Row,
    opts: &TableOptions,
    data: &TrainData,
    items: &[&Item],
    device: Device,
    tag: &str,
) -> Result<RowResult> {
    let b = &opts.budget;
    let dir = row_dir(&opts.out, row.name);
    let _lock = lock_row(&opts.out, row.name)?;
    let scoring = Scoring::of(opts);
    let result_path = dir.join(RESULT);
    let mut trained = None;
    if result_path.exists() {
        match RowResult::load(&result_path) {
            Ok(r) if r.is_current(b, &scoring) => {
                println!("{tag}: done before, skipped");
                return Ok(r);
            }
            Ok(r) if r.epochs < b.epochs => {
                println!("{tag}: extending from {} to {} epochs", r.epochs, b.epochs);
            }
            // Trained enough: score its best model again, without the (possibly uncommitted)
            // training checkpoint.
            Ok(r) if checkpoint::load(&dir.join(files::BEST)).is_ok() => {
                println!("{tag}: scored with other settings; scoring again");
                trained = Some(Trained {
                    epochs: r.epochs,
                    best_epoch: r.best_epoch,
                    best_val_loss: r.best_val_loss,
                    train_seconds: r.train_seconds,
                    history: r.history,
                });
            }
            Ok(_) => println!("{tag}: its best model cannot be read; training again"),
            Err(e) => println!("{tag}: {e}; scoring again"),
        }
    }
    let trained = match trained {
        Some(t) => t,
        None => train_row(row, opts, data, device, tag)?,
    };
    let (built, _) = load_model(&dir.join(files::BEST), device)?;
    let params: u64 = built.vars.values().map(|t| t.numel() as u64).sum();
    let val = &data.val[..opts.eval_items.unwrap_or(usize::MAX).min(data.val.len())];
    println!("{tag}: scoring on {} validation items", val.len());
    let started = Instant::now();
    let scores = score::score_items(
        built.model.as_ref(),
        device,
        val,
        items,
        b.seq_len,
        b.val_stride,
        opts.windows_per_item,
    )?;
    let result = RowResult {
        name: row.name.to_string(),
        spec: row.spec,
        params,
        epochs: trained.epochs,
        best_epoch: trained.best_epoch,
        best_val_loss: trained.best_val_loss,
        train_seconds: trained.train_seconds,
        eval_seconds: started.elapsed().as_secs_f64(),
        scoring,
        items: scores,
        history: trained.history,
    };
    result.save(&result_path)?;
    Ok(result)
}

/// What training left of a row (from its run, or from a result scored before).
struct Trained {
    epochs: u32,
    best_epoch: u32,
    best_val_loss: f64,
    train_seconds: f64,
    history: Vec<crate::run::EpochRecord>,
}

/// Trains (or resumes) `row` in its run directory, moving an unreadable one aside first.
fn train_row(
    row: &Row,
    opts: &TableOptions,
    data: &TrainData,
    device: Device,
    tag: &str,
) -> Result<Trained> {
    let b = &opts.budget;
    let dir = row_dir(&opts.out, row.name);
    if let Some(why) = unreadable_run(&dir, row, &data.dataset_hash) {
        let moved = move_aside(&dir, "corrupt")?;
        println!(
            "{tag}: the run directory cannot be resumed ({why}); moved to {}, training again",
            moved.display()
        );
    }
    let cfg = RunConfig {
        model: row.spec,
        data: opts.data.clone(),
        dataset_hash: data.dataset_hash.clone(),
        seq_len: b.seq_len,
        stride: b.stride,
        val_stride: Some(b.val_stride),
        batch: b.batch,
        lr: b.lr,
        weight_decay: 0.01,
        epochs: b.epochs,
        patience: None,
        max_steps: Some(b.steps_per_epoch),
        limit_items: None,
        seed: b.seed,
    };
    println!("{tag}: training");
    let topts = TrainOptions {
        out: dir.clone(),
        device,
        resume: dir.join(files::RUN).exists().then(Schedule::default),
        progress: false,
        verbose: !opts.quiet,
    };
    let state = train(cfg, data, &topts)?;
    Ok(Trained {
        epochs: state.epoch,
        best_epoch: state.best_epoch,
        best_val_loss: state.best_val_loss,
        train_seconds: state.train_seconds,
        history: state.history,
    })
}

/// Runs each row in its own process, `opts.jobs` at a time; output goes to `runs/NAME.log`.
fn run_children(
    opts: &TableOptions,
    todo: &[&Row],
    child: &(dyn Fn(&str) -> Command + Sync),
) -> Result<()> {
    let queue = Mutex::new(todo.iter().copied().collect::<VecDeque<_>>());
    let failed = Mutex::new(Vec::<String>::new());
    let n = todo.len();
    let runs = opts.out.join("runs");
    std::fs::create_dir_all(&runs).map_err(|e| Error::io(&runs, e))?;
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.min(n) {
            s.spawn(|| {
                loop {
                    let next = queue
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .pop_front();
                    let Some(row) = next else { break };
                    let outcome = run_child(&runs, row.name, child);
                    match &outcome {
                        Ok(secs) => println!("{}: finished in {secs:.0} s", row.name),
                        Err(why) => println!("{}: FAILED: {why}", row.name),
                    }
                    if let Err(why) = outcome {
                        failed
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(format!("{}: {why}", row.name));
                    }
                }
            });
        }
    });
    let failed = failed
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{} of {n} rows failed (the table lists the others): {}",
            failed.len(),
            failed.join("; ")
        )))
    }
}

/// Runs one row's process with its output appended to `runs/NAME.log`; seconds it took.
fn run_child(
    runs: &Path,
    name: &str,
    child: &(dyn Fn(&str) -> Command + Sync),
) -> std::result::Result<f64, String> {
    let log_path = runs.join(format!("{name}.log"));
    let log = File::options()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| format!("{}: {e}", log_path.display()))?;
    let err_log = log
        .try_clone()
        .map_err(|e| format!("{}: {e}", log_path.display()))?;
    let started = Instant::now();
    let mut cmd = child(name);
    let mut proc = cmd
        .stdout(log)
        .stderr(err_log)
        .spawn()
        .map_err(|e| format!("starting {cmd:?}: {e}"))?;
    println!(
        "{name}: started (process {}, log {})",
        proc.id(),
        log_path.display()
    );
    let status = proc.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(started.elapsed().as_secs_f64())
    } else {
        Err(format!("{status}; see {}", log_path.display()))
    }
}

fn write_outputs(opts: &TableOptions, rows: &[Row]) -> Result<()> {
    let results = load_results(&opts.out, rows);
    write_atomic(
        &opts.out.join("table1.md"),
        markdown(rows, &results, &opts.budget).as_bytes(),
    )?;
    figure2(&opts.out.join("figure2.png"), rows, &results)
}

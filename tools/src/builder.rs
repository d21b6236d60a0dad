//! Building a [`Dataset`] from a source folder: `DIR/pokedex.csv` (columns `id`, `name`,
//! `sprite`, `description`; any order, extra columns ignored) and the sprite files it names
//! (paths relative to `DIR`).
//!
//! Every row becomes one [`Item`]: the description normalised (SPEC §2), the sprite pixelated
//! (SPEC §3), laid out as header + image + caption (SPEC §4). The CSV is read strictly: a
//! record with more or fewer fields than the header, or with a quoting fault
//! ([`crate::strict_csv`]: an unterminated quote that would swallow the following rows, text
//! after a closing quote), stops the build with an error naming its line, unless
//! [`BuildOptions::lenient`] turns it into a reported skip. A row that cannot be used (a bad id,
//! a duplicate id, a non-UTF-8 name or description, an empty description, a sprite path that
//! leaves the source folder (absolute, or with `..`), an unreadable or broken image) is skipped
//! with a reason; it never aborts the build. Rows are processed in parallel (rayon) and kept in
//! CSV order.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::pixelate::{Downsample, PixelateOptions, pixelate_file};
use crate::strict_csv::check_record;
use pxby_data::dataset::{Dataset, Item};
use pxby_data::text::normalize;

/// Name of the CSV file in a source folder.
pub const CSV_NAME: &str = "pokedex.csv";
/// Columns a source CSV must have.
pub const COLUMNS: [&str; 4] = ["id", "name", "sprite", "description"];

/// Options of [`build`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildOptions {
    /// Longer image side (SPEC §3, default 25).
    pub max_size: u16,
    /// Only the first `limit` CSV records.
    pub limit: Option<usize>,
    /// Down-sampling mode of the pixelation.
    pub mode: Downsample,
    /// Skip (and report) malformed CSV records instead of failing: wrong field count, quoting
    /// faults.
    pub lenient: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            max_size: crate::pixelate::DEFAULT_MAX_SIZE,
            limit: None,
            mode: Downsample::KMeans,
            lenient: false,
        }
    }
}

/// Errors that stop a build (bad rows never do).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The CSV file cannot be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The CSV is not a regular file, is larger than [`CSV`](pxby_data::input::CSV)'s limit, or
    /// cannot be read.
    #[error("cannot read the CSV: {0}")]
    Input(pxby_data::input::InputError),
    /// The CSV header row cannot be read.
    #[error("cannot read the header of {path}: {source}")]
    Header {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: csv::Error,
    },
    /// The CSV header lacks a required column.
    #[error("{path} has no `{column}` column (needs id, name, sprite, description)")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
    },
    /// A malformed CSV record (without [`BuildOptions::lenient`]).
    #[error("{path} line {line}: {reason} (--lenient skips such rows)")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line where the record (or its faulty field) starts.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// `max_size` is out of range.
    #[error("max size must be in 1..=255, got {0}")]
    InvalidMaxSize(u16),
}

/// A row that was left out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// 1-based line of the CSV record (the header is line 1).
    pub line: u64,
    /// The row's id field, if it could be read.
    pub id: Option<String>,
    /// Why.
    pub reason: String,
}

/// What a build did.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BuildReport {
    /// CSV records read.
    pub rows: usize,
    /// Rows skipped, in CSV order.
    pub skipped: Vec<Skipped>,
    /// Characters dropped by text normalisation because they are not in the vocabulary.
    pub dropped_chars: usize,
    /// Non-ASCII characters dropped by text normalisation (after NFKD).
    pub non_ascii_chars: usize,
    /// The files the build read: the CSV, then every sprite a row named (whether it decoded or
    /// not), so that a caller can refuse an output that would replace one of them.
    pub inputs: Vec<PathBuf>,
}

struct Row {
    line: u64,
    id: u32,
    id_text: String,
    name: String,
    sprite: PathBuf,
    caption: Vec<u8>,
}

fn field<'a>(rec: &'a csv::ByteRecord, i: usize, name: &str) -> Result<&'a [u8], String> {
    rec.get(i).ok_or_else(|| {
        format!(
            "missing column `{name}` (row has {} of the fields)",
            rec.len()
        )
    })
}

fn utf8<'a>(b: &'a [u8], name: &str) -> Result<&'a str, String> {
    std::str::from_utf8(b).map_err(|e| format!("{name} is not valid UTF-8 ({e})"))
}

/// Whether a sprite path from the CSV names a file inside the source folder: relative, with
/// no `..` (symbolic links inside the folder are the folder owner's business).
fn stays_inside(path: &Path) -> bool {
    use std::path::Component;
    !path.is_absolute()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Builds a dataset from `source` (a folder with `pokedex.csv`). `progress` is called once per
/// CSV record processed (from several threads).
pub fn build(
    source: &Path,
    opts: &BuildOptions,
    progress: &(dyn Fn() + Sync),
) -> Result<(Dataset, BuildReport), BuildError> {
    if opts.max_size == 0 || opts.max_size > 255 {
        return Err(BuildError::InvalidMaxSize(opts.max_size));
    }
    let csv_path = source.join(CSV_NAME);
    let bytes =
        pxby_data::input::read_input(&csv_path, pxby_data::input::CSV).map_err(|e| match e {
            pxby_data::input::InputError::Io { path, source } => BuildError::Open { path, source },
            other => BuildError::Input(other),
        })?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes.as_slice());
    let headers = reader
        .byte_headers()
        .map_err(|e| BuildError::Header {
            path: csv_path.clone(),
            source: e,
        })?
        .clone();
    let mut cols = [0usize; 4];
    for (slot, column) in cols.iter_mut().zip(COLUMNS) {
        *slot = headers
            .iter()
            .position(|h| {
                std::str::from_utf8(h)
                    .map(|s| {
                        s.trim()
                            .trim_start_matches('\u{feff}')
                            .eq_ignore_ascii_case(column)
                    })
                    .unwrap_or(false)
            })
            .ok_or(BuildError::MissingColumn {
                path: csv_path.clone(),
                column,
            })?;
    }
    // Every record with its raw bytes (up to the next record), for the strict checks.
    let records: Vec<Result<csv::ByteRecord, csv::Error>> = reader.byte_records().collect();
    let start_of = |r: &Result<csv::ByteRecord, csv::Error>| {
        let pos = match r {
            Ok(rec) => rec.position(),
            Err(e) => e.position(),
        };
        pos.map_or(bytes.len(), |p| {
            usize::try_from(p.byte()).unwrap_or(bytes.len())
        })
    };
    let first_start = records.first().map_or(bytes.len(), start_of);
    check_record(&bytes[..first_start], 1).map_err(|f| BuildError::Malformed {
        path: csv_path.clone(),
        line: f.line(),
        reason: f.to_string(),
    })?;

    let mut report = BuildReport {
        inputs: vec![csv_path.clone()],
        ..BuildReport::default()
    };
    let mut rows = Vec::new();
    let mut seen = BTreeSet::new();
    for (n, rec) in records.iter().enumerate() {
        if opts.limit.is_some_and(|l| n >= l) {
            break;
        }
        report.rows += 1;
        let start = start_of(rec);
        let end = records.get(n + 1).map_or(bytes.len(), start_of);
        let fault = match rec {
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                Some((line, format!("malformed CSV record: {e}")))
            }
            Ok(r) => {
                let line = r.position().map_or(0, csv::Position::line);
                match check_record(bytes.get(start..end).unwrap_or(&[]), line) {
                    Err(f) => Some((f.line(), f.to_string())),
                    Ok(()) if r.len() != headers.len() => Some((
                        line,
                        format!(
                            "{} fields, the header has {} (an unquoted comma, or a missing field?)",
                            r.len(),
                            headers.len()
                        ),
                    )),
                    Ok(()) => None,
                }
            }
        };
        let rec = match (fault, rec) {
            (Some((line, reason)), rec) => {
                if !opts.lenient {
                    return Err(BuildError::Malformed {
                        path: csv_path.clone(),
                        line,
                        reason,
                    });
                }
                report.skipped.push(Skipped {
                    line,
                    id: rec
                        .as_ref()
                        .ok()
                        .and_then(|r| r.get(cols[0]))
                        .map(|b| String::from_utf8_lossy(b).into_owned()),
                    reason,
                });
                progress();
                continue;
            }
            (None, Ok(rec)) => rec,
            (None, Err(_)) => continue,
        };
        let line = rec.position().map(csv::Position::line).unwrap_or(0);
        let id_text = rec
            .get(cols[0])
            .map(|b| String::from_utf8_lossy(b).into_owned());
        let parsed = (|| -> Result<Row, String> {
            let id_s = utf8(field(rec, cols[0], "id")?, "id")?.trim();
            let id: u32 = id_s.parse().map_err(|e: std::num::ParseIntError| {
                if *e.kind() == std::num::IntErrorKind::PosOverflow {
                    format!("id {id_s} is larger than the largest id, {}", u32::MAX)
                } else {
                    format!("id {id_s:?} is not a non-negative integer")
                }
            })?;
            let name = utf8(field(rec, cols[1], "name")?, "name")?
                .trim()
                .to_string();
            let sprite = utf8(field(rec, cols[2], "sprite")?, "sprite")?.trim();
            let desc = utf8(field(rec, cols[3], "description")?, "description")?;
            if name.is_empty() {
                return Err("empty name".into());
            }
            if sprite.is_empty() {
                return Err("empty sprite path".into());
            }
            if !stays_inside(Path::new(sprite)) {
                return Err(format!(
                    "sprite path {sprite:?} leaves the source folder (absolute, or with `..`)"
                ));
            }
            let norm = normalize(desc);
            if norm.tokens.is_empty() {
                return Err("empty description (after normalisation)".into());
            }
            if !seen.insert(id) {
                return Err(format!("duplicate id {id}"));
            }
            report.dropped_chars += norm.dropped;
            report.non_ascii_chars += norm.non_ascii;
            Ok(Row {
                line,
                id,
                id_text: id_s.to_string(),
                name,
                sprite: source.join(sprite),
                caption: norm.tokens,
            })
        })();
        match parsed {
            Ok(r) => {
                report.inputs.push(r.sprite.clone());
                rows.push(r);
            }
            Err(reason) => {
                report.skipped.push(Skipped {
                    line,
                    id: id_text,
                    reason,
                });
                progress();
            }
        }
    }

    let pix = PixelateOptions {
        max_size: opts.max_size,
        mode: opts.mode,
        ..PixelateOptions::default()
    };
    let results: Vec<Result<Item, Skipped>> = rows
        .into_par_iter()
        .map(|row| {
            let out = pixelate_file(&row.sprite, &pix)
                .map_err(|e| format!("sprite {}: {e}", row.sprite.display()))
                .and_then(|s| {
                    Item::new(row.id, row.name, s.height, s.width, &s.tokens, &row.caption)
                        .map_err(|e| format!("layout: {e}"))
                })
                .map_err(|reason| Skipped {
                    line: row.line,
                    id: Some(row.id_text),
                    reason,
                });
            progress();
            out
        })
        .collect();
    let mut items = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(item) => items.push(item),
            Err(s) => report.skipped.push(s),
        }
    }
    report.skipped.sort_by_key(|s| s.line);
    let mode = match opts.mode {
        Downsample::KMeans => "kmeans",
        Downsample::Majority => "majority",
    };
    let description = format!(
        "{} ({} rows, pixelation {mode}, max size {})",
        csv_path.display(),
        report.rows,
        opts.max_size
    );
    Ok((Dataset::new(opts.max_size, description, items), report))
}

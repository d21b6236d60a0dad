//! Scraping the wikis into a `pokedex.csv` + `sprites/` source folder, the layout
//! `pxby dataset build` reads (the same as `../shared/data/pokemon`).
//!
//! As in the paper: the national Pokédex list page of Poképédia gives each Pokémon's number,
//! names and miniature; the first paragraph of the "Biology" section of its Bulbapedia page gives
//! its description. See [`run`].
//!
//! Output folder after a run:
//! - `pokedex.csv`: `id,name,sprite,description` (ids on 4 digits, sprite paths relative,
//!   minimal quoting, CRLF line ends), written atomically at the end, items sorted by id.
//! - `sprites/NNNN.png`: the miniatures (PNG, checked to decode), each written atomically
//!   (temporary files live in the cache folder, so `sprites/` never holds a partial file).
//! - `scrape-report.txt` / `scrape-report.json`: the [`Report`].
//! - `.scrape-cache/`: every page and image fetched ([`cache`]); a rerun reads it instead of
//!   asking the servers again, so a killed run resumes where it stopped.
//!
//! ```no_run
//! use pxby_tools::scrape::{ScrapeOptions, run};
//! // The paper's sources, politely (1 request per host per second, 2 workers), first 10 only.
//! let report = run(&ScrapeOptions {
//!     out: "scraped".into(),
//!     limit: Some(10),
//!     ..ScrapeOptions::default()
//! })?;
//! println!("{report}");
//! # Ok::<(), pxby_tools::scrape::ScrapeError>(())
//! ```

pub mod cache;
pub mod fetch;
pub mod parse;
pub mod report;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

pub use cache::{Cache, CachedPage};
pub use fetch::{FetchError, FetchPolicy, Fetcher};
pub use parse::{Bio, BioSource, ListEntry, ListPage, parse_bio, parse_list};
pub use report::{Failure, Report};

/// The paper's list page: Poképédia's national Pokédex list.
pub const DEFAULT_LIST_URL: &str =
    "https://www.pokepedia.fr/Liste_des_Pok%C3%A9mon_dans_l%27ordre_du_Pok%C3%A9dex_National";
/// The paper's biology pages: Bulbapedia, `{name}` replaced by the URL-encoded English name.
pub const DEFAULT_BIO_URL_TEMPLATE: &str =
    "https://bulbapedia.bulbagarden.net/wiki/{name}_(Pok%C3%A9mon)";
/// Name of the cache folder inside the output folder.
pub const CACHE_DIR: &str = ".scrape-cache";
/// Name of the CSV written in the output folder.
pub const CSV_FILE: &str = "pokedex.csv";

/// The User-Agent sent by default: names the tool, its version and where it comes from.
pub fn default_user_agent() -> String {
    format!(
        "pxby-scrape/{} (PixelBytes-rs dataset tool; +{})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_REPOSITORY")
    )
}

/// Everything a scrape needs. [`Default`] gives the paper's URLs and polite settings.
#[derive(Debug, Clone)]
pub struct ScrapeOptions {
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Scrape only the first `limit` Pokémon of the list.
    pub limit: Option<usize>,
    /// The national Pokédex list page.
    pub list_url: String,
    /// Biology page URL with a `{name}` placeholder.
    pub bio_url_template: String,
    /// Minimum time between two requests to the same host.
    pub delay: Duration,
    /// Worker threads (Pokémon scraped at the same time).
    pub concurrency: usize,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Retries after the first try of a request.
    pub retries: u32,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Base of the exponential backoff between tries.
    pub backoff: Duration,
    /// Longest `Retry-After` honoured before giving up on an item.
    pub max_retry_after: Duration,
    /// Print the report to standard output at the end.
    pub print_report: bool,
}

impl Default for ScrapeOptions {
    fn default() -> Self {
        Self {
            out: PathBuf::from("scraped"),
            limit: None,
            list_url: DEFAULT_LIST_URL.to_owned(),
            bio_url_template: DEFAULT_BIO_URL_TEMPLATE.to_owned(),
            delay: Duration::from_millis(1000),
            concurrency: 2,
            user_agent: default_user_agent(),
            retries: 4,
            timeout: Duration::from_secs(30),
            backoff: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(600),
            print_report: true,
        }
    }
}

/// Why a scrape could not run or finish.
#[derive(Debug, thiserror::Error)]
pub enum ScrapeError {
    /// An option is unusable.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// The list page could not be fetched: nothing to scrape.
    #[error("list page: {0}")]
    ListPage(FetchError),
    /// The list page has no row that could be read.
    #[error("list page {0}: no Pokémon rows found (expected <tr> rows with <td> cells)")]
    EmptyList(String),
    /// Not a single item could be scraped (see the report); no CSV was written.
    #[error("no Pokémon could be scraped ({0} failed); see scrape-report.txt")]
    NothingScraped(usize),
    /// The CSV could not be encoded.
    #[error("cannot write {CSV_FILE}: {0}")]
    Csv(#[from] csv::Error),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> ScrapeError + '_ {
    move |source| ScrapeError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Characters kept as they are in the `{name}` of a biology URL (RFC 3986 unreserved).
const NAME_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The biology page URL of a Pokémon: spaces become `_` (the wikis' convention) and the name is
/// percent-encoded into the template's `{name}`.
///
/// ```
/// use pxby_tools::scrape::bio_url;
/// let url = bio_url("https://wiki.example/wiki/{name}_(Pok%C3%A9mon)", "Mr. Mime").unwrap();
/// assert_eq!(url.as_str(), "https://wiki.example/wiki/Mr._Mime_(Pok%C3%A9mon)");
/// let url = bio_url("https://wiki.example/wiki/{name}", "Farfetch'd Nidoran♀").unwrap();
/// assert_eq!(url.as_str(), "https://wiki.example/wiki/Farfetch%27d_Nidoran%E2%99%80");
/// ```
pub fn bio_url(template: &str, name: &str) -> Result<Url, ScrapeError> {
    if !template.contains("{name}") {
        return Err(ScrapeError::InvalidOption(format!(
            "--bio-url-template {template:?} has no {{name}} placeholder"
        )));
    }
    let encoded = utf8_percent_encode(&name.trim().replace(' ', "_"), NAME_KEEP).to_string();
    let url = template.replace("{name}", &encoded);
    Url::parse(&url).map_err(|e| ScrapeError::InvalidOption(format!("biology URL {url:?}: {e}")))
}

fn tries_text(tries: u32) -> String {
    if tries == 1 {
        "1 try".to_owned()
    } else {
        format!("{tries} tries")
    }
}

/// Checks that bytes are a complete PNG image (it decodes).
fn check_png(bytes: &[u8]) -> Result<(), String> {
    image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .map(|_| ())
        .map_err(|e| format!("not a complete PNG image: {e}"))
}

/// Checks that a page is text (HTML).
fn check_html(bytes: &[u8]) -> Result<(), String> {
    if bytes.is_empty() {
        Err("empty page".to_owned())
    } else {
        Ok(())
    }
}

/// A scraped Pokémon, ready for the CSV.
#[derive(Debug, Clone)]
struct Scraped {
    id: u32,
    name: String,
    description: String,
    source: BioSource,
}

/// The outcome of one item: scraped, or the failures of its stages.
type ItemResult = Result<Scraped, Vec<Failure>>;

/// Scrapes one list entry: its biology page and its miniature (both through the cache), and
/// writes the sprite. Each failure is returned with its stage.
fn scrape_item(
    fetcher: &Fetcher,
    opts: &ScrapeOptions,
    sprites: &Path,
    entry: &ListEntry,
) -> ItemResult {
    let failure = |stage: &str, url: Option<&Url>, reason: String| Failure {
        id: entry.number,
        name: entry.name_en.clone(),
        stage: stage.to_owned(),
        url: url.map(std::string::ToString::to_string),
        reason,
    };
    let from_fetch = |stage: &str, e: FetchError| Failure {
        id: entry.number,
        name: entry.name_en.clone(),
        stage: stage.to_owned(),
        url: Some(e.url.clone()),
        reason: format!("{} (after {})", e.reason, tries_text(e.tries)),
    };
    let Some(image_url) = &entry.image else {
        return Err(vec![failure(
            "image",
            None,
            "the list row has no image".to_owned(),
        )]);
    };
    let mut failures = Vec::new();

    let bio = match bio_url(&opts.bio_url_template, &entry.name_en) {
        Err(e) => Err(failure("bio", None, e.to_string())),
        Ok(url) => match fetcher.get(&url, &check_html) {
            Err(e) => Err(from_fetch("bio", e)),
            Ok(page) => {
                let html = String::from_utf8_lossy(&page.body);
                parse_bio(&html).ok_or_else(|| {
                    failure(
                        "bio",
                        Some(&url),
                        "no Biology paragraph and no paragraph in div#mw-content-text".to_owned(),
                    )
                })
            }
        },
    };
    let bio = bio.map_err(|f| failures.push(f)).ok();

    match fetcher.get(image_url, &check_png) {
        Err(e) => failures.push(from_fetch("image", e)),
        Ok(image) => {
            let path = sprites.join(format!("{:04}.png", entry.number));
            let same = fs::read(&path).is_ok_and(|old| old == image.body);
            if !same && let Err(e) = fetcher.cache().write_output(&path, &image.body) {
                failures.push(failure(
                    "image",
                    Some(image_url),
                    format!("{}: {e}", path.display()),
                ));
            }
        }
    }
    match bio {
        Some(bio) if failures.is_empty() => Ok(Scraped {
            id: entry.number,
            name: entry.name_en.clone(),
            description: bio.text,
            source: bio.source,
        }),
        _ => Err(failures),
    }
}

/// Encodes the CSV exactly like `../shared/data/pokemon/pokedex.csv`: header
/// `id,name,sprite,description`, ids on 4 digits, `sprites/NNNN.png`, minimal quoting, CRLF.
fn encode_csv(items: &[Scraped]) -> Result<Vec<u8>, ScrapeError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    writer.write_record(["id", "name", "sprite", "description"])?;
    for item in items {
        let id = format!("{:04}", item.id);
        let sprite = format!("sprites/{id}.png");
        writer.write_record([
            id.as_str(),
            item.name.as_str(),
            sprite.as_str(),
            item.description.as_str(),
        ])?;
    }
    writer.into_inner().map_err(|e| ScrapeError::Io {
        path: PathBuf::from(CSV_FILE),
        source: e.into_error(),
    })
}

/// Runs a scrape: fetches the list page, then each Pokémon's biology page and miniature with
/// `opts.concurrency` workers, writes `sprites/`, `pokedex.csv` and the report into `opts.out`.
///
/// Items that fail (no image in their row, a page or image that still fails after the retries,
/// a biology page without any paragraph) are left out of the CSV and listed in the report; the
/// run goes on. Everything fetched is cached, so running again retries only what is missing.
/// A list page that cannot be fetched or read, or a run where no item at all could be scraped,
/// is an `Err` (after writing the report; no CSV is written then).
pub fn run(opts: &ScrapeOptions) -> Result<Report, ScrapeError> {
    if opts.concurrency == 0 {
        return Err(ScrapeError::InvalidOption(
            "--concurrency must be at least 1".into(),
        ));
    }
    if opts.limit == Some(0) {
        return Err(ScrapeError::InvalidOption(
            "--limit must be at least 1".into(),
        ));
    }
    if opts.timeout.is_zero() {
        return Err(ScrapeError::InvalidOption(
            "--timeout-ms must be at least 1".into(),
        ));
    }
    // Fail early on a template without {name}.
    bio_url(&opts.bio_url_template, "x")?;
    let list_url = Url::parse(&opts.list_url)
        .map_err(|e| ScrapeError::InvalidOption(format!("--list-url {:?}: {e}", opts.list_url)))?;

    let out = &opts.out;
    let sprites = out.join("sprites");
    fs::create_dir_all(&sprites).map_err(io_err(&sprites))?;
    pxby_data::atomic::sweep_temp_files(out).map_err(io_err(out))?;
    pxby_data::atomic::sweep_temp_files(&sprites).map_err(io_err(&sprites))?;
    let cache_dir = out.join(CACHE_DIR);
    let cache = Cache::open(&cache_dir).map_err(io_err(&cache_dir))?;
    let policy = FetchPolicy {
        delay: opts.delay,
        retries: opts.retries,
        backoff: opts.backoff,
        timeout: opts.timeout,
        max_retry_after: opts.max_retry_after,
        user_agent: opts.user_agent.clone(),
    };
    let fetcher = Fetcher::new(policy, cache)?;
    let mut report = Report {
        list_url: opts.list_url.clone(),
        ..Report::default()
    };

    let list = match fetcher.get(&list_url, &check_html) {
        Ok(page) => parse_list(&String::from_utf8_lossy(&page.body), &page.final_url),
        Err(e) => {
            report.failed.push(Failure {
                id: 0,
                name: String::new(),
                stage: "list".into(),
                url: Some(e.url.clone()),
                reason: format!("{} (after {})", e.reason, tries_text(e.tries)),
            });
            finish(&fetcher, opts, &mut report)?;
            return Err(ScrapeError::ListPage(e));
        }
    };
    report.skipped_rows = list.skipped;
    let mut entries = list.entries;
    if let Some(limit) = opts.limit {
        entries.truncate(limit);
    }
    report.items_listed = entries.len();
    if entries.is_empty() {
        finish(&fetcher, opts, &mut report)?;
        return Err(ScrapeError::EmptyList(opts.list_url.clone()));
    }

    let progress = indicatif::ProgressBar::new(entries.len() as u64);
    progress.set_style(
        indicatif::ProgressStyle::with_template("scraping {bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<ItemResult>>> = Mutex::new(vec![None; entries.len()]);
    std::thread::scope(|scope| {
        for _ in 0..opts.concurrency.min(entries.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(entry) = entries.get(i) else { break };
                    let result = scrape_item(&fetcher, opts, &sprites, entry);
                    progress.set_message(entry.name_en.clone());
                    progress.inc(1);
                    results
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)[i] = Some(result);
                }
            });
        }
    });
    progress.finish_and_clear();

    let mut scraped = Vec::new();
    for result in results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .flatten()
    {
        match result {
            Ok(item) => scraped.push(item),
            Err(failures) => report.failed.extend(failures),
        }
    }
    scraped.sort_by_key(|s| s.id);
    report
        .failed
        .sort_by(|a, b| (a.id, &a.stage).cmp(&(b.id, &b.stage)));
    report.fallback_descriptions = scraped
        .iter()
        .filter(|s| s.source == BioSource::FirstParagraph)
        .map(|s| format!("{:04} {}", s.id, s.name))
        .collect();
    if scraped.is_empty() {
        finish(&fetcher, opts, &mut report)?;
        return Err(ScrapeError::NothingScraped(report.failed.len()));
    }
    let csv_path = out.join(CSV_FILE);
    fetcher
        .cache()
        .write_output(&csv_path, &encode_csv(&scraped)?)
        .map_err(io_err(&csv_path))?;
    report.items_written = scraped.len();
    report.csv = Some(csv_path.display().to_string());
    finish(&fetcher, opts, &mut report)?;
    Ok(report)
}

/// Fills the counters, prints the report and writes it (text and JSON) into the output folder.
fn finish(fetcher: &Fetcher, opts: &ScrapeOptions, report: &mut Report) -> Result<(), ScrapeError> {
    let stats = &fetcher.stats;
    report.fetched = stats.fetched.load(Ordering::Relaxed);
    report.from_cache = stats.from_cache.load(Ordering::Relaxed);
    report.requests = stats.requests.load(Ordering::Relaxed);
    report.retries = stats.retries.load(Ordering::Relaxed);
    let text = report.to_string();
    if opts.print_report {
        print!("{text}");
    }
    let txt = opts.out.join("scrape-report.txt");
    fetcher
        .cache()
        .write_output(&txt, text.as_bytes())
        .map_err(io_err(&txt))?;
    let json_path = opts.out.join("scrape-report.json");
    let json = serde_json::to_vec_pretty(report).map_err(|e| ScrapeError::Io {
        path: json_path.clone(),
        source: e.into(),
    })?;
    fetcher
        .cache()
        .write_output(&json_path, &json)
        .map_err(io_err(&json_path))?;
    Ok(())
}

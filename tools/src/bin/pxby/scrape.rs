//! Command-line arguments of `pxby dataset scrape` (clap), turned into [`ScrapeOptions`].

use std::path::PathBuf;
use std::time::Duration;

use pxby_tools::scrape::{
    DEFAULT_BIO_URL_TEMPLATE, DEFAULT_LIST_URL, ScrapeOptions, default_user_agent,
};

/// Scrape the wikis (Poképédia's national list, Bulbapedia's Biology sections) into a source
/// folder for `pxby dataset build`: `pokedex.csv` (id,name,sprite,description) + `sprites/`.
///
/// Polite: one request per host every `--delay-ms`, at most `--concurrency` Pokémon at a time, a
/// User-Agent naming the tool, retries with exponential backoff and jitter on timeouts,
/// connection errors, 429 and 5xx (honouring Retry-After). Resumable: every page and image is
/// cached under OUT/.scrape-cache; rerunning fetches only what is missing, and a killed run
/// loses nothing. Items that fail are left out of the CSV and listed in OUT/scrape-report.txt.
#[derive(Debug, Clone, clap::Args)]
pub struct ScrapeArgs {
    /// Output folder (created if missing); also holds the cache and the report.
    #[arg(long)]
    pub out: PathBuf,
    /// Scrape only the first N Pokémon of the list.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// The national Pokédex list page.
    #[arg(long, value_name = "URL", default_value = DEFAULT_LIST_URL)]
    pub list_url: String,
    /// Biology page URL; `{name}` is replaced by the URL-encoded English name.
    #[arg(long, value_name = "URL", default_value = DEFAULT_BIO_URL_TEMPLATE)]
    pub bio_url_template: String,
    /// Minimum time between two requests to the same host, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub delay_ms: u64,
    /// Pokémon scraped at the same time (worker threads).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// User-Agent header [default: pxby-scrape/VERSION (PixelBytes-rs dataset tool; +URL)].
    #[arg(long, value_name = "TEXT")]
    pub user_agent: Option<String>,
    /// Retries after the first try of a request (so N+1 tries in all) before giving up on it.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub retries: u32,
    /// Timeout of one request (connect, headers and body), in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,
    /// Base of the exponential backoff between tries, in milliseconds (also the jitter bound).
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub backoff_ms: u64,
    /// Longest Retry-After honoured, in seconds; a server asking for more fails that item.
    #[arg(long, value_name = "S", default_value_t = 600)]
    pub max_retry_after_s: u64,
}

impl ScrapeArgs {
    /// The options these arguments describe.
    pub fn to_options(&self) -> ScrapeOptions {
        ScrapeOptions {
            out: self.out.clone(),
            limit: self.limit,
            list_url: self.list_url.clone(),
            bio_url_template: self.bio_url_template.clone(),
            delay: Duration::from_millis(self.delay_ms),
            concurrency: usize::from(self.concurrency),
            user_agent: self.user_agent.clone().unwrap_or_else(default_user_agent),
            retries: self.retries,
            timeout: Duration::from_millis(self.timeout_ms),
            backoff: Duration::from_millis(self.backoff_ms),
            max_retry_after: Duration::from_secs(self.max_retry_after_s),
            print_report: true,
        }
    }
}

//! The end-of-run report: what was fetched, what came from the cache, what failed and why.

use std::fmt;

use serde::Serialize;

/// An item (or the list page) that could not be scraped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// National number (0 for the list page).
    pub id: u32,
    /// English name (empty for the list page).
    pub name: String,
    /// What failed: `"list"`, `"image"`, `"bio"`.
    pub stage: String,
    /// The URL involved, if any.
    pub url: Option<String>,
    /// Why.
    pub reason: String,
}

/// The report of one scrape, printed at the end and written to `scrape-report.txt` and
/// `scrape-report.json` in the output folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The list page URL.
    pub list_url: String,
    /// Items understood on the list page (after `--limit`).
    pub items_listed: usize,
    /// Items written to `pokedex.csv`.
    pub items_written: usize,
    /// Bodies downloaded (and cached) in this run.
    pub fetched: usize,
    /// Bodies read from the cache instead.
    pub from_cache: usize,
    /// HTTP requests made, retries included.
    pub requests: usize,
    /// Requests that were retries.
    pub retries: usize,
    /// Items whose description is the page's first paragraph (no Biology section found).
    pub fallback_descriptions: Vec<String>,
    /// List rows that were not understood, with the reason.
    pub skipped_rows: Vec<String>,
    /// Items that failed, with the reason; they are not in `pokedex.csv`.
    pub failed: Vec<Failure>,
    /// Path of the CSV written, if any.
    pub csv: Option<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "scrape of {}", self.list_url)?;
        writeln!(
            f,
            "items: {} listed, {} written, {} failed",
            self.items_listed,
            self.items_written,
            self.failed.len()
        )?;
        writeln!(
            f,
            "pages and images: {} fetched, {} from cache; {} requests ({} retries)",
            self.fetched, self.from_cache, self.requests, self.retries
        )?;
        if let Some(csv) = &self.csv {
            writeln!(f, "wrote {csv}")?;
        }
        if !self.fallback_descriptions.is_empty() {
            writeln!(
                f,
                "no Biology section, first paragraph used ({}): {}",
                self.fallback_descriptions.len(),
                self.fallback_descriptions.join(", ")
            )?;
        }
        if !self.skipped_rows.is_empty() {
            writeln!(f, "list rows skipped ({}):", self.skipped_rows.len())?;
            for row in &self.skipped_rows {
                writeln!(f, "  {row}")?;
            }
        }
        if !self.failed.is_empty() {
            writeln!(f, "failed ({}):", self.failed.len())?;
            for x in &self.failed {
                write!(f, "  {:04} {} [{}]: {}", x.id, x.name, x.stage, x.reason)?;
                match &x.url {
                    Some(url) if !x.reason.contains(url.as_str()) => writeln!(f, " <{url}>")?,
                    _ => writeln!(f)?,
                }
            }
        }
        Ok(())
    }
}

//! Polite, retrying HTTP fetches through the on-disk cache.
//!
//! - A request to a host waits until `delay` has passed since the previous request to that host
//!   was started (shared by all worker threads); a `Retry-After` pushes the whole host back.
//! - Timeouts, connection errors, bodies cut short, `429` and `5xx` are retried with exponential
//!   backoff (`backoff · 2^attempt`, capped at 60 s) plus random jitter of up to one `backoff`,
//!   or after the server's `Retry-After` when it gives one. Other statuses fail at once.
//! - A response is cached only once it is complete and passes the caller's check.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use reqwest::StatusCode;
use reqwest::blocking::Client;
use url::Url;

use super::cache::Cache;

/// Cap of the exponential backoff between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How fetches behave.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Minimum time between the starts of two requests to the same host.
    pub delay: Duration,
    /// Retries after the first try (so `retries + 1` tries in all).
    pub retries: u32,
    /// Base of the exponential backoff, and the bound of the random jitter.
    pub backoff: Duration,
    /// Per-request timeout (connect, headers and body together).
    pub timeout: Duration,
    /// Longest `Retry-After` honoured; a server asking for longer fails the item.
    pub max_retry_after: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
}

/// A fetched body.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The body.
    pub body: Vec<u8>,
    /// The URL after redirects.
    pub final_url: Url,
    /// Whether it came from the cache (no request made).
    pub from_cache: bool,
}

/// A fetch that failed for good.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{url}: {reason} (after {tries} tr{})", if *.tries == 1 { "y" } else { "ies" })]
pub struct FetchError {
    /// The URL requested.
    pub url: String,
    /// Why the last try failed.
    pub reason: String,
    /// How many requests were made.
    pub tries: u32,
}

/// Counters over a run.
#[derive(Debug, Default)]
pub struct FetchStats {
    /// Bodies downloaded and cached.
    pub fetched: AtomicUsize,
    /// Bodies read from the cache.
    pub from_cache: AtomicUsize,
    /// HTTP requests started.
    pub requests: AtomicUsize,
    /// Requests that were retries.
    pub retries: AtomicUsize,
}

/// What one try ended in.
enum TryError {
    /// Worth another try, after at least `wait` when the server said so.
    Retry {
        reason: String,
        wait: Option<Duration>,
    },
    /// Trying again would not help.
    Fatal(String),
}

/// The HTTP client with its politeness state and the cache.
pub struct Fetcher {
    client: Client,
    cache: Cache,
    policy: FetchPolicy,
    next_slot: Mutex<HashMap<String, Instant>>,
    /// Counters, read at the end for the report.
    pub stats: FetchStats,
}

impl Fetcher {
    /// Builds the client (rustls, redirects followed, the policy's timeout and User-Agent).
    pub fn new(policy: FetchPolicy, cache: Cache) -> Result<Self, reqwest::Error> {
        let client = Client::builder()
            .user_agent(policy.user_agent.clone())
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            .redirect(reqwest::redirect::Policy::limited(10))
            .build()?;
        Ok(Self {
            client,
            cache,
            policy,
            next_slot: Mutex::new(HashMap::new()),
            stats: FetchStats::default(),
        })
    }

    /// The cache this fetcher reads and fills.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Returns `url`'s body from the cache, or fetches it (politely, with retries), checks it
    /// with `check` (an `Err` counts as a failed try, e.g. an image that does not decode) and
    /// caches it.
    pub fn get(
        &self,
        url: &Url,
        check: &dyn Fn(&[u8]) -> Result<(), String>,
    ) -> Result<Fetched, FetchError> {
        let key = url.as_str();
        let fail = |reason: String, tries: u32| FetchError {
            url: key.to_owned(),
            reason,
            tries,
        };
        match self.cache.get(key) {
            Ok(Some(page)) if check(&page.body).is_ok() => {
                self.stats.from_cache.fetch_add(1, Ordering::Relaxed);
                let final_url = Url::parse(&page.final_url).unwrap_or_else(|_| url.clone());
                return Ok(Fetched {
                    body: page.body,
                    final_url,
                    from_cache: true,
                });
            }
            Ok(_) => {}
            Err(e) => return Err(fail(format!("cannot read the cache: {e}"), 0)),
        }
        let mut tries = 0;
        loop {
            tries += 1;
            if tries > 1 {
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
            }
            match self.try_once(url, check) {
                Ok((body, final_url)) => {
                    self.cache
                        .put(key, final_url.as_str(), &body)
                        .map_err(|e| fail(format!("cannot write the cache: {e}"), tries))?;
                    self.stats.fetched.fetch_add(1, Ordering::Relaxed);
                    return Ok(Fetched {
                        body,
                        final_url,
                        from_cache: false,
                    });
                }
                Err(TryError::Fatal(reason)) => return Err(fail(reason, tries)),
                Err(TryError::Retry { reason, wait }) => {
                    if tries > self.policy.retries {
                        return Err(fail(reason, tries));
                    }
                    let wait = match wait {
                        Some(w) if w > self.policy.max_retry_after => {
                            return Err(fail(
                                format!("{reason}; Retry-After {} s is too long", w.as_secs()),
                                tries,
                            ));
                        }
                        Some(w) => {
                            self.push_back_host(url, w);
                            w
                        }
                        None => self.backoff(tries - 1),
                    };
                    std::thread::sleep(wait);
                }
            }
        }
    }

    /// Exponential backoff with jitter for the retry after failed try number `attempt` (0-based).
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.policy.backoff;
        let exp = base
            .saturating_mul(1u32 << attempt.min(16))
            .min(MAX_BACKOFF);
        let jitter_ms = u64::try_from(base.as_millis()).unwrap_or(u64::MAX);
        let jitter = if jitter_ms == 0 {
            0
        } else {
            rand::random_range(0..=jitter_ms)
        };
        exp + Duration::from_millis(jitter)
    }

    fn host_key(url: &Url) -> String {
        format!(
            "{}:{}",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        )
    }

    /// Waits for this host's turn and books the next one `delay` later.
    fn wait_turn(&self, url: &Url) {
        let now = Instant::now();
        let start = {
            let mut slots = self
                .next_slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let slot = slots.entry(Self::host_key(url)).or_insert(now);
            let start = (*slot).max(now);
            *slot = start + self.policy.delay;
            start
        };
        if start > now {
            std::thread::sleep(start - now);
        }
    }

    /// After a `Retry-After`, no request to this host starts before it has passed.
    fn push_back_host(&self, url: &Url, wait: Duration) {
        let until = Instant::now() + wait;
        let mut slots = self
            .next_slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = slots.entry(Self::host_key(url)).or_insert(until);
        *slot = (*slot).max(until);
    }

    fn try_once(
        &self,
        url: &Url,
        check: &dyn Fn(&[u8]) -> Result<(), String>,
    ) -> Result<(Vec<u8>, Url), TryError> {
        self.wait_turn(url);
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let response = self.client.get(url.clone()).send().map_err(classify)?;
        let status = response.status();
        let final_url = response.url().clone();
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let wait = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            return Err(TryError::Retry {
                reason: format!("HTTP {status}"),
                wait,
            });
        }
        if !status.is_success() {
            return Err(TryError::Fatal(format!("HTTP {status}")));
        }
        let body = response.bytes().map_err(classify)?.to_vec();
        check(&body).map_err(|reason| TryError::Retry { reason, wait: None })?;
        Ok((body, final_url))
    }
}

/// Sorts a transport error: timeouts, connection trouble and cut bodies are worth retrying;
/// redirect loops and malformed requests are not.
fn classify(error: reqwest::Error) -> TryError {
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(s) = source {
        reason.push_str(": ");
        reason.push_str(&s.to_string());
        source = s.source();
    }
    if error.is_redirect() || error.is_builder() {
        TryError::Fatal(reason)
    } else {
        let kind = if error.is_timeout() {
            "timeout"
        } else if error.is_connect() {
            "connection failed"
        } else if error.is_body() || error.is_decode() {
            "body cut short"
        } else {
            "request failed"
        };
        TryError::Retry {
            reason: format!("{kind}: {reason}"),
            wait: None,
        }
    }
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let later = SystemTime::now() + Duration::from_secs(120);
        let secs = parse_retry_after(&httpdate::fmt_http_date(later))
            .unwrap()
            .as_secs();
        assert!((100..=120).contains(&secs), "{secs}");
        assert_eq!(parse_retry_after("soon"), None);
    }
}

//! The on-disk cache of fetched pages and images.
//!
//! Every successful download is stored as one file, written atomically
//! ([`pxby_data::atomic`]), so a process killed at any moment leaves either the whole entry or
//! nothing. A rerun reads the entry instead of asking the server again.
//!
//! Entry layout (one file per requested URL, named by a 64-bit FNV-1a hash of the URL):
//! ```text
//! pxby-scrape-cache 1\n
//! url <requested URL>\n
//! final <URL after redirects>\n
//! length <body length in bytes>\n
//! \n
//! <body>
//! ```
//! An entry whose header does not parse, whose URL differs (a hash collision) or whose body
//! length differs is treated as missing and fetched again.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use pxby_data::atomic::{sweep_temp_files, write_atomic, write_atomic_via};

const MAGIC: &str = "pxby-scrape-cache 1";

/// A cached response: the body and the URL it was finally served from (after redirects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedPage {
    /// The URL that was requested (the cache key).
    pub url: String,
    /// The URL after redirects: relative links in the body are relative to it.
    pub final_url: String,
    /// The response body.
    pub body: Vec<u8>,
}

/// The cache folder.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

impl Cache {
    /// Opens (creating it if needed) the cache folder `dir`, removing temporary files a killed
    /// run may have left.
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        sweep_temp_files(&dir)?;
        Ok(Self { dir })
    }

    /// Writes an output file (a sprite, the CSV, a report) atomically, its temporary file in
    /// the cache folder: the output folders never hold a partial or temporary file.
    pub fn write_output(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        write_atomic_via(&self.dir, path, bytes)
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_for(&self, url: &str) -> PathBuf {
        self.dir
            .join(format!("{:016x}.entry", fnv1a64(url.as_bytes())))
    }

    /// The cached response for `url`, or `None` when there is no complete entry for it.
    pub fn get(&self, url: &str) -> io::Result<Option<CachedPage>> {
        let bytes = match fs::read(self.path_for(url)) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(decode(&bytes).filter(|p| p.url == url))
    }

    /// Stores a response atomically.
    pub fn put(&self, url: &str, final_url: &str, body: &[u8]) -> io::Result<()> {
        if url.contains('\n') || final_url.contains('\n') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "URL with a line break",
            ));
        }
        let mut bytes = format!(
            "{MAGIC}\nurl {url}\nfinal {final_url}\nlength {}\n\n",
            body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(body);
        write_atomic(&self.path_for(url), &bytes)
    }

    /// Every complete entry in the cache, sorted by URL.
    pub fn entries(&self) -> io::Result<Vec<CachedPage>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "entry")
                && let Some(page) = decode(&fs::read(&path)?)
            {
                out.push(page);
            }
        }
        out.sort_by(|a, b| a.url.cmp(&b.url));
        Ok(out)
    }
}

fn decode(bytes: &[u8]) -> Option<CachedPage> {
    let header_end = bytes.windows(2).position(|w| w == b"\n\n")?;
    let header = std::str::from_utf8(&bytes[..header_end]).ok()?;
    let body = &bytes[header_end + 2..];
    let mut lines = header.lines();
    if lines.next()? != MAGIC {
        return None;
    }
    let url = lines.next()?.strip_prefix("url ")?.to_owned();
    let final_url = lines.next()?.strip_prefix("final ")?.to_owned();
    let length: usize = lines.next()?.strip_prefix("length ")?.parse().ok()?;
    if length != body.len() {
        return None;
    }
    Some(CachedPage {
        url,
        final_url,
        body: body.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects_damaged_entries() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        assert_eq!(cache.get("http://a/x").unwrap(), None);
        cache
            .put("http://a/x", "http://a/y", b"\n\nbody\n")
            .unwrap();
        let page = cache.get("http://a/x").unwrap().unwrap();
        assert_eq!(page.final_url, "http://a/y");
        assert_eq!(page.body, b"\n\nbody\n");
        assert_eq!(cache.entries().unwrap().len(), 1);
        // A cut entry (as a non-atomic writer could leave) reads as missing.
        let path = cache.path_for("http://a/x");
        let full = fs::read(&path).unwrap();
        fs::write(&path, &full[..full.len() - 1]).unwrap();
        assert_eq!(cache.get("http://a/x").unwrap(), None);
        // A leftover temporary file is swept on open.
        fs::write(dir.path().join(".pxby-tmp-abc"), b"partial").unwrap();
        let _ = Cache::open(dir.path()).unwrap();
        assert!(!dir.path().join(".pxby-tmp-abc").exists());
    }
}

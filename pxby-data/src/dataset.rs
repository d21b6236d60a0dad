//! The PixelBytes dataset file (`.pxds`) and its in-memory form.
//!
//! # File format, version 1
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 8 | magic `PXBYDATA` |
//! | 8 | 4 | format version, u32 little-endian (currently [`FORMAT_VERSION`] = 1) |
//! | 12 | 4 | body length `n`, u32 little-endian |
//! | 16 | n | body: [postcard](https://docs.rs/postcard) encoding of `(max_size: u16, source: String, items: Vec<Item>)` |
//! | 16 + n | 4 | CRC-32 (ISO-HDLC, as zlib/PNG) of bytes `0 .. 16 + n`, u32 little-endian |
//!
//! An [`Item`] is postcard `(id: u32, name: String, height: u16, width: u16, tokens: Vec<u8>)`;
//! `tokens` is the item's whole token stream laid out per SPEC §4 (see [`crate::layout`]).
//! Contexts are not stored: recompute them with [`pxby_core::context::contexts`].
//!
//! [`Dataset::read`] checks the magic, version, length, checksum, that every token is in the
//! vocabulary, that every item parses back into header, image and caption matching its recorded
//! size, and that ids are unique. [`Dataset::write`] writes through
//! [`atomic::write_atomic`](crate::atomic::write_atomic), so a failed write never leaves a partial
//! file.
//!
//! ```
//! use pxby_data::dataset::{Dataset, Item, Split};
//! use pxby_core::vocab::FIRST_COLOUR;
//! let caption = pxby_data::text::normalize("a test").tokens;
//! let item = Item::new(10, "Tenth".into(), 1, 2, &[FIRST_COLOUR; 2], &caption).unwrap();
//! let ds = Dataset::new(25, "doc".into(), vec![item]);
//! let bytes = ds.to_bytes().unwrap();
//! let back = Dataset::from_bytes(&bytes).unwrap();
//! assert_eq!(back, ds);
//! assert_eq!(back.split(Split::Val).count(), 1);
//! assert_eq!(ds.content_hash().len(), 64);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crc::{CRC_32_ISO_HDLC, Crc};
use pxby_core::vocab::{VOCAB_SIZE, is_colour};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::atomic::write_atomic;
use crate::layout::{LayoutError, ParsedItem, item_tokens, parse_item};

/// File magic.
pub const MAGIC: [u8; 8] = *b"PXBYDATA";
/// Current format version.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 16;
const CRC32: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

/// Errors reading or writing a dataset file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatasetError {
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a regular file or is larger than [`crate::input::DATASET`]'s limit.
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    /// The file does not start with `PXBYDATA`.
    #[error("not a PixelBytes dataset file (bad magic)")]
    BadMagic,
    /// The file's version is not supported by this build.
    #[error("unsupported dataset format version {0} (this build reads {FORMAT_VERSION})")]
    UnsupportedVersion(u32),
    /// The file is shorter than its header says.
    #[error("truncated dataset file: {actual} bytes, expected {expected}")]
    Truncated {
        /// Expected length.
        expected: u64,
        /// Actual length.
        actual: u64,
    },
    /// Bytes follow the checksum.
    #[error("{0} unexpected bytes after the end of the dataset")]
    TrailingBytes(u64),
    /// The checksum does not match: the file is corrupt.
    #[error("dataset checksum mismatch: stored {stored:08x}, computed {computed:08x}")]
    Checksum {
        /// Stored CRC-32.
        stored: u32,
        /// Computed CRC-32.
        computed: u32,
    },
    /// The body does not decode.
    #[error("cannot decode dataset body: {0}")]
    Decode(postcard::Error),
    /// The body has bytes left after decoding.
    #[error("dataset body has {0} bytes left after decoding")]
    BodyTrailing(usize),
    /// The body cannot be encoded (too large).
    #[error("cannot encode dataset: {0}")]
    Encode(String),
    /// An item is not valid.
    #[error("item {id}: {error}")]
    InvalidItem {
        /// The item's id.
        id: u32,
        /// What is wrong.
        error: LayoutError,
    },
    /// A token id is outside the vocabulary.
    #[error("item {id}: token {token} is outside the vocabulary")]
    BadToken {
        /// The item's id.
        id: u32,
        /// The token.
        token: u8,
    },
    /// Two items share an id.
    #[error("duplicate item id {0}")]
    DuplicateId(u32),
    /// `max_size` is 0 or some image side exceeds it.
    #[error("item {id}: image {height}x{width} exceeds the dataset max size {max_size}")]
    TooLarge {
        /// The item's id.
        id: u32,
        /// Rows.
        height: u16,
        /// Columns.
        width: u16,
        /// The dataset's max size.
        max_size: u16,
    },
}

/// One Pokémon: its id, name, image size and token stream (header, image, caption).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// National Pokédex number (the split key).
    pub id: u32,
    /// Name.
    pub name: String,
    /// Image rows.
    pub height: u16,
    /// Image columns.
    pub width: u16,
    /// The token stream, SPEC §4.
    pub tokens: Vec<u8>,
}

impl Item {
    /// Builds an item from its image (row-major colour tokens) and caption byte tokens.
    pub fn new(
        id: u32,
        name: String,
        height: u16,
        width: u16,
        image: &[u8],
        caption: &[u8],
    ) -> Result<Item, LayoutError> {
        let tokens = item_tokens(height, width, image, caption)?;
        Ok(Item {
            id,
            name,
            height,
            width,
            tokens,
        })
    }

    /// In the validation split (`id % 10 == 0`, SPEC §9)?
    pub fn is_validation(&self) -> bool {
        self.id.is_multiple_of(10)
    }

    /// Takes the token stream apart and checks it matches `height` and `width`.
    pub fn parse(&self) -> Result<ParsedItem, LayoutError> {
        let p = parse_item(&self.tokens)?;
        if (p.height, p.width) != (self.height, self.width) {
            return Err(LayoutError::SizeMismatch {
                recorded: (self.height, self.width),
                header: (p.height, p.width),
            });
        }
        Ok(p)
    }

    /// Number of colour tokens (the image) in the stream.
    pub fn colour_tokens(&self) -> usize {
        self.tokens.iter().filter(|&&t| is_colour(t)).count()
    }
}

/// Which items to iterate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Split {
    /// `id % 10 != 0`.
    Train,
    /// `id % 10 == 0`.
    #[default]
    Val,
    /// Every item.
    All,
}

impl Split {
    /// Does `item` belong to this split?
    pub fn contains(self, item: &Item) -> bool {
        match self {
            Split::Train => !item.is_validation(),
            Split::Val => item.is_validation(),
            Split::All => true,
        }
    }
}

/// A dataset: items in build order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    /// Format version (the one read, or [`FORMAT_VERSION`] for a new dataset).
    pub version: u32,
    /// Longer image side the images were pixelated to.
    pub max_size: u16,
    /// Free text describing where the data came from.
    pub source: String,
    /// The items.
    pub items: Vec<Item>,
}

#[derive(Serialize)]
struct BodyRef<'a> {
    max_size: u16,
    source: &'a str,
    items: &'a [Item],
}

#[derive(Deserialize)]
struct Body {
    max_size: u16,
    source: String,
    items: Vec<Item>,
}

/// Summary statistics of a dataset.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Stats {
    /// Items.
    pub items: usize,
    /// Items in the training split.
    pub train: usize,
    /// Items in the validation split.
    pub val: usize,
    /// All tokens.
    pub tokens: usize,
    /// Colour tokens (image pixels).
    pub colour_tokens: usize,
    /// Byte tokens (header, caption and separators).
    pub byte_tokens: usize,
    /// Shortest item (tokens).
    pub min_len: usize,
    /// Longest item (tokens).
    pub max_len: usize,
    /// Count per image size (height, width).
    pub sizes: BTreeMap<(u16, u16), usize>,
    /// Count per image height.
    pub heights: BTreeMap<u16, usize>,
    /// Count per image width.
    pub widths: BTreeMap<u16, usize>,
    /// Count per token id.
    pub token_counts: Vec<usize>,
}

impl Stats {
    /// Colour tokens per byte token.
    pub fn image_text_ratio(&self) -> f64 {
        self.colour_tokens as f64 / self.byte_tokens.max(1) as f64
    }

    /// Number of distinct palette colours used.
    pub fn colours_used(&self) -> usize {
        self.token_counts
            .iter()
            .enumerate()
            .filter(|&(t, &c)| c > 0 && is_colour(t as u8))
            .count()
    }
}

impl Dataset {
    /// A new dataset of the current format version.
    pub fn new(max_size: u16, source: String, items: Vec<Item>) -> Dataset {
        Dataset {
            version: FORMAT_VERSION,
            max_size,
            source,
            items,
        }
    }

    /// Items of a split, in order.
    pub fn split(&self, split: Split) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(move |i| split.contains(i))
    }

    /// Looks an item up by id.
    pub fn get(&self, id: u32) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    fn body(&self) -> Result<Vec<u8>, DatasetError> {
        postcard::to_stdvec(&BodyRef {
            max_size: self.max_size,
            source: &self.source,
            items: &self.items,
        })
        .map_err(|e| DatasetError::Encode(e.to_string()))
    }

    /// Encodes the dataset as file bytes (always in the current format version).
    pub fn to_bytes(&self) -> Result<Vec<u8>, DatasetError> {
        let body = self.body()?;
        let len = u32::try_from(body.len())
            .map_err(|_| DatasetError::Encode(format!("body of {} bytes", body.len())))?;
        let mut out = Vec::with_capacity(HEADER_LEN + body.len() + 4);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&body);
        let crc = CRC32.checksum(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        Ok(out)
    }

    /// Decodes and validates file bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Dataset, DatasetError> {
        let actual = bytes.len() as u64;
        if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
            if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) {
                return Err(DatasetError::Truncated {
                    expected: HEADER_LEN as u64 + 4,
                    actual,
                });
            }
            return Err(DatasetError::BadMagic);
        }
        if bytes.len() < HEADER_LEN {
            return Err(DatasetError::Truncated {
                expected: HEADER_LEN as u64 + 4,
                actual,
            });
        }
        let word =
            |o: usize| u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
        let version = word(8);
        if version != FORMAT_VERSION {
            return Err(DatasetError::UnsupportedVersion(version));
        }
        let len = word(12) as usize;
        let expected = (HEADER_LEN + len + 4) as u64;
        if actual < expected {
            return Err(DatasetError::Truncated { expected, actual });
        }
        if actual > expected {
            return Err(DatasetError::TrailingBytes(actual - expected));
        }
        let end = HEADER_LEN + len;
        let stored = word(end);
        let computed = CRC32.checksum(&bytes[..end]);
        if stored != computed {
            return Err(DatasetError::Checksum { stored, computed });
        }
        let (body, rest): (Body, _) =
            postcard::take_from_bytes(&bytes[HEADER_LEN..end]).map_err(DatasetError::Decode)?;
        if !rest.is_empty() {
            return Err(DatasetError::BodyTrailing(rest.len()));
        }
        let ds = Dataset {
            version,
            max_size: body.max_size,
            source: body.source,
            items: body.items,
        };
        ds.validate()?;
        Ok(ds)
    }

    /// Checks every item: tokens in the vocabulary, layout, size within `max_size`, unique ids.
    pub fn validate(&self) -> Result<(), DatasetError> {
        let mut ids = BTreeSet::new();
        for item in &self.items {
            if !ids.insert(item.id) {
                return Err(DatasetError::DuplicateId(item.id));
            }
            if let Some(&token) = item.tokens.iter().find(|&&t| usize::from(t) >= VOCAB_SIZE) {
                return Err(DatasetError::BadToken { id: item.id, token });
            }
            item.parse()
                .map_err(|error| DatasetError::InvalidItem { id: item.id, error })?;
            if item.height > self.max_size || item.width > self.max_size {
                return Err(DatasetError::TooLarge {
                    id: item.id,
                    height: item.height,
                    width: item.width,
                    max_size: self.max_size,
                });
            }
        }
        Ok(())
    }

    /// Reads and validates a dataset file (a regular file within
    /// [`DATASET`](crate::input::DATASET)'s size limit, checked before reading).
    pub fn read(path: impl AsRef<Path>) -> Result<Dataset, DatasetError> {
        let bytes = crate::input::read_input(path.as_ref(), crate::input::DATASET)?;
        Dataset::from_bytes(&bytes)
    }

    /// Writes the dataset atomically ([`write_atomic`]): on error nothing is left behind and an
    /// existing `path` is untouched.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), DatasetError> {
        let path = path.as_ref();
        let bytes = self.to_bytes()?;
        write_atomic(path, &bytes).map_err(|source| DatasetError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// SHA-256 (lower-case hex) of the canonical content: format version, max size and the items
    /// (ids, names, sizes, tokens) in order. The free-text `source` is left out, so the same data
    /// built from a different folder has the same hash.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(MAGIC);
        h.update(self.version.to_le_bytes());
        h.update(self.max_size.to_le_bytes());
        h.update((self.items.len() as u64).to_le_bytes());
        for item in &self.items {
            h.update(item.id.to_le_bytes());
            h.update((item.name.len() as u64).to_le_bytes());
            h.update(item.name.as_bytes());
            h.update(item.height.to_le_bytes());
            h.update(item.width.to_le_bytes());
            h.update((item.tokens.len() as u64).to_le_bytes());
            h.update(&item.tokens);
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Summary statistics.
    pub fn stats(&self) -> Stats {
        let mut s = Stats {
            min_len: usize::MAX,
            token_counts: vec![0; VOCAB_SIZE],
            ..Stats::default()
        };
        for item in &self.items {
            s.items += 1;
            if item.is_validation() {
                s.val += 1;
            } else {
                s.train += 1;
            }
            s.tokens += item.tokens.len();
            s.min_len = s.min_len.min(item.tokens.len());
            s.max_len = s.max_len.max(item.tokens.len());
            for &t in &item.tokens {
                if let Some(c) = s.token_counts.get_mut(usize::from(t)) {
                    *c += 1;
                }
                if is_colour(t) {
                    s.colour_tokens += 1;
                } else {
                    s.byte_tokens += 1;
                }
            }
            *s.sizes.entry((item.height, item.width)).or_default() += 1;
            *s.heights.entry(item.height).or_default() += 1;
            *s.widths.entry(item.width).or_default() += 1;
        }
        if s.items == 0 {
            s.min_len = 0;
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pxby_core::vocab::FIRST_COLOUR;

    fn sample() -> Dataset {
        let cap = crate::text::normalize("a small one").tokens;
        let items = (1..=12)
            .map(|id| {
                Item::new(
                    id,
                    format!("mon{id}"),
                    2,
                    3,
                    &[FIRST_COLOUR + id as u8; 6],
                    &cap,
                )
                .unwrap()
            })
            .collect();
        Dataset::new(25, "test".into(), items)
    }

    #[test]
    fn round_trip_and_splits() {
        let ds = sample();
        let b = ds.to_bytes().unwrap();
        assert_eq!(&b[..8], b"PXBYDATA");
        assert_eq!(Dataset::from_bytes(&b).unwrap(), ds);
        assert_eq!(
            ds.split(Split::Val).map(|i| i.id).collect::<Vec<_>>(),
            vec![10]
        );
        assert_eq!(ds.split(Split::Train).count(), 11);
        assert_eq!(ds.split(Split::All).count(), 12);
    }

    #[test]
    fn every_truncation_and_bit_flip_is_an_error() {
        let b = sample().to_bytes().unwrap();
        for n in 0..b.len() {
            assert!(Dataset::from_bytes(&b[..n]).is_err(), "truncated to {n}");
        }
        for i in 0..b.len() {
            let mut c = b.clone();
            c[i] ^= 0x10;
            assert!(Dataset::from_bytes(&c).is_err(), "flip at {i}");
        }
    }

    #[test]
    fn typed_errors() {
        let b = sample().to_bytes().unwrap();
        assert!(matches!(
            Dataset::from_bytes(&b[..b.len() - 3]),
            Err(DatasetError::Truncated { .. })
        ));
        let mut c = b.clone();
        c[20] ^= 1;
        assert!(matches!(
            Dataset::from_bytes(&c),
            Err(DatasetError::Checksum { .. })
        ));
        let mut v = b.clone();
        v[8] = 9;
        assert!(matches!(
            Dataset::from_bytes(&v),
            Err(DatasetError::UnsupportedVersion(9))
        ));
        assert!(matches!(
            Dataset::from_bytes(b"PNG not a dataset"),
            Err(DatasetError::BadMagic)
        ));
        let mut t = b;
        t.push(0);
        assert!(matches!(
            Dataset::from_bytes(&t),
            Err(DatasetError::TrailingBytes(1))
        ));
    }

    #[test]
    fn validation_catches_bad_items() {
        let mut ds = sample();
        ds.items[1].id = 1;
        assert!(matches!(
            Dataset::from_bytes(&ds.to_bytes().unwrap()),
            Err(DatasetError::DuplicateId(1))
        ));
        let mut ds = sample();
        ds.items[0].width = 4;
        assert!(matches!(
            Dataset::from_bytes(&ds.to_bytes().unwrap()),
            Err(DatasetError::InvalidItem { id: 1, .. })
        ));
        let mut ds = sample();
        ds.items[0].tokens[0] = 200;
        assert!(matches!(
            Dataset::from_bytes(&ds.to_bytes().unwrap()),
            Err(DatasetError::BadToken { id: 1, token: 200 })
        ));
        let mut ds = sample();
        ds.max_size = 2;
        assert!(matches!(
            Dataset::from_bytes(&ds.to_bytes().unwrap()),
            Err(DatasetError::TooLarge { .. })
        ));
    }

    #[test]
    fn hash_ignores_source_but_not_content() {
        let a = sample();
        let mut b = sample();
        b.source = "elsewhere".into();
        assert_eq!(a.content_hash(), b.content_hash());
        b.items[3].tokens[7] += 1;
        assert_ne!(a.content_hash(), b.content_hash());
    }

    #[test]
    fn atomic_write_and_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.pxds");
        let ds = sample();
        ds.write(&p).unwrap();
        assert_eq!(Dataset::read(&p).unwrap(), ds);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }
        // Writing into a missing folder fails and leaves nothing.
        let bad = dir.path().join("missing/d.pxds");
        assert!(matches!(ds.write(&bad), Err(DatasetError::Io { .. })));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn stats() {
        let s = sample().stats();
        assert_eq!((s.items, s.train, s.val), (12, 11, 1));
        assert_eq!(s.colour_tokens, 72);
        assert_eq!(s.sizes[&(2, 3)], 12);
        assert_eq!(s.colours_used(), 12);
    }
}

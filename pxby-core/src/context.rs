//! The 3x3 context rule of SPEC §4, two ways: a batch iterator over a whole token stream (what
//! the dataset builder and the trainer use) and an incremental [`ContextCursor`] (what the
//! generator uses). Both are pure functions of the token stream and agree token for token.
//!
//! A stream is a sequence of *segments*, each ending with `\n` ([`SEG_SEP`]); inside a segment
//! `\t` ([`ROW_SEP`]) ends a row. Separators belong to the row they end. The context of the token
//! at row `r`, column `c` of its segment is, flattened row-major into a [`Context`]:
//!
//! ```text
//! [ G(r-1,c-1)  G(r-1,c)  G(r-1,c+1) ]
//! [ G(r,  c-1)  G(r,  c)  0          ]
//! [ 0           0         0          ]
//! ```
//! with `G(..) = 0` outside the grid: contexts never cross segments.
//!
//! ```
//! use pxby_core::context::{contexts, ContextCursor};
//! // A 2x2 image: [70 71 \t] [72 73 \n]
//! let stream = [70, 71, 1, 72, 73, 2];
//! let batch: Vec<_> = contexts(&stream).collect();
//! assert_eq!(batch[3], [0, 70, 71, 0, 72, 0, 0, 0, 0]);
//! assert_eq!(batch[4], [70, 71, 1, 72, 73, 0, 0, 0, 0]);
//! let mut cursor = ContextCursor::<32>::new();
//! for (t, ctx) in stream.iter().zip(&batch) {
//!     assert_eq!(cursor.push(*t), *ctx);
//! }
//! ```

use crate::vocab::{PAD, ROW_SEP, SEG_SEP};

/// A flattened 3x3 context, row-major; cell 4 is the token itself, cells 5..9 are always 0.
pub type Context = [u8; 9];
/// Number of cells in a context.
pub const CONTEXT_CELLS: usize = 9;
/// Index of the centre cell (the token itself).
pub const CENTRE: usize = 4;

#[inline]
fn make(above: [u8; 3], left: u8, token: u8) -> Context {
    [
        above[0], above[1], above[2], left, token, PAD, PAD, PAD, PAD,
    ]
}

/// Batch contexts of a whole stream: an iterator yielding one [`Context`] per token.
///
/// It indexes the stream directly (no capacity limit), so it is exact for any row width.
pub fn contexts(tokens: &[u8]) -> Contexts<'_> {
    Contexts {
        tokens,
        i: 0,
        row_start: 0,
        prev_start: 0,
        prev_len: 0,
    }
}

/// Iterator returned by [`contexts`].
#[derive(Clone, Debug)]
pub struct Contexts<'a> {
    tokens: &'a [u8],
    i: usize,
    row_start: usize,
    prev_start: usize,
    prev_len: usize,
}

impl Contexts<'_> {
    #[inline]
    fn above(&self, col: usize) -> u8 {
        if col < self.prev_len {
            self.tokens[self.prev_start + col]
        } else {
            PAD
        }
    }
}

impl Iterator for Contexts<'_> {
    type Item = Context;

    fn next(&mut self) -> Option<Context> {
        let token = *self.tokens.get(self.i)?;
        let c = self.i - self.row_start;
        let above = [
            if c == 0 { PAD } else { self.above(c - 1) },
            self.above(c),
            self.above(c + 1),
        ];
        let left = if c == 0 { PAD } else { self.tokens[self.i - 1] };
        self.i += 1;
        match token {
            ROW_SEP => {
                self.prev_start = self.row_start;
                self.prev_len = self.i - self.row_start;
                self.row_start = self.i;
            }
            SEG_SEP => {
                self.prev_len = 0;
                self.row_start = self.i;
            }
            _ => {}
        }
        Some(make(above, left, token))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.tokens.len() - self.i;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Contexts<'_> {}

/// Incremental contexts with a fixed capacity of `CAP` tokens per remembered row (separator
/// included). No heap: two `[u8; CAP]` rows.
///
/// [`push`](Self::push) appends a token and returns its context. The result equals the batch
/// [`contexts`] for every stream whose `\t`-terminated rows hold at most `CAP` tokens. A wider
/// row never panics: its cells past column `CAP` are forgotten, the row below sees them as
/// outside the grid (0), and [`overflowed`](Self::overflowed) reports it. Rows ended by `\n`
/// (text of any length) are never needed again and need no capacity.
#[derive(Clone, Debug)]
pub struct ContextCursor<const CAP: usize> {
    prev: [u8; CAP],
    prev_len: usize,
    cur: [u8; CAP],
    col: usize,
    row: usize,
    left: u8,
    overflowed: bool,
}

impl<const CAP: usize> Default for ContextCursor<CAP> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const CAP: usize> ContextCursor<CAP> {
    /// A cursor at the start of a stream.
    pub const fn new() -> Self {
        Self {
            prev: [PAD; CAP],
            prev_len: 0,
            cur: [PAD; CAP],
            col: 0,
            row: 0,
            left: PAD,
            overflowed: false,
        }
    }

    #[inline]
    fn above(&self, col: usize) -> u8 {
        if col < self.prev_len {
            self.prev[col]
        } else {
            PAD
        }
    }

    /// The context the next token would get if it were `token`, without appending it.
    #[inline]
    pub fn peek(&self, token: u8) -> Context {
        let c = self.col;
        let above = [
            if c == 0 { PAD } else { self.above(c - 1) },
            self.above(c),
            self.above(c + 1),
        ];
        make(above, self.left, token)
    }

    /// Appends `token` and returns its context.
    pub fn push(&mut self, token: u8) -> Context {
        let ctx = self.peek(token);
        if self.col < CAP {
            self.cur[self.col] = token;
        }
        self.col += 1;
        self.left = token;
        match token {
            ROW_SEP => {
                if self.col > CAP {
                    self.overflowed = true;
                }
                self.prev_len = self.col.min(CAP);
                core::mem::swap(&mut self.prev, &mut self.cur);
                self.col = 0;
                self.row += 1;
                self.left = PAD;
            }
            SEG_SEP => {
                self.prev_len = 0;
                self.col = 0;
                self.row = 0;
                self.left = PAD;
            }
            _ => {}
        }
        ctx
    }

    /// Column of the next token in its row.
    pub fn column(&self) -> usize {
        self.col
    }

    /// Row of the next token in its segment.
    pub fn row(&self) -> usize {
        self.row
    }

    /// Length of the previous row of this segment (separator included), 0 on a segment's first
    /// row; capped at `CAP`.
    pub fn previous_row_len(&self) -> usize {
        self.prev_len
    }

    /// True once a `\t`-terminated row wider than `CAP` was seen (contexts may then differ from
    /// the batch rule on the row below it).
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_reset() {
        let mut c = ContextCursor::<4>::new();
        assert_eq!(c.push(5), [0, 0, 0, 0, 5, 0, 0, 0, 0]);
        assert_eq!(c.push(SEG_SEP), [0, 0, 0, 5, SEG_SEP, 0, 0, 0, 0]);
        assert_eq!(c.push(6), [0, 0, 0, 0, 6, 0, 0, 0, 0]);
        assert_eq!((c.row(), c.column()), (0, 1));
    }

    #[test]
    fn overflow_is_reported_not_panicking() {
        let mut c = ContextCursor::<2>::new();
        for t in [60, 61, 62, ROW_SEP, 63, 64, 65] {
            c.push(t);
        }
        assert!(c.overflowed());
    }
}

//! Training samples (SPEC §5): windows of `seq_len` consecutive 3x3 contexts of one item,
//! starting every `stride` tokens, indices wrapping modulo the item length; the target is the
//! centre token of the position that follows the window. The trainer batches these windows
//! (`host-train`), and `pxby eval` scores a model file on them without libtorch
//! ([`crate::eval::next_token`]).
//!
//! [`evenly_spaced`] is the one rule that picks a few of those windows (the calibration windows
//! of integer files: `host-train export --weights int` and `pxby quantize` both call it).
//!
//! ```
//! use pxby_data::windows::{starts, window};
//! use pxby_core::context::contexts;
//! // "ab\n": three tokens; windows of 2 every token, wrapping.
//! let ctx: Vec<_> = contexts(&[32, 33, 2]).collect();
//! assert_eq!(starts(ctx.len(), 1).collect::<Vec<_>>(), [0, 1, 2]);
//! let (w, target) = window(&ctx, 2, 2); // positions 2, 0 → the target is token 1 ('b')
//! assert_eq!(w.map(|c| c[4]).collect::<Vec<_>>(), [2, 32]);
//! assert_eq!(target, 33);
//! ```

use pxby_core::context::{CENTRE, Context};

/// First positions of the windows of an item of `len` tokens: `0, stride, 2·stride, …` below
/// `len` (`stride` 0 counts as 1).
pub fn starts(len: usize, stride: usize) -> impl Iterator<Item = usize> {
    (0..len).step_by(stride.max(1))
}

/// The `seq_len` contexts of the window starting at `start` (wrapping), and its target token.
/// `contexts` must not be empty.
pub fn window(
    contexts: &[Context],
    start: usize,
    seq_len: usize,
) -> (impl Iterator<Item = &Context> + '_, u8) {
    let n = contexts.len();
    let target = contexts[(start + seq_len) % n][CENTRE];
    (
        (0..seq_len).map(move |j| &contexts[(start + j) % n]),
        target,
    )
}

/// Windows an integer file is calibrated on by default (`host-train export --weights int`,
/// `pxby quantize`): this many, evenly spaced over all training windows.
pub const CALIBRATION_WINDOWS: usize = 256;

/// Indices of `take` windows evenly spaced over `n`: `k·n/take` for `k` in `0..min(take, n)`
/// (all of them when `take ≥ n`; none when either is 0).
///
/// ```
/// use pxby_data::windows::evenly_spaced_indices;
/// assert_eq!(evenly_spaced_indices(10, 4).collect::<Vec<_>>(), [0, 2, 5, 7]);
/// assert_eq!(evenly_spaced_indices(3, 8).collect::<Vec<_>>(), [0, 1, 2]);
/// ```
pub fn evenly_spaced_indices(n: usize, take: usize) -> impl Iterator<Item = usize> {
    let take = take.min(n);
    // u128: k·n cannot overflow.
    (0..take).map(move |k| (k as u128 * n as u128 / take as u128) as usize)
}

/// `take` windows of `seq_len` contexts evenly spaced ([`evenly_spaced_indices`]) over all
/// windows of `sequences` (each item's contexts, in order): the windows of every item starting
/// every `stride` tokens ([`starts`]), item after item, numbered from 0. Empty items have no
/// windows. Returns the windows' contexts (their targets are not needed for calibration).
///
/// ```
/// use pxby_core::context::contexts;
/// use pxby_data::windows::evenly_spaced;
/// let a: Vec<_> = contexts(&[32, 33, 2]).collect(); // windows 0, 1, 2
/// let b: Vec<_> = contexts(&[34, 35]).collect(); // windows 3, 4
/// let picked = evenly_spaced([a.as_slice(), b.as_slice()], 2, 1, 2); // windows 0 and 2
/// assert_eq!(picked, [vec![a[0], a[1]], vec![a[2], a[0]]]);
/// ```
pub fn evenly_spaced<'c>(
    sequences: impl IntoIterator<Item = &'c [Context]>,
    seq_len: usize,
    stride: usize,
    take: usize,
) -> Vec<Vec<Context>> {
    let seqs: Vec<&[Context]> = sequences.into_iter().collect();
    let stride = stride.max(1);
    let seq_len = seq_len.max(1);
    // Windows before each item.
    let mut first = Vec::with_capacity(seqs.len() + 1);
    let mut n = 0usize;
    for s in &seqs {
        first.push(n);
        n += s.len().div_ceil(stride);
    }
    evenly_spaced_indices(n, take)
        .map(|i| {
            // The last item whose first window is ≤ i (and that has windows).
            let k = first.partition_point(|&f| f <= i) - 1;
            let start = (i - first[k]) * stride;
            window(seqs[k], start, seq_len).0.copied().collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pxby_core::context::contexts;

    #[test]
    fn windows_wrap_and_the_target_is_the_next_centre() {
        // "ab\n" then "cd\n": 6 tokens.
        let tokens = [32u8, 33, 2, 34, 35, 2];
        let ctx: Vec<Context> = contexts(&tokens).collect();
        assert_eq!(starts(ctx.len(), 2).collect::<Vec<_>>(), [0, 2, 4]);
        let (w, target) = window(&ctx, 4, 4); // positions 4, 5, 0, 1 → target position 2
        let w: Vec<_> = w.copied().collect();
        assert_eq!(w, [ctx[4], ctx[5], ctx[0], ctx[1]]);
        assert_eq!(target, tokens[2]);
    }

    #[test]
    fn evenly_spaced_matches_enumerating_every_window() {
        let items: Vec<Vec<Context>> = [&[32u8, 33, 2][..], &[], &[34, 35, 36, 37, 2], &[38]]
            .iter()
            .map(|t| contexts(t).collect())
            .collect();
        for (seq_len, stride, take) in [(2, 1, 3), (4, 2, 2), (3, 3, 100), (1, 1, 0)] {
            let all: Vec<Vec<Context>> = items
                .iter()
                .flat_map(|c| {
                    starts(c.len(), stride).map(move |s| window(c, s, seq_len).0.copied().collect())
                })
                .collect();
            let want: Vec<Vec<Context>> = evenly_spaced_indices(all.len(), take)
                .map(|i| all[i].clone())
                .collect();
            let got = evenly_spaced(items.iter().map(Vec::as_slice), seq_len, stride, take);
            assert_eq!(got, want, "{seq_len} {stride} {take}");
            assert_eq!(got.len(), take.min(all.len()));
        }
        assert!(evenly_spaced([], 4, 1, 8).is_empty());
    }
}

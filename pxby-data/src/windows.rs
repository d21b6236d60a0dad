//! Training samples (SPEC §5): windows of `seq_len` consecutive 3x3 contexts of one item,
//! starting every `stride` tokens, indices wrapping modulo the item length; the target is the
//! centre token of the position that follows the window. The trainer batches these windows
//! (`host-train`), and `pxby eval` scores a model file on them without libtorch
//! ([`crate::eval::next_token`]).
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
}

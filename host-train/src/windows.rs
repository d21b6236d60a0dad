//! Training samples (SPEC §5) as tensors: the windows of [`pxby_data::windows`] (`seq_len`
//! consecutive 3x3 contexts of one item every `stride` tokens, wrapping; the target is the
//! centre token of the following position) over a set of items, batched for libtorch.
//!
//! Contexts come from [`pxby_core::context::contexts`], the single home of the context rule.
//!
//! ```
//! use host_train::windows::{Sequence, Windows};
//! // "ab\n": three tokens; windows of 2 every token, wrapping.
//! let seq = Sequence::from_tokens(7, &[32, 33, 2]);
//! let w = Windows::new(vec![seq], 2, 1);
//! assert_eq!(w.len(), 3);
//! let (ctx, target) = w.window(2); // positions 2, 0 → target is token 1 ('b')
//! assert_eq!((ctx.len(), target), (2, 33));
//! let (x, y) = w.batch(&[0, 1], tch::Device::Cpu);
//! assert_eq!((x.size(), y.size()), (vec![2, 2, 9], vec![2]));
//! ```

use pxby_core::context::{Context, contexts};
use tch::{Device, Tensor};

/// One item (one Pokémon) as the trainer sees it: its id and the contexts of its tokens.
#[derive(Clone, Debug)]
pub struct Sequence {
    /// Item id (the split is `id % 10 == 0` → validation).
    pub id: u32,
    /// The 3x3 context of every token, in order.
    pub contexts: Vec<Context>,
}

impl Sequence {
    /// Builds the contexts of a token stream with pxby-core's rule.
    pub fn from_tokens(id: u32, tokens: &[u8]) -> Self {
        Sequence {
            id,
            contexts: contexts(tokens).collect(),
        }
    }
}

/// Where one window starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowRef {
    /// Index into the sequence list.
    pub seq: u32,
    /// First token of the window.
    pub start: u32,
}

/// All windows of a set of sequences.
#[derive(Clone, Debug)]
pub struct Windows {
    seqs: Vec<Sequence>,
    refs: Vec<WindowRef>,
    seq_len: usize,
}

impl Windows {
    /// Windows of `seq_len` contexts every `stride` tokens of every non-empty sequence.
    /// `seq_len` and `stride` must be at least 1 (checked by the caller's argument parsing).
    pub fn new(seqs: Vec<Sequence>, seq_len: usize, stride: usize) -> Self {
        let stride = stride.max(1);
        let mut refs = Vec::new();
        for (i, s) in seqs.iter().enumerate() {
            refs.extend(
                pxby_data::windows::starts(s.contexts.len(), stride).map(|start| WindowRef {
                    seq: i as u32,
                    start: start as u32,
                }),
            );
        }
        Windows {
            seqs,
            refs,
            seq_len: seq_len.max(1),
        }
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.refs.len()
    }

    /// True when there are no windows.
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }

    /// Window length.
    pub fn seq_len(&self) -> usize {
        self.seq_len
    }

    /// The sequences.
    pub fn sequences(&self) -> &[Sequence] {
        &self.seqs
    }

    /// The window starts.
    pub fn refs(&self) -> &[WindowRef] {
        &self.refs
    }

    /// The contexts of window `i` (wrapping) and its target token.
    pub fn window(&self, i: usize) -> (Vec<Context>, u8) {
        let r = self.refs[i];
        let (window, target) = pxby_data::windows::window(
            &self.seqs[r.seq as usize].contexts,
            r.start as usize,
            self.seq_len,
        );
        (window.copied().collect(), target)
    }

    /// A batch of windows as tensors: contexts `[B, L, 9]` (i64) and targets `[B]` (i64).
    pub fn batch(&self, indices: &[usize], device: Device) -> (Tensor, Tensor) {
        let l = self.seq_len;
        let mut xs: Vec<i64> = Vec::with_capacity(indices.len() * l * 9);
        let mut ys: Vec<i64> = Vec::with_capacity(indices.len());
        for &i in indices {
            let r = self.refs[i];
            let (window, target) = pxby_data::windows::window(
                &self.seqs[r.seq as usize].contexts,
                r.start as usize,
                l,
            );
            for ctx in window {
                xs.extend(ctx.iter().map(|&t| i64::from(t)));
            }
            ys.push(i64::from(target));
        }
        let b = indices.len() as i64;
        let x = Tensor::from_slice(&xs)
            .view([b, l as i64, 9])
            .to_device(device);
        let y = Tensor::from_slice(&ys).to_device(device);
        (x, y)
    }
}

/// A small deterministic PRNG (SplitMix64) for shuffling; its whole state is one `u64`, so a
/// checkpoint can store it exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform integer in `0..n` (n ≥ 1), by rejection (no modulo bias).
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            xs.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_wrap_and_target_is_next_centre() {
        // "ab\n" then "cd\n": 6 tokens.
        let tokens = [32u8, 33, 2, 34, 35, 2];
        let seq = Sequence::from_tokens(1, &tokens);
        let w = Windows::new(vec![seq.clone()], 4, 2);
        assert_eq!(w.len(), 3); // starts 0, 2, 4
        let (ctx, target) = w.window(2); // positions 4, 5, 0, 1 → target position 2
        assert_eq!(ctx[0], seq.contexts[4]);
        assert_eq!(ctx[2], seq.contexts[0]);
        assert_eq!(target, tokens[2]);
        let (x, y) = w.batch(&[2], Device::Cpu);
        assert_eq!(x.size(), vec![1, 4, 9]);
        assert_eq!(i64::try_from(y.get(0)).ok(), Some(i64::from(tokens[2])));
    }

    #[test]
    fn shuffle_is_a_permutation_and_deterministic() {
        let mut a: Vec<u32> = (0..100).collect();
        let mut b = a.clone();
        SplitMix64(7).shuffle(&mut a);
        SplitMix64(7).shuffle(&mut b);
        assert_eq!(a, b);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_ne!(a, sorted);
    }
}

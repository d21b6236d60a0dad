//! Model configuration (SPEC §6) and the canonical tensor table derived from it.
//!
//! Tensor names and shapes follow PyTorch's `state_dict` of the reference model, so a trainer
//! can export by name and [`ModelConfig::tensors`] is the one list every part agrees on.
//!
//! ```
//! use pxby_core::config::ModelConfig;
//! let cfg = ModelConfig::PAPER_BEST;
//! assert_eq!(cfg.embed_inner(), 9);
//! assert_eq!(cfg.param_count(), 33_417);
//! assert_eq!(cfg.tensors().next().unwrap().name, "embed.alpha");
//! ```

use serde::{Deserialize, Serialize};

use crate::vocab::VOCAB_SIZE;

/// The embedding front of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Embed {
    /// PxByEmbed with the 3x3 convolution mix (the paper's best).
    PxBy,
    /// PxByEmbed without the convolution: `x = σ(alpha) ⊙ x`.
    PxByNoConv,
    /// Plain embedding of the centre token only.
    Center,
}

/// Hyper-parameters of the RNN family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Vocabulary size (always [`VOCAB_SIZE`] for models this crate runs).
    pub vocab: u16,
    /// Embedding dimension D.
    pub dim: u16,
    /// LSTM state size (the bidirectional first layer uses `d_state / 2` per direction).
    pub d_state: u16,
    /// Number of LSTM layers, at least 1.
    pub depth: u8,
    /// Whether the first LSTM layer is bidirectional.
    pub bidirectional: bool,
    /// Embedding front.
    pub embed: Embed,
}

/// Name, shape and role of one tensor of a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TensorSpec {
    /// PyTorch-style name, e.g. `lstm.0.weight_ih_l0_reverse`.
    pub name: &'static str,
    /// Shape; only the first `rank` entries are used.
    pub shape: [u32; 4],
    /// Number of dimensions.
    pub rank: u8,
    /// True for weight matrices, which int8 files store quantised per output row
    /// (`rows = shape[0]`, `cols = product of the rest`); vectors always stay f32.
    pub quantisable: bool,
}

impl TensorSpec {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape[..self.rank as usize]
            .iter()
            .map(|&d| d as usize)
            .product()
    }

    /// True when the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Output rows (`shape[0]`).
    pub fn rows(&self) -> usize {
        self.shape[0] as usize
    }

    /// Elements per output row.
    pub fn cols(&self) -> usize {
        self.len() / self.rows().max(1)
    }
}

const LSTM_NAMES: [[&str; 4]; 8] = [
    [
        "lstm.0.weight_ih_l0",
        "lstm.0.weight_hh_l0",
        "lstm.0.bias_ih_l0",
        "lstm.0.bias_hh_l0",
    ],
    [
        "lstm.1.weight_ih_l0",
        "lstm.1.weight_hh_l0",
        "lstm.1.bias_ih_l0",
        "lstm.1.bias_hh_l0",
    ],
    [
        "lstm.2.weight_ih_l0",
        "lstm.2.weight_hh_l0",
        "lstm.2.bias_ih_l0",
        "lstm.2.bias_hh_l0",
    ],
    [
        "lstm.3.weight_ih_l0",
        "lstm.3.weight_hh_l0",
        "lstm.3.bias_ih_l0",
        "lstm.3.bias_hh_l0",
    ],
    [
        "lstm.4.weight_ih_l0",
        "lstm.4.weight_hh_l0",
        "lstm.4.bias_ih_l0",
        "lstm.4.bias_hh_l0",
    ],
    [
        "lstm.5.weight_ih_l0",
        "lstm.5.weight_hh_l0",
        "lstm.5.bias_ih_l0",
        "lstm.5.bias_hh_l0",
    ],
    [
        "lstm.6.weight_ih_l0",
        "lstm.6.weight_hh_l0",
        "lstm.6.bias_ih_l0",
        "lstm.6.bias_hh_l0",
    ],
    [
        "lstm.7.weight_ih_l0",
        "lstm.7.weight_hh_l0",
        "lstm.7.bias_ih_l0",
        "lstm.7.bias_hh_l0",
    ],
];
const LSTM0_REVERSE: [&str; 4] = [
    "lstm.0.weight_ih_l0_reverse",
    "lstm.0.weight_hh_l0_reverse",
    "lstm.0.bias_ih_l0_reverse",
    "lstm.0.bias_hh_l0_reverse",
];

/// Largest supported depth.
pub const MAX_DEPTH: usize = LSTM_NAMES.len();
/// Largest number of tensors any configuration has.
pub const MAX_TENSORS: usize = 8 + 4 * MAX_DEPTH + 4 + 2;

impl ModelConfig {
    /// The paper's best configuration: dim 81, d_state 32, depth 2, bidirectional, PxBy + conv.
    pub const PAPER_BEST: ModelConfig = ModelConfig {
        vocab: VOCAB_SIZE as u16,
        dim: 81,
        d_state: 32,
        depth: 2,
        bidirectional: true,
        embed: Embed::PxBy,
    };

    /// Inner embedding width E = max(9, D / 9).
    pub fn embed_inner(&self) -> usize {
        (self.dim as usize / 9).max(9)
    }

    /// Hidden size of one direction of the first LSTM layer.
    pub fn first_hidden(&self) -> usize {
        if self.bidirectional {
            self.d_state as usize / 2
        } else {
            self.d_state as usize
        }
    }

    /// Checks the invariants the runtime relies on: vocab 113, depth 1..=8, dim ≥ 1,
    /// d_state ≥ 1 (even when bidirectional).
    pub fn is_valid(&self) -> bool {
        self.vocab as usize == VOCAB_SIZE
            && (1..=MAX_DEPTH).contains(&(self.depth as usize))
            && self.dim >= 1
            && self.d_state >= 1
            && (!self.bidirectional || (self.d_state.is_multiple_of(2) && self.d_state >= 2))
    }

    /// The model's tensors in file order. Yields nothing for an invalid configuration.
    pub fn tensors(&self) -> impl Iterator<Item = TensorSpec> + '_ {
        let valid = self.is_valid();
        let v = self.vocab as u32;
        let d = self.dim as u32;
        let e = self.embed_inner() as u32;
        let s = self.d_state as u32;
        let h0 = self.first_hidden() as u32;
        let mat = |name, shape: [u32; 4], rank| TensorSpec {
            name,
            shape,
            rank,
            quantisable: true,
        };
        let vec = |name, n: u32| TensorSpec {
            name,
            shape: [n, 1, 1, 1],
            rank: 1,
            quantisable: false,
        };
        let lstm = move |names: [&'static str; 4], input: u32, hidden: u32| {
            [
                mat(names[0], [4 * hidden, input, 1, 1], 2),
                mat(names[1], [4 * hidden, hidden, 1, 1], 2),
                vec(names[2], 4 * hidden),
                vec(names[3], 4 * hidden),
            ]
        };
        let mut embed: heapless::Vec<TensorSpec, 8> = heapless::Vec::new();
        match self.embed {
            Embed::Center => {
                let _ = embed.push(mat("embed.embedding.weight", [v, d, 1, 1], 2));
            }
            Embed::PxBy | Embed::PxByNoConv => {
                let _ = embed.push(TensorSpec {
                    name: "embed.alpha",
                    shape: [1, 1, 3, 3],
                    rank: 4,
                    quantisable: false,
                });
                let _ = embed.push(mat("embed.embedding.weight", [v, e, 1, 1], 2));
                if self.embed == Embed::PxBy {
                    let _ = embed.push(mat("embed.conv.weight", [e, e, 3, 3], 4));
                    let _ = embed.push(vec("embed.conv.bias", e));
                }
                let _ = embed.push(mat("embed.proj.weight", [d, 9 * e, 1, 1], 2));
                let _ = embed.push(vec("embed.proj.bias", d));
                let _ = embed.push(vec("embed.norm.weight", d));
                let _ = embed.push(vec("embed.norm.bias", d));
            }
        }
        let first = lstm(LSTM_NAMES[0], d, h0);
        let reverse = if self.bidirectional {
            Some(lstm(LSTM0_REVERSE, d, h0))
        } else {
            None
        };
        let depth = if valid { self.depth as usize } else { 1 };
        let rest = (1..depth).flat_map(move |k| lstm(LSTM_NAMES[k], s, s));
        let head = [mat("head.weight", [v, s, 1, 1], 2), vec("head.bias", v)];
        embed
            .into_iter()
            .chain(first)
            .chain(reverse.into_iter().flatten())
            .chain(rest)
            .chain(head)
            .filter(move |_| valid)
    }

    /// Total number of parameters.
    pub fn param_count(&self) -> usize {
        self.tensors().map(|t| t.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_best_shapes() {
        let cfg = ModelConfig::PAPER_BEST;
        let names: std::vec::Vec<_> = cfg.tensors().map(|t| t.name).collect();
        assert_eq!(names.len(), 8 + 8 + 4 + 2);
        assert!(names.contains(&"lstm.0.weight_ih_l0_reverse"));
        assert!(names.contains(&"lstm.1.bias_hh_l0"));
        let ih = cfg
            .tensors()
            .find(|t| t.name == "lstm.0.weight_ih_l0")
            .unwrap();
        assert_eq!((ih.rows(), ih.cols()), (64, 81));
        let conv = cfg
            .tensors()
            .find(|t| t.name == "embed.conv.weight")
            .unwrap();
        assert_eq!((conv.rows(), conv.cols()), (9, 81));
    }

    #[test]
    fn invalid_configs_have_no_tensors() {
        let mut cfg = ModelConfig::PAPER_BEST;
        cfg.depth = 0;
        assert_eq!(cfg.tensors().count(), 0);
        cfg.depth = 2;
        cfg.d_state = 31;
        assert_eq!(cfg.tensors().count(), 0);
    }

    #[test]
    fn ablations() {
        let mut cfg = ModelConfig::PAPER_BEST;
        cfg.embed = Embed::Center;
        assert_eq!(cfg.tensors().next().unwrap().shape[..2], [113, 81]);
        cfg.embed = Embed::PxByNoConv;
        assert!(cfg.tensors().all(|t| !t.name.starts_with("embed.conv")));
        cfg.bidirectional = false;
        let ih = cfg
            .tensors()
            .find(|t| t.name == "lstm.0.weight_ih_l0")
            .unwrap();
        assert_eq!(ih.rows(), 128);
    }
}

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

/// A direction of an LSTM layer (only the first layer has a [`Direction::Reverse`] one, and only
/// when [`ModelConfig::bidirectional`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Oldest to newest.
    Forward,
    /// Newest to oldest (PyTorch's `_reverse` parameters).
    Reverse,
}

/// One of the four parameters of an LSTM direction, in PyTorch's naming.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LstmPart {
    /// `weight_ih` (`4H × input`).
    WeightIh,
    /// `weight_hh` (`4H × H`).
    WeightHh,
    /// `bias_ih` (`4H`).
    BiasIh,
    /// `bias_hh` (`4H`).
    BiasHh,
}

impl LstmPart {
    /// The four parts in file order.
    pub const ALL: [LstmPart; 4] = [
        LstmPart::WeightIh,
        LstmPart::WeightHh,
        LstmPart::BiasIh,
        LstmPart::BiasHh,
    ];
}

/// Which tensor of the model a [`TensorSpec`] is: the typed key the runtime finds tensors by
/// ([`crate::weights::Weights::get`]). The canonical name ([`TensorSpec::name`]) is only for
/// the outside world (trainer export, `pxby inspect`); nothing parses it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    /// `embed.alpha` (1, 1, 3, 3).
    Alpha,
    /// `embed.embedding.weight`: (V, E), or (V, D) for [`Embed::Center`].
    Embedding,
    /// `embed.conv.weight` (E, E, 3, 3).
    ConvWeight,
    /// `embed.conv.bias` (E).
    ConvBias,
    /// `embed.proj.weight` (D, 9E).
    ProjWeight,
    /// `embed.proj.bias` (D).
    ProjBias,
    /// `embed.norm.weight` (D), the LayerNorm gain.
    NormWeight,
    /// `embed.norm.bias` (D).
    NormBias,
    /// `lstm.{layer}.{part}_l0[_reverse]`.
    Lstm {
        /// Layer, `0..depth`.
        layer: u8,
        /// Direction (reverse only for layer 0).
        direction: Direction,
        /// Parameter.
        part: LstmPart,
    },
    /// `head.weight` (V, d_state).
    HeadWeight,
    /// `head.bias` (V).
    HeadBias,
}

/// Name, shape and role of one tensor of a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TensorSpec {
    /// PyTorch-style name, e.g. `lstm.0.weight_ih_l0_reverse`.
    pub name: &'static str,
    /// The typed key of the tensor (what the runtime uses; [`TensorSpec::name`] is its
    /// canonical spelling).
    pub slot: Slot,
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
        let v = u32::from(self.vocab);
        let d = u32::from(self.dim);
        let e = self.embed_inner() as u32;
        let s = u32::from(self.d_state);
        let h0 = self.first_hidden() as u32;
        let mat = |name, slot, shape: [u32; 4], rank| TensorSpec {
            name,
            slot,
            shape,
            rank,
            quantisable: true,
        };
        let vec = |name, slot, n: u32| TensorSpec {
            name,
            slot,
            shape: [n, 1, 1, 1],
            rank: 1,
            quantisable: false,
        };
        let lstm = move |layer: usize, direction, input: u32, hidden: u32| {
            let names = match direction {
                Direction::Forward => LSTM_NAMES[layer],
                Direction::Reverse => LSTM0_REVERSE,
            };
            let slot = |part| Slot::Lstm {
                layer: layer as u8,
                direction,
                part,
            };
            [
                mat(
                    names[0],
                    slot(LstmPart::WeightIh),
                    [4 * hidden, input, 1, 1],
                    2,
                ),
                mat(
                    names[1],
                    slot(LstmPart::WeightHh),
                    [4 * hidden, hidden, 1, 1],
                    2,
                ),
                vec(names[2], slot(LstmPart::BiasIh), 4 * hidden),
                vec(names[3], slot(LstmPart::BiasHh), 4 * hidden),
            ]
        };
        let mut embed: heapless::Vec<TensorSpec, 8> = heapless::Vec::new();
        match self.embed {
            Embed::Center => {
                let _ = embed.push(mat(
                    "embed.embedding.weight",
                    Slot::Embedding,
                    [v, d, 1, 1],
                    2,
                ));
            }
            Embed::PxBy | Embed::PxByNoConv => {
                let _ = embed.push(TensorSpec {
                    name: "embed.alpha",
                    slot: Slot::Alpha,
                    shape: [1, 1, 3, 3],
                    rank: 4,
                    quantisable: false,
                });
                let _ = embed.push(mat(
                    "embed.embedding.weight",
                    Slot::Embedding,
                    [v, e, 1, 1],
                    2,
                ));
                if self.embed == Embed::PxBy {
                    let _ = embed.push(mat("embed.conv.weight", Slot::ConvWeight, [e, e, 3, 3], 4));
                    let _ = embed.push(vec("embed.conv.bias", Slot::ConvBias, e));
                }
                let _ = embed.push(mat(
                    "embed.proj.weight",
                    Slot::ProjWeight,
                    [d, 9 * e, 1, 1],
                    2,
                ));
                let _ = embed.push(vec("embed.proj.bias", Slot::ProjBias, d));
                let _ = embed.push(vec("embed.norm.weight", Slot::NormWeight, d));
                let _ = embed.push(vec("embed.norm.bias", Slot::NormBias, d));
            }
        }
        let first = lstm(0, Direction::Forward, d, h0);
        let reverse = if self.bidirectional {
            Some(lstm(0, Direction::Reverse, d, h0))
        } else {
            None
        };
        let depth = if valid { self.depth as usize } else { 1 };
        let rest = (1..depth).flat_map(move |k| lstm(k, Direction::Forward, s, s));
        let head = [
            mat("head.weight", Slot::HeadWeight, [v, s, 1, 1], 2),
            vec("head.bias", Slot::HeadBias, v),
        ];
        embed
            .into_iter()
            .chain(first)
            .chain(reverse.into_iter().flatten())
            .chain(rest)
            .chain(head)
            .filter(move |_| valid)
    }

    /// The spec of the tensor in `slot`, if this configuration has one.
    pub fn tensor(&self, slot: Slot) -> Option<TensorSpec> {
        self.tensors().find(|t| t.slot == slot)
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

    /// Every tensor has its own slot and name, [`ModelConfig::tensor`] finds it by slot, and
    /// the slot says what the canonical name says.
    #[test]
    fn slots_agree_with_names() {
        use std::format;
        let base = ModelConfig::PAPER_BEST;
        let configs = [
            base,
            ModelConfig {
                embed: Embed::Center,
                ..base
            },
            ModelConfig {
                embed: Embed::PxByNoConv,
                bidirectional: false,
                depth: MAX_DEPTH as u8,
                ..base
            },
        ];
        for cfg in configs {
            let specs: std::vec::Vec<TensorSpec> = cfg.tensors().collect();
            for (i, a) in specs.iter().enumerate() {
                assert_eq!(cfg.tensor(a.slot), Some(*a));
                for b in &specs[i + 1..] {
                    assert!(a.slot != b.slot && a.name != b.name, "{a:?} {b:?}");
                }
                let name = match a.slot {
                    Slot::Alpha => "embed.alpha".into(),
                    Slot::Embedding => "embed.embedding.weight".into(),
                    Slot::ConvWeight => "embed.conv.weight".into(),
                    Slot::ConvBias => "embed.conv.bias".into(),
                    Slot::ProjWeight => "embed.proj.weight".into(),
                    Slot::ProjBias => "embed.proj.bias".into(),
                    Slot::NormWeight => "embed.norm.weight".into(),
                    Slot::NormBias => "embed.norm.bias".into(),
                    Slot::HeadWeight => "head.weight".into(),
                    Slot::HeadBias => "head.bias".into(),
                    Slot::Lstm {
                        layer,
                        direction,
                        part,
                    } => {
                        let part = match part {
                            LstmPart::WeightIh => "weight_ih",
                            LstmPart::WeightHh => "weight_hh",
                            LstmPart::BiasIh => "bias_ih",
                            LstmPart::BiasHh => "bias_hh",
                        };
                        let suffix = match direction {
                            Direction::Forward => "",
                            Direction::Reverse => "_reverse",
                        };
                        format!("lstm.{layer}.{part}_l0{suffix}")
                    }
                };
                assert_eq!(a.name, name);
            }
        }
        assert_eq!(base.tensor(Slot::ConvWeight).map(|t| t.cols()), Some(81));
        assert_eq!(configs[1].tensor(Slot::ConvWeight), None);
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

//! The paper's Table 1: its fifteen configurations and its published scores.

use pxby_core::config::{Embed, ModelConfig};
use pxby_core::vocab::VOCAB_SIZE;
use serde::{Deserialize, Serialize};

use crate::model::{FamilyKind, ModelSpec};

/// Positional encoding of the attention rows (`--positions`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Positions {
    /// None, as in the paper.
    #[default]
    None,
    /// Learned absolute positions.
    Learned,
    /// Sinusoidal positions.
    Sinusoidal,
}

impl Positions {
    /// The attention family with this encoding.
    pub fn family(self) -> FamilyKind {
        match self {
            Positions::None => FamilyKind::Attention,
            Positions::Learned => FamilyKind::AttentionLearned,
            Positions::Sinusoidal => FamilyKind::AttentionSinusoidal,
        }
    }
}

/// The paper's numbers for one row (mean, std).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PaperRow {
    /// Hamming distance.
    pub hamming: (f64, f64),
    /// Cosine similarity.
    pub cosine: (f64, f64),
    /// BLEU.
    pub bleu: (f64, f64),
}

/// One row of Table 1: a model and the paper's scores for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Short unique name (run directory, `--only`).
    pub name: &'static str,
    /// The model.
    pub spec: ModelSpec,
    /// The paper's scores.
    pub paper: PaperRow,
    /// A remark printed under the table, if any.
    pub note: Option<&'static str>,
}

const fn cfg(dim: u16, d_state: u16, depth: u8, bidirectional: bool, embed: Embed) -> ModelConfig {
    ModelConfig {
        vocab: VOCAB_SIZE as u16,
        dim,
        d_state,
        depth,
        bidirectional,
        embed,
    }
}

/// The fifteen rows of the paper's Table 1, in its order; the attention rows use `attention`.
pub fn rows(attention: FamilyKind) -> Vec<Row> {
    use Embed::{Center, PxBy, PxByNoConv};
    use FamilyKind::{Rnn, Ssm};
    let p = |h: (f64, f64), c: (f64, f64), b: (f64, f64)| PaperRow {
        hamming: h,
        cosine: c,
        bleu: b,
    };
    let row = |name, family, config, paper| Row {
        name,
        spec: ModelSpec { family, config },
        paper,
        note: None,
    };
    let mut rows = vec![
        row(
            "ssm-bi-1",
            Ssm,
            cfg(81, 64, 1, true, PxBy),
            p((0.170, 0.086), (0.883, 0.105), (0.753, 0.115)),
        ),
        row(
            "ssm-bi-2",
            Ssm,
            cfg(81, 64, 2, true, PxBy),
            p((0.158, 0.074), (0.896, 0.095), (0.771, 0.097)),
        ),
        row(
            "ssm-uni-2",
            Ssm,
            cfg(81, 64, 2, false, PxBy),
            p((0.166, 0.081), (0.886, 0.102), (0.760, 0.106)),
        ),
        row(
            "att-1",
            attention,
            cfg(81, 64, 1, true, PxBy),
            p((0.157, 0.064), (0.887, 0.103), (0.765, 0.088)),
        ),
        row(
            "att-2",
            attention,
            cfg(81, 64, 2, true, PxBy),
            p((0.159, 0.066), (0.887, 0.103), (0.760, 0.092)),
        ),
        row(
            "rnn-center",
            Rnn,
            cfg(81, 64, 2, true, Center),
            p((0.185, 0.074), (0.888, 0.083), (0.750, 0.093)),
        ),
        row(
            "rnn-noconv",
            Rnn,
            cfg(81, 64, 2, true, PxByNoConv),
            p((0.153, 0.061), (0.902, 0.090), (0.777, 0.083)),
        ),
        row(
            "rnn-in162",
            Rnn,
            cfg(162, 64, 2, true, PxBy),
            p((0.152, 0.062), (0.905, 0.089), (0.778, 0.084)),
        ),
        row(
            "rnn-in36",
            Rnn,
            cfg(36, 64, 2, true, PxBy),
            p((0.152, 0.061), (0.904, 0.090), (0.778, 0.083)),
        ),
        row(
            "rnn-state128",
            Rnn,
            cfg(81, 128, 2, true, PxBy),
            p((0.153, 0.063), (0.903, 0.091), (0.776, 0.086)),
        ),
        row(
            "rnn-state32",
            Rnn,
            cfg(81, 32, 2, true, PxBy),
            p((0.149, 0.062), (0.899, 0.095), (0.785, 0.082)),
        ),
        row(
            "rnn-depth1",
            Rnn,
            cfg(81, 64, 1, true, PxBy),
            p((0.149, 0.062), (0.897, 0.096), (0.780, 0.085)),
        ),
        row(
            "rnn-depth3",
            Rnn,
            cfg(81, 64, 3, true, PxBy),
            p((0.153, 0.063), (0.906, 0.087), (0.776, 0.086)),
        ),
        row(
            "rnn-base",
            Rnn,
            cfg(81, 64, 2, true, PxBy),
            p((0.151, 0.062), (0.903, 0.090), (0.779, 0.084)),
        ),
        row(
            "rnn-uni",
            Rnn,
            cfg(81, 64, 2, false, PxBy),
            p((0.153, 0.064), (0.904, 0.088), (0.777, 0.087)),
        ),
    ];
    rows[13].note = Some(
        "the paper prints this row as `Bi PxBy N 81 64 2`, a duplicate of row 7; every other RNN \
         row changes one setting of `Bi PxBy Y 81 64 2`, so we read it as that base configuration",
    );
    rows[5].note = Some("centre embedding: no convolution exists, the paper's `Y` does not apply");
    rows
}

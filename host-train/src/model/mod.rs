//! Model families (SPEC §6) in tch, with PyTorch's parameter names and layouts.
//!
//! Every family maps contexts `[B, L, 9]` (i64 token ids, row-major 3x3) to next-token logits
//! `[B, V]` taken at the last position. Families share the embedding front ([`embed`]) and the
//! head: the RNN family ([`rnn`], the one pxby-core runs), the attention family ([`attention`])
//! and the SSM family ([`mamba`]), the last two for the paper's Table 1 only.

pub mod attention;
pub mod embed;
pub mod mamba;
pub mod rnn;

use pxby_core::config::ModelConfig;
use serde::{Deserialize, Serialize};
use tch::{Tensor, nn};

use crate::error::{Error, Result};

/// Which architecture sits between the embedding and the head.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FamilyKind {
    /// PxByEmbed → LSTM stack (first layer optionally bidirectional) → linear head.
    /// The only family pxby-core runs.
    Rnn,
    /// PxByEmbed → linear dim→d_state → TransformerEncoder (4 heads, no positional encoding, as
    /// in the paper) → head on the last position.
    Attention,
    /// As [`FamilyKind::Attention`] with learned absolute positions added before the encoder.
    AttentionLearned,
    /// As [`FamilyKind::Attention`] with sinusoidal positions added before the encoder.
    AttentionSinusoidal,
    /// PxByEmbed → linear dim→d_state → Mamba blocks (first bidirectional when configured) →
    /// head on the last position.
    Ssm,
}

/// A model: its family and the hyper-parameters in pxby-core's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Architecture.
    pub family: FamilyKind,
    /// Sizes, depth, direction and embedding front.
    pub config: ModelConfig,
}

/// A built model whose variables live in a `tch::nn::VarStore`.
pub trait Family: std::fmt::Debug {
    /// Contexts `[B, L, 9]` (i64) → logits `[B, V]` of the token after the last position.
    fn forward(&self, contexts: &Tensor) -> Tensor;
}

/// Creates the variables of `spec` under `path` (PyTorch-like initialisation) and returns the
/// model. Variable names are pxby-core's canonical tensor names.
pub fn build(path: &nn::Path, spec: &ModelSpec) -> Result<Box<dyn Family>> {
    if !spec.config.is_valid() {
        return Err(Error::Usage(format!(
            "invalid model configuration {:?} (vocab must be {}, depth 1..={}, d_state even when bidirectional)",
            spec.config,
            pxby_core::vocab::VOCAB_SIZE,
            pxby_core::config::MAX_DEPTH
        )));
    }
    match spec.family {
        FamilyKind::Rnn => Ok(Box::new(rnn::RnnModel::new(path, &spec.config)?)),
        FamilyKind::Attention => Ok(Box::new(attention::AttentionModel::new(
            path,
            &spec.config,
            attention::Positions::None,
        )?)),
        FamilyKind::AttentionLearned => Ok(Box::new(attention::AttentionModel::new(
            path,
            &spec.config,
            attention::Positions::Learned,
        )?)),
        FamilyKind::AttentionSinusoidal => Ok(Box::new(attention::AttentionModel::new(
            path,
            &spec.config,
            attention::Positions::Sinusoidal,
        )?)),
        FamilyKind::Ssm => Ok(Box::new(mamba::MambaModel::new(path, &spec.config)?)),
    }
}

/// PyTorch's default initialisation of `nn.Linear` / `nn.Conv2d` weights and biases
/// (`kaiming_uniform_(a = √5)` and the matching bias rule): U(−1/√fan_in, 1/√fan_in).
pub(crate) fn torch_uniform(fan_in: i64) -> nn::Init {
    let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
    nn::Init::Uniform {
        lo: -bound,
        up: bound,
    }
}

/// Adds a variable, turning libtorch's error into ours.
pub(crate) fn var(path: &nn::Path, name: &str, dims: &[i64], init: nn::Init) -> Result<Tensor> {
    path.f_var(name, dims, init)
        .map_err(|e| Error::torch(format!("creating variable {name}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pxby_core::config::Embed;
    use tch::{Device, Kind};

    fn check(cfg: ModelConfig) {
        let vs = nn::VarStore::new(Device::Cpu);
        let spec = ModelSpec {
            family: FamilyKind::Rnn,
            config: cfg,
        };
        let model = build(&vs.root(), &spec).expect("valid config");
        let vars = vs.variables();
        let canonical: Vec<_> = cfg.tensors().collect();
        assert_eq!(vars.len(), canonical.len(), "{cfg:?}");
        for t in canonical {
            let v = vars
                .get(t.name)
                .unwrap_or_else(|| panic!("missing {}", t.name));
            let shape: Vec<i64> = t.shape[..t.rank as usize]
                .iter()
                .map(|&d| i64::from(d))
                .collect();
            assert_eq!(v.size(), shape, "{}", t.name);
        }
        let x = Tensor::randint(113, [3, 7, 9], (Kind::Int64, Device::Cpu));
        assert_eq!(model.forward(&x).size(), vec![3, 113]);
    }

    #[test]
    fn variables_are_the_canonical_tensors() {
        let mut cfg = ModelConfig::PAPER_BEST;
        check(cfg);
        cfg.embed = Embed::PxByNoConv;
        check(cfg);
        cfg.embed = Embed::Center;
        cfg.bidirectional = false;
        cfg.depth = 3;
        check(cfg);
    }

    #[test]
    fn invalid_config_is_an_error() {
        let vs = nn::VarStore::new(Device::Cpu);
        let mut config = ModelConfig::PAPER_BEST;
        config.d_state = 31;
        let spec = ModelSpec {
            family: FamilyKind::Rnn,
            config,
        };
        assert!(matches!(build(&vs.root(), &spec), Err(Error::Usage(_))));
    }
}

//! The RNN family: PxByEmbed → LSTM 1 (bidirectional with `d_state/2` per direction, or
//! unidirectional) → LSTM 2..depth (unidirectional, `d_state`) → linear head on the last step.

use pxby_core::config::ModelConfig;
use tch::Tensor;
use tch::nn::{self, RNN};

use super::embed::EmbedFront;
use super::{Family, torch_uniform, var};
use crate::error::Result;

/// The RNN family model.
#[derive(Debug)]
pub struct RnnModel {
    embed: EmbedFront,
    layers: Vec<nn::LSTM>,
    head_w: Tensor,
    head_b: Tensor,
}

impl RnnModel {
    /// Creates `embed.*`, `lstm.K.*` and `head.*` under `root`. LSTM weights and biases are
    /// U(±1/√hidden) as in PyTorch (tch's defaults differ).
    pub fn new(root: &nn::Path, cfg: &ModelConfig) -> Result<Self> {
        let embed = EmbedFront::new(root, cfg)?;
        let s = i64::from(cfg.d_state);
        let mut layers = Vec::with_capacity(cfg.depth as usize);
        for k in 0..cfg.depth as usize {
            let (input, hidden, bidirectional) = if k == 0 {
                (
                    i64::from(cfg.dim),
                    cfg.first_hidden() as i64,
                    cfg.bidirectional,
                )
            } else {
                (s, s, false)
            };
            let init = torch_uniform(hidden);
            let rc = nn::RNNConfig {
                has_biases: true,
                num_layers: 1,
                dropout: 0.0,
                train: true,
                bidirectional,
                batch_first: true,
                w_ih_init: init,
                w_hh_init: init,
                b_ih_init: Some(init),
                b_hh_init: Some(init),
            };
            let lp = root / "lstm" / k;
            layers.push(nn::lstm(&lp, input, hidden, rc));
        }
        let hp = root / "head";
        let v = i64::from(cfg.vocab);
        let init = torch_uniform(s);
        let head_w = var(&hp, "weight", &[v, s], init)?;
        let head_b = var(&hp, "bias", &[v], init)?;
        Ok(RnnModel {
            embed,
            layers,
            head_w,
            head_b,
        })
    }
}

impl Family for RnnModel {
    fn forward(&self, contexts: &Tensor) -> Tensor {
        let mut x = self.embed.forward(contexts);
        let b = x.size()[0];
        for layer in &self.layers {
            let state = layer.zero_state(b);
            let (out, _) = layer.seq_init(&x, &state);
            x = out;
        }
        // [B, L, S] → last step [B, S] → [B, V]
        x.select(1, -1).linear(&self.head_w, Some(&self.head_b))
    }
}

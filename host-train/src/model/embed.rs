//! The embedding front: PxByEmbed (with or without the 3x3 convolution mix) or a plain
//! embedding of the centre token (SPEC §6).

use pxby_core::config::{Embed, ModelConfig};
use tch::{Kind, Tensor, nn};

use super::{torch_uniform, var};
use crate::error::Result;

/// Embedding front; variables under `embed.*`.
#[derive(Debug)]
pub struct EmbedFront {
    kind: Embed,
    dim: i64,
    inner: i64,
    alpha: Option<Tensor>,
    embedding: Tensor,
    conv: Option<(Tensor, Tensor)>,
    proj: Option<(Tensor, Tensor)>,
    norm: Option<(Tensor, Tensor)>,
}

impl EmbedFront {
    /// Creates `embed.*` under `root` (PyTorch defaults: embedding N(0, 1), conv and linear
    /// U(±1/√fan_in), LayerNorm 1 / 0; alpha 0 so σ(alpha) = ½ mixes evenly at the start).
    pub fn new(root: &nn::Path, cfg: &ModelConfig) -> Result<Self> {
        let p = root / "embed";
        let v = i64::from(cfg.vocab);
        let d = i64::from(cfg.dim);
        let e = cfg.embed_inner() as i64;
        let normal = nn::Init::Randn {
            mean: 0.0,
            stdev: 1.0,
        };
        if cfg.embed == Embed::Center {
            let embedding = var(&(&p / "embedding"), "weight", &[v, d], normal)?;
            return Ok(EmbedFront {
                kind: cfg.embed,
                dim: d,
                inner: e,
                alpha: None,
                embedding,
                conv: None,
                proj: None,
                norm: None,
            });
        }
        let alpha = var(&p, "alpha", &[1, 1, 3, 3], nn::Init::Const(0.0))?;
        let embedding = var(&(&p / "embedding"), "weight", &[v, e], normal)?;
        let conv = if cfg.embed == Embed::PxBy {
            let c = &p / "conv";
            let init = torch_uniform(e * 9);
            Some((
                var(&c, "weight", &[e, e, 3, 3], init)?,
                var(&c, "bias", &[e], init)?,
            ))
        } else {
            None
        };
        let pp = &p / "proj";
        let init = torch_uniform(9 * e);
        let proj = Some((
            var(&pp, "weight", &[d, 9 * e], init)?,
            var(&pp, "bias", &[d], init)?,
        ));
        let np = &p / "norm";
        let norm = Some((
            var(&np, "weight", &[d], nn::Init::Const(1.0))?,
            var(&np, "bias", &[d], nn::Init::Const(0.0))?,
        ));
        Ok(EmbedFront {
            kind: cfg.embed,
            dim: d,
            inner: e,
            alpha: Some(alpha),
            embedding,
            conv,
            proj,
            norm,
        })
    }

    /// Contexts `[B, L, 9]` → embeddings `[B, L, D]`.
    pub fn forward(&self, contexts: &Tensor) -> Tensor {
        let size = contexts.size();
        let (b, l) = (size[0], size[1]);
        if self.kind == Embed::Center {
            let centre = contexts.select(2, 4);
            return Tensor::embedding(&self.embedding, &centre, -1, false, false);
        }
        let n = b * l;
        let e = self.inner;
        // [N, 9] → [N, 9, E] → (E, 3, 3) per token: channel e, row r, col c = emb[ctx[r*3+c]][e].
        let x = Tensor::embedding(&self.embedding, &contexts.reshape([n, 9]), -1, false, false)
            .permute([0, 2, 1])
            .reshape([n, e, 3, 3]);
        let x = match (&self.alpha, &self.conv) {
            (Some(alpha), Some((w, bias))) => {
                let a = alpha.sigmoid();
                let patch = x.conv2d(w, Some(bias), [1, 1], [1, 1], [1, 1], 1);
                &a * &x + (a.ones_like() - &a) * patch
            }
            (Some(alpha), None) => alpha.sigmoid() * &x,
            _ => x,
        };
        let x = x.flatten(1, -1);
        let x = match &self.proj {
            Some((w, bias)) => x.linear(w, Some(bias)),
            None => x,
        };
        let x = match &self.norm {
            Some((w, bias)) => x.layer_norm([self.dim], Some(w), Some(bias), 1e-5, true),
            None => x,
        };
        x.reshape([b, l, self.dim]).to_kind(Kind::Float)
    }
}

//! The attention family (the paper's "Att" rows, SPEC §6): PxByEmbed (`dim`) → linear
//! `dim → d_state` (the table's "In" and "Mod" columns; omitted when they are equal) → optional
//! positions → `depth` × `nn.TransformerEncoderLayer` → linear head on the last position.
//!
//! Each encoder layer is PyTorch's default: post-norm, ReLU, 4 heads, feed-forward `4·d_state`,
//! no mask (every position sees the whole window, which is why the paper calls it "Bi"), and
//! dropout 0 (the runs here are far too short to overfit, and it keeps evaluation deterministic).
//! `d_state` must be a multiple of the 4 heads: the paper's rows use In 81 / Mod 64, so the
//! attention runs on 64 wide vectors (81 is not divisible by 4 and PyTorch's
//! `MultiheadAttention(81, 4)` refuses it).
//!
//! Variables (PyTorch names): `input.{weight,bias}`, `pos.weight` (learned positions),
//! `encoder.layers.K.self_attn.{in_proj_weight,in_proj_bias,out_proj.weight,out_proj.bias}`,
//! `encoder.layers.K.{linear1,linear2,norm1,norm2}.{weight,bias}`, `head.{weight,bias}`.

use pxby_core::config::ModelConfig;
use tch::{Kind, Tensor, nn};

use super::embed::EmbedFront;
use super::{Family, torch_uniform, var};
use crate::error::{Error, Result};

/// Number of attention heads (the paper's setting).
pub const HEADS: i64 = 4;

/// Longest window with its own learned position; later positions share the last one.
pub const MAX_POSITIONS: i64 = 512;

/// Positional information added to the encoder's input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Positions {
    /// None (the paper's setting).
    None,
    /// A learned vector per absolute position (`pos.weight`, N(0, 0.02)).
    Learned,
    /// The fixed sinusoidal encoding of "Attention is all you need".
    Sinusoidal,
}

/// `y = x Wᵀ + b` with PyTorch's `nn.Linear` initialisation.
#[derive(Debug)]
pub(crate) struct Linear {
    pub(crate) weight: Tensor,
    pub(crate) bias: Option<Tensor>,
}

impl Linear {
    /// `nn.Linear(input, output, bias)` under `path`.
    pub(crate) fn new(path: &nn::Path, input: i64, output: i64, bias: bool) -> Result<Self> {
        let init = torch_uniform(input);
        let weight = var(path, "weight", &[output, input], init)?;
        let bias = if bias {
            Some(var(path, "bias", &[output], init)?)
        } else {
            None
        };
        Ok(Linear { weight, bias })
    }

    pub(crate) fn forward(&self, x: &Tensor) -> Tensor {
        x.linear(&self.weight, self.bias.as_ref())
    }
}

/// `nn.LayerNorm(n)` (weight 1, bias 0, eps 1e-5).
#[derive(Debug)]
pub(crate) struct LayerNorm {
    n: i64,
    weight: Tensor,
    bias: Tensor,
}

impl LayerNorm {
    pub(crate) fn new(path: &nn::Path, n: i64) -> Result<Self> {
        Ok(LayerNorm {
            n,
            weight: var(path, "weight", &[n], nn::Init::Const(1.0))?,
            bias: var(path, "bias", &[n], nn::Init::Const(0.0))?,
        })
    }

    pub(crate) fn forward(&self, x: &Tensor) -> Tensor {
        x.layer_norm([self.n], Some(&self.weight), Some(&self.bias), 1e-5, true)
    }
}

/// One post-norm `nn.TransformerEncoderLayer` (ReLU, no dropout, batch first).
#[derive(Debug)]
struct EncoderLayer {
    width: i64,
    in_proj_w: Tensor,
    in_proj_b: Tensor,
    out_proj: Linear,
    linear1: Linear,
    linear2: Linear,
    norm1: LayerNorm,
    norm2: LayerNorm,
}

impl EncoderLayer {
    fn new(path: &nn::Path, width: i64) -> Result<Self> {
        let sa = path / "self_attn";
        // MultiheadAttention: xavier_uniform_ in_proj_weight, zero biases.
        let bound = (6.0 / (width + 3 * width) as f64).sqrt();
        let in_proj_w = var(
            &sa,
            "in_proj_weight",
            &[3 * width, width],
            nn::Init::Uniform {
                lo: -bound,
                up: bound,
            },
        )?;
        let in_proj_b = var(&sa, "in_proj_bias", &[3 * width], nn::Init::Const(0.0))?;
        let op = &sa / "out_proj";
        let out_proj = Linear {
            weight: var(&op, "weight", &[width, width], torch_uniform(width))?,
            bias: Some(var(&op, "bias", &[width], nn::Init::Const(0.0))?),
        };
        Ok(EncoderLayer {
            width,
            in_proj_w,
            in_proj_b,
            out_proj,
            linear1: Linear::new(&(path / "linear1"), width, 4 * width, true)?,
            linear2: Linear::new(&(path / "linear2"), 4 * width, width, true)?,
            norm1: LayerNorm::new(&(path / "norm1"), width)?,
            norm2: LayerNorm::new(&(path / "norm2"), width)?,
        })
    }

    fn self_attention(&self, x: &Tensor) -> Tensor {
        let size = x.size();
        let (b, l) = (size[0], size[1]);
        let hd = self.width / HEADS;
        let qkv = x.linear(&self.in_proj_w, Some(&self.in_proj_b));
        let heads = |t: &Tensor| t.reshape([b, l, HEADS, hd]).permute([0, 2, 1, 3]);
        let parts = qkv.chunk(3, -1);
        let (q, k, v) = (heads(&parts[0]), heads(&parts[1]), heads(&parts[2]));
        let scores = q.matmul(&k.transpose(-2, -1)) / (hd as f64).sqrt();
        let attn = scores.softmax(-1, Kind::Float);
        let out = attn
            .matmul(&v)
            .permute([0, 2, 1, 3])
            .reshape([b, l, self.width]);
        self.out_proj.forward(&out)
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        let x = self.norm1.forward(&(x + self.self_attention(x)));
        let ff = self.linear2.forward(&self.linear1.forward(&x).relu());
        self.norm2.forward(&(&x + ff))
    }
}

/// The sinusoidal encoding `[l, width]`: channel `c` of position `p` is `sin(p·ω)` for even `c`
/// and `cos(p·ω)` for odd `c`, with `ω = 10000^(−2⌊c/2⌋/width)`.
pub fn sinusoidal(l: i64, width: i64, device: tch::Device) -> Tensor {
    let mut pe = Vec::with_capacity((l * width).max(0) as usize);
    for p in 0..l {
        for c in 0..width {
            let omega = (-(10000f64.ln()) * (2 * (c / 2)) as f64 / width as f64).exp();
            let angle = p as f64 * omega;
            pe.push(if c % 2 == 0 { angle.sin() } else { angle.cos() } as f32);
        }
    }
    Tensor::from_slice(&pe).view([l, width]).to_device(device)
}

/// The attention family model.
#[derive(Debug)]
pub struct AttentionModel {
    embed: EmbedFront,
    input: Option<Linear>,
    positions: Positions,
    pos: Option<Tensor>,
    width: i64,
    layers: Vec<EncoderLayer>,
    head: Linear,
}

impl AttentionModel {
    /// Creates the variables under `root`. `cfg.d_state` is the encoder width (multiple of
    /// [`HEADS`]), `cfg.depth` the number of encoder layers; `cfg.bidirectional` is not used
    /// (the encoder is never masked).
    pub fn new(root: &nn::Path, cfg: &ModelConfig, positions: Positions) -> Result<Self> {
        let width = i64::from(cfg.d_state);
        if width % HEADS != 0 {
            return Err(Error::Usage(format!(
                "attention: d_state {width} must be a multiple of the {HEADS} heads"
            )));
        }
        let embed = EmbedFront::new(root, cfg)?;
        let dim = i64::from(cfg.dim);
        let input = if dim != width {
            Some(Linear::new(&(root / "input"), dim, width, true)?)
        } else {
            None
        };
        let pos = match positions {
            Positions::Learned => Some(var(
                &(root / "pos"),
                "weight",
                &[MAX_POSITIONS, width],
                nn::Init::Randn {
                    mean: 0.0,
                    stdev: 0.02,
                },
            )?),
            _ => None,
        };
        let mut layers = Vec::with_capacity(cfg.depth as usize);
        for k in 0..cfg.depth as usize {
            layers.push(EncoderLayer::new(
                &(root / "encoder" / "layers" / k),
                width,
            )?);
        }
        let head = Linear::new(&(root / "head"), width, i64::from(cfg.vocab), true)?;
        Ok(AttentionModel {
            embed,
            input,
            positions,
            pos,
            width,
            layers,
            head,
        })
    }
}

impl Family for AttentionModel {
    fn forward(&self, contexts: &Tensor) -> Tensor {
        let mut x = self.embed.forward(contexts);
        if let Some(input) = &self.input {
            x = input.forward(&x);
        }
        let l = x.size()[1];
        let device = x.device();
        let mut x = match (self.positions, &self.pos) {
            (Positions::Learned, Some(table)) => {
                let idx = Tensor::arange(l, (Kind::Int64, device)).clamp_max(MAX_POSITIONS - 1);
                &x + table.index_select(0, &idx).unsqueeze(0)
            }
            (Positions::Sinusoidal, _) => &x + sinusoidal(l, self.width, device).unsqueeze(0),
            _ => x,
        };
        for layer in &self.layers {
            x = layer.forward(&x);
        }
        self.head.forward(&x.select(1, -1))
    }
}

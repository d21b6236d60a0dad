//! The SSM family (the paper's "SSM" rows, SPEC §6): PxByEmbed (`dim`) → linear `dim → d_state`
//! (omitted when equal) → `depth` Mamba blocks → LayerNorm → linear head on the last position.
//!
//! A Mamba block (Gu & Dao 2023), written with tch tensor ops, width `d = d_state`:
//! `in_proj` (d → 2·d_inner, d_inner = 2d, no bias) splits into `x` and the gate `z`; `x` goes
//! through a causal depthwise `conv1d` (kernel 4) and SiLU; `x_proj` (d_inner → dt_rank + 2N, no
//! bias) gives the input-dependent `Δ` (through `dt_proj` and softplus), `B` and `C`;
//! `A = −exp(A_log)`; the selective scan ([`selective_scan`]; [`Scan`] says how)
//! computes `h_t = exp(Δ_t A) h_{t−1} + Δ_t B_t x_t`, `y_t = C_t h_t + D x_t`; the output is
//! `out_proj(y · SiLU(z))`. N = [`D_STATE`] (Mamba's default), dt_rank = ⌈d/16⌉.
//!
//! Layer 1 is bidirectional when the configuration says so, as in the paper:
//! `LayerNorm(m(x) + flip(m(flip(x))))` (one block `m` read both ways). Every other layer is a
//! pre-norm residual block `x + m(LayerNorm(x))`.
//!
//! Variables: `input.*`, `layers.K.{in_proj.weight, conv1d.weight, conv1d.bias, x_proj.weight,
//! dt_proj.weight, dt_proj.bias, A_log, D, out_proj.weight, norm.weight, norm.bias}`,
//! `norm_f.*`, `head.*`.

use pxby_core::config::ModelConfig;
use tch::{Kind, Tensor, nn};

use super::attention::{LayerNorm, Linear};
use super::{Family, var};
use crate::error::{Error, Result};

/// Size `N` of the selective state per channel (Mamba's default).
pub const D_STATE: i64 = 16;
/// Kernel of the causal depthwise convolution.
pub const D_CONV: i64 = 4;
/// `d_inner = EXPAND · d_model`.
pub const EXPAND: i64 = 2;

/// How the selective scan is computed; both give the same numbers (to float rounding).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scan {
    /// The reference: the discretised transition and input of every step are built as whole
    /// `[B, L, D, N]` tensors, the states stacked into another, and every layer computes every
    /// position.
    Sequential,
    /// Fast on a CPU: every per-step tensor is built from the small inputs, so it is `[B, D, N]`
    /// (half a megabyte at batch 32) and stays in cache, and `y_t` is taken from each state at
    /// once; no `[B, L, D, N]` tensor exists. The last layer computes only the last position
    /// (all the head reads): its scan keeps just the running state, and the backward half of
    /// a bidirectional last layer is one step. Measured with `host-train bench`; chunked and
    /// log-space (cumulative-sum) scans were slower here, because each of their passes
    /// allocates and streams `[B, L, D, N]` tensors. Also measured and not faster (one
    /// libtorch thread, batch 32, window 128): states laid out `[B, N, D]` with a broadcast
    /// input product and one `addcmul` per step; the batch split into tiles of 4–32 rows;
    /// transitions and inputs built for blocks of 4–32 steps at once, leaving one `addcmul`
    /// per step. Every variant costs about 14 elementwise passes over `[B, D, N]` per step
    /// (forward and backward), and that, not dispatch, sets the time. For the last layer
    /// the closed form `h_L = Σ_s exp(A·Σ_{r>s} Δ_r)·Δ_s·u_s·B_s`, taken in blocks of 16
    /// positions with the exponent clamped at −40, matches this scan (outputs within 4e-6,
    /// gradients within 1e-6 relative) and, timed alone at batch 32, is slower at
    /// initialisation (about 61 against 51 ms) but about twice as fast once `Δ·|A|` is
    /// large: this scan's backward then multiplies subnormal numbers, which libtorch on a
    /// CPU does not flush to zero (tch exposes no switch for it).
    #[default]
    Stepwise,
}

/// The selective scan.
///
/// Shapes: `u`, `delta` `[B, L, D]`; `a` `[D, N]`; `b`, `c` `[B, L, N]`; `d` `[D]` → `[B, L, D]`.
/// For each batch row, channel `i` and step `t` (from a zero state):
/// `h[i,n] = exp(Δ[t,i]·A[i,n])·h[i,n] + Δ[t,i]·B[t,n]·u[t,i]`, `y[t,i] = Σ_n C[t,n]·h[i,n] + D[i]·u[t,i]`.
pub fn selective_scan(
    u: &Tensor,
    delta: &Tensor,
    a: &Tensor,
    b: &Tensor,
    c: &Tensor,
    d: &Tensor,
    scan: Scan,
) -> Tensor {
    if u.size()[1] == 0 {
        return u * d;
    }
    let y = match scan {
        Scan::Sequential => {
            let da = (delta.unsqueeze(-1) * a).exp();
            let dbu = (delta * u).unsqueeze(-1) * b.unsqueeze(2);
            let hs = states_sequential(&da, &dbu);
            (hs * c.unsqueeze(2)).sum_dim_intlist(-1, false, Kind::Float)
        }
        Scan::Stepwise => {
            let mut ys = Vec::with_capacity(u.size()[1] as usize);
            let _last = stepwise(u, delta, a, b, |h, t| {
                ys.push(h.matmul(&c.select(1, t).unsqueeze(-1)).squeeze_dim(-1));
            });
            Tensor::stack(&ys, 1)
        }
    };
    y + u * d
}

/// The selective scan's output at the last position only, `[B, D]` ([`Scan::Stepwise`]'s
/// running state; the same as `selective_scan(..).select(1, -1)`).
pub fn selective_scan_last(
    u: &Tensor,
    delta: &Tensor,
    a: &Tensor,
    b: &Tensor,
    c: &Tensor,
    d: &Tensor,
) -> Tensor {
    let last = u.size()[1] - 1;
    if last < 0 {
        // An empty window: no position, no output (zeros of [B, D]).
        return (u * d).sum_dim_intlist(1, false, Kind::Float);
    }
    let h = stepwise(u, delta, a, b, |_, _| {});
    h.matmul(&c.select(1, last).unsqueeze(-1)).squeeze_dim(-1) + u.select(1, last) * d
}

/// Runs `h_t = exp(Δ_t·A)·h_{t−1} + Δ_t·u_t·B_t` from a zero state, one `[B, D, N]` step at a
/// time, calling `each(h_t, t)`; returns the last state.
fn stepwise(
    u: &Tensor,
    delta: &Tensor,
    a: &Tensor,
    b: &Tensor,
    mut each: impl FnMut(&Tensor, i64),
) -> Tensor {
    let size = u.size();
    let mut h = Tensor::zeros([size[0], size[2], a.size()[1]], (u.kind(), u.device()));
    let dtu = (delta * u).unsqueeze(-1);
    let (ds, xs, bs) = (
        delta.unsqueeze(-1).unbind(1),
        dtu.unbind(1),
        b.unsqueeze(2).unbind(1),
    );
    for (t, ((d_t, x_t), b_t)) in ds.iter().zip(&xs).zip(&bs).enumerate() {
        let da = (d_t * a).exp();
        h = (da * &h).baddbmm(x_t, b_t, 1, 1);
        each(&h, t as i64);
    }
    h
}

/// `h_t = a_t·h_{t−1} + x_t` from a zero state along dim 1 of `[B, L, ...]`; all states.
fn states_sequential(a: &Tensor, x: &Tensor) -> Tensor {
    let mut h = x.zeros_like().select(1, 0);
    let mut states = Vec::with_capacity(x.size()[1] as usize);
    // unbind, not select: the backward of unbind is one stack, while each select's backward
    // would allocate a zero tensor of the whole [B, L, D, N] (quadratic in L).
    for (a_t, x_t) in a.unbind(1).iter().zip(x.unbind(1).iter()) {
        h = a_t * &h + x_t;
        states.push(h.shallow_clone());
    }
    Tensor::stack(&states, 1)
}

/// One Mamba block of width `d_model`.
#[derive(Debug)]
pub struct MambaBlock {
    d_inner: i64,
    dt_rank: i64,
    in_proj: Linear,
    conv_w: Tensor,
    conv_b: Tensor,
    x_proj: Linear,
    dt_proj: Linear,
    a_log: Tensor,
    d: Tensor,
    out_proj: Linear,
    scan: Scan,
}

impl MambaBlock {
    /// Creates the block's variables under `path` with Mamba's initialisation (A_log = log 1..N,
    /// D = 1, dt_proj bias = softplus⁻¹ of Δ drawn log-uniformly in [0.001, 0.1]).
    pub fn new(path: &nn::Path, d_model: i64) -> Result<Self> {
        let d_inner = EXPAND * d_model;
        let dt_rank = (d_model + 15) / 16;
        let in_proj = Linear::new(&(path / "in_proj"), d_model, 2 * d_inner, false)?;
        let cp = path / "conv1d";
        let bound = 1.0 / (D_CONV as f64).sqrt();
        let uniform = nn::Init::Uniform {
            lo: -bound,
            up: bound,
        };
        let conv_w = var(&cp, "weight", &[d_inner, 1, D_CONV], uniform)?;
        let conv_b = var(&cp, "bias", &[d_inner], uniform)?;
        let x_proj = Linear::new(&(path / "x_proj"), d_inner, dt_rank + 2 * D_STATE, false)?;
        let dp = path / "dt_proj";
        let std = (dt_rank as f64).powf(-0.5);
        let dt_w = var(
            &dp,
            "weight",
            &[d_inner, dt_rank],
            nn::Init::Uniform { lo: -std, up: std },
        )?;
        let mut dt_b = var(&dp, "bias", &[d_inner], nn::Init::Const(0.0))?;
        let mut a_log = var(path, "A_log", &[d_inner, D_STATE], nn::Init::Const(0.0))?;
        let d = var(path, "D", &[d_inner], nn::Init::Const(1.0))?;
        let device = dt_b.device();
        tch::no_grad(|| {
            let (lo, hi) = (0.001f64.ln(), 0.1f64.ln());
            let dt = (Tensor::rand([d_inner], (Kind::Float, device)) * (hi - lo) + lo)
                .exp()
                .clamp_min(1e-4);
            // inverse softplus: dt + log(1 − exp(−dt))
            let inv = &dt + (-(-&dt).expm1()).log();
            dt_b.copy_(&inv);
            let a = Tensor::arange_start(1, D_STATE + 1, (Kind::Float, device))
                .log()
                .unsqueeze(0)
                .repeat([d_inner, 1]);
            a_log.copy_(&a);
        });
        let out_proj = Linear::new(&(path / "out_proj"), d_inner, d_model, false)?;
        Ok(MambaBlock {
            d_inner,
            dt_rank,
            in_proj,
            conv_w,
            conv_b,
            x_proj,
            dt_proj: Linear {
                weight: dt_w,
                bias: Some(dt_b),
            },
            a_log,
            d,
            out_proj,
            scan: Scan::default(),
        })
    }

    /// `[B, L, d_model]` → `[B, L, d_model]` (causal: position t sees positions ≤ t).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let p = self.project(x);
        let y = selective_scan(&p.u, &p.delta, &p.a, &p.b, &p.c, &self.d, self.scan);
        self.out_proj.forward(&(y * p.z.silu()))
    }

    /// The output at the last position only, `[B, d_model]`: `forward(x).select(1, -1)`,
    /// without the other positions' outputs.
    pub fn forward_last(&self, x: &Tensor) -> Tensor {
        let p = self.project(x);
        let y = selective_scan_last(&p.u, &p.delta, &p.a, &p.b, &p.c, &self.d);
        self.out_proj.forward(&(y * p.z.select(1, -1).silu()))
    }

    /// Everything before the scan: input `u` (after the causal convolution), `Δ`, `A`, `B`,
    /// `C` and the gate `z`.
    fn project(&self, x: &Tensor) -> Projected {
        let l = x.size()[1];
        let xz = self.in_proj.forward(x);
        let parts = xz.chunk(2, -1);
        let (xi, z) = (&parts[0], &parts[1]);
        let u = xi
            .transpose(1, 2)
            .conv1d(
                &self.conv_w,
                Some(&self.conv_b),
                [1],
                [D_CONV - 1],
                [1],
                self.d_inner,
            )
            .narrow(2, 0, l)
            .transpose(1, 2)
            .silu();
        let dbc = self
            .x_proj
            .forward(&u)
            .split_with_sizes([self.dt_rank, D_STATE, D_STATE], -1);
        Projected {
            delta: self.dt_proj.forward(&dbc[0]).softplus(),
            a: -self.a_log.exp(),
            b: dbc[1].shallow_clone(),
            c: dbc[2].shallow_clone(),
            z: z.shallow_clone(),
            u,
        }
    }
}

/// A block's tensors before the scan.
struct Projected {
    u: Tensor,
    delta: Tensor,
    a: Tensor,
    b: Tensor,
    c: Tensor,
    z: Tensor,
}

/// The SSM family model.
#[derive(Debug)]
pub struct MambaModel {
    embed: super::embed::EmbedFront,
    input: Option<Linear>,
    bidirectional: bool,
    layers: Vec<(MambaBlock, LayerNorm)>,
    norm_f: LayerNorm,
    head: Linear,
}

impl MambaModel {
    /// Creates the variables under `root`: width `cfg.d_state`, `cfg.depth` blocks, the first
    /// bidirectional when `cfg.bidirectional`.
    pub fn new(root: &nn::Path, cfg: &ModelConfig) -> Result<Self> {
        let width = i64::from(cfg.d_state);
        if width < 1 || cfg.depth < 1 {
            return Err(Error::Usage(format!("ssm: invalid configuration {cfg:?}")));
        }
        let embed = super::embed::EmbedFront::new(root, cfg)?;
        let dim = i64::from(cfg.dim);
        let input = if dim != width {
            Some(Linear::new(&(root / "input"), dim, width, true)?)
        } else {
            None
        };
        let mut layers = Vec::with_capacity(cfg.depth as usize);
        for k in 0..cfg.depth as usize {
            let p = root / "layers" / k;
            layers.push((
                MambaBlock::new(&p, width)?,
                LayerNorm::new(&(&p / "norm"), width)?,
            ));
        }
        Ok(MambaModel {
            embed,
            input,
            bidirectional: cfg.bidirectional,
            layers,
            norm_f: LayerNorm::new(&(root / "norm_f"), width)?,
            head: Linear::new(&(root / "head"), width, i64::from(cfg.vocab), true)?,
        })
    }
}

impl MambaModel {
    /// The same model with every block scanning by `scan` (the default is [`Scan::Stepwise`]).
    pub fn with_scan(mut self, scan: Scan) -> Self {
        for (block, _) in &mut self.layers {
            block.scan = scan;
        }
        self
    }
}

impl Family for MambaModel {
    fn forward(&self, contexts: &Tensor) -> Tensor {
        let mut x = self.embed.forward(contexts);
        if let Some(input) = &self.input {
            x = input.forward(&x);
        }
        let depth = self.layers.len();
        for (k, (block, norm)) in self.layers.iter().enumerate() {
            let first_bi = k == 0 && self.bidirectional;
            if k + 1 == depth && block.scan == Scan::Stepwise {
                // The head reads the last position only.
                let last = if first_bi {
                    // flip(m(flip(x))) at the last position is m's first output on the
                    // reversed window, which (causal) sees only the last position.
                    let l = x.size()[1];
                    norm.forward(
                        &(block.forward_last(&x) + block.forward_last(&x.narrow(1, l - 1, 1))),
                    )
                } else {
                    x.select(1, -1) + block.forward_last(&norm.forward(&x))
                };
                return self.head.forward(&self.norm_f.forward(&last));
            }
            x = if first_bi {
                // both directions in one batch: [x; flip(x)]
                let b = x.size()[0];
                let y = block.forward(&Tensor::cat(&[&x, &x.flip([1])], 0));
                let back = y.narrow(0, b, b).flip([1]);
                norm.forward(&(y.narrow(0, 0, b) + back))
            } else {
                &x + block.forward(&norm.forward(&x))
            };
        }
        self.head.forward(&self.norm_f.forward(&x.select(1, -1)))
    }
}

//! Shared helpers for the integration tests: seeded random models and an independent f64
//! reference of the forward pass, written straight from SPEC §6 with full intermediate tensors
//! (a different code shape from the crate's streaming kernels).
#![allow(dead_code)]

use pxby_core::config::{Embed, ModelConfig};
use pxby_core::context::{Context, contexts};
use pxby_core::format::{Metadata, Metric, write_model};
use pxby_core::quant::WeightType;

/// SplitMix64: a tiny seeded generator for test data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    pub fn uniform(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// PyTorch-like random weights: matrices U(±1/sqrt(fan_in)), embedding U(±1.7),
/// LayerNorm weight 1 ± 0.1, biases U(±0.1), alpha U(±1).
pub fn random_tensors(cfg: &ModelConfig, seed: u64) -> Vec<(&'static str, Vec<f32>)> {
    let mut rng = Rng(seed);
    cfg.tensors()
        .map(|t| {
            let n = t.len();
            let v: Vec<f32> = if t.name == "embed.embedding.weight" {
                (0..n).map(|_| rng.uniform() * 1.7).collect()
            } else if t.name == "embed.norm.weight" {
                (0..n).map(|_| 1.0 + 0.1 * rng.uniform()).collect()
            } else if t.name == "embed.alpha" {
                (0..n).map(|_| rng.uniform()).collect()
            } else if t.quantisable {
                let s = 1.0 / (t.cols() as f32).sqrt();
                (0..n).map(|_| rng.uniform() * s).collect()
            } else {
                (0..n).map(|_| 0.1 * rng.uniform()).collect()
            };
            (t.name, v)
        })
        .collect()
}

pub fn as_list<'a>(owned: &'a [(&'static str, Vec<f32>)]) -> Vec<(&'static str, &'a [f32])> {
    owned.iter().map(|(n, v)| (*n, v.as_slice())).collect()
}

pub fn meta() -> Metadata<'static> {
    let mut m = Metadata {
        dataset_hash: "sha256:0123456789abcdef",
        epochs: 200,
        train_seconds: 1234.5,
        created: "2026-11-28 pxby-core tests",
        notes: "seeded random weights",
        ..Metadata::default()
    };
    m.metrics
        .push(Metric {
            name: "val_loss",
            value: 1.25,
        })
        .unwrap();
    m.metrics
        .push(Metric {
            name: "hamming",
            value: 0.149,
        })
        .unwrap();
    m
}

pub fn random_model(cfg: &ModelConfig, seed: u64, weights: WeightType) -> Vec<u8> {
    let owned = random_tensors(cfg, seed);
    write_model(cfg, &meta(), weights, &as_list(&owned)).unwrap()
}

/// A plausible token stream: header, an image of random palette colours, a caption.
pub fn random_stream(rng: &mut Rng) -> Vec<u8> {
    let h = 3 + rng.below(20);
    let w = 3 + rng.below(20);
    let mut s: Vec<u8> = pxby_core::header::tokens(h as u16, w as u16)
        .unwrap()
        .to_vec();
    let colours = 4 + rng.below(8);
    for r in 0..h {
        for _ in 0..w {
            s.push(58 + rng.below(colours) as u8);
        }
        s.push(if r + 1 == h { 2 } else { 1 });
    }
    for _ in 0..10 + rng.below(40) {
        s.push(3 + rng.below(55) as u8);
    }
    s.push(2);
    s
}

pub fn random_contexts(rng: &mut Rng, len: usize) -> Vec<Context> {
    let s = random_stream(rng);
    let all: Vec<Context> = contexts(&s).collect();
    let start = rng.below(all.len());
    (0..len).map(|i| all[(start + i) % all.len()]).collect()
}

fn sig(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn get<'a>(t: &'a [(&'static str, Vec<f32>)], name: &str) -> &'a [f32] {
    &t.iter().find(|(n, _)| *n == name).unwrap().1
}

/// Independent f64 reference of SPEC §6.
pub fn reference_logits(
    cfg: &ModelConfig,
    t: &[(&'static str, Vec<f32>)],
    ctxs: &[Context],
) -> Vec<f64> {
    let d = cfg.dim as usize;
    let e = cfg.embed_inner();
    let f = |name: &str| {
        get(t, name)
            .iter()
            .map(|&v| f64::from(v))
            .collect::<Vec<f64>>()
    };
    let emb = f("embed.embedding.weight");
    let mut xs: Vec<Vec<f64>> = Vec::new();
    for ctx in ctxs {
        if cfg.embed == Embed::Center {
            let tok = ctx[4] as usize;
            xs.push(emb[tok * d..(tok + 1) * d].to_vec());
            continue;
        }
        // x[c][r][k]
        let mut x = vec![[[0.0f64; 3]; 3]; e];
        for c in 0..e {
            for p in 0..9 {
                x[c][p / 3][p % 3] = emb[ctx[p] as usize * e + c];
            }
        }
        let alpha: Vec<f64> = f("embed.alpha").iter().map(|&a| sig(a)).collect();
        let mut mixed = vec![[[0.0f64; 3]; 3]; e];
        if cfg.embed == Embed::PxBy {
            let w = f("embed.conv.weight");
            let b = f("embed.conv.bias");
            for o in 0..e {
                for r in 0..3i32 {
                    for k in 0..3i32 {
                        let mut s = b[o];
                        for i in 0..e {
                            for kr in 0..3i32 {
                                for kc in 0..3i32 {
                                    let (rr, cc) = (r + kr - 1, k + kc - 1);
                                    if (0..3).contains(&rr) && (0..3).contains(&cc) {
                                        s += w[((o * e + i) * 3 + kr as usize) * 3 + kc as usize]
                                            * x[i][rr as usize][cc as usize];
                                    }
                                }
                            }
                        }
                        let a = alpha[(r * 3 + k) as usize];
                        mixed[o][r as usize][k as usize] =
                            a * x[o][r as usize][k as usize] + (1.0 - a) * s;
                    }
                }
            }
        } else {
            for c in 0..e {
                for p in 0..9 {
                    mixed[c][p / 3][p % 3] = alpha[p] * x[c][p / 3][p % 3];
                }
            }
        }
        let flat: Vec<f64> = mixed
            .iter()
            .flat_map(|m| m.iter().flatten().copied())
            .collect();
        let pw = f("embed.proj.weight");
        let pb = f("embed.proj.bias");
        let y: Vec<f64> = (0..d)
            .map(|j| pb[j] + (0..9 * e).map(|i| pw[j * 9 * e + i] * flat[i]).sum::<f64>())
            .collect();
        let mean = y.iter().sum::<f64>() / d as f64;
        let var = y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / d as f64;
        let (nw, nb) = (f("embed.norm.weight"), f("embed.norm.bias"));
        xs.push(
            (0..d)
                .map(|j| (y[j] - mean) / (var + 1e-5).sqrt() * nw[j] + nb[j])
                .collect(),
        );
    }
    let run = |prefix: &str, suffix: &str, input: &[Vec<f64>], reverse: bool| -> Vec<Vec<f64>> {
        let wi = f(&format!("{prefix}.weight_ih_l0{suffix}"));
        let wh = f(&format!("{prefix}.weight_hh_l0{suffix}"));
        let bi = f(&format!("{prefix}.bias_ih_l0{suffix}"));
        let bh = f(&format!("{prefix}.bias_hh_l0{suffix}"));
        let hid = bi.len() / 4;
        let inp = input.first().map_or(0, std::vec::Vec::len);
        let mut h = vec![0.0; hid];
        let mut c = vec![0.0; hid];
        let mut out = vec![vec![]; input.len()];
        let order: Vec<usize> = if reverse {
            (0..input.len()).rev().collect()
        } else {
            (0..input.len()).collect()
        };
        for t in order {
            let g: Vec<f64> = (0..4 * hid)
                .map(|r| {
                    bi[r]
                        + bh[r]
                        + (0..inp).map(|k| wi[r * inp + k] * input[t][k]).sum::<f64>()
                        + (0..hid).map(|k| wh[r * hid + k] * h[k]).sum::<f64>()
                })
                .collect();
            for j in 0..hid {
                c[j] = sig(g[hid + j]) * c[j] + sig(g[j]) * g[2 * hid + j].tanh();
                h[j] = sig(g[3 * hid + j]) * c[j].tanh();
            }
            out[t] = h.clone();
        }
        out
    };
    let mut seq = run("lstm.0", "", &xs, false);
    if cfg.bidirectional {
        let back = run("lstm.0", "_reverse", &xs, true);
        for (a, b) in seq.iter_mut().zip(back) {
            a.extend(b);
        }
    }
    for k in 1..cfg.depth as usize {
        seq = run(&format!("lstm.{k}"), "", &seq, false);
    }
    let s = cfg.d_state as usize;
    let last = seq.last().cloned().unwrap_or(vec![0.0; s]);
    let hw = f("head.weight");
    let hb = f("head.bias");
    (0..cfg.vocab as usize)
        .map(|v| hb[v] + (0..s).map(|k| hw[v * s + k] * last[k]).sum::<f64>())
        .collect()
}

/// The model file's CRC-32.
const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// Recomputes the CRC of a (mutated) model file, so the loader checks what lies before it.
pub fn reseal(bytes: &mut [u8]) {
    let n = bytes.len();
    if n >= 4 {
        let c = CRC.checksum(&bytes[..n - 4]);
        bytes[n - 4..].copy_from_slice(&c.to_le_bytes());
    }
}

/// The model configurations the model and integer tests run: the paper's best and one change
/// of each kind (embedding, direction, depth, widths).
pub fn configs() -> Vec<ModelConfig> {
    let b = ModelConfig::PAPER_BEST;
    vec![
        b,
        ModelConfig {
            embed: Embed::PxByNoConv,
            ..b
        },
        ModelConfig {
            embed: Embed::Center,
            ..b
        },
        ModelConfig {
            bidirectional: false,
            ..b
        },
        ModelConfig { depth: 1, ..b },
        ModelConfig {
            depth: 3,
            dim: 40,
            d_state: 24,
            ..b
        },
        ModelConfig {
            dim: 200,
            d_state: 16,
            ..b
        }, // E = 22
    ]
}

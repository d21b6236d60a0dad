//! Model file: size of the paper's model, writer errors, and thousands of malformed files
//! (each one must be a typed error or a valid model, never a panic).

mod common;

use common::*;
use pxby_core::config::{Embed, ModelConfig};
use pxby_core::format::{MAGIC, Metadata, Metric, VERSION, write_model};
use pxby_core::quant::WeightType;
use pxby_core::vocab::VOCAB_SIZE;
use pxby_core::{Error, Model};

fn exercise(bytes: &[u8]) -> Result<(), Error> {
    let m = Model::from_bytes(bytes)?;
    let mut e = vec![0.0; m.dim()];
    m.embed(&[1, 2, 3, 4, 60, 0, 0, 0, 0], &mut e)?;
    let mut s = vec![0.0; m.scratch_len(1)];
    let mut l = [0.0; VOCAB_SIZE];
    m.logits(&e, &mut s, &mut l)
}

#[test]
fn paper_best_int8_fits_40k() {
    let bytes = random_model(&ModelConfig::PAPER_BEST, 1, WeightType::I8);
    let f32_bytes = random_model(&ModelConfig::PAPER_BEST, 1, WeightType::F32);
    eprintln!(
        "PAPER_BEST: int8 file {} bytes, f32 file {} bytes",
        bytes.len(),
        f32_bytes.len()
    );
    assert!(bytes.len() <= 40_960, "{} bytes", bytes.len());
    let m = Model::from_bytes(&bytes).unwrap();
    assert_eq!(m.file_size(), bytes.len());
    assert_eq!(
        m.crc(),
        u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().unwrap())
    );
    assert_eq!(&bytes[..4], &MAGIC);
    assert_eq!(u16::from_le_bytes([bytes[4], bytes[5]]), VERSION);
}

#[test]
fn typed_errors_for_each_defect() {
    let cfg = ModelConfig {
        dim: 27,
        d_state: 8,
        ..ModelConfig::PAPER_BEST
    };
    let good = random_model(&cfg, 2, WeightType::I8);
    assert!(exercise(&good).is_ok());
    assert_eq!(Model::from_bytes(&[]).unwrap_err(), Error::Truncated);
    assert_eq!(
        Model::from_bytes(&good[..good.len() - 1]).unwrap_err(),
        Error::Truncated
    );
    let mut long = good.clone();
    long.push(0);
    assert_eq!(Model::from_bytes(&long).unwrap_err(), Error::TrailingBytes);
    let mut b = good.clone();
    b[0] = b'X';
    assert_eq!(Model::from_bytes(&b).unwrap_err(), Error::BadMagic);
    let mut b = good.clone();
    b[4] = 9;
    assert_eq!(
        Model::from_bytes(&b).unwrap_err(),
        Error::UnsupportedVersion(9)
    );
    let mut b = good.clone();
    let n = b.len();
    b[n - 10] ^= 0x40;
    assert!(matches!(
        Model::from_bytes(&b).unwrap_err(),
        Error::BadCrc { .. }
    ));
    let mut b = good.clone();
    b[6..10].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(Model::from_bytes(&b).unwrap_err(), Error::Truncated);
    // Header of a different configuration in front of this payload.
    let other = random_model(&ModelConfig { d_state: 10, ..cfg }, 2, WeightType::I8);
    assert_eq!(
        Model::from_bytes(&other[..other.len() - 4]).unwrap_err(),
        Error::Truncated
    );
}

#[test]
fn writer_rejects_bad_input() {
    let cfg = ModelConfig {
        dim: 18,
        d_state: 8,
        ..ModelConfig::PAPER_BEST
    };
    let owned = random_tensors(&cfg, 3);
    let list = as_list(&owned);
    let m = Metadata::default();
    assert_eq!(
        write_model(&cfg, &m, WeightType::F32, &list[1..]).unwrap_err(),
        Error::MissingTensor("embed.alpha")
    );
    let mut l2 = list.clone();
    l2.push(("embed.alpha", list[0].1));
    assert_eq!(
        write_model(&cfg, &m, WeightType::F32, &l2).unwrap_err(),
        Error::UnknownTensor(l2.len() - 1)
    );
    let mut l3 = list.clone();
    l3[0].0 = "embed.alfa";
    assert_eq!(
        write_model(&cfg, &m, WeightType::F32, &l3).unwrap_err(),
        Error::UnknownTensor(0)
    );
    let mut l4 = list.clone();
    l4[0].1 = &list[0].1[..3];
    assert_eq!(
        write_model(&cfg, &m, WeightType::F32, &l4).unwrap_err(),
        Error::TensorLength {
            name: "embed.alpha",
            expected: 9,
            got: 3
        }
    );
    let nan = vec![f32::NAN; 9];
    let mut l5 = list.clone();
    l5[0].1 = &nan;
    assert_eq!(
        write_model(&cfg, &m, WeightType::I8, &l5).unwrap_err(),
        Error::NonFinite("embed.alpha")
    );
    let bad = ModelConfig { d_state: 7, ..cfg };
    assert_eq!(
        write_model(&bad, &m, WeightType::F32, &list).unwrap_err(),
        Error::InvalidConfig
    );
    let huge = ModelConfig { dim: 5000, ..cfg };
    assert_eq!(
        write_model(&huge, &m, WeightType::F32, &[]).unwrap_err(),
        Error::TooLarge
    );
    // Metadata round trip with all 16 metrics.
    let names: Vec<String> = (0..16).map(|i| format!("m{i}")).collect();
    let mut full = Metadata {
        notes: "ünïcode notes",
        ..Metadata::default()
    };
    for (i, n) in names.iter().enumerate() {
        full.metrics
            .push(Metric {
                name: n,
                value: i as f32,
            })
            .unwrap();
    }
    let bytes = write_model(&cfg, &full, WeightType::I8, &list).unwrap();
    assert_eq!(Model::from_bytes(&bytes).unwrap().metadata(), &full);
}

#[test]
fn mutated_files_never_panic() {
    let mut rng = Rng(99);
    let bases: Vec<Vec<u8>> = [
        (
            ModelConfig {
                dim: 27,
                d_state: 8,
                ..ModelConfig::PAPER_BEST
            },
            WeightType::I8,
        ),
        (
            ModelConfig {
                dim: 18,
                d_state: 6,
                depth: 3,
                ..ModelConfig::PAPER_BEST
            },
            WeightType::F32,
        ),
        (
            ModelConfig {
                dim: 9,
                d_state: 4,
                embed: Embed::Center,
                bidirectional: false,
                ..ModelConfig::PAPER_BEST
            },
            WeightType::I8,
        ),
    ]
    .iter()
    .enumerate()
    .map(|(i, (c, w))| random_model(c, i as u64, *w))
    .collect();
    let (mut ok, mut errs) = (0usize, std::collections::BTreeMap::<String, usize>::new());
    for i in 0..6000 {
        let mut b = bases[i % bases.len()].clone();
        let header_end = 10 + u32::from_le_bytes(b[6..10].try_into().unwrap()) as usize;
        match rng.below(6) {
            0 => {
                let n = rng.below(b.len());
                b.truncate(n);
            }
            1 => {
                // flips anywhere, CRC left stale
                for _ in 0..1 + rng.below(4) {
                    let k = rng.below(b.len());
                    b[k] ^= 1 << rng.below(8);
                }
            }
            2 | 3 => {
                // bytes of the prefix/header changed and the CRC resealed, so decoding goes deep
                for _ in 0..1 + rng.below(3) {
                    let k = rng.below(header_end);
                    b[k] = rng.next_u64() as u8;
                }
                reseal(&mut b);
            }
            4 => {
                // random payload bytes (e.g. NaN weights), resealed
                for _ in 0..1 + rng.below(16) {
                    let k = header_end + rng.below(b.len() - header_end);
                    b[k] = rng.next_u64() as u8;
                }
                reseal(&mut b);
            }
            _ => {
                // inserted or removed bytes, resealed
                let k = rng.below(b.len());
                if rng.below(2) == 0 {
                    b.insert(k, rng.next_u64() as u8);
                } else {
                    b.remove(k);
                }
                reseal(&mut b);
            }
        }
        match exercise(&b) {
            Ok(()) => ok += 1,
            Err(e) => {
                *errs
                    .entry(
                        format!("{e:?}")
                            .split([' ', '('])
                            .next()
                            .unwrap()
                            .to_string(),
                    )
                    .or_default() += 1;
            }
        }
    }
    eprintln!("6000 mutated files: {ok} loaded, errors {errs:?}");
    assert!(errs.len() >= 6, "error kinds seen: {errs:?}");
}

/// Byte offset of tensor `name` in a model file written by `write_model` with `weights`: the
/// first row scale of an int8 matrix, else the first value (layout in `pxby_core::format`).
fn tensor_offset(bytes: &[u8], cfg: &ModelConfig, weights: WeightType, name: &str) -> usize {
    let hlen = u32::from_le_bytes(bytes[6..10].try_into().unwrap()) as usize;
    let mut at = (10 + hlen).div_ceil(4) * 4;
    for spec in cfg.tensors() {
        if spec.name == name {
            return at;
        }
        at += if weights == WeightType::I8 && spec.quantisable {
            (4 * spec.rows() + spec.len()).div_ceil(4) * 4
        } else {
            4 * spec.len()
        };
    }
    panic!("no tensor {name}");
}

/// A file with a valid CRC whose weights, row scales or biases hold NaN or ±inf is refused at
/// load with the tensor's name, for f32 and int8 files (integer files store no f32 tensor
/// data; their block scales are checked by `nan_or_zero_scale_is_rejected` in `integer.rs`).
#[test]
fn non_finite_values_are_refused_at_load() {
    let cfg = ModelConfig {
        dim: 27,
        d_state: 8,
        ..ModelConfig::PAPER_BEST
    };
    let cases = [
        // f32 file: a NaN weight in a matrix (last element), -inf in a bias (first element).
        (WeightType::F32, "head.weight", f32::NAN, true),
        (WeightType::F32, "embed.norm.bias", f32::NEG_INFINITY, false),
        (WeightType::F32, "embed.alpha", f32::INFINITY, false),
        // int8 file: an inf row scale (first row), a NaN bias (f32 vectors), -NaN alpha.
        (WeightType::I8, "lstm.0.weight_hh_l0", f32::INFINITY, false),
        (WeightType::I8, "head.bias", f32::NAN, true),
        (WeightType::I8, "embed.alpha", -f32::NAN, false),
    ];
    for (weights, name, value, last) in cases {
        let good = random_model(&cfg, 4, weights);
        assert!(exercise(&good).is_ok());
        let spec = cfg.tensors().find(|t| t.name == name).unwrap();
        let mut at = tensor_offset(&good, &cfg, weights, name);
        if last {
            // The last f32 of the tensor (for an int8 matrix, its last row scale).
            at += 4 * if weights == WeightType::I8 && spec.quantisable {
                spec.rows() - 1
            } else {
                spec.len() - 1
            };
        }
        let mut b = good.clone();
        b[at..at + 4].copy_from_slice(&value.to_le_bytes());
        reseal(&mut b);
        assert_eq!(
            Model::from_bytes(&b).unwrap_err(),
            Error::NonFinite(name),
            "{weights:?} {name} = {value}"
        );
        assert_eq!(
            Error::NonFinite(name).to_string(),
            format!("tensor {name} holds NaN or infinite values")
        );
        // The largest finite value in the same place still loads.
        let mut b = good.clone();
        b[at..at + 4].copy_from_slice(&f32::MAX.to_le_bytes());
        reseal(&mut b);
        assert!(Model::from_bytes(&b).is_ok(), "{weights:?} {name} = MAX");
    }
}

//! Forward pass: f32 path against an independent f64 reference, int8 against f32, and the
//! tensor round trip through the file format.

mod common;

use common::*;
use pxby_core::config::ModelConfig;
use pxby_core::math::argmax;
use pxby_core::quant::WeightType;
use pxby_core::vocab::VOCAB_SIZE;
use pxby_core::{Error, Model};

fn logits(model: &Model, ctxs: &[pxby_core::context::Context]) -> [f32; VOCAB_SIZE] {
    let mut scratch = vec![0.0; model.scratch_len_for(ctxs.len())];
    let mut out = [0.0; VOCAB_SIZE];
    model.logits_for(ctxs, &mut scratch, &mut out).unwrap();
    out
}

#[test]
fn f32_matches_f64_reference() {
    let mut rng = Rng(7);
    for (i, cfg) in configs().iter().enumerate() {
        let tensors = random_tensors(cfg, 100 + i as u64);
        let bytes =
            pxby_core::format::write_model(cfg, &meta(), WeightType::F32, &as_list(&tensors))
                .unwrap();
        let model = Model::from_bytes(&bytes).unwrap();
        for len in [0usize, 1, 2, 17, 64] {
            let ctxs = random_contexts(&mut rng, len);
            let got = logits(&model, &ctxs);
            let want = reference_logits(cfg, &tensors, &ctxs);
            let max = got
                .iter()
                .zip(&want)
                .map(|(g, w)| (f64::from(*g) - w).abs())
                .fold(0.0, f64::max);
            assert!(max < 2e-5, "config {i} len {len}: max |f32 - f64| = {max}");
        }
    }
}

#[test]
fn int8_agrees_with_f32() {
    // Measured on 7 configurations x 25 windows of 64 contexts (seeded random PyTorch-like
    // weights): see the eprintln output (`cargo test -p pxby-core --test model -- --nocapture`).
    let mut rng = Rng(11);
    let (mut agree, mut total, mut max_diff, mut max_range) = (0usize, 0usize, 0.0f32, 0.0f32);
    for (i, cfg) in configs().iter().enumerate() {
        let f = random_model(cfg, 200 + i as u64, WeightType::F32);
        let q = random_model(cfg, 200 + i as u64, WeightType::I8);
        let (mf, mq) = (
            Model::from_bytes(&f).unwrap(),
            Model::from_bytes(&q).unwrap(),
        );
        assert_eq!(mq.weights(), WeightType::I8);
        for _ in 0..25 {
            let ctxs = random_contexts(&mut rng, 64);
            let (a, b) = (logits(&mf, &ctxs), logits(&mq, &ctxs));
            total += 1;
            agree += usize::from(argmax(&a) == argmax(&b));
            for (x, y) in a.iter().zip(&b) {
                max_diff = max_diff.max((x - y).abs());
                max_range = max_range.max(x.abs());
            }
        }
    }
    let pct = 100.0 * agree as f64 / total as f64;
    eprintln!(
        "int8 vs f32: argmax agreement {agree}/{total} = {pct:.1}%, max |logit diff| = {max_diff:.4} (max |logit| {max_range:.3})"
    );
    assert!(pct >= 90.0, "argmax agreement {pct}%");
    assert!(max_diff < 0.1, "max logit diff {max_diff}");
}

#[test]
fn tensors_round_trip() {
    let cfg = ModelConfig::PAPER_BEST;
    let tensors = random_tensors(&cfg, 5);
    let f =
        pxby_core::format::write_model(&cfg, &meta(), WeightType::F32, &as_list(&tensors)).unwrap();
    let q =
        pxby_core::format::write_model(&cfg, &meta(), WeightType::I8, &as_list(&tensors)).unwrap();
    let (mf, mq) = (
        Model::from_bytes(&f).unwrap(),
        Model::from_bytes(&q).unwrap(),
    );
    assert_eq!(mf.metadata(), &meta());
    assert_eq!(mq.metadata().metric("hamming"), Some(0.149));
    for (spec, (name, want)) in cfg.tensors().zip(&tensors) {
        assert_eq!(spec.name, *name);
        assert_eq!(&mf.tensor_f32(name).unwrap(), want, "{name}");
        let got = mq.tensor_f32(name).unwrap();
        let t = mq.tensor(name).unwrap();
        assert_eq!(
            t.dtype(),
            if spec.quantisable {
                WeightType::I8
            } else {
                WeightType::F32
            }
        );
        for (k, (g, w)) in got.iter().zip(want).enumerate() {
            let tol = if spec.quantisable {
                t.scale(k / spec.cols()) * 0.5001
            } else {
                0.0
            };
            assert!((g - w).abs() <= tol, "{name}[{k}]: {g} vs {w}");
        }
    }
    assert!(mf.tensor("nope").is_none());
    assert_eq!(mf.param_count(), 33_417);
}

#[test]
fn embed_and_buffers_are_checked() {
    let cfg = ModelConfig::PAPER_BEST;
    let bytes = random_model(&cfg, 1, WeightType::I8);
    let m = Model::from_bytes(&bytes).unwrap();
    let mut out = [0.0; 10];
    assert_eq!(
        m.embed(&[0; 9], &mut out),
        Err(Error::BufferTooSmall {
            needed: 81,
            got: 10
        })
    );
    let mut out = [0.0; 81];
    assert_eq!(
        m.embed(&[0, 0, 0, 0, 113, 0, 0, 0, 0], &mut out),
        Err(Error::InvalidToken(113))
    );
    m.embed(&[0, 0, 0, 0, 60, 0, 0, 0, 0], &mut out).unwrap();
    let mean: f32 = out.iter().sum::<f32>() / 81.0;
    assert!(mean.abs() < 0.1);
    let mut logits = [0.0; VOCAB_SIZE];
    let mut small = vec![0.0; 10];
    assert!(matches!(
        m.logits(&out, &mut small, &mut logits),
        Err(Error::BufferTooSmall { .. })
    ));
    assert!(matches!(
        m.logits(&out[..80], &mut small, &mut logits),
        Err(Error::BufferTooSmall { .. })
    ));
    let mut scratch = vec![0.0; m.scratch_len(1)];
    m.logits(&out, &mut scratch, &mut logits).unwrap();
    // Ring form with a rotated buffer gives the same bits.
    let ctxs = random_contexts(&mut Rng(3), 8);
    let mut embeds = vec![0.0; 8 * 81];
    for (c, o) in ctxs.iter().zip(embeds.chunks_mut(81)) {
        m.embed(c, o).unwrap();
    }
    let mut a = [0.0; VOCAB_SIZE];
    let mut scratch = vec![0.0; m.scratch_len(8)];
    m.logits(&embeds, &mut scratch, &mut a).unwrap();
    let mut ring = embeds.clone();
    ring.rotate_left(3 * 81);
    let mut b = [0.0; VOCAB_SIZE];
    m.logits_ring(&ring, 5, 8, &mut scratch, &mut b).unwrap();
    assert_eq!(a.map(f32::to_bits), b.map(f32::to_bits));
}

//! The model families of the paper's Table 1 (RNN, attention, SSM): each learns on a tiny slice
//! of real items, the Mamba selective scan matches a per-element reference loop (and a case
//! worked by hand), the Mamba block is causal, and every configuration of the table builds and
//! gives logits of the right shape. Needs libtorch.

mod common;

use host_train::model::mamba::{MambaBlock, selective_scan};
use host_train::model::{FamilyKind, ModelSpec};
use host_train::optim::{AdamW, AdamWConfig};
use host_train::table::rows;
use host_train::train::build_model;
use host_train::windows::Windows;
use pxby_core::config::{Embed, ModelConfig};
use pxby_core::vocab::VOCAB_SIZE;
use tch::{Device, Kind, Tensor, nn};

fn small(family: FamilyKind, bidirectional: bool) -> ModelSpec {
    ModelSpec {
        family,
        config: ModelConfig {
            vocab: VOCAB_SIZE as u16,
            dim: 27,
            d_state: 16,
            depth: 2,
            bidirectional,
            embed: Embed::PxBy,
        },
    }
}

/// Trains `spec` for `steps` AdamW steps on one fixed batch of real windows; returns the
/// first and the last loss.
fn fit(spec: &ModelSpec, steps: usize) -> (f64, f64) {
    let data = host_train::data::load(&common::small_dataset(), Some(4)).expect("dataset");
    let windows = Windows::new(data.train, 32, 32);
    let idx: Vec<usize> = (0..16.min(windows.len())).collect();
    let (x, y) = windows.batch(&idx, Device::Cpu);
    let built = build_model(spec, Device::Cpu, 0).expect("build");
    let vars = built
        .vars
        .iter()
        .map(|(k, t)| (k.clone(), t.shallow_clone()))
        .collect();
    let mut opt = AdamW::new(
        vars,
        AdamWConfig {
            lr: 3e-3,
            ..Default::default()
        },
    );
    let mut losses = Vec::new();
    for _ in 0..steps {
        let loss = built.model.forward(&x).cross_entropy_for_logits(&y);
        opt.zero_grad();
        loss.backward();
        opt.step();
        losses.push(f64::try_from(&loss).expect("loss"));
    }
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
    (losses[0], *losses.last().expect("steps > 0"))
}

#[test]
fn each_family_learns_a_tiny_slice() {
    for (family, bi) in [
        (FamilyKind::Rnn, true),
        (FamilyKind::Attention, true),
        (FamilyKind::AttentionLearned, true),
        (FamilyKind::AttentionSinusoidal, true),
        (FamilyKind::Ssm, true),
        (FamilyKind::Ssm, false),
    ] {
        let (first, last) = fit(&small(family, bi), 30);
        println!("{family:?} bi={bi}: loss {first:.4} -> {last:.4}");
        assert!(
            last < 0.8 * first,
            "{family:?} (bi {bi}): loss {first} -> {last}"
        );
    }
}

/// The scan written as the equations, element by element, in f64.
#[allow(clippy::too_many_arguments)]
fn naive_scan(
    bsz: usize,
    l: usize,
    d: usize,
    n: usize,
    u: &[f32],
    delta: &[f32],
    a: &[f32],
    b: &[f32],
    c: &[f32],
    dskip: &[f32],
) -> Vec<f64> {
    let mut y = vec![0.0f64; bsz * l * d];
    for bi in 0..bsz {
        for i in 0..d {
            let mut h = vec![0.0f64; n];
            for t in 0..l {
                let ut = u[(bi * l + t) * d + i] as f64;
                let dt = delta[(bi * l + t) * d + i] as f64;
                let mut acc = 0.0;
                for (k, hk) in h.iter_mut().enumerate() {
                    let ak = a[i * n + k] as f64;
                    let bk = b[(bi * l + t) * n + k] as f64;
                    let ck = c[(bi * l + t) * n + k] as f64;
                    *hk = (dt * ak).exp() * *hk + dt * bk * ut;
                    acc += ck * *hk;
                }
                y[(bi * l + t) * d + i] = acc + dskip[i] as f64 * ut;
            }
        }
    }
    y
}

fn vec_of(t: &Tensor) -> Vec<f32> {
    Vec::<f32>::try_from(t.flatten(0, -1).to_kind(Kind::Float)).expect("to vec")
}

#[test]
fn selective_scan_matches_the_reference_loop() {
    tch::manual_seed(7);
    let (bsz, l, d, n) = (2i64, 6i64, 3i64, 4i64);
    let opts = (Kind::Float, Device::Cpu);
    let u = Tensor::randn([bsz, l, d], opts);
    let delta = Tensor::rand([bsz, l, d], opts) * 0.9 + 0.05;
    let a = -(Tensor::rand([d, n], opts) * 2.0 + 0.1);
    let b = Tensor::randn([bsz, l, n], opts);
    let c = Tensor::randn([bsz, l, n], opts);
    let dskip = Tensor::randn([d], opts);
    let got = vec_of(&selective_scan(&u, &delta, &a, &b, &c, &dskip));
    let want = naive_scan(
        bsz as usize,
        l as usize,
        d as usize,
        n as usize,
        &vec_of(&u),
        &vec_of(&delta),
        &vec_of(&a),
        &vec_of(&b),
        &vec_of(&c),
        &vec_of(&dskip),
    );
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert!((*g as f64 - w).abs() < 1e-4, "{g} vs {w}");
    }
}

#[test]
fn selective_scan_hand_computed() {
    // One channel, one state: A = −ln 2 and Δ = 1 give exp(ΔA) = ½; B = C = 1, D = ½.
    // h1 = ½·0 + 1·1·1 = 1   → y1 = 1 + ½·1 = 1.5
    // h2 = ½·1 + 1·1·2 = 2.5 → y2 = 2.5 + ½·2 = 3.5
    // h3 = ½·2.5 + 1·1·(−1) = 0.25 → y3 = 0.25 − ½ = −0.25
    let f = |v: &[f32], shape: &[i64]| Tensor::from_slice(v).view(shape);
    let u = f(&[1.0, 2.0, -1.0], &[1, 3, 1]);
    let delta = f(&[1.0, 1.0, 1.0], &[1, 3, 1]);
    let a = f(&[-(2f32.ln())], &[1, 1]);
    let b = f(&[1.0, 1.0, 1.0], &[1, 3, 1]);
    let c = f(&[1.0, 1.0, 1.0], &[1, 3, 1]);
    let d = f(&[0.5], &[1]);
    let y = vec_of(&selective_scan(&u, &delta, &a, &b, &c, &d));
    for (g, w) in y.iter().zip([1.5f32, 3.5, -0.25]) {
        assert!((g - w).abs() < 1e-6, "{y:?}");
    }
}

#[test]
fn mamba_block_is_causal() {
    tch::manual_seed(3);
    let vs = nn::VarStore::new(Device::Cpu);
    let block = MambaBlock::new(&vs.root(), 8).expect("block");
    let _g = tch::no_grad_guard();
    let x = Tensor::randn([1, 10, 8], (Kind::Float, Device::Cpu));
    let x2 = x.copy();
    let _ = x2.narrow(1, 6, 1).fill_(3.0);
    let (y, y2) = (block.forward(&x), block.forward(&x2));
    assert_eq!(y.size(), vec![1, 10, 8]);
    let before = (y.narrow(1, 0, 6) - y2.narrow(1, 0, 6)).abs().max();
    let after = (y.narrow(1, 6, 4) - y2.narrow(1, 6, 4)).abs().max();
    assert!(f64::try_from(before).expect("max") < 1e-6);
    assert!(f64::try_from(after).expect("max") > 1e-4);
}

#[test]
fn every_table_configuration_has_logits_of_the_right_shape() {
    for family in [
        FamilyKind::Attention,
        FamilyKind::AttentionLearned,
        FamilyKind::AttentionSinusoidal,
    ] {
        let rows = rows(family);
        assert_eq!(rows.len(), 15);
        for row in rows {
            let built = build_model(&row.spec, Device::Cpu, 0).expect(row.name);
            let params: i64 = built.vars.values().map(|t| t.numel() as i64).sum();
            assert!(params > 1000, "{}", row.name);
            let _g = tch::no_grad_guard();
            for (b, l) in [(2i64, 64i64), (1, 79)] {
                let x = Tensor::randint(VOCAB_SIZE as i64, [b, l, 9], (Kind::Int64, Device::Cpu));
                let y = built.model.forward(&x);
                assert_eq!(y.size(), vec![b, VOCAB_SIZE as i64], "{}", row.name);
                assert_eq!(y.kind(), Kind::Float);
            }
        }
    }
}

#[test]
fn attention_width_must_be_a_multiple_of_the_heads() {
    let mut spec = small(FamilyKind::Attention, true);
    spec.config.d_state = 30; // even (valid for the RNN), not a multiple of 4
    match build_model(&spec, Device::Cpu, 0) {
        Err(host_train::Error::Usage(m)) => assert!(m.contains("heads"), "{m}"),
        other => panic!("expected a usage error, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn sinusoidal_positions_are_the_textbook_formula() {
    let pe = host_train::model::attention::sinusoidal(3, 4, Device::Cpu);
    let v = vec_of(&pe);
    // position 2: [sin 2, cos 2, sin(2/100), cos(2/100)]
    let want = [2f32.sin(), 2f32.cos(), 0.02f32.sin(), 0.02f32.cos()];
    for (g, w) in v[8..].iter().zip(want) {
        assert!((g - w).abs() < 1e-6, "{v:?}");
    }
}

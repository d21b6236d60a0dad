//! The model families of the paper's Table 1 (RNN, attention, SSM): each learns on a tiny slice
//! of real items, the Mamba selective scan matches a per-element reference loop (and a case
//! worked by hand), the Mamba block is causal, and every configuration of the table builds and
//! gives logits of the right shape. Needs libtorch.

mod common;

use host_train::bench::build_ssm;
use host_train::model::mamba::{MambaBlock, Scan, selective_scan};
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
                let ut = f64::from(u[(bi * l + t) * d + i]);
                let dt = f64::from(delta[(bi * l + t) * d + i]);
                let mut acc = 0.0;
                for (k, hk) in h.iter_mut().enumerate() {
                    let ak = f64::from(a[i * n + k]);
                    let bk = f64::from(b[(bi * l + t) * n + k]);
                    let ck = f64::from(c[(bi * l + t) * n + k]);
                    *hk = (dt * ak).exp() * *hk + dt * bk * ut;
                    acc += ck * *hk;
                }
                y[(bi * l + t) * d + i] = acc + f64::from(dskip[i]) * ut;
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
    for scan in [Scan::Sequential, Scan::Stepwise] {
        let got = vec_of(&selective_scan(&u, &delta, &a, &b, &c, &dskip, scan));
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert!((f64::from(*g) - w).abs() < 1e-4, "{scan:?}: {g} vs {w}");
        }
    }
}

/// Largest absolute difference between two tensors.
fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    f64::try_from((a - b).abs().max()).expect("max")
}

#[test]
fn stepwise_scan_equals_the_sequential_scan_in_outputs_and_gradients() {
    // The shapes and ranges of a Table 1 SSM row: d_inner 128, N 16, A = −(1..16) as Mamba
    // initialises it, Δ from softplus; windows of 128 and 61.
    tch::manual_seed(11);
    let opts = (Kind::Float, Device::Cpu);
    for l in [128i64, 61] {
        let (bsz, d, n) = (4i64, 128i64, 16i64);
        let leaf = |t: Tensor| t.set_requires_grad(true);
        let u = leaf(Tensor::randn([bsz, l, d], opts));
        let delta = leaf((Tensor::randn([bsz, l, d], opts) - 2.0).softplus());
        let a = leaf(
            -Tensor::arange_start(1, n + 1, opts)
                .unsqueeze(0)
                .repeat([d, 1])
                * (Tensor::rand([d, 1], opts) + 0.5),
        );
        let b = leaf(Tensor::randn([bsz, l, n], opts));
        let c = leaf(Tensor::randn([bsz, l, n], opts));
        let dskip = leaf(Tensor::randn([d], opts));
        let inputs = [&u, &delta, &a, &b, &c, &dskip];
        let weights = Tensor::randn([bsz, l, d], opts);
        let run = |scan| {
            let y = selective_scan(&u, &delta, &a, &b, &c, &dskip, scan);
            let grads =
                Tensor::run_backward(&[(&y * &weights).sum(Kind::Float)], &inputs, false, false);
            (y.detach(), grads)
        };
        let (y_seq, g_seq) = run(Scan::Sequential);
        let (y_chk, g_chk) = run(Scan::Stepwise);
        let dy = max_diff(&y_seq, &y_chk);
        assert!(dy <= 1e-5, "L {l}: outputs differ by {dy}");
        for (name, (gs, gc)) in ["u", "delta", "A", "B", "C", "D"]
            .iter()
            .zip(g_seq.iter().zip(&g_chk))
        {
            // Gradients summed over many positions are large: compare relative to their scale.
            let scale = f64::try_from(gs.abs().max()).expect("max").max(1.0);
            let dg = max_diff(gs, gc) / scale;
            assert!(
                dg <= 1e-5,
                "L {l}: gradient of {name} differs by {dg} (relative)"
            );
        }
    }
}

#[test]
fn fast_ssm_model_equals_the_reference_in_logits_and_gradients() {
    // The whole SSM model: stepwise scans and a last-position-only last layer (the fast path)
    // against every layer computing every position with the reference scan, same weights.
    for (depth, bidirectional) in [(1u8, true), (2, true), (2, false)] {
        let mut spec = small(FamilyKind::Ssm, bidirectional);
        spec.config.depth = depth;
        let fast = build_ssm(&spec, Device::Cpu, 5, Scan::Stepwise).expect("fast");
        let mut slow = build_ssm(&spec, Device::Cpu, 5, Scan::Sequential).expect("reference");
        // The same weights (tests in parallel share libtorch's global RNG, so seeds alone are
        // not enough).
        slow.vs.copy(&fast.vs).expect("copy the weights");
        tch::manual_seed(9);
        let x = Tensor::randint(VOCAB_SIZE as i64, [3, 40, 9], (Kind::Int64, Device::Cpu));
        let y = Tensor::randint(VOCAB_SIZE as i64, [3], (Kind::Int64, Device::Cpu));
        let run = |b: &host_train::train::Built| {
            let logits = b.model.forward(&x);
            let vars: Vec<&Tensor> = b.vars.values().collect();
            let grads =
                Tensor::run_backward(&[logits.cross_entropy_for_logits(&y)], &vars, false, false);
            (logits.detach(), grads)
        };
        let ((lf, gf), (ls, gs)) = (run(&fast), run(&slow));
        let d = max_diff(&lf, &ls);
        assert!(
            d <= 1e-5,
            "depth {depth} bi {bidirectional}: logits differ by {d}"
        );
        for ((name, a), b) in fast.vars.keys().zip(&gf).zip(&gs) {
            let scale = f64::try_from(b.abs().max()).expect("max").max(1.0);
            let dg = max_diff(a, b) / scale;
            assert!(
                dg <= 1e-5,
                "depth {depth} bi {bidirectional}: gradient of {name} differs by {dg}"
            );
        }
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
    for scan in [Scan::Sequential, Scan::Stepwise] {
        let y = vec_of(&selective_scan(&u, &delta, &a, &b, &c, &d, scan));
        for (g, w) in y.iter().zip([1.5f32, 3.5, -0.25]) {
            assert!((g - w).abs() < 1e-6, "{scan:?}: {y:?}");
        }
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

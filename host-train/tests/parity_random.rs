//! tch model vs pxby-core on a freshly initialised model (every configuration family member
//! pxby-core runs), on random token windows. Needs libtorch.

mod common;

use common::*;
use host_train::export::{Weights, encode};
use host_train::model::{FamilyKind, ModelSpec};
use host_train::train::build_model;
use pxby_core::config::{Embed, ModelConfig};
use pxby_core::context::contexts;
use tch::Device;

fn check(config: ModelConfig) -> f32 {
    tch::set_num_threads(1);
    let spec = ModelSpec {
        family: FamilyKind::Rnn,
        config,
    };
    let built = build_model(&spec, Device::Cpu, 3).expect("model");
    let ckpt = checkpoint_of(spec, &built.vars);
    let bytes = encode(&run_config(spec, "h"), &ckpt, Weights::F32, "").expect("encode");
    let core = pxby_core::Model::from_bytes(&bytes).expect("load");
    // A token stream with text rows, image rows and separators.
    let mut rng = host_train::windows::SplitMix64(11);
    let tokens: Vec<u8> = (0..400)
        .map(|i| {
            if i % 23 == 22 {
                1
            } else if i % 97 == 96 {
                2
            } else {
                rng.below(113) as u8
            }
        })
        .collect();
    let ctx: Vec<_> = contexts(&tokens).collect();
    let mut worst = 0.0f32;
    for (start, len) in [(0, 1), (5, 17), (30, 64), (200, 128)] {
        let window = &ctx[start..start + len];
        let a = tch_logits(built.model.as_ref(), window);
        let b = core_logits(&core, window);
        for (x, y) in a.iter().zip(&b) {
            worst = worst.max((x - y).abs());
        }
    }
    assert!(worst <= 1e-4, "{config:?}: max abs diff {worst}");
    worst
}

#[test]
fn f32_export_matches_tch_for_every_embedding_and_direction() {
    let mut cfg = ModelConfig::PAPER_BEST;
    let mut worst = check(cfg);
    cfg.embed = Embed::PxByNoConv;
    worst = worst.max(check(cfg));
    cfg.embed = Embed::Center;
    cfg.bidirectional = false;
    cfg.depth = 3;
    worst = worst.max(check(cfg));
    println!("max abs logit difference tch vs pxby-core (random init): {worst:e}");
}

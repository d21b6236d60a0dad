//! Writes a model file with seeded random (PyTorch-like) weights, for demos and fuzz seeds
//! until a trained model exists.
//!
//! `cargo run -p pxby-core --example random_model -- OUT.pxby [i8|f32] [seed] [dim d_state]`
//! (configuration: the paper's best, or with the given dim and d_state).

#[path = "../tests/common/mod.rs"]
mod common;

use pxby_core::config::ModelConfig;
use pxby_core::quant::WeightType;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first() else {
        eprintln!("usage: random_model OUT.pxby [i8|f32] [seed] [dim d_state]");
        std::process::exit(2);
    };
    let weights = match args.get(1).map(String::as_str) {
        None | Some("i8") => WeightType::I8,
        Some("f32") => WeightType::F32,
        Some(other) => {
            eprintln!("unknown weight type {other:?} (i8 or f32)");
            std::process::exit(2);
        }
    };
    let seed = match args.get(2).map(|s| s.parse::<u64>()) {
        None => 1,
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            eprintln!("bad seed: {e}");
            std::process::exit(2);
        }
    };
    let mut cfg = ModelConfig::PAPER_BEST;
    if let (Some(d), Some(s)) = (args.get(3), args.get(4)) {
        match (d.parse(), s.parse()) {
            (Ok(d), Ok(s)) => {
                cfg.dim = d;
                cfg.d_state = s;
            }
            _ => {
                eprintln!("bad dim/d_state: {d} {s}");
                std::process::exit(2);
            }
        }
    }
    if !cfg.is_valid() {
        eprintln!("invalid configuration {cfg:?}");
        std::process::exit(2);
    }
    let bytes = common::random_model(&cfg, seed, weights);
    let tmp = format!("{out}.tmp");
    if let Err(e) = std::fs::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, out)) {
        eprintln!("cannot write {out}: {e}");
        std::process::exit(1);
    }
    println!(
        "wrote {out}: {} bytes ({weights:?}, seed {seed})",
        bytes.len()
    );
}

//! Runs the integer generator of the paper's best configuration (random weights, calibrated on
//! random windows) for `STEPS` steps at a full window of 64: a fixed workload for instruction
//! counters (`perf stat -e instructions:u`), which unlike timings do not depend on the load of
//! a shared machine. Run: `cargo run --release -p pxby-core --example int_steps -- 2000`; a
//! second argument writes the integer model file there.
use pxby_core::calibrate::{calibrate, write_int_model};
use pxby_core::config::ModelConfig;
use pxby_core::context::contexts;
use pxby_core::format::{Metadata, random_weights, write_model};
use pxby_core::generate::{Buffers, Generator, Options};
use pxby_core::quant::WeightType;
use pxby_core::{Error, Model};

fn main() -> Result<(), Error> {
    let steps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let cfg = ModelConfig::PAPER_BEST;
    let w = random_weights(&cfg, 1, 1.0);
    let list: Vec<(&str, &[f32])> = w.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    let f32_bytes = write_model(&cfg, &Metadata::default(), WeightType::F32, &list)?;
    let tokens: Vec<u8> = (0..512u32).map(|i| (i * 37 % 113) as u8).collect();
    let window: Vec<_> = contexts(&tokens).collect();
    let ranges = calibrate(&Model::from_bytes(&f32_bytes)?, window.chunks(64))?;
    let bytes = write_int_model(&cfg, &Metadata::default(), &list, &ranges)?;
    if let Some(out) = std::env::args().nth(2) {
        std::fs::write(&out, &bytes).map_err(|_| Error::Unsupported)?;
        println!("wrote {out} ({} bytes)", bytes.len());
    }
    let model = Model::from_bytes(&bytes)?;
    let mut buffers = Buffers::<64>::boxed();
    let mut g = Generator::new(&model, &mut buffers, &tokens[..64], Options::default())?;
    let mut sum = 0u64;
    for _ in 0..steps {
        sum += g.step().map_or(0, |s| u64::from(s.token));
    }
    println!("{steps} steps, token sum {sum}");
    Ok(())
}

//! Generation speed: tokens per second for the paper's best configuration (random weights) at
//! windows 32, 64 and 128, f32 weights, int8 weights (f32 arithmetic) and the integer file (integer-only arithmetic). Each iteration is one full generator step with
//! a full window: PxByEmbed of the new token, the LSTM stack over the window, the head, greedy
//! choice. Run: `cargo bench -p pxby-core --bench generate`.

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pxby_core::Model;
use pxby_core::calibrate::{calibrate, write_int_model};
use pxby_core::config::ModelConfig;
use pxby_core::generate::{Buffers, Generator, Options};
use pxby_core::quant::WeightType;

/// Multiply-accumulates per generated token with a full window of `w` tokens.
fn macs_per_token(c: &ModelConfig, w: usize) -> usize {
    let (d, e, s, v) = (
        c.dim as usize,
        c.embed_inner(),
        c.d_state as usize,
        c.vocab as usize,
    );
    let h0 = c.first_hidden();
    let dirs = if c.bidirectional { 2 } else { 1 };
    // conv: each of the 9 output cells sums E inputs over its valid 3x3 neighbours (49 in all)
    let embed = 49 * e * e + d * 9 * e;
    let first = dirs * 4 * h0 * (d + h0);
    let rest = (c.depth as usize - 1) * 4 * s * (2 * s);
    embed + w * (first + rest) + v * s
}

fn bench_window<const W: usize>(c: &mut Criterion, models: &[(WeightType, Vec<u8>)]) {
    let cfg = ModelConfig::PAPER_BEST;
    let mut group = c.benchmark_group(format!("generate/W={W}"));
    group.throughput(Throughput::Elements(1));
    for (wt, bytes) in models {
        let model = Model::from_bytes(bytes).unwrap();
        let prompt: Vec<u8> = common::random_stream(&mut common::Rng(1))
            .into_iter()
            .cycle()
            .take(W)
            .collect();
        let mut buffers = Buffers::<W>::boxed();
        let mut g = Generator::new(&model, &mut buffers, &prompt, Options::default()).unwrap();
        assert_eq!(g.window_len(), W);
        println!(
            "PAPER_BEST {wt:?} W={W}: {} MACs/token, generator RAM {} bytes",
            macs_per_token(&cfg, W),
            Generator::<'_, W>::RAM_BYTES
        );
        group.bench_function(format!("{wt:?}"), |b| {
            b.iter(|| std::hint::black_box(g.step()));
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    let cfg = ModelConfig::PAPER_BEST;
    let mut models: Vec<(WeightType, Vec<u8>)> = [WeightType::F32, WeightType::I8]
        .into_iter()
        .map(|wt| (wt, common::random_model(&cfg, 1, wt)))
        .collect();
    // The integer file of the same weights, calibrated on 16 random windows of 64 contexts.
    let owned = common::random_tensors(&cfg, 1);
    let list = common::as_list(&owned);
    let mut rng = common::Rng(2);
    let windows: Vec<_> = (0..16)
        .map(|_| common::random_contexts(&mut rng, 64))
        .collect();
    let ranges = calibrate(
        &Model::from_bytes(&models[0].1).unwrap(),
        windows.iter().map(std::vec::Vec::as_slice),
    )
    .unwrap();
    let int = write_int_model(&cfg, &common::meta(), &list, &ranges).unwrap();
    models.push((WeightType::Int, int));
    bench_window::<32>(c, &models);
    bench_window::<64>(c, &models);
    bench_window::<128>(c, &models);
}

criterion_group! {
    name = generate;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = benches
}
criterion_main!(generate);

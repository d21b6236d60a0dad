//! Widened weights ([`pxby_core::wide`]): the same logits and token streams as the model file
//! alone, the matrices the firmware relies on covered, and images of other models refused.
mod common;

use common::*;
use pxby_core::calibrate::{calibrate, write_int_model};
use pxby_core::config::ModelConfig;
use pxby_core::context::Context;
use pxby_core::error::QuantError;
use pxby_core::generate::{Generator, IntBuffers, Options, Sampling};
use pxby_core::quant::WeightType;
use pxby_core::vocab::VOCAB_SIZE;
use pxby_core::wide::widen;
use pxby_core::{Error, Model};

fn default_model() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/models/default-int8.pxby"
    );
    std::fs::read(path).expect("the default integer model is in fixtures/models")
}

/// An image copied into `u32`s, so that its bytes are 4-aligned.
fn words(image: &[u8]) -> Vec<u32> {
    image
        .chunks(4)
        .map(|b| {
            let mut w = [0u8; 4];
            w[..b.len()].copy_from_slice(b);
            u32::from_le_bytes(w)
        })
        .collect()
}

fn int_model(cfg: &ModelConfig, seed: u64) -> Vec<u8> {
    let owned = random_tensors(cfg, seed);
    let list = as_list(&owned);
    let f32_bytes = pxby_core::format::write_model(cfg, &meta(), WeightType::F32, &list).unwrap();
    let mut rng = Rng(seed);
    let calib: Vec<Vec<Context>> = (0..4).map(|_| random_contexts(&mut rng, 64)).collect();
    let ranges = calibrate(
        &Model::from_bytes(&f32_bytes).unwrap(),
        calib.iter().map(Vec::as_slice),
    )
    .unwrap();
    write_int_model(cfg, &meta(), &list, &ranges).unwrap()
}

fn logits(model: &Model, ctxs: &[Context]) -> [i32; VOCAB_SIZE] {
    let mut scratch = vec![0i16; model.int_scratch_len_for(ctxs.len())];
    let mut out = [0i32; VOCAB_SIZE];
    model.int_logits_for(ctxs, &mut scratch, &mut out).unwrap();
    out
}

fn stream<const W: usize>(model: &Model, seed: u64) -> Vec<u8> {
    let options = Options {
        structured: true,
        seed,
        sampling: Sampling::TopK {
            k: 8,
            temperature: 0.8,
        },
        ..Options::default()
    };
    let mut b = IntBuffers::<W>::boxed();
    Generator::with_int_buffers(model, &mut b, &[], options)
        .unwrap()
        .take(400)
        .map(|s| s.token)
        .collect()
}

/// The default model's four per-position matrices (both first-layer `W_hh`, the second
/// layer's `W_ih` and `W_hh`) are widened — what the firmware's speed relies on — and the
/// widened model generates the same tokens at both windows, and the same logits.
#[test]
fn the_default_model_generates_the_same_stream_widened() {
    let bytes = default_model();
    let model = Model::from_bytes(&bytes).unwrap();
    let image = words(&widen(&model).unwrap());
    assert_eq!(image[3], 4, "matrices widened");
    let mut wide = model.clone();
    wide.attach_wide(bytemuck::cast_slice(&image)).unwrap();
    for seed in 1..=3 {
        assert_eq!(
            stream::<32>(&wide, seed),
            stream::<32>(&model, seed),
            "W 32, seed {seed}"
        );
        assert_eq!(
            stream::<64>(&wide, seed),
            stream::<64>(&model, seed),
            "W 64, seed {seed}"
        );
    }
    let mut rng = Rng(9);
    for len in [1, 2, 17, 64] {
        let ctxs = random_contexts(&mut rng, len);
        assert_eq!(
            logits(&wide, &ctxs),
            logits(&model, &ctxs),
            "{len} contexts"
        );
    }
}

/// Random models of every widenable shape give the same logits with their image, also from a
/// scratch array that is not word-aligned (the activations are then copied).
#[test]
fn random_models_give_the_same_logits_widened() {
    let mut rng = Rng(21);
    for (k, d_state) in [8u16, 16, 32, 64].into_iter().enumerate() {
        for bidirectional in [true, false] {
            let cfg = ModelConfig {
                d_state,
                depth: 3,
                bidirectional,
                ..ModelConfig::PAPER_BEST
            };
            let bytes = int_model(&cfg, 40 + k as u64);
            let model = Model::from_bytes(&bytes).unwrap();
            let image = words(&widen(&model).unwrap());
            assert!(image[3] > 0, "d_state {d_state}: nothing widened");
            let mut wide = model.clone();
            wide.attach_wide(bytemuck::cast_slice(&image)).unwrap();
            let ctxs = random_contexts(&mut rng, 24);
            let want = logits(&model, &ctxs);
            assert_eq!(logits(&wide, &ctxs), want, "d_state {d_state}");
            let mut scratch = vec![0i16; wide.int_scratch_len_for(ctxs.len()) + 1];
            let mut got = [0i32; VOCAB_SIZE];
            wide.int_logits_for(&ctxs, &mut scratch[1..], &mut got)
                .unwrap();
            assert_eq!(got, want, "d_state {d_state}, unaligned scratch");
        }
    }
}

/// An image is refused unless it was made from the very model file it is attached to.
#[test]
fn images_of_other_models_and_damaged_images_are_refused() {
    let bytes = default_model();
    let model = Model::from_bytes(&bytes).unwrap();
    let image = words(&widen(&model).unwrap());
    let attach = |w: &[u32]| model.clone().attach_wide(bytemuck::cast_slice(w));
    let wide_image = Err(Error::Quant(QuantError::WideImage));
    // Another model's image (its CRC differs).
    let other_bytes = int_model(&ModelConfig::PAPER_BEST, 3);
    let other = words(&widen(&Model::from_bytes(&other_bytes).unwrap()).unwrap());
    assert_eq!(attach(&other), wide_image);
    // One weight changed, CRC kept: the words are compared with the model's.
    let mut changed = image.clone();
    changed[6 + 4 + 5] ^= 1;
    assert_eq!(attach(&changed), wide_image);
    // A slot the model does not widen, a wrong word count.
    for (at, v) in [(4, 0u32), (5, 7)] {
        let mut bad = image.clone();
        bad[at] = v;
        assert_eq!(attach(&bad), wide_image, "word {at} = {v}");
    }
    // Truncated, trailing words, bad magic, unknown version, unaligned bytes.
    assert_eq!(attach(&image[..image.len() - 1]), Err(Error::Truncated));
    assert_eq!(attach(&image[..3]), Err(Error::Truncated));
    let mut long = image.clone();
    long.push(0);
    assert_eq!(attach(&long), Err(Error::TrailingBytes));
    let mut magic = image.clone();
    magic[0] ^= 1;
    assert_eq!(attach(&magic), Err(Error::BadMagic));
    let mut version = image.clone();
    version[1] = pxby_core::wide::VERSION + 1;
    let next = pxby_core::wide::VERSION as u16 + 1;
    assert_eq!(attach(&version), Err(Error::UnsupportedVersion(next)));
    let raw: &[u8] = bytemuck::cast_slice(&image);
    let mut shifted = vec![0u8; raw.len() + 1];
    shifted[1..].copy_from_slice(raw);
    assert_eq!(
        model.clone().attach_wide(&shifted[1..]),
        wide_image,
        "unaligned"
    );
    assert_eq!(
        model.clone().attach_wide(&raw[..raw.len() - 2]),
        Err(Error::Truncated)
    );
    // A float model has nothing to widen.
    let float = random_model(&ModelConfig::PAPER_BEST, 1, WeightType::F32);
    let float = Model::from_bytes(&float).unwrap();
    assert!(matches!(widen(&float), Err(Error::Unsupported)));
    let mut float = float;
    assert_eq!(float.attach_wide(raw), Err(Error::Unsupported));
}

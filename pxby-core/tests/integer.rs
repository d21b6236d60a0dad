//! Integer files ([`WeightType::Int`]): agreement of the integer-only forward pass with the f32
//! path on seeded random models, and one typed load-time error per kind of bad parameter.

mod common;

use common::*;
use pxby_core::calibrate::{
    Ranges, calibrate, matrix_requants, requant_for, row_requant, write_int_model,
};
use pxby_core::config::{Embed, ModelConfig};
use pxby_core::context::Context;
use pxby_core::error::QuantError;
use pxby_core::fixed::{LOGIT_BITS, TABLE_LEN};
use pxby_core::format::{ModelFile, write_model};
use pxby_core::intparams::block_len;
use pxby_core::math::argmax;
use pxby_core::quant::WeightType;
use pxby_core::vocab::VOCAB_SIZE;
use pxby_core::{Error, Model};

fn pair(cfg: &ModelConfig, seed: u64, calib: &[Vec<Context>]) -> (Vec<u8>, Vec<u8>, Ranges) {
    let owned = random_tensors(cfg, seed);
    let list = as_list(&owned);
    let f = write_model(cfg, &meta(), WeightType::F32, &list).unwrap();
    let ranges = calibrate(
        &Model::from_bytes(&f).unwrap(),
        calib.iter().map(std::vec::Vec::as_slice),
    )
    .unwrap();
    let q = write_int_model(cfg, &meta(), &list, &ranges).unwrap();
    (f, q, ranges)
}

fn f32_logits(model: &Model, ctxs: &[Context]) -> [f32; VOCAB_SIZE] {
    let mut scratch = vec![0.0; model.scratch_len_for(ctxs.len())];
    let mut l = [0.0; VOCAB_SIZE];
    model.logits_for(ctxs, &mut scratch, &mut l).unwrap();
    l
}

fn int_logits(model: &Model, ctxs: &[Context]) -> [i32; VOCAB_SIZE] {
    let mut scratch = vec![0i16; model.int_scratch_len_for(ctxs.len())];
    let mut l = [0; VOCAB_SIZE];
    model.int_logits_for(ctxs, &mut scratch, &mut l).unwrap();
    l
}

#[test]
fn integer_path_agrees_with_f32() {
    // Calibrated on 16 windows of 64 contexts, scored on 25 other windows per configuration.
    let mut rng = Rng(21);
    let (mut agree, mut total, mut max_diff, mut sum_diff, mut n) =
        (0usize, 0usize, 0.0f32, 0.0f64, 0usize);
    for (i, cfg) in configs().iter().enumerate() {
        let calib: Vec<Vec<Context>> = (0..16).map(|_| random_contexts(&mut rng, 64)).collect();
        let (f, q, _) = pair(cfg, 300 + i as u64, &calib);
        let (mf, mq) = (
            Model::from_bytes(&f).unwrap(),
            Model::from_bytes(&q).unwrap(),
        );
        assert_eq!(mq.weights(), WeightType::Int);
        let (mut a_cfg, mut d_cfg) = (0, 0.0f32);
        for _ in 0..25 {
            let ctxs = random_contexts(&mut rng, 64);
            let a = f32_logits(&mf, &ctxs);
            let b = int_logits(&mq, &ctxs);
            let b: Vec<f32> = b
                .iter()
                .map(|&v| v as f32 / (1u32 << LOGIT_BITS) as f32)
                .collect();
            total += 1;
            let same = argmax(&a) == argmax(&b);
            agree += usize::from(same);
            a_cfg += usize::from(same);
            for (x, y) in a.iter().zip(&b) {
                let d = (x - y).abs();
                max_diff = max_diff.max(d);
                d_cfg = d_cfg.max(d);
                sum_diff += f64::from(d);
                n += 1;
            }
        }
        eprintln!("config {i}: top-1 {a_cfg}/25, max |logit diff| {d_cfg:.4}");
    }
    let pct = 100.0 * agree as f64 / total as f64;
    eprintln!(
        "integer vs f32: top-1 agreement {agree}/{total} = {pct:.1}%, max |logit diff| {max_diff:.4}, mean {:.5}",
        sum_diff / n as f64
    );
    assert!(pct >= 95.0, "top-1 agreement {pct}%");
    assert!(max_diff < 0.1, "max logit diff {max_diff}");
}

#[test]
fn integer_files_run_only_on_the_integer_path_and_old_types_not_at_all() {
    let cfg = ModelConfig::PAPER_BEST;
    let mut rng = Rng(4);
    let w = random_contexts(&mut rng, 32);
    let (f, q, ranges) = pair(&cfg, 9, std::slice::from_ref(&w));
    assert_eq!(ranges.windows, 1);
    let (mf, mq) = (
        Model::from_bytes(&f).unwrap(),
        Model::from_bytes(&q).unwrap(),
    );
    let mut s = vec![0.0; mq.scratch_len_for(w.len())];
    let mut l = [0.0; VOCAB_SIZE];
    assert_eq!(
        mq.logits_for(&w, &mut s, &mut l).unwrap_err(),
        Error::Unsupported
    );
    let mut si = vec![0i16; mf.int_scratch_len_for(w.len())];
    let mut li = [0; VOCAB_SIZE];
    assert_eq!(
        mf.int_logits_for(&w, &mut si, &mut li).unwrap_err(),
        Error::Unsupported
    );
    assert_eq!(
        write_model(
            &cfg,
            &meta(),
            WeightType::Int,
            &as_list(&random_tensors(&cfg, 1))
        )
        .unwrap_err(),
        Error::Unsupported
    );
    // Same bits on every call (and, being integer, on every target).
    assert_eq!(int_logits(&mq, &w), int_logits(&mq, &w));
    let p = mq.int_params().unwrap();
    assert!(p.scales.embed > 0.0 && p.scales.mix > 0.0);
    eprintln!("PAPER_BEST integer file: {} bytes", q.len());
}

/// The paper's model as an integer file, and the offset of its integer block.
fn int_file() -> (Vec<u8>, usize) {
    let cfg = ModelConfig::PAPER_BEST;
    let mut rng = Rng(5);
    let calib = vec![random_contexts(&mut rng, 16)];
    let (_, q, _) = pair(&cfg, 3, &calib);
    let start = q.len() - 4 - block_len(&cfg);
    (q, start)
}

fn load(bytes: &[u8]) -> Error {
    Model::from_bytes(bytes).unwrap_err()
}

/// Offset of the first row's multiplier (i16) of the first matrix (the embedding); its shift
/// (u8) is `113 · 2` bytes later.
fn first_requant(q: &[u8]) -> usize {
    let hlen = u32::from_le_bytes(q[6..10].try_into().unwrap()) as usize;
    let payload = (10 + hlen).div_ceil(4) * 4;
    payload + 4 * 9 // after embed.alpha (9 × i32)
}

#[test]
fn shift_out_of_range_is_rejected() {
    let (q, start) = int_file();
    let at = first_requant(&q) + 2 * VOCAB_SIZE;
    for shift in [0u8, 63, 255] {
        let mut b = q.clone();
        b[at] = shift;
        reseal(&mut b);
        assert_eq!(load(&b), Error::Quant(QuantError::ShiftOutOfRange));
    }
    // The cell-state shift of the last LSTM.
    let mut b = q.clone();
    let last = q.len() - 8;
    assert!(last > start);
    b[last..last + 4].copy_from_slice(&16u32.to_le_bytes());
    reseal(&mut b);
    assert_eq!(load(&b), Error::Quant(QuantError::ShiftOutOfRange));
}

#[test]
fn non_positive_multiplier_is_rejected() {
    let (q, start) = int_file();
    let at = first_requant(&q);
    for m in [0i16, -5] {
        let mut b = q.clone();
        b[at..at + 2].copy_from_slice(&m.to_le_bytes());
        reseal(&mut b);
        assert_eq!(load(&b), Error::Quant(QuantError::NonPositiveMultiplier));
    }
    // LayerNorm's multiplier in the block: after the tables (4 + 1028), 4 scales and eps.
    let mut b = q.clone();
    let at = start + 4 + 4 * TABLE_LEN + 16 + 4;
    b[at..at + 4].copy_from_slice(&0i32.to_le_bytes());
    reseal(&mut b);
    assert_eq!(load(&b), Error::Quant(QuantError::NonPositiveMultiplier));
}

#[test]
fn table_of_the_wrong_length_is_rejected() {
    let (q, start) = int_file();
    for len in [0u32, 256, 258, u32::MAX] {
        let mut b = q.clone();
        b[start..start + 4].copy_from_slice(&len.to_le_bytes());
        reseal(&mut b);
        assert_eq!(load(&b), Error::Quant(QuantError::TableLength));
    }
}

#[test]
fn nan_or_zero_scale_is_rejected() {
    let (q, start) = int_file();
    let at = start + 4 + 4 * TABLE_LEN;
    for (k, v) in [f32::NAN, 0.0, -1.0, f32::INFINITY].into_iter().enumerate() {
        let mut b = q.clone();
        let at = at + 4 * (k % 4);
        b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        reseal(&mut b);
        assert_eq!(load(&b), Error::Quant(QuantError::BadScale));
    }
}

#[test]
fn integer_parts_that_disagree_with_the_configuration_are_rejected() {
    let (q, start) = int_file();
    // The LSTM count (3 for PAPER_BEST).
    let at = start + 4 + 4 * TABLE_LEN + 16 + 12;
    assert_eq!(u32::from_le_bytes(q[at..at + 4].try_into().unwrap()), 3);
    let mut b = q.clone();
    b[at..at + 4].copy_from_slice(&2u32.to_le_bytes());
    reseal(&mut b);
    assert_eq!(load(&b), Error::Quant(QuantError::Mismatch));
    // σ(alpha) above 1.0 in Q15.
    let mut b = q.clone();
    let a = first_requant(&q) - 36;
    b[a..a + 4].copy_from_slice(&40_000i32.to_le_bytes());
    reseal(&mut b);
    assert_eq!(load(&b), Error::Quant(QuantError::Mismatch));
    // A matrix too wide for the i32 accumulators (dim 300 > 256 columns).
    let cfg = ModelConfig {
        dim: 300,
        d_state: 8,
        ..ModelConfig::PAPER_BEST
    };
    let owned = random_tensors(&cfg, 1);
    let bytes = write_int_model(&cfg, &meta(), &as_list(&owned), &Ranges::default()).unwrap();
    assert_eq!(load(&bytes), Error::Quant(QuantError::Mismatch));
    // Integer storage mixed with another type: an int8 file whose header says one matrix is
    // `Int` fails too (either as a layout or as a mismatch, never loads).
    let i8 = random_model(&ModelConfig::PAPER_BEST, 1, WeightType::I8);
    let file = ModelFile::parse(&i8).unwrap();
    assert_eq!(file.weight_type, WeightType::I8);
    assert!(file.int.is_none());
}

#[test]
fn requant_factors() {
    let r = requant_for(0.75).unwrap();
    assert_eq!((r.multiplier, r.shift), (3 << 29, 31));
    assert_eq!(r.apply(1000), 750);
    let r = requant_for(3.0e-6).unwrap();
    assert_eq!(r.apply(1_000_000), 3);
    assert_eq!(
        requant_for(0.0).unwrap_err(),
        Error::Quant(QuantError::BadScale)
    );
    assert_eq!(
        requant_for(f64::NAN).unwrap_err(),
        Error::Quant(QuantError::BadScale)
    );
    assert_eq!(
        requant_for(1e12).unwrap_err(),
        Error::Quant(QuantError::ShiftOutOfRange)
    );
}

/// An integer model of a small configuration, calibrated on a few random windows.
fn small_int_model(seed: u64) -> Vec<u8> {
    let cfg = ModelConfig {
        dim: 27,
        d_state: 12,
        ..ModelConfig::PAPER_BEST
    };
    let mut rng = Rng(seed);
    let calib: Vec<Vec<Context>> = (0..4).map(|_| random_contexts(&mut rng, 32)).collect();
    pair(&cfg, seed, &calib).1
}

#[test]
fn generator_ring_of_projections_matches_the_batch_forward() {
    use pxby_core::context::contexts;
    use pxby_core::generate::{Buffers, Generator, Options};
    let bytes = small_int_model(6);
    let model = Model::from_bytes(&bytes).unwrap();
    let stream = random_stream(&mut Rng(8));
    let all: Vec<Context> = contexts(&stream).collect();
    // Stale f32 contents from an f32 model first: the generator switches the layout.
    let mut b = Buffers::<16, 32, 16>::new();
    let f = random_model(&ModelConfig::PAPER_BEST, 1, WeightType::I8);
    let mf = Model::from_bytes(&f).unwrap();
    drop(Generator::<64>::new(
        &mf,
        &mut Buffers::<64>::boxed(),
        &[1, 2],
        Options::default(),
    ));
    let mut g = Generator::new(&model, &mut b, &[], Options::default()).unwrap();
    for (i, &t) in stream.iter().take(40).enumerate() {
        assert_eq!(g.push(t).unwrap(), all[i]);
        let window = &all[(i + 1).saturating_sub(16)..=i];
        let want = int_logits(&model, window);
        let got = g.logits();
        for (w, g) in want.iter().zip(got) {
            assert_eq!(*w as f32 / (1u32 << LOGIT_BITS) as f32, *g, "step {i}");
        }
    }
    // Greedy steps pick the argmax of the integer logits (first on ties).
    for _ in 0..20 {
        let window_logits = g.logits().to_owned();
        let step = g.next().unwrap();
        assert_eq!(step.token as usize, argmax(&window_logits));
    }
}

#[test]
fn integer_sampling_is_seeded_and_structured_generation_well_formed() {
    use pxby_core::generate::{Buffers, Generator, Options, Sampling};
    use pxby_core::vocab::is_colour;
    let bytes = small_int_model(7);
    let model = Model::from_bytes(&bytes).unwrap();
    let run = |seed: u64| -> Vec<u8> {
        let mut b = Buffers::<32, 32, 16>::new();
        let options = Options {
            structured: true,
            sampling: Sampling::TopK {
                k: 8,
                temperature: 0.9,
            },
            seed,
            max_caption: 30,
            ..Options::default()
        };
        let g = Generator::from_text(&model, &mut b, "(5, 6)\n", options).unwrap();
        g.map(|s| s.token).collect()
    };
    let (a, b, c) = (run(1), run(1), run(2));
    assert_eq!(a, b);
    assert_ne!(a, c);
    for s in [&a, &c] {
        assert_eq!(s.iter().filter(|&&t| is_colour(t)).count(), 30);
        assert_eq!(s.last(), Some(&2)); // the caption ends the sprite
    }
    // Recorded stream: integer arithmetic only, so this holds on every target.
    let hash = a.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &t| {
        (h ^ u64::from(t)).wrapping_mul(0x100_0000_01b3)
    });
    eprintln!("seed 1 stream ({} tokens): fnv1a {hash:#018x}", a.len());
}

/// Loads and, if it loads, runs the integer path (a window and a few sampled generator steps):
/// must not panic.
fn exercise_int(bytes: &[u8]) -> Result<(), Error> {
    use pxby_core::generate::{Buffers, Generator, Options, Sampling};
    let m = Model::from_bytes(bytes)?;
    let window: Vec<Context> = pxby_core::context::contexts(&[20, 1, 60, 61, 2, 30, 31]).collect();
    let mut s = vec![0i16; m.int_scratch_len_for(window.len())];
    let mut l = [0; VOCAB_SIZE];
    m.int_logits_for(&window, &mut s, &mut l)?;
    let mut b = Buffers::<8, 81, 32>::boxed();
    let options = Options {
        sampling: Sampling::TopK {
            k: 4,
            temperature: 0.7,
        },
        ..Options::default()
    };
    let mut g = Generator::new(&m, &mut b, &[5, 6, 7], options)?;
    for _ in 0..10 {
        g.step();
    }
    Ok(())
}

#[test]
fn mutated_integer_files_never_panic() {
    let mut rng = Rng(77);
    let configs = [
        ModelConfig {
            dim: 27,
            d_state: 8,
            ..ModelConfig::PAPER_BEST
        },
        ModelConfig {
            dim: 9,
            d_state: 4,
            embed: Embed::Center,
            bidirectional: false,
            ..ModelConfig::PAPER_BEST
        },
        ModelConfig {
            dim: 18,
            d_state: 6,
            depth: 3,
            embed: Embed::PxByNoConv,
            ..ModelConfig::PAPER_BEST
        },
    ];
    let bases: Vec<Vec<u8>> = configs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let calib = vec![random_contexts(&mut Rng(i as u64), 16)];
            pair(c, i as u64, &calib).1
        })
        .collect();
    for b in &bases {
        exercise_int(b).unwrap();
    }
    let (mut ok, mut errs) = (0usize, std::collections::BTreeMap::<String, usize>::new());
    for i in 0..3000 {
        let mut b = bases[i % bases.len()].clone();
        let header_end = 10 + u32::from_le_bytes(b[6..10].try_into().unwrap()) as usize;
        match rng.below(4) {
            0 => {
                let n = rng.below(b.len());
                b.truncate(n);
            }
            1 => {
                // payload and integer block bytes changed, resealed: parameters go out of range
                for _ in 0..1 + rng.below(16) {
                    let k = header_end + rng.below(b.len() - header_end);
                    b[k] = rng.next_u64() as u8;
                }
                reseal(&mut b);
            }
            2 => {
                // one 32-bit word of the integer block set to an extreme, resealed
                let start = b.len() - 4 - block_len(&configs[i % configs.len()]);
                let k = start + 4 * rng.below((b.len() - 4 - start) / 4);
                let v = [0u32, 1, u32::MAX, 0x8000_0000, 0x7fc0_0000, 63][rng.below(6)];
                b[k..k + 4].copy_from_slice(&v.to_le_bytes());
                reseal(&mut b);
            }
            _ => {
                let k = rng.below(b.len());
                if rng.below(2) == 0 {
                    b.insert(k, rng.next_u64() as u8);
                } else {
                    b.remove(k);
                }
                reseal(&mut b);
            }
        }
        match exercise_int(&b) {
            Ok(()) => ok += 1,
            Err(e) => {
                *errs
                    .entry(
                        format!("{e:?}")
                            .split([' ', '(', '{'])
                            .next()
                            .unwrap()
                            .to_string(),
                    )
                    .or_default() += 1;
            }
        }
    }
    eprintln!("3000 mutated integer files: {ok} loaded and ran, errors {errs:?}");
    assert!(ok > 0 && errs.contains_key("Quant"), "{ok} {errs:?}");
}

/// The integer-only arrays give the same token stream as an integer model in f32 `Buffers`,
/// take less RAM, and are refused for a float model or when too small.
#[test]
fn int_buffers_generate_the_same_stream_in_less_ram() {
    use pxby_core::generate::{Buffers, Generator, IntBuffers, Options, Sampling};
    let cfg = ModelConfig::PAPER_BEST;
    let owned = random_tensors(&cfg, 4);
    let list = as_list(&owned);
    let f32_bytes = write_model(&cfg, &meta(), WeightType::F32, &list).unwrap();
    let mut rng = Rng(5);
    let calib: Vec<Vec<Context>> = (0..4).map(|_| random_contexts(&mut rng, 64)).collect();
    let ranges = calibrate(
        &Model::from_bytes(&f32_bytes).unwrap(),
        calib.iter().map(Vec::as_slice),
    )
    .unwrap();
    let bytes = write_int_model(&cfg, &meta(), &list, &ranges).unwrap();
    let model = Model::from_bytes(&bytes).unwrap();
    let options = Options {
        structured: true,
        seed: 3,
        sampling: Sampling::TopK {
            k: 8,
            temperature: 0.9,
        },
        ..Options::default()
    };
    let mut fb = Buffers::<32>::boxed();
    let want: Vec<u8> = Generator::new(&model, &mut fb, &[], options)
        .unwrap()
        .take(300)
        .map(|s| s.token)
        .collect();
    let mut ib = IntBuffers::<32>::boxed();
    let got: Vec<u8> = Generator::with_int_buffers(&model, &mut ib, &[], options)
        .unwrap()
        .take(300)
        .map(|s| s.token)
        .collect();
    assert_eq!(got, want);
    assert!(want.len() > 40, "{}", want.len());
    const { assert!(IntBuffers::<64>::BYTES * 10 < Buffers::<64>::BYTES * 7) };
    eprintln!(
        "IntBuffers<64>: {} bytes, Buffers<64>: {} bytes",
        IntBuffers::<64>::BYTES,
        Buffers::<64>::BYTES
    );
    let float = Model::from_bytes(&f32_bytes).unwrap();
    assert!(matches!(
        Generator::with_int_buffers(&float, &mut ib, &[], options),
        Err(Error::Unsupported)
    ));
    let mut small = IntBuffers::<32, 81, 32, 64>::boxed();
    assert!(matches!(
        Generator::with_int_buffers(&model, &mut small, &[], options),
        Err(Error::Capacity)
    ));
}

/// The integer path reads aligned multipliers, biases and tables as words and unaligned ones
/// byte by byte: a file loaded at every offset from a 4-aligned start (0 to 3 bytes in) gives
/// the same logits.
#[test]
fn file_alignment_does_not_change_the_logits() {
    let mut rng = Rng(77);
    for (i, cfg) in configs().iter().enumerate() {
        let calib: Vec<Vec<Context>> = (0..4).map(|_| random_contexts(&mut rng, 16)).collect();
        let (_, q, _) = pair(cfg, 900 + i as u64, &calib);
        let ctxs = random_contexts(&mut rng, 12);
        // A u32 buffer is 4-aligned; the file starts `offset` bytes into it.
        let mut words = vec![0u32; q.len() / 4 + 2];
        let mut want = None;
        for offset in 0..4 {
            let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut words);
            bytes[offset..offset + q.len()].copy_from_slice(&q);
            let model = Model::from_bytes(&bytes[offset..offset + q.len()]).unwrap();
            let got = int_logits(&model, &ctxs);
            assert_eq!(*want.get_or_insert(got), got, "{cfg:?}, offset {offset}");
        }
    }
}

/// Writers give all rows of a matrix one shift, which the kernels requantise in one loop
/// (vectorised on x86_64). A file whose rows have shifts of their own — here every row with an
/// even multiplier rewritten as the same factor `(M / 2) · 2^-(s − 1)` — loads, takes the
/// per-row loop, and gives the same logits.
#[test]
fn per_row_shifts_give_the_same_logits_as_a_shared_shift() {
    let (q, _) = int_file();
    let model = Model::from_bytes(&q).unwrap();
    let names = [
        "embed.conv.weight",
        "embed.proj.weight",
        "lstm.0.weight_ih_l0",
        "lstm.0.weight_hh_l0",
        "lstm.0.weight_ih_l0_reverse",
        "lstm.0.weight_hh_l0_reverse",
        "lstm.1.weight_ih_l0",
        "lstm.1.weight_hh_l0",
        "head.weight",
    ];
    let mut b = q.clone();
    for name in names {
        let t = model.tensor(name).unwrap();
        let shift = t.uniform_shift().expect(name);
        let rows = t.rows();
        // The matrix's multipliers then its shifts, found by their bytes.
        let mut pattern: Vec<u8> = (0..rows)
            .flat_map(|r| (t.requant(r).multiplier as i16).to_le_bytes())
            .collect();
        pattern.extend(std::iter::repeat_n(shift as u8, rows));
        let at = q
            .windows(pattern.len())
            .position(|w| w == pattern)
            .expect(name);
        let mut changed = 0;
        for r in 0..rows {
            let m = t.requant(r).multiplier;
            if m % 2 == 0 {
                b[at + 2 * r..at + 2 * r + 2].copy_from_slice(&((m / 2) as i16).to_le_bytes());
                b[at + 2 * rows + r] = shift as u8 - 1;
                changed += 1;
            }
        }
        assert!(changed > 0 && changed < rows, "{name}: {changed} of {rows}");
    }
    reseal(&mut b);
    let per_row = Model::from_bytes(&b).unwrap();
    for name in names {
        assert_eq!(
            per_row.tensor(name).unwrap().uniform_shift(),
            None,
            "{name}"
        );
    }
    let mut rng = Rng(8);
    for len in [1, 7, 20] {
        let ctxs = random_contexts(&mut rng, len);
        assert_eq!(
            int_logits(&per_row, &ctxs),
            int_logits(&model, &ctxs),
            "{len}"
        );
    }
}

/// A matrix's factors share the largest factor's shift; each multiplier is its factor at that
/// shift, rounded (at least 1).
#[test]
fn matrix_factors_share_one_shift() {
    let factors = [1.3e-3, 2.0e-3, 7.7e-6, 1.0e-9, 2.0e-3 * (1.0 - 1e-7)];
    let r = matrix_requants(&factors).unwrap();
    let top = row_requant(2.0e-3).unwrap();
    assert!(r.iter().all(|q| q.shift == top.shift), "{r:?}");
    assert_eq!(r[1], top);
    for (f, q) in factors.iter().zip(&r) {
        let want = (f * (1u64 << top.shift) as f64).round().max(1.0);
        assert_eq!(f64::from(q.multiplier), want, "{f}");
    }
    assert!(matrix_requants(&[1.0, f64::NAN]).is_err());
    assert_eq!(matrix_requants(&[]).unwrap(), vec![]);
    // Factors whose shift falls outside the shared-shift range keep a shift per row.
    let big = matrix_requants(&[300.0, 3.0]).unwrap();
    assert_eq!(
        big,
        vec![row_requant(300.0).unwrap(), row_requant(3.0).unwrap()]
    );
}

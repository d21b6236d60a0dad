//! The committed default model, run by tch and by pxby-core on real validation windows:
//! f32 logits agree to 1e-4; the int8 export picks the same next token as tch on ≥ 98% of the
//! windows; the integer export (calibrated on training windows) picks the f32 model's next
//! token on ≥ 98% of them. Needs libtorch and the dataset.

mod common;

use common::*;
use host_train::export::{Weights, encode, import};
use host_train::model::{FamilyKind, ModelSpec};
use host_train::windows::Windows;
use tch::Device;

const DEFAULT_F32: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/models/default-f32.pxby"
);

#[test]
fn default_model_f32_and_int8_agree_with_tch_on_validation_windows() {
    tch::set_num_threads(1);
    let bytes = std::fs::read(DEFAULT_F32).expect("fixtures/models/default-f32.pxby");
    let f32_model = pxby_core::Model::from_bytes(&bytes).expect("load f32 model");
    let built = import(&f32_model, Device::Cpu).expect("import into tch");
    let spec = ModelSpec {
        family: FamilyKind::Rnn,
        config: *f32_model.config(),
    };
    let int8 = encode(
        &run_config(spec, "h"),
        &checkpoint_of(spec, &built.vars),
        Weights::Int8,
        "",
    )
    .expect("int8 encode");
    let int8_model = pxby_core::Model::from_bytes(&int8).expect("load int8 model");

    let data = validation_sequences();
    // SPEC §8 windows: 64 contexts, stride 80, wrapping.
    let windows = Windows::new(data, 64, 80);
    assert!(windows.len() >= 100, "only {} windows", windows.len());
    let (mut worst, mut same, mut tch_correct, mut int8_correct) = (0.0f32, 0usize, 0usize, 0usize);
    for i in 0..windows.len() {
        let (window, target) = windows.window(i);
        let a = tch_logits(built.model.as_ref(), &window);
        let b = core_logits(&f32_model, &window);
        for (x, y) in a.iter().zip(&b) {
            worst = worst.max((x - y).abs());
        }
        let q = core_logits(&int8_model, &window);
        same += usize::from(argmax(&a) == argmax(&q));
        tch_correct += usize::from(argmax(&a) == target as usize);
        int8_correct += usize::from(argmax(&q) == target as usize);
    }
    let n = windows.len() as f64;
    let agree = same as f64 / n;
    println!(
        "{} validation windows: max |tch - core f32| = {worst:e}; int8 argmax = tch argmax on {:.2}%; \
         next-token accuracy tch {:.2}%, int8 {:.2}%",
        windows.len(),
        100.0 * agree,
        100.0 * tch_correct as f64 / n,
        100.0 * int8_correct as f64 / n
    );
    assert!(worst <= 1e-4, "max abs diff {worst}");
    assert!(agree >= 0.98, "int8 agrees on {agree}");
}

#[test]
fn shared_evaluation_scores_tch_and_core_alike() {
    use host_train::eval::TchPredictor;
    use pxby_data::eval::{CorePredictor, EvalOptions, evaluate};
    tch::set_num_threads(1);
    let bytes = std::fs::read(DEFAULT_F32).expect("fixtures/models/default-f32.pxby");
    let model = pxby_core::Model::from_bytes(&bytes).expect("load f32 model");
    let built = import(&model, Device::Cpu).expect("import into tch");
    let ds = pxby_data::dataset::Dataset::read(small_dataset()).expect("dataset");
    let items: Vec<_> = ds.split(pxby_data::dataset::Split::Val).collect();
    let options = EvalOptions {
        max_windows_per_item: Some(2),
    };
    let a = evaluate(
        &items,
        &options,
        &mut TchPredictor::new(built.model.as_ref(), Device::Cpu),
    )
    .expect("tch evaluation");
    let b = evaluate(&items, &options, &mut CorePredictor::new(&model)).expect("core evaluation");
    println!("tch:\n{}\npxby-core f32:\n{}", a.table(), b.table());
    assert_eq!(a.windows, b.windows);
    assert!(a.windows >= 12);
    for (x, y) in [
        (a.accuracy.mean, b.accuracy.mean),
        (a.hamming.mean, b.hamming.mean),
        (a.bleu.mean, b.bleu.mean),
        (a.cross_entropy.mean, b.cross_entropy.mean),
    ] {
        assert!((x - y).abs() <= 0.02, "tch {x} vs core {y}");
    }
}

#[test]
fn next_token_scores_of_pxby_eval_equal_the_trainers_validation() {
    use pxby_data::eval::{CorePredictor, NextTokenOptions, next_token};
    tch::set_num_threads(1);
    let bytes = std::fs::read(DEFAULT_F32).expect("fixtures/models/default-f32.pxby");
    let model = pxby_core::Model::from_bytes(&bytes).expect("load f32 model");
    let built = import(&model, Device::Cpu).expect("import into tch");
    let ds = pxby_data::dataset::Dataset::read(small_dataset()).expect("dataset");
    let items: Vec<_> = ds.split(pxby_data::dataset::Split::Val).collect();
    // SPEC §5's validation windows: 128 contexts every 32 tokens.
    let core = next_token(
        &items,
        &NextTokenOptions::default(),
        || CorePredictor::new(&model),
        || {},
    )
    .expect("pxby-core next-token scores");
    let windows = Windows::new(validation_sequences(), 128, 32);
    let tch = host_train::train::evaluate(built.model.as_ref(), &windows, Device::Cpu)
        .expect("the trainer's validation pass");
    println!(
        "{} windows: pxby-core {} correct, loss {:.6}; tch {} correct, loss {:.6}",
        core.windows,
        core.correct,
        core.loss(),
        tch.correct(),
        tch.loss()
    );
    assert_eq!(core.windows as u64, tch.count());
    // Logits agree to a few 1e-6: at most a near-tie may flip.
    assert!(core.correct.abs_diff(tch.correct() as usize) <= 1);
    assert!((core.loss() - tch.loss()).abs() < 1e-4);
}

#[test]
fn default_model_integer_export_agrees_with_f32_on_validation_windows() {
    use host_train::export::CALIBRATION_WINDOWS;
    let bytes = std::fs::read(DEFAULT_F32).expect("fixtures/models/default-f32.pxby");
    let f32_model = pxby_core::Model::from_bytes(&bytes).expect("load f32 model");
    let built = import(&f32_model, Device::Cpu).expect("import into tch");
    let spec = ModelSpec {
        family: FamilyKind::Rnn,
        config: *f32_model.config(),
    };
    let data = host_train::data::load(&small_dataset(), None).expect("dataset");
    let mut run = run_config(spec, &data.dataset_hash);
    run.data = small_dataset();
    let int = encode(&run, &checkpoint_of(spec, &built.vars), Weights::Int, "").expect("encode");
    let int_model = pxby_core::Model::from_bytes(&int).expect("load integer model");
    assert_eq!(int_model.weights(), pxby_core::quant::WeightType::Int);
    // SPEC §8 windows of the validation items: 64 contexts, stride 80, wrapping.
    let windows = Windows::new(data.val, 64, 80);
    let (mut same, mut f32_correct, mut int_correct, mut worst) = (0usize, 0usize, 0usize, 0f32);
    let mut scratch = vec![0i16; int_model.int_scratch_len_for(64)];
    for i in 0..windows.len() {
        let (window, target) = windows.window(i);
        let a = core_logits(&f32_model, &window);
        let mut q = [0i32; pxby_core::vocab::VOCAB_SIZE];
        int_model
            .int_logits_for(&window, &mut scratch, &mut q)
            .expect("integer forward");
        let q: Vec<f32> = q
            .iter()
            .map(|&v| v as f32 / (1u32 << pxby_core::fixed::LOGIT_BITS) as f32)
            .collect();
        for (x, y) in a.iter().zip(&q) {
            worst = worst.max((x - y).abs());
        }
        same += usize::from(argmax(&a) == argmax(&q));
        f32_correct += usize::from(argmax(&a) == target as usize);
        int_correct += usize::from(argmax(&q) == target as usize);
    }
    let n = windows.len() as f64;
    let agree = same as f64 / n;
    println!(
        "integer export ({} bytes, calibrated on {CALIBRATION_WINDOWS} training windows): {} \
         validation windows, top-1 = f32 top-1 on {:.2}%, max |logit diff| {worst:.4}; \
         next-token accuracy f32 {:.2}%, integer {:.2}%",
        int.len(),
        windows.len(),
        100.0 * agree,
        100.0 * f32_correct as f64 / n,
        100.0 * int_correct as f64 / n
    );
    assert!(agree >= 0.98, "integer agrees on {agree}");
}

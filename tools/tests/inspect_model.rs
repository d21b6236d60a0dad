//! `pxby inspect` on a model file written by `pxby_core::format::write_model`.

use assert_cmd::Command;
use pxby_core::config::ModelConfig;
use pxby_core::format::{Metadata, Metric, write_model};
use pxby_core::quant::WeightType;

#[test]
fn inspect_shows_a_model_and_rejects_a_truncated_one() {
    let cfg = ModelConfig {
        dim: 18,
        d_state: 8,
        ..ModelConfig::PAPER_BEST
    };
    let owned: Vec<(&str, Vec<f32>)> = cfg
        .tensors()
        .map(|t| (t.name, vec![0.01; t.len()]))
        .collect();
    let list: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    let mut meta = Metadata {
        epochs: 7,
        notes: "inspect test",
        dataset_hash: "abc123",
        ..Metadata::default()
    };
    meta.metrics
        .push(Metric {
            name: "val_loss",
            value: 1.5,
        })
        .unwrap();
    let bytes = write_model(&cfg, &meta, WeightType::I8, &list).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("m.pxby");
    std::fs::write(&p, &bytes).unwrap();
    let a = Command::cargo_bin("pxby")
        .unwrap()
        .arg("inspect")
        .arg(&p)
        .assert()
        .success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    for needle in [
        format!("parameters: {}", cfg.param_count()),
        "dim 18, d_state 8, depth 2, bidirectional true".to_string(),
        "weights I8".to_string(),
        "epochs 7".to_string(),
        "metric val_loss: 1.5".to_string(),
        "abc123".to_string(),
        "embed.proj.weight".to_string(),
        format!("{} bytes", bytes.len()),
    ] {
        assert!(out.contains(&needle), "missing {needle:?} in:\n{out}");
    }
    std::fs::write(&p, &bytes[..bytes.len() - 7]).unwrap();
    let a = Command::cargo_bin("pxby")
        .unwrap()
        .arg("inspect")
        .arg(&p)
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("invalid model file"), "{err}");
    std::fs::write(&p, b"GIF89a not ours").unwrap();
    Command::cargo_bin("pxby")
        .unwrap()
        .arg("inspect")
        .arg(&p)
        .assert()
        .failure();
}

#[test]
fn inspect_shows_the_scales_of_an_integer_model() {
    use pxby_core::calibrate::{calibrate, write_int_model};
    use pxby_core::format::random_weights;
    let cfg = ModelConfig::PAPER_BEST;
    let w = random_weights(&cfg, 2, 1.0);
    let list: Vec<(&str, &[f32])> = w.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    let f32_bytes = write_model(&cfg, &Metadata::default(), WeightType::F32, &list).unwrap();
    let window: Vec<_> = pxby_core::context::contexts(&[40, 41, 42, 1, 43, 44]).collect();
    let model = pxby_core::Model::from_bytes(&f32_bytes).unwrap();
    let ranges = calibrate(&model, [window.as_slice()]).unwrap();
    let bytes = write_int_model(&cfg, &Metadata::default(), &list, &ranges).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("int.pxby");
    std::fs::write(&p, &bytes).unwrap();
    let a = Command::cargo_bin("pxby")
        .unwrap()
        .arg("inspect")
        .arg(&p)
        .assert()
        .success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    let embed = format!("embedding output scale {:e}", ranges.embed / 32767.0);
    for needle in [
        "weights Int",
        "integer inference",
        embed.as_str(),
        "lstm 0 Reverse: cell state scale 2^-",
        "lstm 1 Forward: cell state scale 2^-",
        "logits 2^-12",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
}

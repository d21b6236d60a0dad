//! `pxby eval` and `pxby generate` on the real binary, with a seeded random model written by
//! `pxby_core::format::write_model` and a small dataset made in the test.

mod common;

use assert_cmd::Command;
use pxby_core::config::ModelConfig;
use pxby_core::format::{Metadata, random_weights, write_model};
use pxby_core::quant::WeightType;
use pxby_data::dataset::{Dataset, Item};

/// A seeded random model of the paper's configuration.
fn model_bytes(weights: WeightType) -> Vec<u8> {
    let cfg = ModelConfig::PAPER_BEST;
    let owned = random_weights(&cfg, 0x2545_f491, 2.0);
    let list: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    write_model(&cfg, &Metadata::default(), weights, &list).expect("write model")
}

fn dataset() -> Dataset {
    let caption: Vec<u8> = b"a small test creature. it sleeps a lot."
        .iter()
        .map(|&b| pxby_core::vocab::byte_to_token(b).unwrap())
        .collect();
    let items = (0..3u32)
        .map(|i| {
            let image: Vec<u8> = (0..20).map(|j| 58 + ((i * 7 + j * 3) % 55) as u8).collect();
            Item::new(i * 10, format!("Mon{i}"), 4, 5, &image, &caption).unwrap()
        })
        .collect();
    Dataset::new(25, "test".into(), items)
}

#[test]
fn eval_prints_a_table_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.pxby");
    let data = dir.path().join("d.pxds");
    std::fs::write(&model, model_bytes(WeightType::I8)).unwrap();
    dataset().write(&data).unwrap();

    let out = Command::cargo_bin("pxby")
        .unwrap()
        .args(["eval", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .args(["--split", "val", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["items"], 3, "ids 0, 10, 20 are all validation items");
    // Each item is 7 + 24 + 40 = 71 tokens: one (wrapping) window each.
    assert_eq!(json["windows"], 3);
    for metric in ["hamming", "cosine", "bleu", "accuracy", "cross_entropy"] {
        let m = json[metric]["mean"].as_f64().unwrap();
        assert!(m.is_finite() && m >= 0.0, "{metric}: {m}");
    }
    assert!(json["hamming"]["mean"].as_f64().unwrap() <= 1.0);
    // Teacher-forced SPEC §5 windows of 128 every 32 tokens: ⌈71 / 32⌉ = 3 per item.
    assert_eq!(json["next_token_windows"], 9);
    let acc = json["next_token_accuracy"].as_f64().unwrap();
    let loss = json["next_token_loss"].as_f64().unwrap();
    assert!(
        (0.0..=1.0).contains(&acc) && loss.is_finite() && loss > 0.0,
        "{acc} {loss}"
    );

    let out = Command::cargo_bin("pxby")
        .unwrap()
        .args(["eval", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("| BLEU ↑ |")
            && table.contains("3 windows")
            && table.contains("teacher-forced on 9 SPEC §5 windows"),
        "{table}"
    );
}

/// `pxby generate` of a structured 6x7 sprite with `seed`, its card written to `out`.
fn generate_card(model: &std::path::Path, seed: &str, out: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("pxby").unwrap();
    cmd.args(["generate", "--structured", "--seed", seed])
        .args(["--prompt", "(6, 7)", "--max-tokens", "200"])
        .arg("--model")
        .arg(model)
        .arg("--out")
        .arg(out);
    cmd
}

#[test]
fn generate_writes_a_card_and_prints_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.pxby");
    let card = dir.path().join("card.png");
    std::fs::write(&model, model_bytes(WeightType::I8)).unwrap();
    let out = generate_card(&model, "5", &card).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("(6, 7)\n[sprite: 6 rows x 7 columns]\n"),
        "{stdout}"
    );
    let img = image::open(&card).unwrap();
    assert_eq!((img.width(), img.height()), (480, 384));

    // Same seed, same card; another seed, another card.
    let again = dir.path().join("again.png");
    let other = dir.path().join("other.png");
    for (seed, path) in [("5", &again), ("6", &other)] {
        generate_card(&model, seed, path).assert().success();
    }
    assert_eq!(
        std::fs::read(&card).unwrap(),
        std::fs::read(&again).unwrap()
    );
    assert_ne!(
        std::fs::read(&card).unwrap(),
        std::fs::read(&other).unwrap()
    );
}

#[test]
fn bad_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.pxby");
    let bytes = model_bytes(WeightType::F32);
    std::fs::write(&model, &bytes[..bytes.len() / 2]).unwrap();
    let card = dir.path().join("card.png");
    let run = |args: &[&str]| {
        Command::cargo_bin("pxby")
            .unwrap()
            .args(args)
            .arg("--model")
            .arg(&model)
            .arg("--out")
            .arg(&card)
            .output()
            .unwrap()
    };
    let out = run(&["generate"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("m.pxby") && err.to_lowercase().contains("truncated"),
        "{err}"
    );
    assert!(!card.exists(), "no card from a broken model");

    std::fs::write(&model, &bytes).unwrap();
    let out = run(&["generate", "--prompt", "a pikachu"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sprite header"));
    let out = run(&["generate", "--window", "48"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("32 or 64"));
}

/// `pxby generate` with nothing but a model and a seed makes a well-formed card: structured
/// generation is the default (free sampling, the old default, gave "[sprite: 1 rows x 1182
/// columns]" for these seeds with the shipped model).
#[test]
fn generate_defaults_make_well_formed_cards() {
    let dir = tempfile::tempdir().unwrap();
    let model = common::fixtures_dir().join("models/default-int8.pxby");
    for seed in ["1", "2", "3"] {
        let card = dir.path().join(format!("card{seed}.png"));
        let out = Command::cargo_bin("pxby")
            .unwrap()
            .args(["generate", "--seed", seed, "--model"])
            .arg(&model)
            .arg("--out")
            .arg(&card)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut lines = stdout.lines();
        let header = lines.next().unwrap_or_default();
        let (h, w) = pxby_tools_header(header).unwrap_or_else(|| panic!("seed {seed}: {stdout}"));
        assert_eq!(
            lines.next(),
            Some(format!("[sprite: {h} rows x {w} columns]").as_str()),
            "seed {seed}: {stdout}"
        );
        assert!(
            !lines.next().unwrap_or_default().trim().is_empty(),
            "seed {seed}: no caption"
        );
    }
    // --free still samples freely; --free and --structured together are refused.
    let out = Command::cargo_bin("pxby")
        .unwrap()
        .args(["generate", "--free", "--structured", "--model"])
        .arg(&model)
        .arg("--out")
        .arg(dir.path().join("x.png"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `(h, w)` of a header line, by the one codec.
fn pxby_tools_header(line: &str) -> Option<(u16, u16)> {
    pxby_core::header::parse(format!("{line}\n")).ok()
}

/// Without `--model`, `pxby generate` and `pxby eval` run the bundled integer model: the same
/// stream and card as `--model fixtures/models/default-int8.pxby`, and the file is the integer
/// kind.
#[test]
fn generate_and_eval_default_to_the_bundled_integer_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = common::fixtures_dir().join("models/default-int8.pxby");
    let bytes = std::fs::read(&model).unwrap();
    let m = pxby_core::Model::from_bytes(&bytes).unwrap();
    assert_eq!(m.weights(), pxby_core::quant::WeightType::Int);
    assert!(bytes.len() <= 40 * 1024, "{}", bytes.len());
    let gen_card = |with_model: bool| {
        let card = dir.path().join(format!("card-{with_model}.png"));
        let mut cmd = Command::cargo_bin("pxby").unwrap();
        cmd.args(["generate", "--seed", "5", "--out"]).arg(&card);
        if with_model {
            cmd.arg("--model").arg(&model);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (out.stdout, std::fs::read(&card).unwrap())
    };
    assert_eq!(gen_card(false), gen_card(true));
    let out = Command::cargo_bin("pxby")
        .unwrap()
        .args(["eval", "--data", "/nonexistent/pokemon.pxds"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pokemon.pxds"), "{err}");
}

/// `--free` runs that never write a size header (issue 16, point 10) still make a sensible
/// card: the title reads `(no size)` instead of raw bytes (it was "????????"), and the sprite
/// line says how the image was drawn instead of "[sprite: 1 rows x 1182 columns]".
#[test]
fn free_runs_without_a_header_make_sensible_cards() {
    let dir = tempfile::tempdir().unwrap();
    for seed in ["1", "2", "5", "8"] {
        let card = dir.path().join(format!("free{seed}.png"));
        let out = Command::cargo_bin("pxby")
            .unwrap()
            .args(["generate", "--free", "--seed", seed, "--out"])
            .arg(&card)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut lines = stdout.lines();
        let (title, sprite) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
        assert!(!title.contains('?'), "seed {seed}: {stdout}");
        if title == pxby_screen::NO_SIZE {
            assert!(
                sprite.starts_with("[sprite: no size header;")
                    || sprite.starts_with("[sprite: none"),
                "seed {seed}: {stdout}"
            );
        } else {
            assert!(pxby_tools_header(title).is_some(), "seed {seed}: {stdout}");
        }
        assert!(std::fs::metadata(&card).unwrap().len() > 0);
    }
}

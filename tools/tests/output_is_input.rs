//! No `pxby` command overwrites its own input: an `--out` that resolves to an input (by its
//! name, through `..`, or through a symbolic link) is refused before anything is written, and
//! the input is left as it was.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use pxby_core::config::ModelConfig;
use pxby_core::format::{Metadata, random_weights, write_model};
use pxby_core::quant::WeightType;
use pxby_data::dataset::{Dataset, Item};

fn model(dir: &Path) -> PathBuf {
    let cfg = ModelConfig::PAPER_BEST;
    let owned = random_weights(&cfg, 7, 2.0);
    let list: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    let path = dir.join("m.pxby");
    std::fs::write(
        &path,
        write_model(&cfg, &Metadata::default(), WeightType::I8, &list).unwrap(),
    )
    .unwrap();
    path
}

fn dataset(dir: &Path) -> PathBuf {
    let caption: Vec<u8> = b"a test."
        .iter()
        .map(|&b| pxby_core::vocab::byte_to_token(b).unwrap())
        .collect();
    let image: Vec<u8> = (0..20).map(|j| 58 + (j % 55) as u8).collect();
    let item = Item::new(10, "Mon".into(), 4, 5, &image, &caption).unwrap();
    let path = dir.join("x.pxds");
    Dataset::new(25, "test".into(), vec![item])
        .write(&path)
        .unwrap();
    path
}

fn source(dir: &Path) -> PathBuf {
    let s = dir.join("src");
    std::fs::create_dir_all(s.join("sprites")).unwrap();
    std::fs::copy(
        common::fixtures_dir().join("sprites/heart.png"),
        s.join("sprites/heart.png"),
    )
    .unwrap();
    std::fs::write(
        s.join("pokedex.csv"),
        "id,name,sprite,description\n0001,Heart,sprites/heart.png,A heart.\n",
    )
    .unwrap();
    s
}

/// Runs `pxby args`, which must fail naming the rule, and checks `input` kept its bytes.
fn assert_refused(args: &[&std::ffi::OsStr], input: &Path) {
    let before = std::fs::read(input).unwrap();
    let out = Command::cargo_bin("pxby")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(
        stderr.contains("an input of this command"),
        "{args:?}: {stderr}"
    );
    assert_eq!(
        std::fs::read(input).unwrap(),
        before,
        "{args:?} changed {}",
        input.display()
    );
}

#[test]
fn dataset_build_refuses_to_overwrite_its_csv_or_a_sprite() {
    let tmp = tempfile::tempdir().unwrap();
    let s = source(tmp.path());
    let csv = s.join("pokedex.csv");
    let sprite = s.join("sprites/heart.png");
    for out in [
        csv.clone(),
        s.join("sprites/../pokedex.csv"),
        sprite.clone(),
    ] {
        let input = if out == sprite { &sprite } else { &csv };
        assert_refused(
            &[
                "dataset".as_ref(),
                "build".as_ref(),
                "--source".as_ref(),
                s.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
            ],
            input,
        );
    }
    // Nor through --preview: DIR/contact_sheet.png may not be a sprite either.
    std::fs::copy(&sprite, s.join("sprites/contact_sheet.png")).unwrap();
    std::fs::write(
        &csv,
        "id,name,sprite,description\n0001,Heart,sprites/contact_sheet.png,A heart.\n",
    )
    .unwrap();
    let out = tmp.path().join("d.pxds");
    assert_refused(
        &[
            "dataset".as_ref(),
            "build".as_ref(),
            "--source".as_ref(),
            s.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            "--preview".as_ref(),
            s.join("sprites").as_os_str(),
        ],
        &s.join("sprites/contact_sheet.png"),
    );
    assert!(
        !out.exists(),
        "nothing is written when an output is refused"
    );
}

#[test]
fn generate_refuses_to_overwrite_its_model() {
    let tmp = tempfile::tempdir().unwrap();
    let m = model(tmp.path());
    let mut outs = vec![m.clone(), tmp.path().join("./m.pxby")];
    #[cfg(unix)]
    {
        let link = tmp.path().join("link.png");
        std::os::unix::fs::symlink(&m, &link).unwrap();
        outs.push(link);
    }
    for out in outs {
        assert_refused(
            &[
                "generate".as_ref(),
                "--model".as_ref(),
                m.as_os_str(),
                "--max-tokens".as_ref(),
                "20".as_ref(),
                "--out".as_ref(),
                out.as_os_str(),
            ],
            &m,
        );
    }
}

#[test]
fn dataset_preview_refuses_to_overwrite_its_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let d = dataset(tmp.path());
    assert_refused(
        &[
            "dataset".as_ref(),
            "preview".as_ref(),
            "--data".as_ref(),
            d.as_os_str(),
            "--out".as_ref(),
            d.as_os_str(),
        ],
        &d,
    );
    // A new file is still written.
    Command::cargo_bin("pxby")
        .unwrap()
        .args(["dataset", "preview", "--data"])
        .arg(&d)
        .arg("--out")
        .arg(tmp.path().join("sheet.png"))
        .assert()
        .success();
}

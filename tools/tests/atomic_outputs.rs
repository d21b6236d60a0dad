//! Output files are written atomically: a write that fails half-way (here: the file size limit,
//! as a full disk would) leaves an existing output as it was and no partial or temporary file.
#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_pxby");

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// `pxby args` with files limited to `limit` bytes (`prlimit --fsize`, SIGXFSZ ignored so the
/// write fails with EFBIG instead of killing the process).
fn pxby_with_file_limit(limit: u64, args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; exec prlimit --fsize=\"$0\" \"$@\"")
        .arg(limit.to_string())
        .arg(BIN)
        .args(args)
        .output()
        .expect("run sh + prlimit (util-linux)")
}

#[test]
fn a_failed_card_write_keeps_the_old_card() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // The model is written before the limit applies; its size does not matter.
    let m = common::test_model(d);
    let card = d.join("card.png");
    let old = b"the previous card".repeat(100);
    std::fs::write(&card, &old).unwrap();
    let args = [
        "generate".as_ref(),
        "--model".as_ref(),
        m.as_os_str(),
        "--max-tokens".as_ref(),
        "40".as_ref(),
        "--out".as_ref(),
        card.as_os_str(),
    ];
    let out = pxby_with_file_limit(1024, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("card.png"), "{stderr}");
    assert!(
        std::fs::read(&card).unwrap() == old,
        "the old card was changed"
    );
    assert_eq!(names(d), ["card.png", "m.pxby"], "a partial file was left");
}

#[test]
fn dataset_build_keeps_the_old_out_when_the_preview_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = d.join("src");
    std::fs::create_dir_all(s.join("sprites")).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    std::fs::copy(
        fixtures.join("sprites/heart.png"),
        s.join("sprites/heart.png"),
    )
    .unwrap();
    std::fs::write(
        s.join("pokedex.csv"),
        "id,name,sprite,description\n0001,Heart,sprites/heart.png,A heart.\n",
    )
    .unwrap();
    let out = d.join("d.pxds");
    std::fs::write(&out, b"previous dataset").unwrap();
    // --preview names a file, not a folder: the sheet cannot be written.
    let not_a_folder = d.join("preview");
    std::fs::write(&not_a_folder, b"a file").unwrap();
    let o = Command::new(BIN)
        .args(["dataset", "build", "--source"])
        .arg(&s)
        .arg("--out")
        .arg(&out)
        .arg("--preview")
        .arg(&not_a_folder)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("preview"), "{stderr}");
    assert_eq!(std::fs::read(&out).unwrap(), b"previous dataset");
    assert_eq!(names(d), ["d.pxds", "preview", "src"]);
}

#[test]
fn a_failed_quantize_write_keeps_the_old_file() {
    use pxby_core::config::ModelConfig;
    use pxby_core::format::{Metadata, random_weights, write_model};
    use pxby_core::quant::WeightType;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let data = common::test_dataset(d, "x.pxds", &[1, 2], 25);
    let hash = pxby_data::dataset::Dataset::read(&data)
        .unwrap()
        .content_hash();
    let cfg = ModelConfig::PAPER_BEST;
    let owned = random_weights(&cfg, 3, 1.0);
    let list: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    let meta = Metadata {
        dataset_hash: &hash,
        ..Metadata::default()
    };
    let model = d.join("f32.pxby");
    std::fs::write(
        &model,
        write_model(&cfg, &meta, WeightType::F32, &list).unwrap(),
    )
    .unwrap();
    let out = d.join("int.pxby");
    let old = b"the previous integer file".repeat(10);
    std::fs::write(&out, &old).unwrap();
    let args = [
        "quantize".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
        "--windows".as_ref(),
        "2".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    let o = pxby_with_file_limit(1024, &args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("int.pxby"), "{stderr}");
    assert_eq!(
        std::fs::read(&out).unwrap(),
        old,
        "the old file was changed"
    );
    assert_eq!(
        names(d),
        ["f32.pxby", "int.pxby", "x.pxds"],
        "a partial file was left"
    );
}

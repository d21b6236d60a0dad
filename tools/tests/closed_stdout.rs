//! Every `pxby` subcommand that prints to stdout ends quietly on a closed stdout (as
//! `pxby inspect m.pxby | head -c1` does once `head` has exited): killed by SIGPIPE, the
//! conventional status a shell shows as 141, with nothing on stderr (no "failed printing to
//! stdout" panic, no exit status 101).
#![cfg(unix)]

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pxby_core::config::ModelConfig;
use pxby_core::format::{Metadata, random_weights, write_model};
use pxby_core::quant::WeightType;
use pxby_data::dataset::{Dataset, Item};

const BIN: &str = env!("CARGO_BIN_EXE_pxby");
const SIGPIPE: i32 = 13;

/// Runs `pxby args` with a stdout pipe whose reading end is already closed.
fn assert_quiet_on_closed_stdout(args: &[&std::ffi::OsStr]) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run pxby");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.signal(),
        Some(SIGPIPE),
        "{args:?}: {:?}, stderr: {stderr}",
        out.status
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{args:?}: {stderr}"
    );
}

fn files(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let model = dir.join("m.pxby");
    let cfg = ModelConfig::PAPER_BEST;
    let owned = random_weights(&cfg, 7, 2.0);
    let list: Vec<(&str, &[f32])> = owned.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    let bytes = write_model(&cfg, &Metadata::default(), WeightType::I8, &list).unwrap();
    std::fs::write(&model, bytes).unwrap();
    let caption: Vec<u8> = b"a test."
        .iter()
        .map(|&b| pxby_core::vocab::byte_to_token(b).unwrap())
        .collect();
    let image: Vec<u8> = (0..20).map(|j| 58 + (j % 55) as u8).collect();
    let item = Item::new(10, "Mon".into(), 4, 5, &image, &caption).unwrap();
    let data = dir.join("d.pxds");
    Dataset::new(25, "test".into(), vec![item])
        .write(&data)
        .unwrap();
    let source = dir.join("src");
    std::fs::create_dir_all(source.join("sprites")).unwrap();
    std::fs::copy(
        common::fixtures_dir().join("sprites/heart.png"),
        source.join("sprites/heart.png"),
    )
    .unwrap();
    std::fs::write(
        source.join("pokedex.csv"),
        "id,name,sprite,description\n0001,Heart,sprites/heart.png,A heart.\n",
    )
    .unwrap();
    (model, data, source)
}

#[test]
fn every_subcommand_ends_quietly_on_a_closed_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let (model, data, source) = files(tmp.path());
    let d = tmp.path();
    let os = |s: &str| std::ffi::OsString::from(s);
    let cases: Vec<Vec<std::ffi::OsString>> = vec![
        vec![os("inspect"), model.clone().into()],
        vec![os("inspect"), data.clone().into()],
        vec![
            os("eval"),
            os("--model"),
            model.clone().into(),
            os("--data"),
            data.clone().into(),
        ],
        vec![
            os("generate"),
            os("--model"),
            model.clone().into(),
            os("--max-tokens"),
            os("20"),
            os("--out"),
            d.join("card.png").into(),
        ],
        vec![
            os("dataset"),
            os("build"),
            os("--source"),
            source.clone().into(),
            os("--out"),
            d.join("built.pxds").into(),
        ],
        vec![
            os("dataset"),
            os("preview"),
            os("--data"),
            data.clone().into(),
            os("--out"),
            d.join("sheet.png").into(),
        ],
        vec![
            os("bench"),
            os("pixelate"),
            os("--source"),
            source.clone().into(),
        ],
        vec![os("--version")],
    ];
    for args in &cases {
        let refs: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsString::as_os_str).collect();
        assert_quiet_on_closed_stdout(&refs);
    }
}

//! `pxby generate --complete ID --rows K --data DATASET` on the real binary, with the bundled
//! model and a small dataset made by the test helpers: the completion's card and the original's,
//! the same tokens as the library's `card::render_prompt`, and clear refusals of a training
//! item, a missing item and too many rows.

mod common;

use assert_cmd::Command;
use pxby_screen::args::{Mode, Options};

fn complete(data: &std::path::Path, id: &str, rows: &str, out: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("pxby").unwrap();
    cmd.args(["generate", "--complete", id, "--rows", rows, "--data"])
        .arg(data)
        .arg("--out")
        .arg(out);
    cmd
}

#[test]
fn a_validation_item_is_completed_beside_its_original() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::test_dataset(dir.path(), "d.pxds", &[10, 11, 20], 32);
    let out = dir.path().join("card.png");
    let run = complete(&data, "10", "2", &out).assert().success();
    let stdout = String::from_utf8(run.get_output().stdout.clone()).unwrap();
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("(4, 5)"), "{stdout}");
    assert_eq!(
        lines.next(),
        Some("[sprite: 4 rows x 5 columns]"),
        "{stdout}"
    );
    assert!(stdout.contains("\noriginal: a test.\n"), "{stdout}");
    let card = image::open(&out).unwrap();
    let original = image::open(dir.path().join("card-original.png")).unwrap();
    assert_eq!((card.width(), card.height()), (480, 384));
    assert_eq!((original.width(), original.height()), (480, 384));

    // The library's completion of the same prompt: the prompt is the item's first tokens.
    let ds = pxby_data::dataset::Dataset::read(&data).unwrap();
    let item = ds.get(10).unwrap();
    let n = pxby_screen::demo::completion_prompt(&item.tokens, 2).unwrap();
    let model = pxby_core::Model::from_bytes(pxby_tools::DEFAULT_MODEL).unwrap();
    let opts = Options {
        seed: 1,
        temperature: 0.8,
        top_k: 8,
        mode: Mode::Structured,
        window: 64,
        max_tokens: 1200,
        ..Options::default()
    };
    let lib = pxby_tools::card::render_prompt(&model, &opts, &item.tokens[..n]).unwrap();
    assert_eq!(&lib.tokens[..n], &item.tokens[..n]);
    assert_eq!(lib.text().image, (4, 5));
    let lib_png = dir.path().join("lib.png");
    lib.save_png(&lib_png, 3).unwrap();
    assert_eq!(
        std::fs::read(&lib_png).unwrap(),
        std::fs::read(&out).unwrap()
    );

    // --original-out names the original's card; all the rows: only the caption is generated.
    let orig = dir.path().join("orig.png");
    complete(&data, "20", "4", &out)
        .arg("--original-out")
        .arg(&orig)
        .assert()
        .success();
    assert!(orig.is_file());
}

#[test]
fn bad_completions_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::test_dataset(dir.path(), "d.pxds", &[10, 11, 20], 32);
    let out = dir.path().join("card.png");
    for (id, rows, want) in [
        (
            "11",
            "1",
            "item 11 is in the training split; --complete takes a validation item (id % 10 == 0, e.g. 10, 20)",
        ),
        ("30", "1", "no item with id 30"),
        (
            "10",
            "5",
            "--rows 5: the sprite of item 10 (Mon10) has only 4 rows",
        ),
    ] {
        let run = complete(&data, id, rows, &out).assert().failure();
        let stderr = String::from_utf8(run.get_output().stderr.clone()).unwrap();
        assert!(stderr.contains(want), "{id} {rows}: {stderr}");
        assert!(!out.exists());
    }
    // --rows without --complete, and --complete with --prompt, are usage errors.
    Command::cargo_bin("pxby")
        .unwrap()
        .args(["generate", "--rows", "2", "--out"])
        .arg(&out)
        .assert()
        .failure();
    complete(&data, "10", "2", &out)
        .args(["--prompt", "(4, 5)"])
        .assert()
        .failure();
    complete(&data, "10", "2", &out)
        .arg("--free")
        .assert()
        .failure();
}

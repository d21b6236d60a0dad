//! Bad input: broken rows are skipped with a reason and never abort a build or leave a partial
//! file; malformed CSV records stop the build naming their line (skipped and reported with
//! `--lenient`); broken files give typed errors.

mod common;

use std::path::Path;

use assert_cmd::Command;
use pxby_data::dataset::{Dataset, DatasetError};
use pxby_tools::builder::{BuildError, BuildOptions, build};
use pxby_tools::pixelate::{PixelateError, PixelateOptions, pixelate_bytes};

fn fixture_png() -> Vec<u8> {
    std::fs::read(common::fixtures_dir().join("sprites/heart.png")).unwrap()
}

fn lenient() -> BuildOptions {
    BuildOptions {
        lenient: true,
        ..BuildOptions::default()
    }
}

/// A source folder with one good row and one row for each kind of breakage.
fn broken_source(dir: &Path) {
    let sprites = dir.join("sprites");
    std::fs::create_dir_all(&sprites).unwrap();
    let png = fixture_png();
    std::fs::write(sprites.join("good.png"), &png).unwrap();
    std::fs::write(sprites.join("trunc.png"), &png[..png.len() / 2]).unwrap();
    std::fs::write(sprites.join("blank.png"), {
        let mut v = Vec::new();
        image::RgbaImage::new(4, 4)
            .write_to(&mut std::io::Cursor::new(&mut v), image::ImageFormat::Png)
            .unwrap();
        v
    })
    .unwrap();
    let mut csv: Vec<u8> = Vec::new();
    csv.extend_from_slice(b"id,name,sprite,description\n");
    csv.extend_from_slice(b"0001,Good,sprites/good.png,\"A fine, \"\"healthy\"\" heart.\"\n");
    csv.extend_from_slice(b"0002,Truncated,sprites/trunc.png,A broken image.\n");
    csv.extend_from_slice(b"0003,MissingColumn,sprites/good.png\n");
    csv.extend_from_slice(b"0004,NotUtf8,sprites/good.png,Bad \xff\xfe bytes.\n");
    csv.extend_from_slice(b"0005,Empty,sprites/good.png,\"  ?? \"\n");
    csv.extend_from_slice(b"x6,BadId,sprites/good.png,Some text.\n");
    csv.extend_from_slice(b"0007,NoFile,sprites/none.png,Some text.\n");
    csv.extend_from_slice(b"0001,Duplicate,sprites/good.png,Some text.\n");
    csv.extend_from_slice(b"0009,Blank,sprites/blank.png,Some text.\n");
    csv.extend_from_slice(b"0010,AlsoGood,sprites/good.png,Another heart.\n");
    std::fs::write(dir.join("pokedex.csv"), csv).unwrap();
}

#[test]
fn bad_rows_are_skipped_with_reasons() {
    let tmp = tempfile::tempdir().unwrap();
    broken_source(tmp.path());
    let (ds, report) = build(tmp.path(), &lenient(), &|| {}).unwrap();
    assert_eq!(report.rows, 10);
    assert_eq!(
        ds.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![1, 10]
    );
    assert_eq!(
        ds.items[0].parse().unwrap().caption_text(),
        "a fine, \"healthy\" heart."
    );
    let reasons: Vec<(Option<&str>, &str)> = report
        .skipped
        .iter()
        .map(|s| (s.id.as_deref(), s.reason.as_str()))
        .collect();
    assert_eq!(reasons.len(), 8, "{reasons:?}");
    let has = |id: &str, needle: &str| {
        assert!(
            reasons
                .iter()
                .any(|(i, r)| *i == Some(id) && r.contains(needle)),
            "no skip of {id} with {needle:?}: {reasons:?}"
        );
    };
    has("0002", "cannot decode image");
    has("0003", "3 fields, the header has 4");
    has("0004", "description is not valid UTF-8");
    has("0005", "empty description");
    has("x6", "not a non-negative integer");
    has("0007", "cannot read image");
    has("0001", "duplicate id 1");
    has("0009", "blank");
    // Skips are reported in CSV order with their lines.
    let lines: Vec<u64> = report.skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7, 8, 9, 10]);
}

#[test]
fn cli_skips_bad_rows_and_writes_the_good_ones() {
    let tmp = tempfile::tempdir().unwrap();
    broken_source(tmp.path());
    let out = tmp.path().join("d.pxds");
    let a = Command::cargo_bin("pxby")
        .unwrap()
        .args(["dataset", "build", "--lenient", "--source"])
        .arg(tmp.path())
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert!(stdout.contains("skipped: 8"), "{stdout}");
    assert!(
        stdout.contains("description is not valid UTF-8"),
        "{stdout}"
    );
    assert_eq!(Dataset::read(&out).unwrap().items.len(), 2);
}

#[test]
fn nothing_usable_fails_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("pokedex.csv"),
        "id,name,sprite,description\n0001,A,sprites/none.png,text\n",
    )
    .unwrap();
    let out = tmp.path().join("d.pxds");
    Command::cargo_bin("pxby")
        .unwrap()
        .args(["dataset", "build", "--source"])
        .arg(tmp.path())
        .arg("--out")
        .arg(&out)
        .assert()
        .failure();
    assert!(!out.exists());
    // No temporary file left behind either.
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn missing_column_in_header_is_a_typed_error_and_keeps_old_output() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("pokedex.csv"),
        "id,name,sprite\n1,A,a.png\n",
    )
    .unwrap();
    match build(tmp.path(), &BuildOptions::default(), &|| {}) {
        Err(BuildError::MissingColumn { column, .. }) => assert_eq!(column, "description"),
        other => panic!("{other:?}"),
    }
    let out = tmp.path().join("d.pxds");
    std::fs::write(&out, b"previous").unwrap();
    let a = Command::cargo_bin("pxby")
        .unwrap()
        .args(["dataset", "build", "--source"])
        .arg(tmp.path())
        .arg("--out")
        .arg(&out)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(stderr.contains("no `description` column"), "{stderr}");
    assert_eq!(std::fs::read(&out).unwrap(), b"previous");
}

#[test]
fn missing_source_is_a_typed_error() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(matches!(
        build(&tmp.path().join("nope"), &BuildOptions::default(), &|| {}),
        Err(BuildError::Open { .. })
    ));
}

#[test]
fn truncated_png_is_a_typed_error() {
    let png = fixture_png();
    for n in [0, 8, 33, png.len() / 2, png.len() - 13] {
        assert!(
            matches!(
                pixelate_bytes(&png[..n], &PixelateOptions::default()),
                Err(PixelateError::Decode(_))
            ),
            "cut at {n}"
        );
    }
    assert!(pixelate_bytes(&png, &PixelateOptions::default()).is_ok());
}

fn small_dataset_bytes() -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    broken_source(tmp.path());
    let (ds, _) = build(tmp.path(), &lenient(), &|| {}).unwrap();
    ds.to_bytes().unwrap()
}

#[test]
fn truncated_or_corrupt_dataset_is_a_typed_error() {
    let bytes = small_dataset_bytes();
    assert!(matches!(
        Dataset::from_bytes(&bytes[..bytes.len() - 1]),
        Err(DatasetError::Truncated { .. })
    ));
    assert!(matches!(
        Dataset::from_bytes(&bytes[..40]),
        Err(DatasetError::Truncated { .. })
    ));
    let mut c = bytes.clone();
    let mid = c.len() / 2;
    c[mid] ^= 0x40;
    assert!(matches!(
        Dataset::from_bytes(&c),
        Err(DatasetError::Checksum { .. })
    ));
    assert!(matches!(
        Dataset::from_bytes(&fixture_png()),
        Err(DatasetError::BadMagic)
    ));

    // Through the binary: a clear message and a failing exit code.
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("t.pxds");
    std::fs::write(&p, &bytes[..bytes.len() - 5]).unwrap();
    let a = Command::cargo_bin("pxby")
        .unwrap()
        .arg("inspect")
        .arg(&p)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(stderr.contains("truncated dataset file"), "{stderr}");
    std::fs::write(&p, &c).unwrap();
    let a = Command::cargo_bin("pxby")
        .unwrap()
        .args(["dataset", "preview", "--out"])
        .arg(tmp.path().join("s.png"))
        .arg("--data")
        .arg(&p)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(stderr.contains("checksum mismatch"), "{stderr}");
    assert!(!tmp.path().join("s.png").exists());
}

#[test]
fn bad_cli_arguments_are_rejected() {
    Command::cargo_bin("pxby")
        .unwrap()
        .args([
            "dataset",
            "build",
            "--source",
            ".",
            "--out",
            "x",
            "--max-size",
            "0",
        ])
        .assert()
        .failure();
    Command::cargo_bin("pxby")
        .unwrap()
        .args(["dataset", "build", "--help"])
        .assert()
        .success();
}

/// A source folder whose CSV has a good row, then `bad` (one line or more), then a good row.
fn source_with(dir: &Path, bad: &str) {
    std::fs::create_dir_all(dir.join("sprites")).unwrap();
    std::fs::write(dir.join("sprites/good.png"), fixture_png()).unwrap();
    std::fs::write(
        dir.join("pokedex.csv"),
        format!(
            "id,name,sprite,description\n\
             0001,Good,sprites/good.png,A heart.\n\
             {bad}\n\
             0005,AlsoGood,sprites/good.png,Another heart.\n"
        ),
    )
    .unwrap();
}

/// Each malformed record, the line the error names, the words of the reason, and the ids a
/// lenient build keeps (a quote left open swallows the rows up to the next quote: they are
/// reported within the one skipped record).
const MALFORMED: [(&str, u64, &str, &[u32]); 5] = [
    (
        "0002,Commas,sprites/good.png,Unquoted, with commas, cut",
        3,
        "6 fields, the header has 4",
        &[1, 5],
    ),
    (
        "0002,Short,sprites/good.png",
        3,
        "3 fields, the header has 4",
        &[1, 5],
    ),
    (
        "0002,Open,sprites/good.png,\"Never closed.\n0003,Next,sprites/good.png,Swallowed.",
        3,
        "unterminated quote (the field runs to the end of the file, swallowing lines 4 to 5)",
        &[1],
    ),
    (
        "0002,Open,sprites/good.png,\"Never closed.\n0003,Next,sprites/good.png,\"Swallowed.\"",
        3,
        "text after the closing quote of a field opened on line 3, on line 4",
        &[1, 5],
    ),
    (
        "0002,Stray,sprites/good.png,A \"quoted\" word",
        3,
        "a quote inside an unquoted field",
        &[1, 5],
    ),
];

#[test]
fn malformed_csv_records_stop_the_build_naming_the_line() {
    for (bad, line, reason, _) in MALFORMED {
        let tmp = tempfile::tempdir().unwrap();
        source_with(tmp.path(), bad);
        match build(tmp.path(), &BuildOptions::default(), &|| {}) {
            Err(BuildError::Malformed {
                line: l, reason: r, ..
            }) => {
                assert_eq!(l, line, "{bad:?}: {r}");
                assert!(r.contains(reason), "{bad:?}: {r}");
            }
            other => panic!("{bad:?}: {other:?}"),
        }
        let out = tmp.path().join("d.pxds");
        let a = Command::cargo_bin("pxby")
            .unwrap()
            .args(["dataset", "build", "--source"])
            .arg(tmp.path())
            .arg("--out")
            .arg(&out)
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
        assert!(
            stderr.contains(&format!("pokedex.csv line {line}: {reason}")),
            "{bad:?}: {stderr}"
        );
        assert!(!out.exists(), "{bad:?}");
    }
}

#[test]
fn lenient_skips_malformed_records_and_reports_them() {
    for (bad, line, reason, kept) in MALFORMED {
        let tmp = tempfile::tempdir().unwrap();
        source_with(tmp.path(), bad);
        let (ds, report) = build(tmp.path(), &lenient(), &|| {}).unwrap();
        assert_eq!(
            ds.items.iter().map(|i| i.id).collect::<Vec<_>>(),
            kept,
            "{bad:?}"
        );
        assert_eq!(report.skipped.len(), 1, "{bad:?}: {:?}", report.skipped);
        assert_eq!(report.skipped[0].line, line, "{bad:?}");
        assert!(report.skipped[0].reason.contains(reason), "{bad:?}");
    }
}

#[test]
fn sprite_paths_may_not_leave_the_source_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let s = tmp.path().join("src");
    std::fs::create_dir_all(s.join("sprites")).unwrap();
    std::fs::write(s.join("sprites/good.png"), fixture_png()).unwrap();
    // Valid images outside the folder, by an absolute path and through `..`.
    let outside = tmp.path().join("outside.png");
    std::fs::write(&outside, fixture_png()).unwrap();
    std::fs::write(
        s.join("pokedex.csv"),
        format!(
            "id,name,sprite,description\n\
             0001,Good,sprites/good.png,A heart.\n\
             0002,Absolute,{},A heart.\n\
             0003,Dotdot,../outside.png,A heart.\n\
             0004,Inner,sprites/../../outside.png,A heart.\n\
             0005,AlsoGood,./sprites/good.png,A heart.\n",
            outside.display()
        ),
    )
    .unwrap();
    let (ds, report) = build(&s, &BuildOptions::default(), &|| {}).unwrap();
    assert_eq!(ds.items.iter().map(|i| i.id).collect::<Vec<_>>(), [1, 5]);
    let skipped: Vec<(u64, &str)> = report
        .skipped
        .iter()
        .map(|k| (k.line, k.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    for (_, reason) in &skipped {
        assert!(reason.contains("leaves the source folder"), "{reason}");
    }
    assert!(!report.inputs.contains(&outside));
}

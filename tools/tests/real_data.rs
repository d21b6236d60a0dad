//! The dataset builder on the first 30 items of the real data (`../shared/data/pokemon`, read in
//! place, never copied): every item parses back, sizes are within the max size, headers match
//! images, and the batch contexts equal the incremental cursor's.

mod common;

use assert_cmd::Command;
use pxby_core::context::{ContextCursor, contexts};
use pxby_core::vocab::is_colour;
use pxby_data::dataset::{Dataset, Split};
use pxby_data::text::normalize;
use pxby_tools::builder::{BuildOptions, build};
use pxby_tools::pixelate::{Downsample, PixelateOptions, pixelate_file};

fn first_30(mode: Downsample, max_size: u16) -> Dataset {
    let opts = BuildOptions {
        max_size,
        limit: Some(30),
        mode,
        lenient: false,
    };
    let (ds, report) = build(&common::pokemon_dir(), &opts, &|| {}).unwrap();
    assert_eq!(report.rows, 30);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    ds
}

fn check_items(ds: &Dataset, max_size: u16) {
    assert_eq!(ds.items.len(), 30);
    let csv = std::fs::read_to_string(common::pokemon_dir().join("pokedex.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    for (item, rec) in ds.items.iter().zip(rdr.records()) {
        let rec = rec.unwrap();
        assert_eq!(item.id, rec[0].parse::<u32>().unwrap());
        assert_eq!(item.name, &rec[1]);
        let p = item.parse().unwrap();
        // Header matches the image and the recorded size.
        assert_eq!((p.height, p.width), (item.height, item.width));
        assert_eq!(p.image.len(), usize::from(p.height) * usize::from(p.width));
        assert!(p.image.iter().all(|&t| is_colour(t)));
        // The header text is the first segment of the stream.
        let header = pxby_core::header::tokens(p.height, p.width).unwrap();
        assert_eq!(&item.tokens[..header.len()], &header[..]);
        // Sides within the max size, the longer side exactly the max size.
        assert!(p.height <= max_size && p.width <= max_size);
        assert_eq!(p.height.max(p.width), max_size, "item {}", item.id);
        // The caption is the normalised description.
        assert_eq!(p.caption_text(), normalize(&rec[3]).text);
        // Contexts from the file equal the incremental cursor's, token for token.
        let mut cursor = ContextCursor::<32>::new();
        let batch: Vec<_> = contexts(&item.tokens).collect();
        assert_eq!(batch.len(), item.tokens.len());
        for (i, (&t, ctx)) in item.tokens.iter().zip(&batch).enumerate() {
            assert_eq!(cursor.push(t), *ctx, "item {} token {i}", item.id);
        }
        assert!(!cursor.overflowed());
    }
}

#[test]
fn first_30_items_parse_and_contexts_agree() {
    for mode in [Downsample::KMeans, Downsample::Majority] {
        let ds = first_30(mode, 25);
        check_items(&ds, 25);
        assert_eq!(
            ds.split(Split::Val).map(|i| i.id).collect::<Vec<_>>(),
            vec![10, 20, 30]
        );
    }
    check_items(&first_30(Downsample::KMeans, 16), 16);
}

#[test]
fn dataset_build_is_deterministic() {
    let a = first_30(Downsample::KMeans, 25);
    let b = first_30(Downsample::KMeans, 25);
    assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap());
    assert_eq!(a.content_hash(), b.content_hash());
}

#[test]
fn pixelation_of_real_sprites_is_deterministic() {
    let dir = common::pokemon_dir().join("sprites");
    for id in ["0001", "0025", "0150", "0493"] {
        let p = dir.join(format!("{id}.png"));
        for mode in [Downsample::KMeans, Downsample::Majority] {
            let o = PixelateOptions {
                mode,
                ..PixelateOptions::default()
            };
            let a = pixelate_file(&p, &o).unwrap();
            let b = pixelate_file(&p, &o).unwrap();
            assert_eq!(a, b, "{id} {mode:?}");
        }
    }
}

#[test]
fn cli_builds_reads_back_inspects_and_previews() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("p30.pxds");
    let prev = tmp.path().join("prev");
    let assert = Command::cargo_bin("pxby")
        .unwrap()
        .args(["dataset", "build", "--limit", "30", "--source"])
        .arg(common::pokemon_dir())
        .arg("--out")
        .arg(&out)
        .arg("--preview")
        .arg(&prev)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("items: 30 (train 27, val 3)"), "{stdout}");
    assert!(stdout.contains("skipped: 0"), "{stdout}");
    assert!(stdout.contains("image/text ratio"), "{stdout}");
    let ds = Dataset::read(&out).unwrap();
    check_items(&ds, 25);
    // Same content as the library build.
    assert_eq!(
        ds.content_hash(),
        first_30(Downsample::KMeans, 25).content_hash()
    );

    let sheet = image::open(prev.join("contact_sheet.png")).unwrap();
    assert!(sheet.width() > 100 && sheet.height() > 100);

    let assert = Command::cargo_bin("pxby")
        .unwrap()
        .arg("inspect")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains(&ds.content_hash()), "{stdout}");
    assert!(stdout.contains("items: 30"), "{stdout}");

    let png = tmp.path().join("sheet.png");
    Command::cargo_bin("pxby")
        .unwrap()
        .args(["dataset", "preview", "--limit", "5", "--data"])
        .arg(&out)
        .arg("--out")
        .arg(&png)
        .assert()
        .success();
    let img = image::open(&png).unwrap();
    assert_eq!(img.height(), 25 * 4 + 16);
}

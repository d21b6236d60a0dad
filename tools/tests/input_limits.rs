//! Inputs must be regular files within a size limit, checked before they are read, and numeric
//! options that size an allocation have ranges checked before it. Each command runs under
//! `prlimit --as` (1 GiB of address space) and a 20 s deadline, so a regression fails here
//! instead of filling the machine's memory or blocking on a FIFO forever.
#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use pxby_data::dataset::Dataset;

const BIN: &str = env!("CARGO_BIN_EXE_pxby");

/// `pxby args` under 1 GiB of address space, killed after 20 s (then this panics).
fn pxby_bounded(args: &[&std::ffi::OsStr]) -> Output {
    let mut child = Command::new("prlimit")
        .arg("--as=1073741824")
        .arg(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run prlimit (util-linux)");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{args:?} still running after 20 s (blocked on its input?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Runs `args`, which must fail with status 1 and `needle` in its message.
fn assert_fails_with(args: &[&std::ffi::OsStr], needle: &str) {
    let out = pxby_bounded(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?}: {:?} {stderr}",
        out.status
    );
    assert!(stderr.contains(needle), "{args:?}: {stderr}");
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(ok.success());
}

/// A file of `len` bytes (sparse) that starts with `head`.
fn sparse(path: &Path, head: &[u8], len: u64) {
    std::fs::write(path, head).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

#[test]
fn devices_fifos_and_folders_are_refused_before_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (m, x) = (
        common::test_model(d),
        common::test_dataset(d, "x.pxds", &[0], 255),
    );
    let fifo = d.join("fifo");
    mkfifo(&fifo);
    let zero = Path::new("/dev/zero");
    let card = d.join("card.png");
    for input in [zero, fifo.as_path(), d] {
        let i = input.as_os_str();
        assert_fails_with(&["inspect".as_ref(), i], "not a regular file");
        assert_fails_with(
            &[
                "generate".as_ref(),
                "--model".as_ref(),
                i,
                "--out".as_ref(),
                card.as_os_str(),
            ],
            "a model file must be one",
        );
        assert_fails_with(
            &[
                "eval".as_ref(),
                "--model".as_ref(),
                i,
                "--data".as_ref(),
                x.as_os_str(),
            ],
            "a model file must be one",
        );
        assert_fails_with(
            &[
                "eval".as_ref(),
                "--model".as_ref(),
                m.as_os_str(),
                "--data".as_ref(),
                i,
            ],
            "a dataset file must be one",
        );
        let q = d.join("q.pxby");
        assert_fails_with(
            &[
                "quantize".as_ref(),
                "--model".as_ref(),
                i,
                "--data".as_ref(),
                x.as_os_str(),
                "--out".as_ref(),
                q.as_os_str(),
            ],
            "a model file must be one",
        );
        assert_fails_with(
            &[
                "quantize".as_ref(),
                "--model".as_ref(),
                m.as_os_str(),
                "--data".as_ref(),
                i,
                "--out".as_ref(),
                q.as_os_str(),
            ],
            "a dataset file must be one",
        );
        assert!(!q.exists());
        assert_fails_with(
            &[
                "dataset".as_ref(),
                "preview".as_ref(),
                "--data".as_ref(),
                i,
                "--out".as_ref(),
                card.as_os_str(),
            ],
            "a dataset file must be one",
        );
    }
    assert!(!card.exists());
}

#[test]
fn a_fifo_as_the_csv_or_a_sprite_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let s = tmp.path().join("src");
    std::fs::create_dir_all(s.join("sprites")).unwrap();
    std::fs::copy(
        common::fixtures_dir().join("sprites/heart.png"),
        s.join("sprites/heart.png"),
    )
    .unwrap();
    mkfifo(&s.join("sprites/fifo.png"));
    std::fs::write(
        s.join("pokedex.csv"),
        "id,name,sprite,description\n\
         0001,Heart,sprites/heart.png,A heart.\n\
         0002,Fifo,sprites/fifo.png,A pipe.\n",
    )
    .unwrap();
    let out = tmp.path().join("d.pxds");
    let args = [
        "dataset".as_ref(),
        "build".as_ref(),
        "--source".as_ref(),
        s.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    // The sprite: its row is skipped with the reason, the build goes on.
    let o = pxby_bounded(&args);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("skipped: 1"), "{stdout}");
    assert!(stdout.contains("not a regular file"), "{stdout}");
    assert_eq!(Dataset::read(&out).unwrap().items.len(), 1);
    // The CSV: the build stops.
    std::fs::remove_file(s.join("pokedex.csv")).unwrap();
    mkfifo(&s.join("pokedex.csv"));
    assert_fails_with(&args, "a CSV file must be one");
}

#[test]
fn oversized_inputs_are_refused_before_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let m = d.join("big.pxby");
    sparse(&m, &pxby_core::format::MAGIC, (1 << 20) + 1);
    assert_fails_with(
        &["inspect".as_ref(), m.as_os_str()],
        "1048576-byte limit of a model file",
    );
    let card = d.join("card.png");
    assert_fails_with(
        &[
            "generate".as_ref(),
            "--model".as_ref(),
            m.as_os_str(),
            "--out".as_ref(),
            card.as_os_str(),
        ],
        "1048576-byte limit of a model file",
    );
    let x = d.join("big.pxds");
    sparse(&x, &pxby_data::dataset::MAGIC, (64 << 20) + 1);
    assert_fails_with(
        &["inspect".as_ref(), x.as_os_str()],
        "limit of a dataset file",
    );
    let q = d.join("q.pxby");
    let small = common::test_dataset(d, "small.pxds", &[1], 25);
    let small_model = common::test_model(d);
    for (model, data, limit) in [
        (&m, &small, "limit of a model file"),
        (&small_model, &x, "limit of a dataset file"),
    ] {
        assert_fails_with(
            &[
                "quantize".as_ref(),
                "--model".as_ref(),
                model.as_os_str(),
                "--data".as_ref(),
                data.as_os_str(),
                "--out".as_ref(),
                q.as_os_str(),
            ],
            limit,
        );
    }
    assert!(!q.exists());
    let s = d.join("src");
    std::fs::create_dir_all(&s).unwrap();
    sparse(
        &s.join("pokedex.csv"),
        b"id,name,sprite,description\n",
        (16 << 20) + 1,
    );
    assert_fails_with(
        &[
            "dataset".as_ref(),
            "build".as_ref(),
            "--source".as_ref(),
            s.as_os_str(),
            "--out".as_ref(),
            d.join("o.pxds").as_os_str(),
        ],
        "limit of a CSV file",
    );
}

#[test]
fn a_huge_contact_sheet_is_refused_before_it_is_allocated() {
    let tmp = tempfile::tempdir().unwrap();
    let ids: Vec<u32> = (0..600).collect();
    let x = common::test_dataset(tmp.path(), "x.pxds", &ids, 255);
    let out = tmp.path().join("sheet.png");
    assert_fails_with(
        &[
            "dataset".as_ref(),
            "preview".as_ref(),
            "--data".as_ref(),
            x.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            "--columns".as_ref(),
            "256".as_ref(),
            "--scale".as_ref(),
            "32".as_ref(),
        ],
        "pixels: use fewer columns, a smaller scale or --limit",
    );
    assert!(!out.exists());
}

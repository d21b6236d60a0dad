//! Clear messages: a dataset given as a model (and the reverse) is called what it is, with its
//! path; an `--out` in a missing folder is named, not the temporary file; a prompt past the
//! handheld's sprite size states the limit; an id past u32 says so; control characters from the
//! CSV (ANSI escapes, NUL) are escaped before they reach the terminal; a model file with NaN or
//! infinite weights is refused with the tensor's name.

mod common;

use assert_cmd::Command;

fn stderr_of(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::cargo_bin("pxby")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_dataset_as_a_model_and_a_model_as_a_dataset_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (m, x) = (
        common::test_model(tmp.path()),
        common::test_dataset(tmp.path(), "x.pxds", &[10], 25),
    );
    let card = tmp.path().join("card.png");
    let e = stderr_of(&[
        "generate".as_ref(),
        "--model".as_ref(),
        x.as_os_str(),
        "--out".as_ref(),
        card.as_os_str(),
    ]);
    assert!(
        e.contains("x.pxds: a dataset file, not a model file"),
        "{e}"
    );
    let e = stderr_of(&[
        "eval".as_ref(),
        "--model".as_ref(),
        x.as_os_str(),
        "--data".as_ref(),
        x.as_os_str(),
    ]);
    assert!(
        e.contains("x.pxds: a dataset file, not a model file"),
        "{e}"
    );
    let e = stderr_of(&[
        "eval".as_ref(),
        "--model".as_ref(),
        m.as_os_str(),
        "--data".as_ref(),
        m.as_os_str(),
    ]);
    assert!(
        e.contains("m.pxby: a model file, not a dataset file"),
        "{e}"
    );
    let e = stderr_of(&[
        "dataset".as_ref(),
        "preview".as_ref(),
        "--data".as_ref(),
        m.as_os_str(),
        "--out".as_ref(),
        card.as_os_str(),
    ]);
    assert!(
        e.contains("m.pxby: a model file, not a dataset file"),
        "{e}"
    );
    // Any other bad file names its path.
    let junk = tmp.path().join("junk.pxds");
    std::fs::write(&junk, b"hello, world").unwrap();
    let e = stderr_of(&[
        "eval".as_ref(),
        "--model".as_ref(),
        m.as_os_str(),
        "--data".as_ref(),
        junk.as_os_str(),
    ]);
    assert!(
        e.contains("junk.pxds: not a PixelBytes dataset file"),
        "{e}"
    );
    // A prompt past the handheld's sprite size states the limit, in both modes.
    for mode in ["--free", "--structured"] {
        for prompt in ["(999, 999)", "(33, 1)", "(1, 33)"] {
            let e = stderr_of(&[
                "generate".as_ref(),
                mode.as_ref(),
                "--prompt".as_ref(),
                prompt.as_ref(),
                "--model".as_ref(),
                m.as_os_str(),
                "--out".as_ref(),
                card.as_os_str(),
            ]);
            assert!(
                e.contains("each side must be 1..=32"),
                "{mode} {prompt}: {e}"
            );
            assert!(!e.contains("generation failed"), "{e}");
        }
    }
    assert!(!card.exists());
    // An --out in a missing folder names --out, not a temporary file.
    let out = tmp.path().join("missing/sheet.png");
    let e = stderr_of(&[
        "dataset".as_ref(),
        "preview".as_ref(),
        "--data".as_ref(),
        x.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(
        e.contains(&format!("cannot write {}: ", out.display())),
        "{e}"
    );
    assert!(!e.contains(".pxby-tmp-"), "{e}");
}

#[test]
fn csv_ids_past_u32_and_control_characters_are_reported_plainly() {
    let tmp = tempfile::tempdir().unwrap();
    let s = tmp.path();
    std::fs::create_dir_all(s.join("sprites")).unwrap();
    std::fs::copy(
        common::fixtures_dir().join("sprites/heart.png"),
        s.join("sprites/heart.png"),
    )
    .unwrap();
    std::fs::write(
        s.join("pokedex.csv"),
        "id,name,sprite,description\n\
         0001,Heart,sprites/heart.png,A heart.\n\
         4294967296,Big,sprites/heart.png,A heart.\n\
         \x1b[31m7\x00,Red,sprites/heart.png,A heart.\n",
    )
    .unwrap();
    let out = Command::cargo_bin("pxby")
        .unwrap()
        .args(["dataset", "build", "--source"])
        .arg(s)
        .arg("--out")
        .arg(s.join("d.pxds"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.stdout.contains(&0x1b) && !out.stdout.contains(&0),
        "raw control bytes reached stdout"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("id 4294967296 is larger than the largest id, 4294967295"),
        "{stdout}"
    );
    assert!(stdout.contains("\\u{1b}[31m7\\u{0}"), "{stdout}");
}

/// A model file with a valid CRC whose last bias is +inf (and one whose is NaN): `inspect`,
/// `generate` and `eval` refuse it at load, naming the file and the tensor, and write nothing.
#[test]
fn a_model_with_non_finite_weights_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let good = std::fs::read(common::test_model(tmp.path())).unwrap();
    let x = common::test_dataset(tmp.path(), "x.pxds", &[10], 25);
    let card = tmp.path().join("card.png");
    for (name, value) in [("inf.pxby", f32::INFINITY), ("nan.pxby", f32::NAN)] {
        // The last tensor of the file is `head.bias`, f32; its last value sits before the CRC.
        let mut b = good.clone();
        let n = b.len();
        b[n - 8..n - 4].copy_from_slice(&value.to_le_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(&b[..n - 4]);
        b[n - 4..].copy_from_slice(&crc.sum().to_le_bytes());
        let m = tmp.path().join(name);
        std::fs::write(&m, &b).unwrap();
        let (path, want) = (
            format!("error: {}: ", m.display()),
            "tensor head.bias holds NaN or infinite values",
        );
        for args in [
            vec!["inspect".as_ref(), m.as_os_str()],
            vec![
                "generate".as_ref(),
                "--model".as_ref(),
                m.as_os_str(),
                "--out".as_ref(),
                card.as_os_str(),
            ],
            vec![
                "eval".as_ref(),
                "--model".as_ref(),
                m.as_os_str(),
                "--data".as_ref(),
                x.as_os_str(),
            ],
        ] {
            let e = stderr_of(&args);
            assert!(e.starts_with(&path) && e.contains(want), "{args:?}: {e}");
        }
        assert!(!card.exists());
    }
}

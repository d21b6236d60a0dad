//! No `pxby` command overwrites its own input: an `--out` that resolves to an input (by its
//! name, through `..`, or through a symbolic link) is refused before anything is written, and
//! the input is left as it was.

mod common;

use std::path::Path;

use assert_cmd::Command;

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
    let s = common::test_source(tmp.path());
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
    let m = common::test_model(tmp.path());
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
    let d = common::test_dataset(tmp.path(), "x.pxds", &[10], 25);
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

#[test]
fn quantize_refuses_to_overwrite_its_model_or_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let m = common::test_model(tmp.path());
    let d = common::test_dataset(tmp.path(), "x.pxds", &[1, 2], 25);
    for (out, input) in [
        (m.clone(), &m),
        (tmp.path().join("./m.pxby"), &m),
        (d.clone(), &d),
        (tmp.path().join("sub/../x.pxds"), &d),
    ] {
        std::fs::create_dir_all(tmp.path().join("sub")).unwrap();
        assert_refused(
            &[
                "quantize".as_ref(),
                "--model".as_ref(),
                m.as_os_str(),
                "--data".as_ref(),
                d.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
            ],
            input,
        );
    }
}

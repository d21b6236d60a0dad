//! Host/QEMU parity: for several seeds (greedy and sampled, structured and free, windows 32 and
//! 64) the token stream and the framebuffer the firmware writes in QEMU are byte-identical to
//! what the host produces with pxby-core and the same drawing code, and the firmware's PNG
//! (`png=`, what `demo.sh` writes as `demo.png`) is the host card's PNG pixel for pixel.
//!
//! Needs `qemu-system-arm` (scripts/setup-qemu.sh) and the thumbv7em-none-eabihf target; the test
//! builds the firmware itself (see the crate docs).

use std::{path::PathBuf, time::Duration};

use embedded_graphics_simulator::OutputSettingsBuilder;
use pxby_screen as screen;
use pxby_tests::{build_firmware, first_difference, host_run, require_qemu, run_qemu, test_model};

/// (name, firmware command line without output paths).
const CASES: &[(&str, &str)] = &[
    (
        "greedy-structured-sized",
        "seed=1 temp=0 mode=structured h=10 w=9 max=260",
    ),
    (
        "sampled-structured",
        "seed=2 temp=0.8 topk=8 mode=structured max=260",
    ),
    ("sampled-free", "seed=3 temp=1 topk=0 mode=free max=200"),
    (
        "greedy-free-w32",
        "seed=4 temp=0 mode=free window=32 max=200",
    ),
    (
        "sampled-structured-w32",
        "seed=5 temp=0.7 topk=16 mode=structured window=32 h=8 w=12 max=300",
    ),
    ("hot-free", "seed=6 temp=1.5 topk=5 mode=free max=200"),
];

#[test]
fn firmware_in_qemu_matches_host_bit_for_bit() {
    if !require_qemu("firmware_in_qemu_matches_host_bit_for_bit") {
        return;
    }
    let model = test_model().expect("test model");
    let model_bytes = std::fs::read(&model).expect("read model");
    let elf = build_firmware(&model).unwrap_or_else(|e| panic!("building the firmware: {e}"));
    let root = pxby_tests::firmware_target_dir().join("parity");
    let mut failures = Vec::new();
    for (name, args) in CASES {
        let dir: PathBuf = root.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create case folder");
        let full = format!("{args} quiet tokens=tokens.bin screen=screen.rgb565 png=screen.png");
        let run = run_qemu(&elf, &full, &dir, false, Duration::from_secs(300))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            run.code, 0,
            "{name}: firmware exit status {}\n{}",
            run.code, run.output
        );
        let fw_tokens = std::fs::read(dir.join("tokens.bin")).expect("token file");
        let fw_screen = std::fs::read(dir.join("screen.rgb565")).expect("screen file");
        assert_eq!(
            fw_screen.len(),
            screen::PIXELS * 2,
            "{name}: screen file size"
        );

        let opts = screen::args::parse(args).expect("case arguments parse on the host");
        let host = host_run(&model_bytes, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The firmware writes its PNG at 2x, as the host card does with scale 2.
        let host_png = host
            .display
            .to_rgb_output_image(&OutputSettingsBuilder::new().scale(2).build());
        let _ = host_png.save_png(dir.join("host.png"));
        let fw_png =
            image::load_from_memory(&std::fs::read(dir.join("screen.png")).expect("firmware PNG"))
                .unwrap_or_else(|e| panic!("{name}: decoding the firmware's PNG: {e}"))
                .to_rgb8();
        let host_png = host_png.as_image_buffer();
        assert_eq!(
            fw_png.dimensions(),
            host_png.dimensions(),
            "{name}: PNG size"
        );
        if let Some((x, y, a, b)) = fw_png
            .enumerate_pixels()
            .zip(host_png.pixels())
            .find_map(|((x, y, a), b)| (a != b).then_some((x, y, a.0, b.0)))
        {
            failures.push(format!(
                "{name}: PNGs differ first at ({x}, {y}): firmware {a:?}, host card {b:?}"
            ));
        }

        eprintln!(
            "{name}: {} tokens, firmware {} / host {} bytes of screen",
            fw_tokens.len(),
            fw_screen.len(),
            host.screen.len()
        );
        if let Some(i) = first_difference(&fw_tokens, &host.tokens) {
            failures.push(format!(
                "{name}: token streams differ first at index {i}: firmware {:?}, host {:?} \
                 (firmware {} tokens, host {})",
                fw_tokens.get(i),
                host.tokens.get(i),
                fw_tokens.len(),
                host.tokens.len()
            ));
            continue;
        }
        if let Some(i) = first_difference(&fw_screen, &host.screen) {
            let p = i / 2;
            let px = |b: &[u8]| {
                b.get(2 * p..2 * p + 2)
                    .map(|s| format!("{:#06x}", u16::from_le_bytes([s[0], s[1]])))
            };
            failures.push(format!(
                "{name}: screens differ first at pixel ({}, {}): firmware {:?}, host {:?}",
                p % screen::WIDTH as usize,
                p / screen::WIDTH as usize,
                px(&fw_screen),
                px(&host.screen)
            ));
        }
        assert!(
            fw_tokens.len() > 20,
            "{name}: only {} tokens",
            fw_tokens.len()
        );
    }
    assert!(
        failures.is_empty(),
        "parity failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn different_seeds_give_different_streams() {
    // Guards the parity test against passing trivially (e.g. both sides emitting nothing).
    let model = std::fs::read(test_model().expect("test model")).expect("read model");
    let a = host_run(
        &model,
        &screen::args::parse("seed=11 temp=1 topk=0 mode=free max=64").unwrap(),
    )
    .unwrap();
    let b = host_run(
        &model,
        &screen::args::parse("seed=12 temp=1 topk=0 mode=free max=64").unwrap(),
    )
    .unwrap();
    assert!(a.tokens.len() >= 32 && b.tokens.len() >= 32);
    assert_ne!(a.tokens, b.tokens);
}

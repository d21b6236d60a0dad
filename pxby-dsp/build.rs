//! Sets `cfg(pxby_dsp)` on targets with the Armv7E-M DSP extension (Cortex-M4/M7: `thumbv7em-*`;
//! Armv8-M Mainline with DSP: `thumbv8m.main-*`), where `src/arm.rs` provides SXTB16 and SMLAD.
//! rustc does not expose the `dsp` target feature to `cfg` on stable, so the target name decides.
//! Sets `cfg(pxby_m0)` on Armv6-M (`thumbv6m-*`: Cortex-M0/M0+), where `src/m0.rs` provides
//! the four-row dot-product loop.
use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-check-cfg=cfg(pxby_dsp)");
    println!("cargo:rustc-check-cfg=cfg(pxby_m0)");
    let target = env::var("TARGET").unwrap_or_default();
    if target.starts_with("thumbv7em") || target.starts_with("thumbv8m.main") {
        println!("cargo:rustc-cfg=pxby_dsp");
    }
    if target.starts_with("thumbv6m") {
        println!("cargo:rustc-cfg=pxby_m0");
    }
}

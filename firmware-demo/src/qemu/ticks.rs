//! SysTick as a 64-bit tick counter (core clock, 24-bit reload, wraps counted in the exception),
//! shared by the QEMU boards (`qemu`, `microbit`). Only the exception writes the wrap count, with
//! a plain load and store (the Cortex-M0 has no atomic read-modify-write); the main program only
//! reads it.
//!
//! In QEMU with `-icount shift=0` one instruction takes 1 ns of virtual time, so one tick of the
//! board's core clock is 1000 / MHz instructions: `super::TICK_INSTRUCTIONS`, as a fraction (40
//! at mps2-an386's 25 MHz, 125 / 2 at the micro:bit's 16 MHz); the counter is deterministic
//! there.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::{SYST, syst::SystClkSource};
use cortex_m_rt::exception;

const RELOAD: u32 = 0x00FF_FFFF;
static WRAPS: AtomicU32 = AtomicU32::new(0);

/// Starts SysTick from the core clock with the wrap interrupt on.
pub fn start(syst: &mut SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Ticks since [`start`].
pub fn now() -> u64 {
    loop {
        let before = WRAPS.load(Ordering::Acquire);
        let current = SYST::get_current();
        let after = WRAPS.load(Ordering::Acquire);
        if before == after {
            return u64::from(before) * (u64::from(RELOAD) + 1) + u64::from(RELOAD - current);
        }
    }
}

/// Instructions in `ticks` SysTick ticks in QEMU at `-icount shift=0`.
pub fn instructions(ticks: u64) -> u64 {
    let (num, den) = super::TICK_INSTRUCTIONS;
    ticks * num / den
}

#[exception]
fn SysTick() {
    // Only this handler writes WRAPS, and it cannot preempt itself.
    WRAPS.store(
        WRAPS.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Release,
    );
}

//! SysTick as a 64-bit tick counter on the Cortex-M0 (core clock, 24-bit reload, wraps counted
//! in the exception). The M0 has no atomic read-modify-write: only the exception writes the
//! wrap count (a plain load and store), the main program only reads it.
//!
//! QEMU's micro:bit runs the core at 16 MHz, so with `-icount shift=0` (one instruction per
//! virtual nanosecond) one tick is 62.5 instructions: [`instructions`] converts.

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

/// Instructions in `ticks` SysTick ticks in QEMU at `-icount shift=0` (16 MHz core clock:
/// 1000 / 16 = 62.5 instructions a tick).
pub fn instructions(ticks: u64) -> u64 {
    ticks * 125 / 2
}

#[exception]
fn SysTick() {
    // Only this handler writes WRAPS, and it cannot preempt itself.
    WRAPS.store(
        WRAPS.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Release,
    );
}

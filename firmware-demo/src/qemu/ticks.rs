//! SysTick as a 64-bit tick counter (core clock, 24-bit reload, wraps counted in the exception).
//!
//! In QEMU with `-icount shift=0` one instruction takes 1 ns of virtual time, so one tick of the
//! 25 MHz mps2-an386 core clock is 40 instructions; the counter is deterministic there.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::{SYST, syst::SystClkSource};
use cortex_m_rt::exception;

const RELOAD: u32 = 0x00FF_FFFF;
static WRAPS: AtomicU32 = AtomicU32::new(0);

/// Instructions per SysTick tick in QEMU at `-icount shift=0` on mps2-an386 (25 MHz core clock).
#[allow(dead_code)]
pub const QEMU_INSTRUCTIONS_PER_TICK: u64 = 40;

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

#[exception]
fn SysTick() {
    WRAPS.fetch_add(1, Ordering::AcqRel);
}

//! Peak stack measurement by painting: fill the free stack with a pattern at reset, later find
//! the deepest word that was overwritten.

use core::ptr;

const PAINT: u32 = 0xC0DE_5AFE;
/// Bytes left unpainted just below the painter's own stack pointer.
const MARGIN: usize = 64;

unsafe extern "C" {
    /// Lowest address of the stack region (end of .bss/.uninit), from cortex-m-rt's link.x.
    static _stack_end: u32;
    /// Initial stack pointer (top of RAM), from cortex-m-rt's link.x.
    static _stack_start: u32;
}

fn bounds() -> (usize, usize) {
    let low = ptr::addr_of!(_stack_end) as usize;
    let high = ptr::addr_of!(_stack_start) as usize;
    (low, high)
}

/// Paints the unused stack. Call first thing in `main`, before interrupts are enabled.
#[inline(never)]
pub fn paint() {
    let (low, _) = bounds();
    let sp = cortex_m::register::msp::read() as usize;
    let mut p = (low + 3) & !3;
    while p + MARGIN < sp {
        // SAFETY: [low, sp - MARGIN) is RAM below every live stack frame and above all statics
        // (cortex-m-rt's layout); nothing else uses it while interrupts are off.
        unsafe { ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// Result of [`measure`].
pub struct StackUse {
    /// Deepest stack use since reset, bytes.
    pub peak: usize,
    /// Bytes the stack had available (top of RAM down to the end of the statics).
    pub available: usize,
    /// The lowest painted word was overwritten: the stack may have run into the statics.
    pub overflowed: bool,
}

/// Finds the deepest stack use since [`paint`].
pub fn measure() -> StackUse {
    let (low, high) = bounds();
    let mut p = (low + 3) & !3;
    // SAFETY: reads of the RAM words `paint` wrote (or the stack overwrote since).
    let overflowed = unsafe { ptr::read_volatile(p as *const u32) } != PAINT;
    while p < high && unsafe { ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    StackUse {
        peak: high - p,
        available: high - low,
        overflowed,
    }
}

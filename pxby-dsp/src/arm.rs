//! SXTB16 and SMLAD as single Armv7E-M instructions. Each `asm!` reads registers and writes
//! one register: no memory, no stack, no flags (`options(pure, nomem, nostack,
//! preserves_flags)`). The firmware parity tests compare the tokens they produce in QEMU with
//! the host's, which uses [`crate::portable`].
#![allow(unsafe_code)]

use core::arch::asm;

#[inline(always)]
pub(crate) fn sxtb16(w: u32) -> u32 {
    let out: u32;
    // SAFETY: register-only instruction, available on every `cfg(pxby_dsp)` target.
    unsafe {
        asm!("sxtb16 {o}, {w}", o = lateout(reg) out, w = in(reg) w,
             options(pure, nomem, nostack, preserves_flags));
    }
    out
}

#[inline(always)]
pub(crate) fn sxtb16_ror8(w: u32) -> u32 {
    let out: u32;
    // SAFETY: as in `sxtb16`.
    unsafe {
        asm!("sxtb16 {o}, {w}, ror #8", o = lateout(reg) out, w = in(reg) w,
             options(pure, nomem, nostack, preserves_flags));
    }
    out
}

#[inline(always)]
pub(crate) fn smlad(a: u32, b: u32, acc: i32) -> i32 {
    let out: i32;
    // SAFETY: as in `sxtb16`; SMLAD sets only the Q flag, which nothing here reads.
    unsafe {
        asm!("smlad {o}, {a}, {b}, {c}", o = lateout(reg) out, a = in(reg) a, b = in(reg) b,
             c = in(reg) acc, options(pure, nomem, nostack));
    }
    out
}

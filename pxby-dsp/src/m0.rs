//! The integer dot products of four int8 rows with one int16 vector on the Cortex-M0 (Armv6-M:
//! no DSP instructions, 32-bit `muls` only, few registers that loads can use), as one
//! hand-scheduled loop. The portable kernel in Rust spills its four accumulators and row
//! offsets to the stack (about 25 instructions per column of four rows); here they live in
//! registers, the accumulators in the high registers `r8`–`r11`, and a column of four rows
//! takes 16.5 instructions (four loads, four multiplies, four adds, and its share of the
//! activation load, the pointer steps and the loop test). The micro:bit parity tests compare the tokens this produces in QEMU with
//! the host's, which runs [`crate::portable::dots4_i8_i16`].
#![allow(unsafe_code)]

use core::arch::asm;

/// See [`crate::dots4_i8_i16`]; the caller has checked every length: `cols` even and at least
/// 2, `x.len() == cols / 2`, `out.len()` a non-zero multiple of 4 and
/// `w.len() >= out.len() * cols`.
pub(crate) fn dots4_i8_i16(w: &[u8], cols: usize, x: &[u32], out: &mut [i32]) {
    let out_end = out.as_mut_ptr_range().end;
    // SAFETY: the loop reads `out.len() * cols` bytes of `w` (rows of `cols` bytes, four at a
    // time), `cols / 2` words of `x` per block of four rows, and writes `out.len()` words of
    // `out`; the caller checked all three lengths, and `x` is a `&[u32]`, so word-aligned for
    // `ldm`. The registers LLVM reserves or that are not operands (r6, r7, r8–r12) are saved
    // on the stack first and restored before the block ends; the stack pointer is restored.
    unsafe {
        asm!(
            "push {{r6, r7}}",
            "mov r5, r8",
            "mov r6, r9",
            "mov r7, r10",
            "push {{r5, r6, r7}}",
            "mov r5, r11",
            "mov r6, r12",
            "push {{r5, r6}}",
            // [sp]: start of x, [sp, #4]: next output, [sp, #8]: end of the outputs.
            "push {{r2, r3, r4}}",
            "lsls r5, r1, #1",
            "adds r5, r2, r5",
            "mov r12, r5", // end of x
            "lsls r3, r1, #1", // offset of row 2
            "adds r4, r3, r1", // offset of row 3
            // Per block of four rows: zero the accumulators, rewind x.
            "3:",
            "movs r5, #0",
            "mov r8, r5",
            "mov r9, r5",
            "mov r10, r5",
            "mov r11, r5",
            "ldr r2, [sp]",
            // Per two columns: one word of x (two values), then each column's four rows.
            "4:",
            "ldm r2!, {{r7}}",
            "sxth r6, r7",
            "asrs r7, r7, #16",
            "ldrb r5, [r0]",
            "sxtb r5, r5",
            "muls r5, r6, r5",
            "add r8, r5",
            "ldrsb r5, [r0, r1]",
            "muls r5, r6, r5",
            "add r9, r5",
            "ldrsb r5, [r0, r3]",
            "muls r5, r6, r5",
            "add r10, r5",
            "ldrsb r5, [r0, r4]",
            "muls r5, r6, r5",
            "add r11, r5",
            "adds r0, #1",
            "ldrb r5, [r0]",
            "sxtb r5, r5",
            "muls r5, r7, r5",
            "add r8, r5",
            "ldrsb r5, [r0, r1]",
            "muls r5, r7, r5",
            "add r9, r5",
            "ldrsb r5, [r0, r3]",
            "muls r5, r7, r5",
            "add r10, r5",
            "ldrsb r5, [r0, r4]",
            "muls r5, r7, r5",
            "add r11, r5",
            "adds r0, #1",
            "cmp r2, r12",
            "bne 4b",
            // Store the four sums; the next block starts three rows further on.
            "ldr r5, [sp, #4]",
            "mov r6, r8",
            "str r6, [r5]",
            "mov r6, r9",
            "str r6, [r5, #4]",
            "mov r6, r10",
            "str r6, [r5, #8]",
            "mov r6, r11",
            "str r6, [r5, #12]",
            "adds r5, #16",
            "str r5, [sp, #4]",
            "adds r0, r0, r4",
            "ldr r6, [sp, #8]",
            "cmp r5, r6",
            "bne 3b",
            "add sp, #12",
            "pop {{r5, r6}}",
            "mov r11, r5",
            "mov r12, r6",
            "pop {{r5, r6, r7}}",
            "mov r8, r5",
            "mov r9, r6",
            "mov r10, r7",
            "pop {{r6, r7}}",
            inout("r0") w.as_ptr() => _,
            inout("r1") cols => _,
            inout("r2") x.as_ptr() => _,
            inout("r3") out.as_mut_ptr() => _,
            inout("r4") out_end => _,
            out("r5") _,
        );
    }
}

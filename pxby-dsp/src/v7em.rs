//! The dot products of four int8 rows with one int16 vector on the Cortex-M4 (Armv7E-M), as one
//! hand-written loop over the SMLAD pairs of the vector ([`crate::dots4_pairs`]). LLVM's loop
//! of two rows ([`crate::sxtb16`] / [`crate::smlad`] in Rust) keeps only two accumulators and
//! reloads the pairs it spilled: about 2.6 instructions per multiply-add in a profile of the
//! firmware. Here four row pointers, four accumulators and the two pair words of a block of
//! four columns all live in registers: per block, one `ldrd` of the pairs and, per row, one
//! `ldr` (post-indexed) of four weights, two SXTB16 and two SMLAD — 1.375 instructions per
//! multiply-add with two blocks per loop turn. The QEMU parity tests compare the tokens this
//! produces with the host's, which runs [`crate::portable::dots4_pairs`].
#![allow(unsafe_code)]

use core::arch::asm;

/// One block of four columns of the loop below: the pairs `(x0, x2)`, `(x1, x3)` into r9 and
/// r10, then for each row (pointers r0, r1, r3, r4, each post-incremented) its four weights,
/// split by SXTB16 and multiplied into the row's sum (r5–r8) by SMLAD.
macro_rules! four_columns {
    () => {
        concat!(
            "ldrd r9, r10, [r2], #8\n",
            "ldr r12, [r0], #4\n",
            "sxtb16 r11, r12\n",
            "smlad r5, r11, r9, r5\n",
            "sxtb16 r11, r12, ror #8\n",
            "smlad r5, r11, r10, r5\n",
            "ldr r12, [r1], #4\n",
            "sxtb16 r11, r12\n",
            "smlad r6, r11, r9, r6\n",
            "sxtb16 r11, r12, ror #8\n",
            "smlad r6, r11, r10, r6\n",
            "ldr r12, [r3], #4\n",
            "sxtb16 r11, r12\n",
            "smlad r7, r11, r9, r7\n",
            "sxtb16 r11, r12, ror #8\n",
            "smlad r7, r11, r10, r7\n",
            "ldr r12, [r4], #4\n",
            "sxtb16 r11, r12\n",
            "smlad r8, r11, r9, r8\n",
            "sxtb16 r11, r12, ror #8\n",
            "smlad r8, r11, r10, r8",
        )
    };
}

/// See [`crate::dots4_pairs`]; the caller has checked every length: `cols` a non-zero multiple
/// of 8, `pairs.len() == cols / 2`, `out.len()` a non-zero multiple of 4 and
/// `w.len() >= out.len() * cols`.
pub(crate) fn dots4_pairs(w: &[u8], cols: usize, pairs: &[u32], out: &mut [i32]) {
    let pairs_end = pairs.as_ptr_range().end;
    let out_range = out.as_mut_ptr_range();
    // SAFETY: per block of four rows the loop reads `4 · cols` bytes of `w` (four rows of
    // `cols` bytes, with single-word loads, which the Cortex-M4 allows unaligned) and the
    // `cols / 2` words of `pairs` (word-aligned: a `&[u32]`, as `ldrd` needs), and writes four
    // words of `out`; there are `out.len() / 4` blocks, and the caller checked all lengths.
    // Every register it uses beyond its operands (r4–r11, lr) is pushed first and popped
    // before the block ends, and the stack pointer is restored.
    unsafe {
        asm!(
            "push {{r4-r11, lr}}",
            // [sp]: cols, [sp, #4]: start of the pairs, [sp, #8]: next output,
            // [sp, #12]: end of the outputs (r4 and r5 as pushed above).
            "push {{r1, r2}}",
            "mov lr, r3", // end of the pairs
            // Per block of four rows (r0: row 0): row pointers, zero sums, rewind the pairs.
            "3:",
            "ldr r12, [sp]",
            "add r1, r0, r12",
            "add r3, r1, r12",
            "add r4, r3, r12",
            "ldr r2, [sp, #4]",
            "movs r5, #0",
            "movs r6, #0",
            "movs r7, #0",
            "mov.w r8, #0",
            // Two blocks of four columns per turn.
            "4:",
            four_columns!(),
            four_columns!(),
            "cmp r2, lr",
            "bne 4b",
            // Store the four sums; row 3's pointer is now the next block's row 0.
            "ldr r12, [sp, #8]",
            "stm r12!, {{r5, r6, r7, r8}}",
            "str r12, [sp, #8]",
            "mov r0, r4",
            "ldr r11, [sp, #12]",
            "cmp r12, r11",
            "bne 3b",
            "add sp, #8",
            "pop {{r4-r11, lr}}",
            inout("r0") w.as_ptr() => _,
            inout("r1") cols => _,
            inout("r2") pairs.as_ptr() => _,
            inout("r3") pairs_end => _,
            in("r4") out_range.start,
            in("r5") out_range.end,
            out("r12") _,
        );
    }
}

/// Two pairs of columns of [`wide_gates`]: the activation words (at `[r1, #off]`, or
/// post-incremented from r1 with `"], #8"`) into r7 and r8, then per pair the four rows' weight
/// words (r9–r12) by one `ldm`, multiplied into the sums r3–r6.
macro_rules! two_pairs {
    ($x:expr) => {
        concat!(
            "ldrd r7, r8, [r1",
            $x,
            "\n",
            "ldm r0!, {{r9, r10, r11, r12}}\n",
            "smlad r3, r9, r7, r3\n",
            "smlad r4, r10, r7, r4\n",
            "smlad r5, r11, r7, r5\n",
            "smlad r6, r12, r7, r6\n",
            "ldm r0!, {{r9, r10, r11, r12}}\n",
            "smlad r3, r9, r8, r3\n",
            "smlad r4, r10, r8, r4\n",
            "smlad r5, r11, r8, r5\n",
            "smlad r6, r12, r8, r6\n",
        )
    };
}

/// The end of a block of [`wide_gates`]: SMMULR of the sums r3–r6 by the four multipliers,
/// saturated to `i16`, added with saturation (QADD16) to the four gates at `lr`, which moves
/// on by two words.
macro_rules! requantise {
    () => {
        concat!(
            "ldm r0!, {{r7, r8, r9, r10}}\n",
            "smmulr r3, r3, r7\n",
            "smmulr r4, r4, r8\n",
            "smmulr r5, r5, r9\n",
            "smmulr r6, r6, r10\n",
            "ssat r3, #16, r3\n",
            "ssat r4, #16, r4\n",
            "ssat r5, #16, r5\n",
            "ssat r6, #16, r6\n",
            "pkhbt r3, r3, r4, lsl #16\n",
            "pkhbt r5, r5, r6, lsl #16\n",
            "ldrd r7, r8, [lr]\n",
            "qadd16 r7, r7, r3\n",
            "qadd16 r8, r8, r5\n",
            "strd r7, r8, [lr], #8\n",
        )
    };
}

/// [`wide_gates`] for rows of a fixed width, straight-line: per block the biases, then
/// `two_pairs!` at each listed activation offset, then `requantise!`; r2 holds the end of the
/// outputs. SAFETY (of the expansion): as [`wide_gates`]'s, with the width the offsets cover.
macro_rules! unrolled {
    ($w:expr, $x:expr, $out:expr, [$($off:literal),*]) => {{
        let out_range = $out.as_mut_ptr_range();
        // SAFETY: see `wide_gates`; the caller checked that `x` has exactly as many words as
        // the offsets read (two per offset).
        unsafe {
            asm!(
                "push {{r4-r11, lr}}",
                "mov lr, r3",
                "3:",
                "ldm r0!, {{r3, r4, r5, r6}}",
                $(two_pairs!(concat!(", #", $off, "]")),)*
                requantise!(),
                "cmp lr, r2",
                "bne 3b",
                "pop {{r4-r11, lr}}",
                inout("r0") $w.as_ptr() => _,
                in("r1") $x.as_ptr(),
                in("r2") out_range.end,
                inout("r3") out_range.start => _,
                out("r12") _,
            );
        }
    }};
}

/// See [`crate::wide_gates`]; the caller has checked every length: `x.len()` a non-zero
/// multiple of 4, `out.len()` a non-zero multiple of 2 and
/// `w.len() == out.len() / 2 · wide_block_words(x.len())`.
pub(crate) fn wide_gates(w: &[u32], x: &[u32], out: &mut [u32]) {
    // Per block of four rows every variant reads the block's `wide_block_words(x.len())`
    // words of `w` (biases, `x.len()` groups of four weight words, four multipliers: the
    // caller checked that `w` holds one block per two words of `out`), all `x.len()` words of
    // `x`, and reads and writes two words of `out`, until the output pointer reaches the end
    // of `out`. All three are `u32` slices, so word-aligned, as `ldm`, `ldrd` and `strd` need.
    // Every register used beyond the operands (r4–r11, lr) is pushed first and popped at the
    // end, and the stack pointer is restored.
    match x.len() {
        8 => unrolled!(w, x, out, ["0", "8", "16", "24"]),
        16 => unrolled!(w, x, out, ["0", "8", "16", "24", "32", "40", "48", "56"]),
        _ => {
            let x_end = x.as_ptr_range().end;
            let out_range = out.as_mut_ptr_range();
            // SAFETY: as above.
            unsafe {
                asm!(
                    "push {{r4-r11, lr}}",
                    "mov lr, r3", // next output
                    // [sp]: start of the activations, [sp, #4]: end of the outputs.
                    "push {{r1, r4}}",
                    // Per block: the biases start the sums; rewind the activations.
                    "3:",
                    "ldm r0!, {{r3, r4, r5, r6}}",
                    "ldr r1, [sp]",
                    // Four pairs of columns per turn.
                    "4:",
                    two_pairs!("], #8"),
                    two_pairs!("], #8"),
                    "cmp r1, r2",
                    "bne 4b",
                    requantise!(),
                    "ldr r9, [sp, #4]",
                    "cmp lr, r9",
                    "bne 3b",
                    "add sp, #8",
                    "pop {{r4-r11, lr}}",
                    inout("r0") w.as_ptr() => _,
                    inout("r1") x.as_ptr() => _,
                    inout("r2") x_end => _,
                    inout("r3") out_range.start => _,
                    in("r4") out_range.end,
                    out("r12") _,
                );
            }
        }
    }
}

/// One lookup of [`lstm_cells`]: the input in `$x` (clamped in place), the table's middle
/// entry in `$t`, the result (`L · 128 + 64`, shifted down by 7) in `$x`, `$y` a scratch
/// register; r7 holds 64.
macro_rules! lookup {
    ($x:literal, $y:literal, $t:literal) => {
        concat!(
            "ssat ",
            $x,
            ", #15, ",
            $x,
            "\n",
            "asr ",
            $y,
            ", ",
            $x,
            ", #7\n",
            "ldr ",
            $y,
            ", [",
            $t,
            ", ",
            $y,
            ", lsl #1]\n",
            "and ",
            $x,
            ", ",
            $x,
            ", #127\n",
            // (f << 16) − f + 128: the pair (128 − f, f).
            "rsb ",
            $x,
            ", ",
            $x,
            ", ",
            $x,
            ", lsl #16\n",
            "add ",
            $x,
            ", ",
            $x,
            ", #128\n",
            "smlad ",
            $x,
            ", ",
            $y,
            ", ",
            $x,
            ", r7\n",
            "asr ",
            $x,
            ", ",
            $x,
            ", #7\n",
        )
    };
}

/// See [`crate::lstm_cells`]; the caller has checked the lengths (`c.len() == h.len() > 0`,
/// `gates.len() == 4 · c.len()`) and `cell_shift ≤ 11`.
pub(crate) fn lstm_cells(
    gates: &[i16],
    c: &mut [i16],
    h: &mut [i16],
    sigmoid: &[u8; crate::TABLE_BYTES],
    tanh: &[u8; crate::TABLE_BYTES],
    cell_shift: u32,
) {
    let n = c.len();
    // Loaded into r0–r6, r8, r9, then two words pushed for the loop: [sp] = 11 − s (from
    // cell to gate units), [sp, #4] = the end of `h`.
    let args: [u32; 11] = [
        gates.as_ptr() as u32,                     // r0: the i gates
        gates.as_ptr().wrapping_add(2 * n) as u32, // r1: the g gates
        (2 * n - 2) as u32,                        // r2: from i or g (post-incremented) to f or o
        c.as_mut_ptr() as u32,                     // r3
        h.as_mut_ptr() as u32,                     // r4
        sigmoid.as_ptr().wrapping_add(256) as u32, // r5: the sigmoid table's entry 128
        tanh.as_ptr().wrapping_add(256) as u32,    // r6: the tanh table's entry 128
        1u32 << (29 - cell_shift),                 // r8: rounding of i·g
        30 - cell_shift,                           // r9: its shift
        11 - cell_shift,
        h.as_mut_ptr_range().end as u32,
    ];
    // SAFETY: for unit j < n the loop reads gates[j], gates[n + j], gates[2n + j] and
    // gates[3n + j] (r0 runs over the i gates, r1 over the g gates, r2 reaches f and o) and
    // c[j], writes c[j] and h[j] (r3, r4, both post-incremented), and stops when r4 reaches the
    // end of `h` (the caller checked n > 0, so the first test comes after a unit). Table reads
    // are at entry 128 plus 2·(x >> 7) bytes with x clamped to [−2^14, 2^14): bytes 0..=510
    // of the 514 (word loads, which the Cortex-M4 allows unaligned). `args` is read at the
    // start, while it is alive. Every register beyond the operands (r4–r11, lr) is pushed
    // first and popped at the end, and the stack pointer is restored.
    unsafe {
        asm!(
            "push {{r4-r11, lr}}",
            "ldrd r10, r11, [r12, #36]",
            "push {{r10, r11}}",
            "ldm r12, {{r0-r6, r8, r9}}",
            "movs r7, #64",
            "3:",
            // i → r10, f → r11.
            "ldrsh r10, [r0], #2",
            lookup!("r10", "r12", "r5"),
            "ldrsh r11, [r0, r2]",
            lookup!("r11", "r12", "r5"),
            // f·c rounded to the cell scale → r11.
            "ldrsh r12, [r3]",
            "smulbb r11, r11, r12",
            "add r11, r11, #16384",
            "asr r11, r11, #15",
            // g → r12; i·g rounded to the cell scale → r10.
            "ldrsh r12, [r1], #2",
            lookup!("r12", "lr", "r6"),
            "smlabb r10, r10, r12, r8",
            "asr r10, r10, r9",
            // c' = sat16(f·c + i·g), stored.
            "add r10, r10, r11",
            "ssat r10, #16, r10",
            "strh r10, [r3], #2",
            // tanh(c') → r10.
            "ldr r11, [sp]",
            "lsl r10, r10, r11",
            lookup!("r10", "r11", "r6"),
            // o → r11; h = sat16(o·tanh(c')), stored.
            "ldrsh r11, [r1, r2]",
            lookup!("r11", "r12", "r5"),
            "smulbb r10, r10, r11",
            "add r10, r10, #16384",
            "asr r10, r10, #15",
            "ssat r10, #16, r10",
            "strh r10, [r4], #2",
            "ldr r11, [sp, #4]",
            "cmp r4, r11",
            "bne 3b",
            "add sp, #8",
            "pop {{r4-r11, lr}}",
            inout("r12") args.as_ptr() => _,
            out("r0") _,
            out("r1") _,
            out("r2") _,
            out("r3") _,
        );
    }
}

//! The two Cortex-M DSP instructions behind the integer LSTM kernels of `pxby-core`, as safe
//! functions that give the same result on every target:
//! - [`sxtb16`] / [`sxtb16_ror8`]: the even / odd bytes of a word, sign-extended to two `i16`
//!   halves;
//! - [`smlad`]: two 16 × 16-bit products added to an accumulator.
//!
//! On Armv7E-M (`thumbv7em-*`, `thumbv8m.main-*`; `cfg(pxby_dsp)` set by the build script) each
//! is one instruction, written with `asm!` in the private module `arm` — the only `unsafe` code
//! of the runtime, and it touches no memory. Everywhere else the same functions are plain Rust
//! ([`portable`]), and the tests check the instruction semantics against them.
//!
//! With them, four int8 weights `w0..w3` (one little-endian word) times four int16 inputs
//! `x0..x3` take two SXTB16 and two SMLAD, once the inputs are stored as the pairs
//! `(x0, x2)` and `(x1, x3)`:
//!
//! ```
//! use pxby_dsp::{pair, smlad, sxtb16, sxtb16_ror8};
//! let w = u32::from_le_bytes([(-3i8) as u8, 5, (-128i8) as u8, 127]);
//! let x = [1000i16, -2000, 3000, -32768];
//! let acc = smlad(sxtb16(w), pair(x[0], x[2]), 7);
//! let acc = smlad(sxtb16_ror8(w), pair(x[1], x[3]), acc);
//! assert_eq!(acc, 7 - 3 * 1000 + 5 * -2000 - 128 * 3000 + 127 * -32768);
//! ```
#![no_std]

#[cfg(pxby_dsp)]
mod arm;
pub mod portable;

/// True when this build uses the DSP instructions (`cfg(pxby_dsp)`), false when it uses
/// [`portable`].
pub const USES_DSP_INSTRUCTIONS: bool = cfg!(pxby_dsp);

/// Packs two `i16` into one word, `lo` in bits 0..16 (the layout SMLAD reads).
#[inline(always)]
pub fn pair(lo: i16, hi: i16) -> u32 {
    u32::from(lo as u16) | (u32::from(hi as u16) << 16)
}

/// SXTB16: bytes 0 and 2 of `w`, each sign-extended to 16 bits, in the low and high halves.
#[inline(always)]
pub fn sxtb16(w: u32) -> u32 {
    #[cfg(pxby_dsp)]
    {
        arm::sxtb16(w)
    }
    #[cfg(not(pxby_dsp))]
    {
        portable::sxtb16(w)
    }
}

/// SXTB16 with ROR #8: bytes 1 and 3 of `w`, each sign-extended to 16 bits.
#[inline(always)]
pub fn sxtb16_ror8(w: u32) -> u32 {
    #[cfg(pxby_dsp)]
    {
        arm::sxtb16_ror8(w)
    }
    #[cfg(not(pxby_dsp))]
    {
        portable::sxtb16_ror8(w)
    }
}

/// SMLAD: `acc + lo(a)·lo(b) + hi(a)·hi(b)` with signed 16-bit halves. Like the instruction,
/// the sum wraps on `i32` overflow (callers keep their sums in range).
#[inline(always)]
pub fn smlad(a: u32, b: u32, acc: i32) -> i32 {
    #[cfg(pxby_dsp)]
    {
        arm::smlad(a, b, acc)
    }
    #[cfg(not(pxby_dsp))]
    {
        portable::smlad(a, b, acc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_and_sxtb16_split_words() {
        assert_eq!(pair(-1, 2), 0x0002_ffff);
        let w = u32::from_le_bytes([0x80, 0x7f, 0xff, 0x01]);
        assert_eq!(sxtb16(w), pair(-128, -1));
        assert_eq!(sxtb16_ror8(w), pair(127, 1));
    }

    #[test]
    fn smlad_adds_both_products_and_wraps() {
        assert_eq!(
            smlad(pair(-32768, -32768), pair(-32768, -32768), 0),
            i32::MIN
        ); // 2^31 wraps
        assert_eq!(smlad(pair(3, -4), pair(5, 6), 10), 10 + 15 - 24);
        let mut x = 0x1234_5678u32;
        for _ in 0..10_000 {
            // xorshift32: arbitrary words, checked against i64 arithmetic.
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let (a, b, acc) = (x, x.rotate_left(11), x.rotate_left(7) as i32);
            let lo = |v: u32| i64::from(v as u16 as i16);
            let hi = |v: u32| i64::from((v >> 16) as u16 as i16);
            let want = i64::from(acc) + lo(a) * lo(b) + hi(a) * hi(b);
            assert_eq!(i64::from(smlad(a, b, acc)), (want as i32).into());
            let byte = |k: u32| i64::from((a >> (8 * k)) as u8 as i8);
            assert_eq!((lo(sxtb16(a)), hi(sxtb16(a))), (byte(0), byte(2)));
            assert_eq!((lo(sxtb16_ror8(a)), hi(sxtb16_ror8(a))), (byte(1), byte(3)));
        }
    }
}

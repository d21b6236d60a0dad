//! Semihosting with the host running QEMU, through the `semihosting` crate: the command line,
//! host files and the exit status (the console is `semihosting::print!`). Paths are relative to
//! QEMU's working directory (`target=native`).

use core::{ffi::CStr, mem::MaybeUninit};

use semihosting::{fs::File, io, sys::arm_compat::sys_get_cmdline_uninit};

/// Longest host path, in bytes.
const PATH_CAP: usize = 127;

/// The command line given to QEMU with `-append`, without its first word (the program name that
/// QEMU puts first). `buf` receives it. `None` when the host refuses it (e.g. longer than `buf`)
/// or it is not UTF-8; `Some("")` when there are no arguments.
pub fn command_line(buf: &mut [MaybeUninit<u8>]) -> Option<&str> {
    let line = sys_get_cmdline_uninit(buf).ok()?;
    let line = core::str::from_utf8(line).ok()?;
    Some(line.split_once(' ').map_or("", |(_, rest)| rest))
}

/// Creates (or truncates) `path` on the host for writing, binary mode. Paths longer than
/// [`PATH_CAP`] bytes, empty or with a NUL byte are refused.
pub fn create(path: &str) -> io::Result<File> {
    let bytes = path.as_bytes();
    if bytes.is_empty() || bytes.len() > PATH_CAP {
        return Err(io::ErrorKind::InvalidInput.into());
    }
    let mut z = [0u8; PATH_CAP + 1];
    z[..bytes.len()].copy_from_slice(bytes);
    let path = CStr::from_bytes_with_nul(&z[..=bytes.len()])
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    File::create(path)
}

/// Prints `args` and a newline on the host's console: one function for every message, instead
/// of the stdout handling inlined at each `println!`.
#[inline(never)]
pub fn println(args: core::fmt::Arguments<'_>) {
    semihosting::println!("{args}");
}

/// Ends the emulation with `code` as QEMU's exit status.
pub fn exit(code: i32) -> ! {
    semihosting::process::exit(code)
}

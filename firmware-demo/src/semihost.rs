//! Semihosting I/O with the host running QEMU: command line, files, exit status.
//!
//! `cortex-m-semihosting` 0.6 keeps its file API private, so files use the raw `OPEN`/`WRITE`/
//! `CLOSE` calls. Paths are relative to QEMU's working directory (`target=native`).

use core::ptr;

use cortex_m_semihosting::{nr, syscall};

/// SYS_EXIT_EXTENDED: exit with any status code.
const SYS_EXIT_EXTENDED: usize = 0x20;
/// ADP_Stopped_ApplicationExit.
const APPLICATION_EXIT: usize = 0x20026;

/// The command line given to QEMU with `-append`, without its first word (the program name that
/// QEMU puts first). `buf` receives it. `None` when the host refuses it (e.g. longer than `buf`)
/// or it is not UTF-8; `Some("")` when there are no arguments.
pub fn command_line(buf: &mut [u8]) -> Option<&str> {
    // The host writes the length back into the argument block.
    let mut block = [buf.as_mut_ptr() as usize, buf.len()];
    // SAFETY: `block` points at `buf`, which outlives the call; the host writes at most len bytes.
    // `&mut`: the host writes the length back into `block`, which a shared borrow would deny.
    #[allow(clippy::unnecessary_mut_passed)]
    let status = unsafe { cortex_m_semihosting::syscall(nr::GET_CMDLINE, &mut block) };
    // SAFETY: `block[1]` is initialised; read it volatile so the host's write-back is seen.
    let len = unsafe { ptr::read_volatile(&block[1]) };
    if status != 0 || len > buf.len() {
        return None;
    }
    let line = core::str::from_utf8(&buf[..len]).ok()?;
    Some(line.split_once(' ').map_or("", |(_, rest)| rest))
}

/// A host file opened for writing (truncated).
pub struct HostFile(usize);

/// A semihosting file operation failed.
#[derive(Debug, Clone, Copy)]
pub struct IoError;

impl HostFile {
    /// Creates (or truncates) `path` on the host, binary mode.
    pub fn create(path: &str) -> Result<Self, IoError> {
        let mut z = [0u8; 128];
        let bytes = path.as_bytes();
        if bytes.is_empty() || bytes.len() >= z.len() || bytes.contains(&0) {
            return Err(IoError);
        }
        z[..bytes.len()].copy_from_slice(bytes);
        // SAFETY: `z` is NUL-terminated and lives across the call.
        let fd = unsafe { syscall!(OPEN, z.as_ptr(), nr::open::W_TRUNC_BINARY, bytes.len()) };
        if fd as isize == -1 {
            Err(IoError)
        } else {
            Ok(Self(fd))
        }
    }

    /// Writes all of `data`.
    pub fn write_all(&mut self, data: &[u8]) -> Result<(), IoError> {
        if data.is_empty() {
            return Ok(());
        }
        // SAFETY: `data` is valid for reads of its length during the call.
        let not_written = unsafe { syscall!(WRITE, self.0, data.as_ptr(), data.len()) };
        if not_written == 0 {
            Ok(())
        } else {
            Err(IoError)
        }
    }

    /// Closes the file, reporting a failure.
    pub fn close(self) -> Result<(), IoError> {
        let fd = self.0;
        core::mem::forget(self);
        // SAFETY: `fd` came from OPEN and is closed once.
        let r = unsafe { syscall!(CLOSE, fd) };
        if r == 0 { Ok(()) } else { Err(IoError) }
    }
}

impl Drop for HostFile {
    fn drop(&mut self) {
        // SAFETY: as in `close`.
        unsafe { syscall!(CLOSE, self.0) };
    }
}

/// Ends the emulation with `code` as QEMU's exit status.
pub fn exit(code: u32) -> ! {
    let block = [APPLICATION_EXIT, code as usize];
    loop {
        // SAFETY: SYS_EXIT_EXTENDED reads the two-word block; QEMU exits.
        unsafe { cortex_m_semihosting::syscall(SYS_EXIT_EXTENDED, &block) };
    }
}

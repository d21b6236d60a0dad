//! The token stream file (`tokens=PATH`): written while it is generated, through a 64-byte
//! buffer, so no token log takes RAM. Shared by the boards that talk semihosting.

use semihosting::io::Write as _;

use super::semihost;

/// The token stream file (`tokens=PATH`), written as the tokens come.
pub struct TokenLog {
    file: Option<semihosting::fs::File>,
    buf: [u8; 64],
    len: usize,
    failed: bool,
    /// Tokens seen (written or not).
    pub count: usize,
}

impl TokenLog {
    /// Creates the file of `path` (nothing for an empty path).
    pub fn create(path: &str) -> Result<Self, &'static str> {
        let file = if path.is_empty() {
            None
        } else {
            Some(semihost::create(path).map_err(|_| "the token file")?)
        };
        Ok(TokenLog {
            file,
            buf: [0; 64],
            len: 0,
            failed: false,
            count: 0,
        })
    }

    /// Appends one token (a write to the host every 64).
    pub fn push(&mut self, token: u8) {
        self.count += 1;
        if self.file.is_none() {
            return;
        }
        self.buf[self.len] = token;
        self.len += 1;
        if self.len == self.buf.len() {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if let Some(f) = &mut self.file {
            self.failed |= f.write_all(&self.buf[..self.len]).is_err();
        }
        self.len = 0;
    }

    /// Writes what is buffered; an error if any write failed.
    pub fn finish(&mut self) -> Result<(), &'static str> {
        self.flush();
        if self.failed {
            Err("the token file")
        } else {
            Ok(())
        }
    }
}

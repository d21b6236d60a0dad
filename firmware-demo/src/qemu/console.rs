//! The generated text on QEMU's console as it arrives: the header and caption as text, image
//! rows as one character per pixel.

use pxby_core::vocab::{self, ROW_SEP, SEG_SEP, Symbol};
use semihosting::{print, println};

/// Symbols used to print image rows: one per palette colour.
const COLOUR_CHARS: &[u8; vocab::COLOURS] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS";

/// Prints the generated text as it arrives, a line at a time (96 characters at most per write).
pub struct TextOut {
    quiet: bool,
    line: [u8; 96],
    len: usize,
}

impl TextOut {
    /// A console writer; `quiet` prints nothing.
    pub fn new(quiet: bool) -> Self {
        Self {
            quiet,
            line: [0; 96],
            len: 0,
        }
    }

    /// Adds one token.
    pub fn push(&mut self, token: u8) {
        if self.quiet {
            return;
        }
        match vocab::decode(token) {
            Some(Symbol::Byte(_)) if token == ROW_SEP || token == SEG_SEP => self.flush(),
            Some(Symbol::Byte(b)) => {
                let c = if b.is_ascii_graphic() || b == b' ' {
                    b
                } else {
                    b'?'
                };
                self.put(c);
            }
            Some(Symbol::Colour(_)) => {
                self.put(COLOUR_CHARS[usize::from(token - vocab::FIRST_COLOUR)]);
            }
            None => self.put(b'?'),
        }
    }

    fn put(&mut self, c: u8) {
        if self.len == self.line.len() {
            self.flush_partial();
        }
        self.line[self.len] = c;
        self.len += 1;
    }

    fn flush_partial(&mut self) {
        if let Ok(s) = core::str::from_utf8(&self.line[..self.len]) {
            print!("{}", s);
        }
        self.len = 0;
    }

    /// Prints what is pending and ends the line.
    pub fn flush(&mut self) {
        if self.quiet {
            return;
        }
        self.flush_partial();
        println!();
    }
}

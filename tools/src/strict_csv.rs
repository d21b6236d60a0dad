//! Strict CSV records: the `csv` crate is forgiving (a missing closing quote runs on to the next
//! quote or the end of the file and swallows the rows in between; text after a closing quote is
//! kept), so the builder checks each record's raw bytes with [`check_record`] before it uses the
//! parsed fields.
//!
//! A well-formed record is RFC 4180's: fields separated by `,`; a field is either unquoted (no
//! `"`, no line break) or quoted (`"…"`, with `""` for a quote, line breaks allowed), and a
//! closing quote is followed by `,` or the end of the record.
//!
//! ```
//! use pxby_tools::strict_csv::check_record;
//! assert!(check_record(b"1,Bulbasaur,a.png,\"A seed, \"\"planted\"\".\"\n", 2).is_ok());
//! let e = check_record(b"1,Bulbasaur,a.png,\"A seed.\n2,Ivysaur,b.png,Text.\n", 2).unwrap_err();
//! assert_eq!(e.line(), 2);
//! assert_eq!(
//!     e.to_string(),
//!     "unterminated quote (the field runs to the end of the file, swallowing lines 3 to 3)"
//! );
//! ```

/// What is wrong with a record, and on which line (1-based, of the whole file).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvFault {
    /// A quoted field is never closed.
    #[error(
        "unterminated quote (the field runs to the end of the file, swallowing lines {} to {last_line})",
        line + 1
    )]
    UnterminatedQuote {
        /// Line of the opening quote.
        line: u64,
        /// Last line of the file.
        last_line: u64,
    },
    /// A quoted field's closing quote is followed by something else than `,` or a line break
    /// (usually a missing closing quote that swallowed the lines up to the next quote).
    #[error(
        "text after the closing quote of a field opened on line {opened}, on line {line} (a missing or stray quote)"
    )]
    TextAfterQuote {
        /// Line of the opening quote.
        opened: u64,
        /// Line of the offending byte.
        line: u64,
    },
    /// A `"` inside an unquoted field.
    #[error("a quote inside an unquoted field (quote the whole field and double the quote)")]
    QuoteInUnquotedField {
        /// Line of the quote.
        line: u64,
    },
}

impl CsvFault {
    /// The line the fault is reported on: where the faulty field starts.
    pub fn line(&self) -> u64 {
        match *self {
            CsvFault::UnterminatedQuote { line, .. }
            | CsvFault::TextAfterQuote { opened: line, .. }
            | CsvFault::QuoteInUnquotedField { line } => line,
        }
    }
}

/// Checks one record's raw bytes (from its first byte to the next record's, line breaks
/// included), which start on line `first_line`.
pub fn check_record(raw: &[u8], first_line: u64) -> Result<(), CsvFault> {
    enum State {
        FieldStart,
        Unquoted,
        Quoted { opened: u64 },
        QuoteInQuoted { opened: u64 },
    }
    let mut state = State::FieldStart;
    let mut line = first_line;
    for &b in raw {
        state = match (state, b) {
            (State::FieldStart, b'"') => State::Quoted { opened: line },
            (State::FieldStart | State::Unquoted, b',' | b'\r' | b'\n')
            | (State::QuoteInQuoted { .. }, b',' | b'\r' | b'\n') => State::FieldStart,
            (State::FieldStart | State::Unquoted, _) if b != b'"' => State::Unquoted,
            (State::Unquoted | State::FieldStart, _) => {
                return Err(CsvFault::QuoteInUnquotedField { line });
            }
            (State::Quoted { opened }, b'"') => State::QuoteInQuoted { opened },
            (State::Quoted { opened }, _) => State::Quoted { opened },
            (State::QuoteInQuoted { opened }, b'"') => State::Quoted { opened },
            (State::QuoteInQuoted { opened }, _) => {
                return Err(CsvFault::TextAfterQuote { opened, line });
            }
        };
        if b == b'\n' {
            line += 1;
        }
    }
    match state {
        State::Quoted { opened } => Err(CsvFault::UnterminatedQuote {
            line: opened,
            last_line: if raw.ends_with(b"\n") { line - 1 } else { line },
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_records_pass() {
        for raw in [
            &b"a,b,c\n"[..],
            b"a,b,c",
            b"a,,\"\"\r\n",
            b"1,\"x, y\",\"say \"\"hi\"\"\"\n",
            b"1,\"two\nlines\",z\n\n",
        ] {
            assert_eq!(check_record(raw, 1), Ok(()), "{raw:?}");
        }
    }

    #[test]
    fn faults_name_their_lines() {
        assert_eq!(
            check_record(b"1,\"open\n2,b,c\n3,d,e\n", 4),
            Err(CsvFault::UnterminatedQuote {
                line: 4,
                last_line: 6
            })
        );
        assert_eq!(
            check_record(b"1,\"open\n2,b,\"c\"\n", 4),
            Err(CsvFault::TextAfterQuote { opened: 4, line: 5 })
        );
        assert_eq!(
            check_record(b"1,\"q\"x,c\n", 7),
            Err(CsvFault::TextAfterQuote { opened: 7, line: 7 })
        );
        assert_eq!(
            check_record(b"1,say \"hi\",c\n", 9),
            Err(CsvFault::QuoteInUnquotedField { line: 9 })
        );
        assert_eq!(CsvFault::QuoteInUnquotedField { line: 9 }.line(), 9);
        assert_eq!(CsvFault::TextAfterQuote { opened: 4, line: 5 }.line(), 4);
    }
}

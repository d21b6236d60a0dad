//! The one error type of the crate.

use core::fmt;

/// Everything that can go wrong in `pxby-core`: loading a model file, writing one, running a
/// model with buffers that are too small, or generating from an invalid prompt.
///
/// Every malformed model file maps to one of these variants; loading never panics.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The file ends before a part its header announces.
    Truncated,
    /// The file does not start with the magic bytes `PXBY`.
    BadMagic,
    /// The format version is not one this build reads.
    UnsupportedVersion(u16),
    /// The CRC-32 stored at the end does not match the bytes before it.
    BadCrc {
        /// CRC stored in the file.
        stored: u32,
        /// CRC computed over the file.
        computed: u32,
    },
    /// The postcard header could not be decoded (or did not fill its announced length).
    BadHeader,
    /// The model configuration is invalid ([`crate::config::ModelConfig::is_valid`]).
    InvalidConfig,
    /// A size in the file is beyond what this runtime accepts (dimensions, tensor sizes).
    TooLarge,
    /// The tensor table or payload length disagrees with the configuration.
    LayoutMismatch,
    /// Bytes follow the CRC (or the payload is longer than the tensors it must hold).
    TrailingBytes,
    /// Writer: a tensor the configuration needs was not given.
    MissingTensor(&'static str),
    /// Writer: a tensor has the wrong number of elements.
    TensorLength {
        /// Canonical tensor name.
        name: &'static str,
        /// Elements the configuration requires.
        expected: usize,
        /// Elements given.
        got: usize,
    },
    /// Writer: the tensor at this index of the given list has a name the configuration does not
    /// use, or repeats one already given.
    UnknownTensor(usize),
    /// A tensor (by canonical name) holds a NaN or infinite value: the writer refuses such
    /// weights, and loading refuses a file whose f32 values or int8 row scales are not finite.
    /// (The f32 activation scales of an integer file are [`QuantError::BadScale`].)
    NonFinite(&'static str),
    /// Writer: the header could not be encoded (e.g. too many metrics).
    Encode,
    /// A caller-provided buffer is too small.
    BufferTooSmall {
        /// Elements needed.
        needed: usize,
        /// Elements provided.
        got: usize,
    },
    /// The model is larger than a generator's fixed capacity (dim, d_state or window).
    Capacity,
    /// A token id outside the vocabulary.
    InvalidToken(u8),
    /// A prompt byte that is not in the vocabulary.
    InvalidByte(u8),
    /// A structured-mode prompt that does not follow the `(h, w)` / image / caption layout.
    InvalidPrompt,
    /// The requested option combination is not supported (e.g. structured mode on a window).
    Unsupported,
    /// The integer-inference parameters of a [`crate::quant::WeightType::Int`] file are
    /// unusable (see [`QuantError`]).
    Quant(QuantError),
}

/// What is wrong with the integer-inference parameters of a model file.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantError {
    /// A requantisation shift (or a cell-state shift) is outside its range.
    ShiftOutOfRange,
    /// A requantisation multiplier is zero or negative.
    NonPositiveMultiplier,
    /// An activation table does not have [`crate::fixed::TABLE_LEN`] entries.
    TableLength,
    /// A stored activation scale is NaN, infinite, zero or negative.
    BadScale,
    /// The integer parts disagree with the configuration: storage types mixed with `Int`, a
    /// count of LSTM parameters other than the configuration's, a value outside its integer
    /// range (Q15 mixing weights, int16 LayerNorm weights), or a matrix too wide for the
    /// 32-bit accumulators.
    Mismatch,
    /// A widened-weights image ([`crate::wide`]) that was not made from this model file, or
    /// whose bytes are not 4-aligned.
    WideImage,
}

impl fmt::Display for QuantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QuantError::ShiftOutOfRange => "a requantisation shift is out of range",
            QuantError::NonPositiveMultiplier => "a requantisation multiplier is not positive",
            QuantError::TableLength => "an activation table has the wrong length",
            QuantError::BadScale => "an activation scale is NaN, infinite or not positive",
            QuantError::Mismatch => "integer parameters disagree with the configuration",
            QuantError::WideImage => {
                "the widened-weights image was not made from this model file (or is not 4-aligned)"
            }
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => write!(f, "model file is truncated"),
            Error::BadMagic => write!(f, "not a PixelBytes model file (bad magic)"),
            Error::UnsupportedVersion(v) => write!(f, "unsupported model format version {v}"),
            Error::BadCrc { stored, computed } => {
                write!(
                    f,
                    "CRC mismatch: file says {stored:#010x}, bytes give {computed:#010x}"
                )
            }
            Error::BadHeader => write!(f, "model header cannot be decoded"),
            Error::InvalidConfig => write!(f, "invalid model configuration"),
            Error::TooLarge => write!(f, "model dimensions or sizes are out of range"),
            Error::LayoutMismatch => write!(f, "tensor layout disagrees with the configuration"),
            Error::TrailingBytes => write!(f, "unexpected bytes after the model data"),
            Error::MissingTensor(n) => write!(f, "tensor {n} is missing"),
            Error::TensorLength {
                name,
                expected,
                got,
            } => {
                write!(f, "tensor {name} has {got} elements, expected {expected}")
            }
            Error::UnknownTensor(i) => {
                write!(f, "tensor #{i} of the list has an unknown or repeated name")
            }
            Error::NonFinite(n) => write!(f, "tensor {n} holds NaN or infinite values"),
            Error::Encode => write!(f, "model header cannot be encoded"),
            Error::BufferTooSmall { needed, got } => {
                write!(f, "buffer too small: need {needed} elements, got {got}")
            }
            Error::Capacity => write!(f, "model does not fit the generator's capacity"),
            Error::InvalidToken(t) => write!(f, "token {t} is outside the vocabulary"),
            Error::InvalidByte(b) => write!(f, "byte {b:#04x} is not in the vocabulary"),
            Error::InvalidPrompt => {
                write!(f, "prompt does not follow the (h, w)/image/caption layout")
            }
            Error::Unsupported => write!(f, "unsupported option combination"),
            Error::Quant(q) => write!(f, "integer model parameters: {q}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

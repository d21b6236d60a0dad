//! The model file and its widened weights, embedded in flash and read in place (zero-copy).

use pxby_core::{Error, Model};

/// Forces 4-byte alignment of the embedded bytes.
#[repr(C, align(4))]
struct Aligned<T: ?Sized>(T);

static MODEL: &Aligned<[u8]> = &Aligned(*include_bytes!(env!("PXBY_MODEL_FILE")));

/// The widened weights of the model (`pxby_core::wide`), written by build.rs for the Cortex-M4
/// boards; empty for the others.
static WIDE: &Aligned<[u8]> = &Aligned(*include_bytes!(env!("PXBY_WIDE_FILE")));

/// The bytes of the embedded model file (`PXBY_MODEL`, else the default model; see build.rs).
pub fn bytes() -> &'static [u8] {
    &MODEL.0
}

/// Attaches the widened weights the build wrote (none on boards without the DSP instructions)
/// to `model`, the embedded model. In place: a `Model` is a view of every tensor, and a second
/// one on the stack would deepen the firmware's peak.
pub fn attach_wide(model: &mut Model<'static>) -> Result<(), Error> {
    if WIDE.0.is_empty() {
        Ok(())
    } else {
        model.attach_wide(&WIDE.0)
    }
}

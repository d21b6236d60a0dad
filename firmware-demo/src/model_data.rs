//! The model file, embedded in flash and read in place (zero-copy).

/// Forces 4-byte alignment of the embedded bytes.
#[repr(C, align(4))]
struct Aligned<T: ?Sized>(T);

static MODEL: &Aligned<[u8]> = &Aligned(*include_bytes!(env!("PXBY_MODEL_FILE")));

/// The bytes of the embedded model file (`PXBY_MODEL`, else the default model; see build.rs).
pub fn bytes() -> &'static [u8] {
    &MODEL.0
}

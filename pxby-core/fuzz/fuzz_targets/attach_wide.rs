//! Fuzz `Model::attach_wide` (the widened-weights image of `pxby_core::wide`) on the default
//! integer model and, when an image attaches, one integer forward pass and three generator
//! steps.
//!
//! The first input byte picks a mode: odd = the rest is the image as is; even = the rest edits
//! the genuine image (`widen` of the default model): a `u16` length in bytes to cut it to
//! (0 = keep), then `(u16 word index, u32 value)` records written into it, so that mutations
//! reach past the header into the matrices' checks.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pxby_core::{Model, vocab::VOCAB_SIZE, wide::widen};

static MODEL: &[u8] = include_bytes!("../../../fixtures/models/default-int8.pxby");

fn genuine() -> &'static [u32] {
    static IMAGE: OnceLock<Vec<u32>> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let model = Model::from_bytes(MODEL).expect("the default model loads");
        let bytes = widen(&model).expect("the default model widens");
        bytemuck::pod_collect_to_vec(&bytes)
    })
}

fn run(image: &[u8]) {
    let Ok(mut model) = Model::from_bytes(MODEL) else {
        return;
    };
    if model.attach_wide(image).is_err() {
        return;
    }
    use pxby_core::context::contexts;
    use pxby_core::generate::{Generator, IntBuffers, Options};
    let window: Vec<_> = contexts(&[30, 31, 2, 33, 1, 34]).collect();
    let mut scratch = vec![0i16; model.int_scratch_len_for(window.len())];
    let mut logits = [0i32; VOCAB_SIZE];
    let _ = model.int_logits_for(&window, &mut scratch, &mut logits);
    let mut b = IntBuffers::<8>::boxed();
    if let Ok(g) = Generator::with_int_buffers(&model, &mut b, &[30, 31], Options::default()) {
        for _ in g.take(3) {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    // Word-aligned copies (an unaligned image is refused before anything else is read).
    if mode & 1 == 1 {
        let mut words = vec![0u32; rest.len().div_ceil(4)];
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut words);
        bytes[..rest.len()].copy_from_slice(rest);
        run(&bytes[..rest.len()]);
        return;
    }
    let mut words = genuine().to_vec();
    let (cut, edits) = match rest.split_first_chunk::<2>() {
        Some((c, e)) => (usize::from(u16::from_le_bytes(*c)), e),
        None => (0, rest),
    };
    for e in edits.chunks_exact(6) {
        let at = usize::from(u16::from_le_bytes([e[0], e[1]]));
        if let Some(w) = words.get_mut(at) {
            *w = u32::from_le_bytes([e[2], e[3], e[4], e[5]]);
        }
    }
    let bytes: &[u8] = bytemuck::cast_slice(&words);
    let len = if cut == 0 { bytes.len() } else { cut.min(bytes.len()) };
    run(&bytes[..len]);
});

//! Fuzz `Model::from_bytes` and, when a file loads, one embedding + forward step: the f32
//! path for f32 and int8-weight files, the integer path (embedding, projections, LSTMs, head)
//! and three integer generator steps for integer files.
//!
//! The first input byte picks a mode: odd = the input is a whole file as is; even = the
//! CRC is recomputed over the rest before loading, so mutations reach the header decoder, the
//! layout checks and the forward pass instead of stopping at the checksum.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pxby_core::{Model, vocab::VOCAB_SIZE};

const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

fn run(bytes: &[u8]) {
    let Ok(model) = Model::from_bytes(bytes) else {
        return;
    };
    if model.int_params().is_some() {
        run_int(&model);
        return;
    }
    let mut e = vec![0.0; model.dim()];
    let ctx = [60, 61, 1, 62, 63, 0, 0, 0, 0];
    if model.embed(&ctx, &mut e).is_err() {
        return;
    }
    let mut scratch = vec![0.0; model.scratch_len(2)];
    let mut embeds = e.clone();
    embeds.extend_from_slice(&e);
    let mut logits = [0.0; VOCAB_SIZE];
    let _ = model.logits(&embeds, &mut scratch, &mut logits);
    let _ = model
        .tensor("head.weight")
        .map(|t| t.at(t.len().saturating_sub(1)));
}

fn run_int(model: &Model) {
    use pxby_core::context::contexts;
    use pxby_core::generate::{Generator, IntBuffers, Options, Sampling};
    let window: Vec<_> = contexts(&[30, 31, 2, 33, 1, 34]).collect();
    let mut scratch = vec![0i16; model.int_scratch_len_for(window.len())];
    let mut logits = [0i32; VOCAB_SIZE];
    let _ = model.int_logits_for(&window, &mut scratch, &mut logits);
    let mut b = IntBuffers::<8, 256, 256, 512, 128>::boxed();
    let options = Options {
        sampling: Sampling::TopK { k: 4, temperature: 0.9 },
        ..Options::default()
    };
    if let Ok(g) = Generator::with_int_buffers(model, &mut b, &[30, 31], options) {
        for _ in g.take(3) {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 1 || rest.len() < 4 {
        run(rest);
    } else {
        let mut b = rest.to_vec();
        let n = b.len();
        let c = CRC.checksum(&b[..n - 4]);
        b[n - 4..].copy_from_slice(&c.to_le_bytes());
        run(&b);
    }
});

//! The context rule against the reference implementation's golden vectors, and batch vs
//! incremental agreement on random streams.

use proptest::prelude::*;
use pxby_core::context::{Context, ContextCursor, contexts};
use pxby_core::vocab::{ROW_SEP, SEG_SEP, VOCAB_SIZE};
use std::path::PathBuf;

/// `../shared` next to the workspace root, or `$PXBY_SHARED`.
fn shared_dir() -> PathBuf {
    std::env::var_os("PXBY_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
}

fn flatten(m: &serde_json::Value) -> Context {
    let mut out = [0u8; 9];
    for (r, row) in m.as_array().unwrap().iter().enumerate() {
        for (c, v) in row.as_array().unwrap().iter().enumerate() {
            out[r * 3 + c] = v.as_u64().unwrap() as u8;
        }
    }
    out
}

#[test]
fn golden_contexts() {
    let path = shared_dir().join("golden/contexts.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let golden: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = golden["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let tokens: Vec<u8> = case["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u8)
            .collect();
        // The stream is the segments laid out per SPEC §4.
        let mut laid = Vec::new();
        for seg in case["segments"].as_array().unwrap() {
            let rows = seg["rows"].as_array().unwrap();
            for (i, row) in rows.iter().enumerate() {
                laid.extend(
                    row.as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_u64().unwrap() as u8),
                );
                laid.push(if i + 1 == rows.len() {
                    SEG_SEP
                } else {
                    ROW_SEP
                });
            }
        }
        assert_eq!(laid, tokens, "{name}: layout");
        let want: Vec<Context> = case["contexts"]
            .as_array()
            .unwrap()
            .iter()
            .map(flatten)
            .collect();
        let batch: Vec<Context> = contexts(&tokens).collect();
        assert_eq!(batch, want, "{name}: batch");
        let mut cursor = ContextCursor::<64>::new();
        let inc: Vec<Context> = tokens.iter().map(|t| cursor.push(*t)).collect();
        assert_eq!(inc, want, "{name}: incremental");
    }
}

/// Streams made of segments whose `\t` rows fit in `cap`, with text rows of any length.
fn structured_stream(cap: usize) -> impl Strategy<Value = Vec<u8>> {
    let token = 3u8..VOCAB_SIZE as u8;
    let image_row = prop::collection::vec(token.clone(), 0..cap);
    let image = prop::collection::vec(image_row, 1..6);
    let text = prop::collection::vec(token, 0..200).prop_map(|r| vec![r]);
    let segment = prop_oneof![image, text];
    prop::collection::vec(segment, 0..6).prop_map(|segs| {
        let mut out = Vec::new();
        for rows in segs {
            let n = rows.len();
            for (i, row) in rows.into_iter().enumerate() {
                out.extend(row);
                out.push(if i + 1 == n { SEG_SEP } else { ROW_SEP });
            }
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn cursor_equals_batch_on_structured_streams(stream in structured_stream(16)) {
        let mut cursor = ContextCursor::<16>::new();
        for (i, (t, want)) in stream.iter().zip(contexts(&stream)).enumerate() {
            prop_assert_eq!(cursor.push(*t), want, "token {}", i);
        }
        prop_assert!(!cursor.overflowed());
    }

    #[test]
    fn cursor_equals_batch_on_any_stream_within_capacity(
        stream in prop::collection::vec(0u8..VOCAB_SIZE as u8, 0..400)
    ) {
        // With a capacity as long as the stream, nothing can overflow.
        let mut cursor = ContextCursor::<400>::new();
        for (t, want) in stream.iter().zip(contexts(&stream)) {
            prop_assert_eq!(cursor.push(*t), want);
        }
    }

    #[test]
    fn never_panics_and_only_overflow_differs(
        stream in prop::collection::vec(
            prop_oneof![4 => 0u8..=255u8, 1 => Just(ROW_SEP), 1 => Just(SEG_SEP)], 0..600)
    ) {
        let mut cursor = ContextCursor::<8>::new();
        for (t, want) in stream.iter().zip(contexts(&stream)) {
            let got = cursor.push(*t);
            if !cursor.overflowed() {
                prop_assert_eq!(got, want);
            }
            // The centre and the left cell never depend on capacity.
            prop_assert_eq!(&got[3..], &want[3..]);
        }
    }
}

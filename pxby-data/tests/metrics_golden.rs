//! Every case of `../shared/golden/metrics.json` (scipy 1.17.1 / nltk 3.10.4) to 1e-9.

mod common;

use pxby_data::metrics::{bleu, cosine_similarity, hamming};

#[test]
fn golden_metrics_match_scipy_and_nltk() {
    let path = common::shared_dir().join("golden/metrics.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set PXBY_SHARED)", path.display()));
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 32);
    let vec_of = |v: &serde_json::Value| -> Vec<u8> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| u8::try_from(x.as_u64().unwrap()).unwrap())
            .collect()
    };
    for (i, c) in cases.iter().enumerate() {
        let g = vec_of(&c["generated"]);
        let t = vec_of(&c["target"]);
        let note = c["note"].as_str().unwrap_or("");
        let h = hamming(&g, &t).unwrap();
        let cs = cosine_similarity(&g, &t).unwrap();
        // nltk compares string tokens; integer equality is the same relation.
        let b = bleu(&t, &g);
        for (name, got, key) in [
            ("hamming", h, "hamming"),
            ("cosine", cs, "cosine"),
            ("bleu", b, "bleu"),
        ] {
            let want = c[key].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-9,
                "case {i} ({note}) {name}: got {got:.17}, want {want:.17}"
            );
        }
    }
}

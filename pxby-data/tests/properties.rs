//! Property tests: layout and dataset round trips on random items, batch contexts equal the
//! incremental cursor's, and random bytes never make the dataset reader panic.

use proptest::prelude::*;
use pxby_core::context::{ContextCursor, contexts};
use pxby_core::vocab::{BYTES, COLOURS, FIRST_COLOUR, ROW_SEP, SEG_SEP, byte_to_token};
use pxby_data::dataset::{Dataset, Item};
use pxby_data::layout::parse_item;

/// Caption tokens: any byte token except the separators and padding.
fn caption() -> impl Strategy<Value = Vec<u8>> {
    let text: Vec<u8> = BYTES
        .iter()
        .filter(|&&b| b != 0 && b != b'\t' && b != b'\n')
        .map(|&b| byte_to_token(b).unwrap())
        .collect();
    prop::collection::vec(prop::sample::select(text), 1..200)
}

fn item() -> impl Strategy<Value = (u32, u16, u16, Vec<u8>, Vec<u8>)> {
    (1u16..=25, 1u16..=25, any::<u32>()).prop_flat_map(|(h, w, id)| {
        let n = usize::from(h) * usize::from(w);
        (
            Just(id),
            Just(h),
            Just(w),
            prop::collection::vec(FIRST_COLOUR..FIRST_COLOUR + COLOURS as u8, n),
            caption(),
        )
    })
}

proptest! {
    #[test]
    fn layout_round_trips((id, h, w, image, cap) in item()) {
        let it = Item::new(id, "x".into(), h, w, &image, &cap).unwrap();
        let p = it.parse().unwrap();
        prop_assert_eq!((p.height, p.width), (h, w));
        prop_assert_eq!(&p.image, &image);
        prop_assert_eq!(&p.caption, &cap);
        // Exactly three segment ends, h - 1 row ends.
        prop_assert_eq!(it.tokens.iter().filter(|&&t| t == SEG_SEP).count(), 3);
        prop_assert_eq!(it.tokens.iter().filter(|&&t| t == ROW_SEP).count(), usize::from(h) - 1);
        // Batch contexts equal the incremental ones.
        let mut cur = ContextCursor::<32>::new();
        for (t, ctx) in it.tokens.iter().zip(contexts(&it.tokens)) {
            prop_assert_eq!(cur.push(*t), ctx);
        }
        // Any single-token deletion breaks the layout or changes the content.
        if it.tokens.len() > 1 {
            let k = (id as usize) % it.tokens.len();
            let mut cut = it.tokens.clone();
            cut.remove(k);
            if let Ok(q) = parse_item(&cut) {
                prop_assert!(q.image != image || q.caption != cap || (q.height, q.width) != (h, w));
            }
        }
    }

    #[test]
    fn dataset_round_trips(items in prop::collection::vec(item(), 0..6)) {
        let mut seen = std::collections::BTreeSet::new();
        let items: Vec<Item> = items
            .into_iter()
            .filter(|(id, ..)| seen.insert(*id))
            .map(|(id, h, w, img, cap)| Item::new(id, format!("n{id}"), h, w, &img, &cap).unwrap())
            .collect();
        let ds = Dataset::new(25, "prop".into(), items);
        let bytes = ds.to_bytes().unwrap();
        prop_assert_eq!(Dataset::from_bytes(&bytes).unwrap(), ds);
    }

    #[test]
    fn reader_never_panics(mut bytes in prop::collection::vec(any::<u8>(), 0..400), magic in any::<bool>()) {
        if magic && bytes.len() >= 8 {
            bytes[..8].copy_from_slice(b"PXBYDATA");
        }
        let _ = Dataset::from_bytes(&bytes);
        let _ = parse_item(&bytes);
    }
}

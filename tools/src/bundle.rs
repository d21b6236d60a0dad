//! The validation items the web page offers for completion, as the JSON the page reads
//! (`/items.json`): a few items of the validation split of a built dataset, each its id, name,
//! size and token stream (hex). Only tokens of the built dataset, never the raw sprites or CSV.
//!
//! This file is also compiled into tools' `build.rs` (which cannot depend on `pxby-tools`), so it
//! uses only `pxby-data` and `serde_json`.

use pxby_data::dataset::{Dataset, Split};

/// How many validation items the page offers.
pub const ITEMS: usize = 6;

/// Largest sprite side the page can complete (the structured generator's largest header).
const MAX_SIDE: u16 = 32;

/// The page's items from `ds`: [`ITEMS`] validation items spread evenly over the split (those
/// with sprites of at most 32x32), as a JSON array.
pub fn items_json(ds: &Dataset) -> String {
    let val: Vec<_> = ds
        .split(Split::Val)
        .filter(|i| i.height <= MAX_SIDE && i.width <= MAX_SIDE)
        .collect();
    let step = val.len().div_ceil(ITEMS).max(1);
    let items: Vec<serde_json::Value> = val
        .iter()
        .step_by(step)
        .take(ITEMS)
        .map(|i| {
            serde_json::json!({
                "id": i.id,
                "name": i.name,
                "height": i.height,
                "width": i.width,
                "tokens": i.tokens.iter().map(|t| format!("{t:02x}")).collect::<String>(),
            })
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}

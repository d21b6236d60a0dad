//! Figure 2: training curves of the best row of each family.

use std::path::Path;

use plotters::prelude::*;

use super::result::RowResult;
use super::rows::Row;
use super::score::{Metric, value};
use crate::error::Result;
use crate::model::FamilyKind;
use crate::plot::{Area, Curve, epoch_chart};
use crate::run::EpochRecord;

/// The best row of a family (highest validation next-token accuracy), for Figure 2.
pub(super) fn best_of<'a>(
    rows: &'a [Row],
    results: &'a [Option<RowResult>],
    family: fn(FamilyKind) -> bool,
) -> Option<(&'a Row, &'a RowResult)> {
    rows.iter()
        .zip(results)
        .filter_map(|(row, r)| r.as_ref().map(|r| (row, r)))
        .filter(|(row, _)| family(row.spec.family))
        .max_by(|a, b| {
            value(&a.1.items, Metric::NextAccuracy)
                .total_cmp(&value(&b.1.items, Metric::NextAccuracy))
        })
}

/// Figure 2: loss, accuracy and weighted F1 per epoch (train solid, validation dashed) of the
/// best RNN, attention and SSM rows that exist.
pub fn figure2(path: &Path, rows: &[Row], results: &[Option<RowResult>]) -> Result<()> {
    type IsFamily = fn(FamilyKind) -> bool;
    let families: [(&str, IsFamily, RGBColor); 3] = [
        ("RNN", |f| f == FamilyKind::Rnn, BLUE),
        (
            "Att",
            |f| {
                matches!(
                    f,
                    FamilyKind::Attention
                        | FamilyKind::AttentionLearned
                        | FamilyKind::AttentionSinusoidal
                )
            },
            RED,
        ),
        ("SSM", |f| f == FamilyKind::Ssm, GREEN),
    ];
    let series: Vec<(String, RGBColor, &[EpochRecord])> = families
        .iter()
        .filter_map(|(label, is, colour)| {
            best_of(rows, results, *is)
                .map(|(row, r)| (format!("{label} ({})", row.name), *colour, &r.history[..]))
        })
        .collect();
    crate::plot::write_png_atomic(path, (1500, 480), |root| draw_figure2(root, &series))
}

type Series<'a> = (String, RGBColor, &'a [EpochRecord]);

fn draw_figure2(root: &Area<'_>, series: &[Series<'_>]) -> std::result::Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let text = crate::plot::have_font();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let panels = root.split_evenly((1, 3));
    for (panel, curve) in panels.iter().zip(Curve::ALL) {
        let pts = |h: &[EpochRecord], val: bool| -> Vec<(f64, f64)> {
            h.iter()
                .map(|r| {
                    let (t, v) = curve.values(r);
                    (f64::from(r.epoch), if val { v } else { t })
                })
                .filter(|p| p.1.is_finite())
                .collect()
        };
        let all: Vec<(f64, f64)> = series
            .iter()
            .flat_map(|(_, _, h)| {
                let mut v = pts(h, false);
                v.extend(pts(h, true));
                v
            })
            .collect();
        let mut chart = epoch_chart(panel, curve.title(), &all, text)?;
        for (label, colour, h) in series {
            let colour = *colour;
            let a = chart
                .draw_series(LineSeries::new(pts(h, false), colour.stroke_width(2)))
                .map_err(|e| err(&e))?;
            if text {
                a.label(format!("{label} train"))
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour));
            }
            let b = chart
                .draw_series(DashedLineSeries::new(
                    pts(h, true),
                    6,
                    4,
                    colour.stroke_width(2),
                ))
                .map_err(|e| err(&e))?;
            if text {
                b.label(format!("{label} val (dashed)"))
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.mix(0.5)));
            }
        }
        if text && !series.is_empty() {
            // Where the curves are not: top right of the falling loss, bottom right of the
            // rising accuracy and F1.
            let corner = match curve {
                Curve::Loss => SeriesLabelPosition::UpperRight,
                Curve::Accuracy | Curve::F1 => SeriesLabelPosition::LowerRight,
            };
            chart
                .configure_series_labels()
                .position(corner)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font(("sans-serif", 13))
                .draw()
                .map_err(|e| err(&e))?;
        }
    }
    Ok(())
}

//! PNG curves of a run (loss, accuracy, weighted F1; train and validation) with `plotters`.
//!
//! Text needs a TrueType font: the first of a few common system fonts that exists is
//! registered once (plotters' `ab_glyph` backend, no fontconfig). On a machine without any of
//! them the curves are still drawn, without axis labels, caption or legend.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::prelude::*;
use pxby_data::atomic::WriteError;

use crate::error::{Error, Result};
use crate::run::EpochRecord;

const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// Registers a system font for plotters once; returns whether text can be drawn.
pub(crate) fn have_font() -> bool {
    static FONT: OnceLock<bool> = OnceLock::new();
    *FONT.get_or_init(|| {
        for path in FONT_CANDIDATES {
            if let Ok(bytes) = std::fs::read(path) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return true;
                }
            }
        }
        false
    })
}

/// Which curve pair a plot shows.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Curve {
    Loss,
    Accuracy,
    F1,
}

impl Curve {
    /// Every curve pair, in plotting order.
    pub(crate) const ALL: [Curve; 3] = [Curve::Loss, Curve::Accuracy, Curve::F1];

    fn file(self) -> &'static str {
        match self {
            Curve::Loss => "loss.png",
            Curve::Accuracy => "accuracy.png",
            Curve::F1 => "f1.png",
        }
    }
    pub(crate) fn title(self) -> &'static str {
        match self {
            Curve::Loss => "cross-entropy loss",
            Curve::Accuracy => "next-token accuracy",
            Curve::F1 => "weighted F1",
        }
    }
    /// (train, validation) values of one epoch.
    pub(crate) fn values(self, r: &EpochRecord) -> (f64, f64) {
        match self {
            Curve::Loss => (r.train_loss, r.val_loss),
            Curve::Accuracy => (r.train_acc, r.val_acc),
            Curve::F1 => (r.train_f1, r.val_f1),
        }
    }
}

/// Writes loss.png, accuracy.png and f1.png into `run_dir`; returns their paths.
pub fn write_plots(run_dir: &Path, history: &[EpochRecord]) -> Result<Vec<PathBuf>> {
    let text = have_font();
    let mut out = Vec::new();
    for curve in Curve::ALL {
        let path = run_dir.join(curve.file());
        write_png_atomic(&path, (800, 500), |root| draw(root, curve, history, text))?;
        out.push(path);
    }
    Ok(out)
}

/// A drawing area over an in-memory RGB image.
pub(crate) type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// Draws a `size` image in memory (`draw` gets its drawing area), encodes it as PNG (the `png`
/// crate) and writes it atomically ([`pxby_data::atomic::write_atomic_with`]): a killed run
/// never leaves a half-written image.
pub(crate) fn write_png_atomic(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> std::result::Result<(), String>,
) -> Result<()> {
    let plot_error = |reason: String| Error::Plot {
        path: path.to_path_buf(),
        reason,
    };
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        draw(&root).map_err(plot_error)?;
        root.present().map_err(|e| plot_error(e.to_string()))?;
    }
    pxby_data::atomic::write_atomic_with(path, |file, _| {
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), size.0, size.1);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&rgb)?;
        writer.finish()
    })
    .map_err(|e| match e {
        WriteError::Fill(reason) => plot_error(reason.to_string()),
        WriteError::Io(e) => Error::io(path, e),
    })
}

/// A per-epoch chart on `area`: x from 0.5 to the last epoch, y padded around every point's
/// value; with `text`, a caption, axis labels and the x description.
pub(crate) fn epoch_chart<'a, 'b>(
    area: &'a DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>,
    title: &str,
    points: &[(f64, f64)],
    text: bool,
) -> std::result::Result<
    ChartContext<
        'a,
        BitMapBackend<'b>,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    String,
> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let x_max = points.iter().map(|p| p.0).fold(1.0, f64::max);
    let (mut lo, mut hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-3);
    let mut builder = ChartBuilder::on(area);
    builder.margin(12);
    if text {
        builder
            .caption(title, ("sans-serif", 22))
            .x_label_area_size(35)
            .y_label_area_size(55);
    }
    let mut chart = builder
        .build_cartesian_2d(0.5..x_max + 0.5, (lo - pad)..(hi + pad))
        .map_err(|e| err(&e))?;
    let mut mesh = chart.configure_mesh();
    if text {
        mesh.x_desc("epoch");
    } else {
        mesh.x_labels(0).y_labels(0);
    }
    mesh.draw().map_err(|e| err(&e))?;
    Ok(chart)
}

fn draw(root: &Area<'_>, curve: Curve, history: &[EpochRecord], text: bool) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let pts: Vec<(f64, f64, f64)> = history
        .iter()
        .map(|r| {
            let (t, v) = curve.values(r);
            (f64::from(r.epoch), t, v)
        })
        .filter(|(_, t, v)| t.is_finite() && v.is_finite())
        .collect();
    let all: Vec<(f64, f64)> = pts.iter().flat_map(|p| [(p.0, p.1), (p.0, p.2)]).collect();
    let mut chart = epoch_chart(root, curve.title(), &all, text)?;
    let train = LineSeries::new(pts.iter().map(|p| (p.0, p.1)), BLUE.stroke_width(2));
    let val = LineSeries::new(pts.iter().map(|p| (p.0, p.2)), RED.stroke_width(2));
    let a = chart.draw_series(train).map_err(|e| err(&e))?;
    if text {
        a.label("train")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE));
    }
    let b = chart.draw_series(val).map_err(|e| err(&e))?;
    if text {
        b.label("validation")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
    }
    Ok(())
}

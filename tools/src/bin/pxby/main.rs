//! `pxby`: the PixelBytes command-line tool, the clap layer over `pxby_tools` and `pxby_data`:
//! [`cli`] holds the subcommands' arguments and implementations, [`scrape`] the scraper's
//! arguments and [`values`] the command-line names of library enums (library types carry no
//! clap derive).

mod cli;
mod scrape;
mod serve;
mod values;

use clap::{Parser, Subcommand};

/// PixelBytes host tool: build and look at datasets, inspect dataset and model files.
#[derive(Parser)]
#[command(name = "pxby", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build, preview (and obtain) PixelBytes datasets.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Print a dataset file's statistics, or a model file's configuration, sizes, checksum and
    /// metadata.
    Inspect(cli::InspectArgs),
    /// Evaluate a model file on a dataset split as the paper does (SPEC §8): windows of 64
    /// true tokens + 16 generated greedily; Hamming, cosine, BLEU, next-token accuracy and
    /// cross-entropy as mean ± std.
    Eval(cli::EvalArgs),
    /// Make an integer-only file (int8 weights, int16 activations) from an f32 model file:
    /// calibrate the activation ranges (min/max) on evenly spaced windows of the dataset's
    /// training split, as `host-train export --weights int` does.
    Quantize(cli::QuantizeArgs),
    /// Generate a Pokémon (header, sprite, description) with a model file and render the
    /// handheld's screen as a card PNG (the same drawing code as the firmware); prints the text.
    Generate(cli::GenerateArgs),
    /// Serve the web page that runs the model in the browser (page, wasm and default model are
    /// embedded in this binary) on 127.0.0.1.
    Serve(serve::ServeArgs),
    /// Measure speed and quality (tables printed to stdout).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Time both pixelation modes on every sprite of a source folder and report their
    /// reconstruction error (mean CIELAB distance to the source pixels).
    Pixelate(cli::BenchPixelateArgs),
}

#[derive(Subcommand)]
enum DatasetCommand {
    /// Build a dataset file from a folder with pokedex.csv and sprites: normalise the
    /// descriptions, pixelate the sprites to the NES palette, lay out header + image + caption.
    /// Bad rows are skipped with a reason; the output is written atomically.
    Build(cli::BuildArgs),
    /// Draw a contact sheet PNG of a dataset's sprites (scaled up, labelled with id and name).
    Preview(cli::PreviewArgs),
    /// Scrape the wikis into a source folder (pokedex.csv + sprites/) for `dataset build`:
    /// polite (delay, concurrency cap, retries with backoff), resumable (on-disk cache).
    Scrape(scrape::ScrapeArgs),
}

fn main() -> std::process::ExitCode {
    // A closed stdout (`pxby inspect m.pxby | head -c1`) ends the command quietly, killed by
    // SIGPIPE like any Unix filter (status 141 in a shell), instead of a panic in `println!`.
    sigpipe::reset();
    let result = match Cli::parse().command {
        Command::Dataset(DatasetCommand::Build(a)) => cli::dataset_build(&a),
        Command::Dataset(DatasetCommand::Preview(a)) => cli::dataset_preview(&a),
        Command::Dataset(DatasetCommand::Scrape(a)) => pxby_tools::scrape::run(&a.to_options())
            .map(|_| ())
            .map_err(Into::into),
        Command::Inspect(a) => cli::inspect(&a),
        Command::Eval(a) => cli::eval(&a),
        Command::Quantize(a) => cli::quantize(&a),
        Command::Generate(a) => cli::generate(&a),
        Command::Bench(BenchCommand::Pixelate(a)) => cli::bench_pixelate(&a),
        Command::Serve(a) => serve::run(&a),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

//! `pxby`: the PixelBytes command-line tool.

use clap::{Parser, Subcommand};

/// PixelBytes host tool: build datasets, evaluate and run models, render what they generate.
#[derive(Parser)]
#[command(name = "pxby", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build, preview and scrape datasets.
    #[command(subcommand)]
    Dataset(DatasetCommand),
}

#[derive(Subcommand)]
enum DatasetCommand {
    /// Scrape the wikis into a source folder (pokedex.csv + sprites/) for `dataset build`.
    Scrape(pxby_tools::scrape::ScrapeArgs),
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Dataset(DatasetCommand::Scrape(args)) => {
            match pxby_tools::scrape::run(&args.to_options()) {
                Ok(_) => 0,
                Err(e) => {
                    eprintln!("error: {e}");
                    1
                }
            }
        }
    };
    std::process::exit(code);
}

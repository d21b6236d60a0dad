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
enum Command {}

fn main() {
    let cli = Cli::parse();
    match cli.command {}
}

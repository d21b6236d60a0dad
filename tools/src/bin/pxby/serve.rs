//! `pxby serve`: its arguments and the call into [`pxby_tools::serve`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use clap::Args;

/// `pxby serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on (the default is this machine only).
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,
    /// Offer the page's completion items from this dataset (`pxby dataset build --out`) instead
    /// of those bundled at build time (`PXBY_DATASET`).
    #[arg(long, value_name = "DATASET")]
    pub data: Option<std::path::PathBuf>,
}

/// Serves the page until the process is stopped.
pub fn run(args: &ServeArgs) -> Result<(), crate::cli::CliError> {
    let items = match &args.data {
        None => None,
        Some(path) => Some(pxby_tools::bundle::items_json(
            &pxby_data::dataset::Dataset::read(path)
                .map_err(|e| format!("{}: {e}", path.display()))?,
        )),
    };
    let mut server = pxby_tools::serve::Server::bind(SocketAddr::new(args.host, args.port))?;
    if let Some(items) = items {
        server = server.with_items(items);
    }
    println!(
        "pxby serve: open http://{}/ in a browser (Ctrl-C stops)",
        server.addr()
    );
    server.run();
    Ok(())
}

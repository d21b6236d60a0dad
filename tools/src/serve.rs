//! `pxby serve`: the web page, its WebAssembly module (`pxby-web`, built by `build.rs`) and the
//! default model, all embedded in the binary and served over HTTP with `tiny_http`. Nothing is
//! built or read from disk at run time.
//!
//! ```no_run
//! let server = pxby_tools::serve::Server::bind("127.0.0.1:8080".parse()?)?;
//! println!("open http://{}/", server.addr());
//! server.run();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::net::{SocketAddr, TcpListener};

/// One embedded file.
#[derive(Clone, Copy, Debug)]
pub struct Asset {
    /// URL path, e.g. `/app.js`.
    pub path: &'static str,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: &'static [u8],
}

/// Everything the page needs (`/` is `index.html`).
pub const ASSETS: &[Asset] = &[
    Asset {
        path: "/index.html",
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../../web/index.html"),
    },
    Asset {
        path: "/app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../web/app.js"),
    },
    Asset {
        path: "/worker.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../web/worker.js"),
    },
    Asset {
        path: "/pxby_web.wasm",
        content_type: "application/wasm",
        bytes: include_bytes!(concat!(env!("OUT_DIR"), "/pxby_web.wasm")),
    },
    Asset {
        path: "/default-int8.pxby",
        content_type: "application/octet-stream",
        bytes: crate::DEFAULT_MODEL,
    },
];

/// The completion items bundled at build time (`build.rs` from `$PXBY_DATASET`, see
/// [`crate::bundle`]; `[]` when it was not set), served as `/items.json`.
pub const BUNDLED_ITEMS: &str = include_str!(concat!(env!("OUT_DIR"), "/items.json"));

/// The asset at a request's URL (the query string is ignored; `/` is `index.html`).
pub fn asset(url: &str) -> Option<&'static Asset> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let path = if path == "/" { "/index.html" } else { path };
    ASSETS.iter().find(|a| a.path == path)
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Another program listens on the port.
    #[error(
        "port {port} on {ip} is already in use (another `pxby serve`?): stop that program or choose another port with --port"
    )]
    PortInUse {
        /// The address asked for.
        ip: std::net::IpAddr,
        /// The port asked for.
        port: u16,
    },
    /// Any other failure to listen (e.g. a privileged port).
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// A listening server.
pub struct Server {
    http: tiny_http::Server,
    addr: SocketAddr,
    items: String,
}

impl Server {
    /// Listens on `addr` (port 0: any free port).
    pub fn bind(addr: SocketAddr) -> Result<Self, ServeError> {
        let listener = TcpListener::bind(addr).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AddrInUse {
                ServeError::PortInUse {
                    ip: addr.ip(),
                    port: addr.port(),
                }
            } else {
                ServeError::Listen { addr, source }
            }
        })?;
        let local = listener
            .local_addr()
            .map_err(|source| ServeError::Listen { addr, source })?;
        let http =
            tiny_http::Server::from_listener(listener, None).map_err(|e| ServeError::Listen {
                addr,
                source: std::io::Error::other(e.to_string()),
            })?;
        Ok(Self {
            http,
            addr: local,
            items: BUNDLED_ITEMS.to_string(),
        })
    }

    /// Serves `items` (the JSON of [`crate::bundle::items_json`]) as `/items.json` instead of
    /// the [`BUNDLED_ITEMS`].
    pub fn with_items(mut self, items: String) -> Self {
        self.items = items;
        self
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Answers requests until the process ends: `GET` of an asset or `/items.json`, 404 for other paths, 405
    /// for other methods.
    pub fn run(&self) {
        for request in self.http.incoming_requests() {
            let response = if *request.method() != tiny_http::Method::Get
                && *request.method() != tiny_http::Method::Head
            {
                tiny_http::Response::from_string("only GET").with_status_code(405)
            } else if request.url().split(['?', '#']).next() == Some("/items.json") {
                let header = tiny_http::Header::from_bytes("Content-Type", "application/json")
                    .expect("ASCII header");
                tiny_http::Response::from_data(self.items.as_bytes()).with_header(header)
            } else if let Some(a) = asset(request.url()) {
                let header = tiny_http::Header::from_bytes("Content-Type", a.content_type)
                    .expect("ASCII header");
                tiny_http::Response::from_data(a.bytes).with_header(header)
            } else {
                tiny_http::Response::from_string("not found").with_status_code(404)
            };
            // A client that went away is not the server's problem.
            let _ = request.respond(response);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_in_use_is_refused_with_a_clear_message() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap();
        let err = Server::bind(addr).err().expect("the port is taken");
        assert!(matches!(err, ServeError::PortInUse { .. }));
        let msg = err.to_string();
        assert!(msg.contains(&format!("port {}", addr.port())), "{msg}");
        assert!(msg.contains("already in use"), "{msg}");
    }

    /// gzip -9 size of `bytes`.
    fn gzipped(bytes: &[u8]) -> usize {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap().len()
    }

    #[test]
    fn the_wasm_and_the_model_stay_under_200_kb_gzipped() {
        let wasm = gzipped(asset("/pxby_web.wasm").unwrap().bytes);
        let model = gzipped(asset("/default-int8.pxby").unwrap().bytes);
        eprintln!(
            "gzipped: wasm {wasm} B + model {model} B = {} B",
            wasm + model
        );
        assert!(wasm + model < 200_000, "{wasm} + {model} bytes");
    }

    #[test]
    fn every_asset_is_served_and_others_are_not() {
        assert_eq!(asset("/").unwrap().path, "/index.html");
        assert_eq!(asset("/?seed=1&autorun=1").unwrap().path, "/index.html");
        assert!(asset("/../Cargo.toml").is_none());
        assert!(asset("/nope").is_none());
        let wasm = asset("/pxby_web.wasm").unwrap();
        assert_eq!(&wasm.bytes[..4], b"\0asm");
        let model = asset("/default-int8.pxby").unwrap();
        assert!(pxby_core::Model::from_bytes(model.bytes).is_ok());
    }
}

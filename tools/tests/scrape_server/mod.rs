//! A real HTTP/1.1 server on 127.0.0.1 (ephemeral port) for the scrape tests, serving the pages
//! and images of `fixtures/scrape/`, with faults injected per path.
//!
//! Written on `std::net` rather than a server crate because the faults need byte-level control:
//! a body shorter than its `Content-Length`, a connection closed before any response, a response
//! held back past the client's timeout. Every response closes its connection. Every request is
//! logged (path, User-Agent, time). The server answers at most `MAX_REQUESTS` requests.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Requests answered before the server refuses more (a bound on any runaway retry loop).
pub const MAX_REQUESTS: usize = 400;

/// The fixture folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/scrape")
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete response.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Headers announcing `body.len()` bytes, then only the first `send` bytes, then close.
    Truncated { body: Vec<u8>, send: usize },
    /// Close the connection without answering.
    Drop,
    /// Wait, then reply.
    Slow(Duration, Box<Reply>),
}

impl Reply {
    /// A 200 with a body.
    pub fn ok(content_type: &str, body: Vec<u8>) -> Self {
        Reply::Full {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
        }
    }
    /// A status with a short text body.
    pub fn status(status: u16) -> Self {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: format!("status {status}\n").into_bytes(),
        }
    }
}

/// One logged request.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Request target, as sent (percent-encoded).
    pub path: String,
    /// The User-Agent header.
    pub user_agent: String,
    /// When the request head was read.
    pub at: Instant,
}

/// Chooses a reply for (path, how many times this path was requested before); `None` serves
/// the fixtures.
pub type Faults = dyn Fn(&str, usize) -> Option<Reply> + Send + Sync;

/// The running server; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Hit>>>,
    stop: Arc<AtomicBool>,
    faults: Arc<Mutex<Arc<Faults>>>,
    in_flight: Arc<(AtomicUsize, AtomicUsize)>,
}

impl Server {
    /// Starts a server with no faults.
    pub fn start() -> Self {
        Self::with_faults(|_, _| None)
    }

    /// Starts a server with the given faults.
    pub fn with_faults(
        faults: impl Fn(&str, usize) -> Option<Reply> + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let faults: Arc<Mutex<Arc<Faults>>> = Arc::new(Mutex::new(Arc::new(faults)));
        let counts = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
        let in_flight = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
        let (log2, stop2, faults2) = (log.clone(), stop.clone(), faults.clone());
        let in_flight2 = in_flight.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let faults = faults2.lock().unwrap().clone();
                let (log, counts, in_flight) = (log2.clone(), counts.clone(), in_flight2.clone());
                thread::spawn(move || {
                    let now = in_flight.0.fetch_add(1, Ordering::SeqCst) + 1;
                    in_flight.1.fetch_max(now, Ordering::SeqCst);
                    // Counted out just before the response is written: the client cannot start
                    // its next request before that, so the count never overstates.
                    let done = || {
                        in_flight.0.fetch_sub(1, Ordering::SeqCst);
                    };
                    serve(stream, &log, &*faults, &counts, done);
                });
            }
        });
        Server {
            addr,
            log,
            stop,
            faults,
            in_flight,
        }
    }

    /// Replaces the faults (for connections accepted from now on).
    pub fn set_faults(
        &self,
        faults: impl Fn(&str, usize) -> Option<Reply> + Send + Sync + 'static,
    ) {
        *self.faults.lock().unwrap() = Arc::new(faults);
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The list page URL (a redirect to the page itself, as wikis do).
    pub fn list_url(&self) -> String {
        format!("{}/Liste", self.base())
    }

    /// The biology URL template.
    pub fn bio_template(&self) -> String {
        format!("{}/wiki/{{name}}_(Pok%C3%A9mon)", self.base())
    }

    /// Every request so far.
    pub fn hits(&self) -> Vec<Hit> {
        self.log.lock().unwrap().clone()
    }

    /// Paths requested so far, in order.
    pub fn paths(&self) -> Vec<String> {
        self.hits().into_iter().map(|h| h.path).collect()
    }

    /// How many times `path` was requested.
    pub fn count(&self, path: &str) -> usize {
        self.hits().iter().filter(|h| h.path == path).count()
    }

    /// The most connections served at the same time so far.
    pub fn max_in_flight(&self) -> usize {
        self.in_flight.1.load(Ordering::SeqCst)
    }

    /// Forgets the log.
    pub fn clear(&self) {
        self.log.lock().unwrap().clear();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wake the accept loop
    }
}

fn read_head(stream: &mut TcpStream) -> Option<String> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(head).ok()
}

fn serve(
    mut stream: TcpStream,
    log: &Mutex<Vec<Hit>>,
    faults: &Faults,
    counts: &Mutex<HashMap<String, usize>>,
    done: impl FnOnce(),
) {
    let Some(head) = read_head(&mut stream) else {
        done();
        return;
    };
    let at = Instant::now();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let path = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
    let user_agent = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let total = {
        let mut log = log.lock().unwrap();
        log.push(Hit {
            path: path.clone(),
            user_agent,
            at,
        });
        log.len()
    };
    let nth = {
        let mut counts = counts.lock().unwrap();
        let c = counts.entry(path.clone()).or_insert(0);
        *c += 1;
        *c - 1
    };
    let reply = if total > MAX_REQUESTS {
        Reply::status(503)
    } else {
        faults(&path, nth).unwrap_or_else(|| fixture_reply(&path))
    };
    let mut reply = reply;
    while let Reply::Slow(wait, inner) = reply {
        thread::sleep(wait);
        reply = *inner;
    }
    done();
    send(&mut stream, reply);
}

fn send(stream: &mut TcpStream, reply: Reply) {
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
            for (k, v) in &headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            ));
            let _ = stream.write_all(out.as_bytes());
            let _ = stream.write_all(&body);
        }
        Reply::Truncated { body, send } => {
            let out = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(out.as_bytes());
            let _ = stream.write_all(&body[..send.min(body.len())]);
        }
        Reply::Drop => {}
        Reply::Slow(wait, reply) => {
            thread::sleep(wait);
            send(stream, *reply);
            return;
        }
    }
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// The fixtures' routes: `/Liste` redirects to `/wiki/Liste_des_Pokemon` (the list page), any
/// path ending in `/NNNN.png` is that fixture image, `/wiki/TITLE` is the biology page of TITLE
/// (per `wiki/index.tsv`); anything else is a 404.
pub fn fixture_reply(path: &str) -> Reply {
    let dir = fixtures();
    if path == "/Liste" {
        return Reply::Full {
            status: 301,
            headers: vec![("Location".into(), "/wiki/Liste_des_Pokemon".into())],
            body: Vec::new(),
        };
    }
    if path == "/wiki/Liste_des_Pokemon" {
        let body = std::fs::read(dir.join("list.html")).expect("list.html");
        return Reply::ok("text/html; charset=UTF-8", body);
    }
    if let Some(name) = path.rsplit('/').next().filter(|n| n.ends_with(".png")) {
        return match std::fs::read(dir.join("images").join(name)) {
            Ok(body) => Reply::ok("image/png", body),
            Err(_) => Reply::status(404),
        };
    }
    if let Some(title) = path.strip_prefix("/wiki/") {
        let title = percent_encoding::percent_decode_str(title).decode_utf8_lossy();
        let index = std::fs::read_to_string(dir.join("wiki/index.tsv")).expect("index.tsv");
        let file = index
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .find(|(t, _)| *t == title)
            .map(|(_, f)| f.to_owned());
        if let Some(file) = file {
            let body = std::fs::read(dir.join("wiki").join(file)).expect("bio page");
            return Reply::ok("text/html; charset=UTF-8", body);
        }
    }
    Reply::status(404)
}

/// The body a fixture route serves (for building faults around it).
pub fn fixture_body(path: &str) -> Vec<u8> {
    match fixture_reply(path) {
        Reply::Full { body, .. } => body,
        other => panic!("no fixture body for {path}: {other:?}"),
    }
}

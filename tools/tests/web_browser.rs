//! The web page in a real browser: `pxby serve` on 127.0.0.1, headless Chromium driven through
//! chromedriver's W3C WebDriver API. The page generates with seed 1 and a fixed size; its token
//! stream must equal the host card's (`pxby generate`'s `card::render`, same options) byte for
//! byte, and its canvas the card's screen pixel for pixel. Then a broken model is uploaded: the
//! page shows the loader's message and the next run gives the same tokens (the previous model
//! stays). Last, absurd control values are clamped in the fields (or, for the seed, refused).
//! Completion: served with `--data` (a small dataset of the test helpers), the page completes a
//! validation item from its header and first rows; tokens and canvas must equal the host's
//! (`card::render_prompt`, what `pxby generate --complete` runs).
//! Speed: the same generation runs natively in this process (`pxby_web::Session`, the page's
//! path) and both speeds and their ratio are printed; nothing is asserted about timing.
//! Needs Debian's `chromium` and `chromium-driver` (`scripts/setup-chromium.sh`).

mod common;

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use embedded_graphics::{pixelcolor::Rgb888, prelude::*};
use pxby_screen::args::{Mode, Options};
use serde_json::{Value, json};

const MODEL: &[u8] = include_bytes!("../../fixtures/models/default-int8.pxby");

/// Kills a child process when dropped (the server and chromedriver never outlive the test).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `pxby serve --port 0 [extra]` and the URL it prints.
fn serve(extra: &[&std::ffi::OsStr]) -> (Killed, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pxby"))
        .args(["serve", "--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .expect("pxby serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    (Killed(child), url)
}

struct Driver {
    http: reqwest::blocking::Client,
    base: String,
    session: String,
    _process: Killed,
}

impl Driver {
    fn start(profile: &std::path::Path) -> Self {
        let port = free_port();
        let process = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (scripts/setup-chromium.sh)");
        let process = Killed(process);
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let t0 = Instant::now();
        while http.get(format!("{base}/status")).send().is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1100,760",
        ]
        .into_iter()
        .map(String::from)
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}
        }}});
        let reply = post_json(&http, &format!("{base}/session"), &caps);
        let session = reply["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {reply}"))
            .to_string();
        Self {
            http,
            base,
            session,
            _process: process,
        }
    }

    fn post(&self, path: &str, body: &Value) -> Value {
        let url = format!("{}/session/{}/{path}", self.base, self.session);
        let reply = post_json(&self.http, &url, body);
        reply["value"].clone()
    }

    fn get(&self, path: &str) -> Value {
        let url = format!("{}/session/{}/{path}", self.base, self.session);
        let text = self.http.get(&url).send().unwrap().text().unwrap();
        let reply: Value = serde_json::from_str(&text).unwrap();
        reply["value"].clone()
    }

    fn script(&self, script: &str) -> Value {
        self.post("execute/sync", &json!({"script": script, "args": []}))
    }

    /// Polls `expr` until it is neither null nor undefined.
    fn wait_for(&self, expr: &str) -> Value {
        let t0 = Instant::now();
        loop {
            let v = self.script(&format!("return {expr} ?? null;"));
            if !v.is_null() {
                return v;
            }
            if t0.elapsed() > Duration::from_secs(90) {
                let page = self.script(
                    "return [document.getElementById('model').textContent, \
                     document.getElementById('status').textContent];",
                );
                panic!("timed out on {expr}; the page says {page}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self.http.delete(url).send();
    }
}

/// POSTs `body` as JSON and reads the JSON reply; a WebDriver error (any status but 2xx) fails
/// the test with its message.
fn post_json(http: &reqwest::blocking::Client, url: &str, body: &Value) -> Value {
    let reply = http
        .post(url)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = reply.status();
    let text = reply.text().unwrap();
    assert!(status.is_success(), "{url}: {status}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A card's screen as RGBA (what the page's canvas holds).
fn card_rgba(card: &pxby_tools::card::Card) -> Vec<u8> {
    let mut rgba = Vec::new();
    for y in 0..pxby_screen::HEIGHT as i32 {
        for x in 0..pxby_screen::WIDTH as i32 {
            let c = Rgb888::from(card.display.get_pixel(Point::new(x, y)));
            rgba.extend_from_slice(&[c.r(), c.g(), c.b(), 255]);
        }
    }
    rgba
}

/// The page's path natively, in this process: the same run through `pxby_web::Session`
/// (pxby-core and pxby-screen into an RGBA screen), best of 3; `(tokens/s, model-alone
/// tokens/s)`; one run only in an unoptimized build. The tokens must be the page's.
fn native_speed(page_tokens: &str) -> (f64, f64) {
    let mut session = pxby_web::Session::new();
    session.load(MODEL).unwrap();
    let request = pxby_web::Request {
        seed: 1,
        temperature: 0.8,
        top_k: 8,
        structured: true,
        size: Some((16, 16)),
        window: 64,
        max_tokens: 1200,
    };
    let origin = Instant::now();
    let clock = || u64::try_from(origin.elapsed().as_micros()).unwrap_or(u64::MAX);
    let (mut best, mut best_model) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..if cfg!(debug_assertions) { 1 } else { 3 } {
        let t0 = Instant::now();
        let run = session.generate(&request, |_| {}, clock).unwrap();
        best = best.min(t0.elapsed().as_secs_f64() * 1000.0);
        best_model = best_model.min(run.model_ticks as f64 / 1000.0);
    }
    assert_eq!(hex(session.tokens()), page_tokens);
    let n = session.tokens().len() as f64;
    (1000.0 * n / best, 1000.0 * n / best_model)
}

#[test]
fn the_page_generates_the_cards_tokens_and_pixels_and_refuses_bad_input() {
    let opts = Options {
        seed: 1,
        temperature: 0.8,
        top_k: 8,
        mode: Mode::Structured,
        window: 64,
        max_tokens: 1200,
        size: Some((16, 16)),
        ..Options::default()
    };
    let model = pxby_core::Model::from_bytes(MODEL).unwrap();
    let card = pxby_tools::card::render(&model, &opts).unwrap();
    let card_pixels = card_rgba(&card);

    // The completion items come from a dataset of the test helpers (`pxby serve --data`).
    let data_dir = tempfile::tempdir().unwrap();
    let data = common::test_dataset(data_dir.path(), "d.pxds", &[10, 11, 20], 32);
    let (_server, url) = serve(&["--data".as_ref(), data.as_os_str()]);
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(profile.path());
    let t0 = Instant::now();
    driver.post(
        "url",
        &json!({"url": format!(
            "{url}?seed=1&temperature=0.8&topk=8&structured=1&sized=1&h=16&w=16&window=64&max=1200&autorun=1"
        )}),
    );
    let result = driver.wait_for("window.pxbyResult");
    let wall = t0.elapsed();
    assert_eq!(result["error"], Value::Null, "{result}");
    let tokens = result["tokens"].as_str().unwrap();
    assert_eq!(tokens, hex(&card.tokens), "token streams differ");
    let canvas = result["canvas"].as_str().unwrap();
    assert!(
        canvas == hex(&card_pixels),
        "the canvas differs from the card's screen"
    );
    let n = card.tokens.len() as f64;
    let ms = result["ms"].as_f64().unwrap();
    let model_ms = result["modelUs"].as_f64().unwrap() / 1000.0;
    eprintln!(
        "browser: {} tokens in {ms:.0} ms ({:.0} tokens/s; model alone {model_ms:.0} ms, {:.0} tokens/s); \
         first token {:.0} ms after navigation began; page load to result {:.0} ms",
        card.tokens.len(),
        1000.0 * n / ms,
        1000.0 * n / model_ms,
        result["firstTokenMs"].as_f64().unwrap(),
        wall.as_secs_f64() * 1000.0,
    );

    // The same run natively, in this process: printed, never asserted (machines are shared).
    let (native, native_model) = native_speed(tokens);
    let (browser, browser_model) = (1000.0 * n / ms, 1000.0 * n / model_ms);
    eprintln!(
        "native, in this process ({}): {native:.0} tokens/s (model alone {native_model:.0}); \
         browser {browser:.0} tokens/s (model alone {browser_model:.0}): native/browser = {:.2}x \
         (model alone {:.2}x)",
        if cfg!(debug_assertions) {
            "an unoptimized test build: run with --release for a fair ratio"
        } else {
            "release build"
        },
        native / browser,
        native_model / browser_model,
    );

    let first_token_ms = result["firstTokenMs"].as_f64().unwrap();
    assert!(
        first_token_ms < 1000.0,
        "page load to first token took {first_token_ms:.0} ms"
    );
    let shot = driver.get("screenshot");
    let png = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        shot.as_str().unwrap(),
    )
    .unwrap();
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-page.png");
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());

    // A broken model: refused with the loader's message, the previous model kept.
    let mut broken = MODEL.to_vec();
    let last = broken.len() - 1;
    broken[last] ^= 0xff;
    let reason = pxby_core::Model::from_bytes(&broken).err().unwrap();
    let file = profile.path().join("broken.pxby");
    std::fs::write(&file, &broken).unwrap();
    let input = driver.post(
        "element",
        &json!({"using": "css selector", "value": "#upload"}),
    );
    let id = input
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(Value::as_str)
        .unwrap()
        .to_string();
    driver.post(
        &format!("element/{id}/value"),
        &json!({"text": file.display().to_string()}),
    );
    let loaded = driver.wait_for("window.pxbyLoaded");
    assert_eq!(
        loaded["error"].as_str(),
        Some(format!("not a PixelBytes model: {reason}").as_str()),
        "{loaded}"
    );
    let shown = driver.script("return document.getElementById('status').textContent;");
    assert!(
        shown.as_str().unwrap().contains(&reason.to_string()),
        "{shown}"
    );
    driver.script("document.getElementById('go').click(); return null;");
    let again = driver.wait_for("window.pxbyResult");
    assert_eq!(again["tokens"].as_str(), Some(tokens));

    // Completion of validation item 10 from its header and first 2 rows: the host's tokens and
    // screen, byte for byte; the original is drawn beside it.
    let ds = pxby_data::dataset::Dataset::read(&data).unwrap();
    let item = ds.get(10).unwrap();
    let n = pxby_screen::demo::completion_prompt(&item.tokens, 2).unwrap();
    let host =
        pxby_tools::card::render_prompt(&model, &Options { size: None, ..opts }, &item.tokens[..n])
            .unwrap();
    driver.post(
        "url",
        &json!({"url": format!(
            "{url}?seed=1&temperature=0.8&topk=8&window=64&max=1200&item=10&rows=2&autorun=complete"
        )}),
    );
    let completed = driver.wait_for("window.pxbyResult");
    assert_eq!(completed["error"], Value::Null, "{completed}");
    assert_eq!(
        completed["tokens"].as_str().unwrap(),
        hex(&host.tokens),
        "completion token streams differ"
    );
    assert!(
        completed["canvas"].as_str().unwrap() == hex(&card_rgba(&host)),
        "the completion's canvas differs from the host card's screen"
    );
    let original_shown = driver.script("return !document.getElementById('original-box').hidden;");
    assert_eq!(original_shown, Value::Bool(true));
    // Too many rows are clamped to the item's height in the field.
    driver.post(
        "url",
        &json!({"url": format!("{url}?item=20&rows=99&autorun=complete")}),
    );
    let all_rows = driver.wait_for("window.pxbyResult");
    assert_eq!(all_rows["error"], Value::Null, "{all_rows}");
    assert_eq!(
        driver.script("return document.getElementById('rows').value;"),
        json!("4")
    );

    // Absurd control values: numbers are clamped into range (and shown so), a seed that is not
    // a whole number in u64 is refused.
    driver.post(
        "url",
        &json!({"url": format!(
            "{url}?seed=2&temperature=1e9&topk=999&sized=1&h=0&w=500&max=99999&autorun=1"
        )}),
    );
    let clamped = driver.wait_for("window.pxbyResult");
    assert_eq!(clamped["error"], Value::Null, "{clamped}");
    let fields = driver.script(
        "return ['temperature', 'topk', 'h', 'w', 'max']\
         .map((id) => document.getElementById(id).value);",
    );
    assert_eq!(fields, json!(["10", "255", "1", "32", "2048"]));
    for seed in ["-5", "18446744073709551616", "1e3"] {
        driver.post(
            "url",
            &json!({"url": format!("{url}?seed={seed}&autorun=1")}),
        );
        let refused = driver.wait_for(
            "(document.getElementById('status').className === 'error' \
             ? document.getElementById('status').textContent : null)",
        );
        assert!(
            refused.as_str().unwrap().starts_with("seed:"),
            "{seed}: {refused}"
        );
        assert_eq!(
            driver.script("return window.pxbyResult ?? null;"),
            Value::Null
        );
    }
}

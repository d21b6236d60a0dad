//! The web page in a real browser: `pxby serve` on 127.0.0.1, headless Chromium driven through
//! chromedriver's W3C WebDriver API. The page generates with seed 1 and a fixed size; its token
//! stream must equal the host card's (`pxby generate`'s `card::render`, same options) byte for
//! byte, and its canvas the card's screen pixel for pixel. Then a broken model is uploaded: the
//! page shows the loader's message and the next run gives the same tokens (the previous model
//! stays). Last, absurd control values are clamped in the fields (or, for the seed, refused).
//! Needs Debian's `chromium` and `chromium-driver` (`scripts/setup-chromium.sh`).

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

/// `pxby serve --port 0` and the URL it prints.
fn serve() -> (Killed, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pxby"))
        .args(["serve", "--port", "0"])
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
    let mut card_rgba = Vec::new();
    for y in 0..pxby_screen::HEIGHT as i32 {
        for x in 0..pxby_screen::WIDTH as i32 {
            let c = Rgb888::from(card.display.get_pixel(Point::new(x, y)));
            card_rgba.extend_from_slice(&[c.r(), c.g(), c.b(), 255]);
        }
    }

    let (_server, url) = serve();
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
        canvas == hex(&card_rgba),
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

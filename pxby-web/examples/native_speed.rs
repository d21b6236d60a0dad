//! Native speed of the page's path: the default int8 model through [`pxby_web::Session`] with
//! the browser test's options (seed 1, 16x16, structured, temperature 0.8, top-k 8, window 64),
//! timed like the page (whole loop, and the model alone). Run it with
//! `cargo run --release -p pxby-web --example native_speed` and compare with the browser test's
//! line (`cargo test -p pxby-tools --test web_browser -- --nocapture`).

use std::time::Instant;

use pxby_web::{Request, Session};

fn main() -> Result<(), pxby_web::WebError> {
    let mut session = Session::new();
    session.load(include_bytes!("../../fixtures/models/default-int8.pxby"))?;
    let request = Request {
        seed: 1,
        size: Some((16, 16)),
        ..Request::default()
    };
    let origin = Instant::now();
    let clock = || u64::try_from(origin.elapsed().as_micros()).unwrap_or(u64::MAX);
    let mut best = f64::INFINITY;
    let mut best_model = f64::INFINITY;
    for _ in 0..5 {
        let t0 = Instant::now();
        let run = session.generate(&request, |_| {}, clock)?;
        best = best.min(t0.elapsed().as_secs_f64() * 1000.0);
        best_model = best_model.min(run.model_ticks as f64 / 1000.0);
    }
    let n = session.tokens().len() as f64;
    println!(
        "native: {n} tokens in {best:.0} ms ({:.0} tokens/s; model alone {best_model:.0} ms, {:.0} tokens/s), best of 5",
        1000.0 * n / best,
        1000.0 * n / best_model
    );
    Ok(())
}

//! The C ABI the page calls (wasm only): one [`Session`] per page, bytes passed through buffers
//! that this module owns and whose addresses it hands out.
//!
//! This is the only module that allows `unsafe_code`, and it has no `unsafe` block: the lint
//! fires for `#[unsafe(no_mangle)]` on the exported functions and for the `unsafe extern`
//! block that imports the page's callbacks (declared `safe`: they take and return numbers only).
//!
//! Protocol: `pxby_input(len)` returns where to write `len` bytes of a model file, then
//! `pxby_load()` loads them (1) or leaves the previous model and sets the message (0).
//! `pxby_generate(..)` runs one generation; `pxby.on_token(token, count)` is called for each
//! token and may read the screen at `pxby_screen()` (it must not call back into the module).
//! After a run the tokens are at `pxby_tokens()`, `pxby_tokens_len()` long.
//!
//! Completion: write a dataset item's token stream at `pxby_input(len)`, then
//! `pxby_draw_original(id)` draws it as the original (its screen at `pxby_screen()`) and
//! `pxby_complete(.., rows)` completes it from its header and first `rows` rows.
#![allow(unsafe_code)]

use std::cell::RefCell;

use crate::{Request, Session};

#[link(wasm_import_module = "pxby")]
unsafe extern "C" {
    /// Called with each token (prompt first) and how many tokens came so far.
    safe fn on_token(token: u32, count: u32);
    /// The page's clock in milliseconds (`performance.now()`).
    safe fn now_ms() -> f64;
}

#[derive(Default)]
struct State {
    session: Session,
    input: Vec<u8>,
    message: String,
    model_us: u64,
    screen_us: u64,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Makes room for `len` bytes of input and returns their address.
#[unsafe(no_mangle)]
pub extern "C" fn pxby_input(len: usize) -> *mut u8 {
    STATE.with_borrow_mut(|s| {
        s.input.clear();
        s.input.resize(len, 0);
        s.input.as_mut_ptr()
    })
}

/// Loads the input as the model: 1 when it loads, 0 (and the reason in the message) when not.
#[unsafe(no_mangle)]
pub extern "C" fn pxby_load() -> u32 {
    STATE.with_borrow_mut(|s| {
        let input = std::mem::take(&mut s.input);
        match s.session.load(&input) {
            Ok(()) => {
                s.message.clear();
                1
            }
            Err(e) => {
                s.message = e.to_string();
                0
            }
        }
    })
}

/// Address of the last message (UTF-8).
#[unsafe(no_mangle)]
pub extern "C" fn pxby_message() -> *const u8 {
    STATE.with_borrow(|s| s.message.as_ptr())
}

/// Length of the last message in bytes.
#[unsafe(no_mangle)]
pub extern "C" fn pxby_message_len() -> usize {
    STATE.with_borrow(|s| s.message.len())
}

/// Address of the RGBA screen (it never moves).
#[unsafe(no_mangle)]
pub extern "C" fn pxby_screen() -> *const u8 {
    STATE.with_borrow(|s| s.session.rgba().as_ptr())
}

/// Address of the last run's tokens.
#[unsafe(no_mangle)]
pub extern "C" fn pxby_tokens() -> *const u8 {
    STATE.with_borrow(|s| s.session.tokens().as_ptr())
}

/// Number of the last run's tokens.
#[unsafe(no_mangle)]
pub extern "C" fn pxby_tokens_len() -> usize {
    STATE.with_borrow(|s| s.session.tokens().len())
}

/// Microseconds the last run spent in the model.
#[unsafe(no_mangle)]
pub extern "C" fn pxby_model_us() -> f64 {
    STATE.with_borrow(|s| s.model_us as f64)
}

/// Microseconds the last run spent drawing.
#[unsafe(no_mangle)]
pub extern "C" fn pxby_screen_us() -> f64 {
    STATE.with_borrow(|s| s.screen_us as f64)
}

/// `0xRRGGBB` of a colour token, -1 for a byte token.
#[unsafe(no_mangle)]
pub extern "C" fn pxby_token_rgb(token: u32) -> i32 {
    u8::try_from(token)
        .ok()
        .and_then(crate::token_rgb)
        .map_or(-1, |[r, g, b]| {
            (i32::from(r) << 16) | (i32::from(g) << 8) | i32::from(b)
        })
}

/// The byte of a byte token (a character of the header or caption), -1 for others.
#[unsafe(no_mangle)]
pub extern "C" fn pxby_token_byte(token: u32) -> i32 {
    u8::try_from(token)
        .ok()
        .and_then(pxby_core::vocab::token_to_byte)
        .map_or(-1, i32::from)
}

/// Draws the input (a dataset item's tokens) on the screen as item `id`'s original card.
#[unsafe(no_mangle)]
pub extern "C" fn pxby_draw_original(id: u32) {
    STATE.with_borrow_mut(|s| {
        let label = format!("original #{id}");
        s.session.draw_stream(&s.input, &label);
    });
}

/// Completes the input (a dataset item's tokens) from its header and first `rows` rows, as
/// `pxby generate --complete` does; 1 when the run completed, 0 (and the reason in the message)
/// when not.
#[unsafe(no_mangle)]
pub extern "C" fn pxby_complete(
    seed: u64,
    temperature: f32,
    top_k: u32,
    window: u32,
    max_tokens: u32,
    rows: u32,
) -> u32 {
    STATE.with_borrow_mut(|s| {
        let result = (|| {
            let top_k =
                u8::try_from(top_k).map_err(|_| "top-k must be between 0 and 255".to_string())?;
            let request = Request {
                seed,
                temperature,
                top_k,
                window: window as usize,
                max_tokens: max_tokens as usize,
                ..Request::default()
            };
            let mut count = 0u32;
            let clock = || (now_ms() * 1000.0) as u64;
            let item = std::mem::take(&mut s.input);
            let run = s.session.complete(
                &request,
                &item,
                rows as usize,
                |t| {
                    count += 1;
                    on_token(u32::from(t), count);
                },
                clock,
            );
            s.input = item;
            run.map_err(|e| e.to_string())
        })();
        finish(s, result)
    })
}

/// Records a run's times, or its error in the message: 1 or 0.
fn finish(s: &mut State, result: Result<pxby_screen::demo::Run, String>) -> u32 {
    match result {
        Ok(run) => {
            s.model_us = run.model_ticks;
            s.screen_us = run.screen_ticks;
            s.message.clear();
            1
        }
        Err(why) => {
            s.message = why;
            0
        }
    }
}

/// Generates with the page's options (`h`/`w` 0: no size prompt); 1 when the run completed,
/// 0 (and the reason in the message) when not.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn pxby_generate(
    seed: u64,
    temperature: f32,
    top_k: u32,
    structured: u32,
    h: u32,
    w: u32,
    window: u32,
    max_tokens: u32,
) -> u32 {
    STATE.with_borrow_mut(|s| {
        let result = (|| {
            let top_k =
                u8::try_from(top_k).map_err(|_| "top-k must be between 0 and 255".to_string())?;
            let size = match (u16::try_from(h), u16::try_from(w)) {
                (Ok(0), Ok(0)) => None,
                (Ok(h), Ok(w)) => Some((h, w)),
                _ => return Err("sprite sides must be between 1 and 32 pixels".to_string()),
            };
            let request = Request {
                seed,
                temperature,
                top_k,
                structured: structured != 0,
                size,
                window: window as usize,
                max_tokens: max_tokens as usize,
            };
            let mut count = 0u32;
            let clock = || (now_ms() * 1000.0) as u64;
            s.session
                .generate(
                    &request,
                    |t| {
                        count += 1;
                        on_token(u32::from(t), count);
                    },
                    clock,
                )
                .map_err(|e| e.to_string())
        })();
        finish(s, result)
    })
}

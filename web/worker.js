// Runs the model (pxby_web.wasm) off the page's thread and streams tokens and screens to it.
"use strict";

const RGBA_LEN = 160 * 128 * 4;
let wasm = null;
let screenPtr = 0; // the RGBA screen never moves; read once, as on_token may not call exports
let pending = [];
let lastPost = 0;
let started = 0;
let warming = false; // during the warm-up generation at start: no token messages

function screenCopy() {
  return new Uint8Array(wasm.memory.buffer, screenPtr, RGBA_LEN).slice();
}

function message() {
  const bytes = new Uint8Array(wasm.memory.buffer, wasm.pxby_message(), wasm.pxby_message_len());
  return new TextDecoder().decode(bytes);
}

function load(bytes) {
  const ptr = wasm.pxby_input(bytes.length);
  new Uint8Array(wasm.memory.buffer, ptr, bytes.length).set(bytes);
  return wasm.pxby_load() === 1 ? null : message();
}

const imports = {
  pxby: {
    // Called inside pxby_generate for each token: must not call back into the module.
    on_token(token, count) {
      if (warming) return;
      pending.push(token);
      const now = performance.now();
      if (count === 1 || now - lastPost > 30) {
        postMessage({ type: "tokens", tokens: pending, screen: screenCopy(), ms: now - started });
        pending = [];
        lastPost = now;
      }
    },
    now_ms: () => performance.now(),
  },
};

async function init() {
  const [module, model] = await Promise.all([
    WebAssembly.instantiateStreaming(fetch("pxby_web.wasm"), imports),
    fetch("default-int8.pxby").then((r) => {
      if (!r.ok) throw new Error(`default-int8.pxby: HTTP ${r.status}`);
      return r.arrayBuffer();
    }),
  ]);
  wasm = module.instance.exports;
  screenPtr = wasm.pxby_screen();
  const err = load(new Uint8Array(model));
  // The tables the page needs to draw the large sprite and the caption from tokens.
  const palette = [];
  const bytes = [];
  for (let t = 0; t < 113; t++) {
    const rgb = wasm.pxby_token_rgb(t);
    if (rgb >= 0) palette.push("#" + rgb.toString(16).padStart(6, "0"));
    bytes.push(wasm.pxby_token_byte(t));
  }
  if (!err) warmUp();
  postMessage({ type: "ready", error: err, palette, bytes });
}

// One short generation, never shown, before the first real one: WebAssembly engines start a
// module in a baseline compiler and recompile its hot functions with their optimising one only
// after they have run a while (V8's dynamic tiering), so without it the user's first
// generation ran mostly in baseline code, at a third of the speed of later ones.
function warmUp() {
  warming = true;
  try {
    wasm.pxby_generate(0n, 0.8, 8, 1, 16, 16, 64, 640);
  } finally {
    warming = false;
  }
}

onmessage = (e) => {
  const m = e.data;
  if (m.type === "load") {
    postMessage({ type: "loaded", error: load(new Uint8Array(m.bytes)), name: m.name });
  } else if (m.type === "generate" || m.type === "complete") {
    const o = m.options;
    let ok;
    if (m.type === "complete") {
      // The item's tokens go in the input: drawn first as the original, then completed.
      const item = m.item.tokens;
      const ptr = wasm.pxby_input(item.length);
      new Uint8Array(wasm.memory.buffer, ptr, item.length).set(item);
      wasm.pxby_draw_original(m.item.id);
      postMessage({ type: "original", screen: screenCopy() });
    }
    pending = [];
    started = performance.now();
    lastPost = started;
    if (m.type === "complete") {
      ok = wasm.pxby_complete(BigInt(o.seed), o.temperature, o.topK, o.window, o.max, m.rows);
    } else {
      ok = wasm.pxby_generate(BigInt(o.seed), o.temperature, o.topK, o.structured ? 1 : 0,
        o.h, o.w, o.window, o.max);
    }
    const ms = performance.now() - started;
    const n = wasm.pxby_tokens_len();
    const tokens = new Uint8Array(wasm.memory.buffer, wasm.pxby_tokens(), n).slice();
    postMessage({
      type: "done", error: ok === 1 ? null : message(), pending, tokens, screen: screenCopy(), ms,
      modelUs: wasm.pxby_model_us(), screenUs: wasm.pxby_screen_us(),
    });
    pending = [];
  }
};

init().catch((err) => postMessage({ type: "ready", error: String(err) }));

// The page: controls, the screen canvas, the large sprite and the model upload. The model runs
// in worker.js; the page only draws what it sends.
"use strict";

const $ = (id) => document.getElementById(id);
const ROW_SEP = 1;
const SEG_SEP = 2;
const FIRST_COLOUR = 58;
const U64_MAX = (1n << 64n) - 1n;
const screenCtx = $("screen").getContext("2d");
const spriteCanvas = $("sprite");
const spriteCtx = spriteCanvas.getContext("2d");
const worker = new Worker("worker.js");
const params = new URLSearchParams(location.search);
let palette = []; // colour token - FIRST_COLOUR -> "#rrggbb" (the worker sends the table)
let byteOf = []; // token -> byte of the caption's text, -1 for others
let run = null;
let items = []; // the completion items: {id, name, height, width, tokens (hex)}
let firstTokenMs = null;

function status(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "dim";
}

// Clamps a number field to [min, max] (integers when step is 1) and writes the value back, so
// the user sees what runs. Returns null (and says so) for text that is not a number.
function clamped(id, min, max, integer) {
  const el = $(id);
  let v = Number(el.value);
  if (el.value.trim() === "" || !Number.isFinite(v)) {
    status(`${id}: "${el.value}" is not a number`, true);
    return null;
  }
  if (integer) v = Math.round(v);
  v = Math.min(max, Math.max(min, v));
  el.value = String(v);
  return v;
}

function options() {
  const seedText = $("seed").value.trim();
  if (!/^[0-9]{1,20}$/.test(seedText) || BigInt(seedText) > U64_MAX) {
    status(`seed: "${seedText}" is not a whole number between 0 and ${U64_MAX}`, true);
    return null;
  }
  const temperature = clamped("temperature", 0, 10, false);
  const topK = clamped("topk", 0, 255, true);
  const h = clamped("h", 1, 32, true);
  const w = clamped("w", 1, 32, true);
  const max = clamped("max", 1, 2048, true);
  if ([temperature, topK, h, w, max].includes(null)) return null;
  const sized = $("sized").checked;
  return {
    seed: seedText, temperature, topK, structured: $("structured").checked,
    h: sized ? h : 0, w: sized ? w : 0, window: Number($("window").value), max,
  };
}

// The sprite as it arrives: rows of colour tokens between the first and second separators.
function drawSprite(tokens) {
  const rows = [[]];
  let segment = 0;
  const caption = [];
  for (const t of tokens) {
    if (t === SEG_SEP) { segment += 1; continue; }
    if (segment === 1) {
      if (t === ROW_SEP) rows.push([]);
      else if (t >= FIRST_COLOUR) rows[rows.length - 1].push(t);
    } else if (segment >= 2 && byteOf[t] >= 32) {
      caption.push(t);
    }
  }
  const w = Math.max(1, ...rows.map((r) => r.length));
  const h = Math.max(1, rows.filter((r) => r.length > 0).length);
  if (spriteCanvas.width !== w || spriteCanvas.height !== h) {
    spriteCanvas.width = w;
    spriteCanvas.height = h;
  }
  spriteCtx.clearRect(0, 0, w, h);
  rows.forEach((row, y) => row.forEach((t, x) => {
    spriteCtx.fillStyle = palette[t - FIRST_COLOUR];
    spriteCtx.fillRect(x, y, 1, 1);
  }));
  $("caption").textContent = caption.map((t) => String.fromCharCode(byteOf[t])).join("");
}

function drawScreen(screen) {
  screenCtx.putImageData(new ImageData(new Uint8ClampedArray(screen.buffer), 160, 128), 0, 0);
}

function drawOriginal(screen) {
  $("original-box").hidden = false;
  $("original").getContext("2d")
    .putImageData(new ImageData(new Uint8ClampedArray(screen.buffer), 160, 128), 0, 0);
}

function fromHex(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

// The completion items (/items.json: bundled at build time, or `pxby serve --data`).
async function loadItems() {
  try {
    const r = await fetch("items.json");
    items = r.ok ? await r.json() : [];
  } catch (e) {
    items = [];
  }
  const select = $("item");
  select.textContent = "";
  for (const it of items) {
    const o = document.createElement("option");
    o.value = String(it.id);
    o.textContent = `#${it.id} ${it.name} (${it.height}x${it.width})`;
    select.append(o);
  }
  if (items.length === 0) {
    $("items-note").textContent = "no items bundled: build with PXBY_DATASET=pokemon.pxds, " +
      "or run pxby serve --data pokemon.pxds";
  }
  if (params.has("item")) select.value = params.get("item");
  return items;
}

function complete() {
  const o = options();
  if (!o) return;
  const item = items.find((it) => String(it.id) === $("item").value);
  if (!item) {
    status("no completion item is chosen", true);
    return;
  }
  const rows = clamped("rows", 0, item.height, true);
  if (rows === null) return;
  $("go").disabled = true;
  $("complete").disabled = true;
  run = { tokens: [] };
  window.pxbyResult = null;
  status(`completing #${item.id} ${item.name} from ${rows} of ${item.height} rows…`, false);
  worker.postMessage({ type: "complete", options: o, rows, item: { id: item.id, tokens: fromHex(item.tokens) } });
}

function rate(n, ms) {
  return ms > 0 ? (1000 * n / ms).toFixed(0) : "–";
}

worker.onerror = (e) => {
  status(`the model's worker failed: ${e.message}`, true);
  window.pxbyResult = { error: e.message };
};
window.addEventListener("error", (e) => status(`the page failed: ${e.message}`, true));

worker.onmessage = (e) => {
  const m = e.data;
  if (m.type === "ready") {
    palette = m.palette;
    byteOf = m.bytes;
    if (m.error) {
      $("model").textContent = `the default model did not load: ${m.error}`;
      $("model").className = "error";
      return;
    }
    $("model").textContent = "default-int8.pxby";
    $("go").disabled = false;
    window.pxbyReadyMs = performance.now();
    loadItems().then(() => {
      $("complete").disabled = items.length === 0;
      if (params.get("autorun") === "complete") complete();
    });
    if (params.get("autorun") === "1") $("go").click();
  } else if (m.type === "loaded") {
    if (m.error) {
      status(`${m.name} was not loaded (the previous model stays): ${m.error}`, true);
    } else {
      $("model").textContent = m.name;
      status(`${m.name} loaded`, false);
    }
    window.pxbyLoaded = { name: m.name, error: m.error };
  } else if (m.type === "original") {
    drawOriginal(m.screen);
  } else if (m.type === "tokens") {
    if (firstTokenMs === null) firstTokenMs = performance.now();
    run.tokens.push(...m.tokens);
    drawScreen(m.screen);
    drawSprite(run.tokens);
    status(`${run.tokens.length} tokens, ${rate(run.tokens.length, m.ms)} tokens/s…`, false);
  } else if (m.type === "done") {
    $("go").disabled = false;
    $("complete").disabled = items.length === 0;
    if (m.error) {
      status(m.error, true);
      window.pxbyResult = { error: m.error };
      return;
    }
    const tokens = Array.from(m.tokens);
    drawScreen(m.screen);
    drawSprite(tokens);
    const pixels = screenCtx.getImageData(0, 0, 160, 128).data;
    window.pxbyResult = {
      tokens: tokens.map((t) => t.toString(16).padStart(2, "0")).join(""),
      canvas: Array.from(pixels, (b) => b.toString(16).padStart(2, "0")).join(""),
      ms: m.ms, modelUs: m.modelUs, screenUs: m.screenUs,
      firstTokenMs,
    };
    status(`${tokens.length} tokens in ${m.ms.toFixed(0)} ms: ${rate(tokens.length, m.ms)} tokens/s ` +
      `(model alone ${rate(tokens.length, m.modelUs / 1000)} tokens/s); first token ` +
      `${firstTokenMs.toFixed(0)} ms after the page started loading`, false);
  }
};

$("controls").addEventListener("submit", (e) => {
  e.preventDefault();
  const o = options();
  if (!o) return;
  $("go").disabled = true;
  $("original-box").hidden = true;
  run = { tokens: [] };
  window.pxbyResult = null;
  status("generating…", false);
  worker.postMessage({ type: "generate", options: o });
});

$("complete").addEventListener("click", complete);

$("upload").addEventListener("change", async () => {
  const file = $("upload").files[0];
  if (!file) return;
  if (file.size > 16 * 1024 * 1024) {
    status(`${file.name} is ${file.size} bytes: not a model of this handheld (16 MiB at most)`, true);
    return;
  }
  worker.postMessage({ type: "load", bytes: await file.arrayBuffer(), name: file.name });
});

// The URL sets the controls: ?seed=1&h=16&w=16&temperature=0.8&topk=8&structured=1&window=64&max=1200&autorun=1
// (completion: ?item=10&rows=8&autorun=complete)
for (const [key, id] of [["seed", "seed"], ["temperature", "temperature"], ["topk", "topk"],
  ["h", "h"], ["w", "w"], ["window", "window"], ["max", "max"], ["rows", "rows"]]) {
  if (params.has(key)) $(id).value = params.get(key);
}
if (params.has("structured")) $("structured").checked = params.get("structured") === "1";
if (params.has("sized")) $("sized").checked = params.get("sized") === "1";

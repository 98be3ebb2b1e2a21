// The barenet lab page: a form for a run, the buttons, and drawings of what the server streams.
// Everything here comes from the JSON API of barenet/web/lab/ (see README); the server does
// all the training and all the math, the page only draws it.
"use strict";

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const $ = (id) => document.getElementById(id);
const form = $("config");

let info = null;        // GET /api/lab
let runId = null;       // the current run
let data = null;        // GET /api/runs/{id}/data: the samples drawn on the plane
let snapshot = null;    // the last server-sent event
let events = null;      // the EventSource
let chosen = null;      // {index, split} of the traced sample
let creating = null;    // the pending POST /api/runs
let recreateTimer = 0;

// ------------------------------------------------------------------------------ the API

async function api(method, path, body) {
  const options = {method, headers: {}};
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const kind = response.headers.get("Content-Type") || "";
  const answer = kind.startsWith("application/json") ? await response.json()
               : response.status === 204 ? null : await response.text();
  if (!response.ok) {
    const why = answer && answer.error ? answer.error : `${response.status} ${response.statusText}`;
    throw new Error(why);
  }
  return answer;
}

function say(text, ok = false) {
  const message = $("message");
  message.textContent = text || "";
  message.classList.toggle("ok", ok);
}

async function guarded(action) {
  try {
    say("");
    return await action();
  } catch (err) {
    say(err.message);
    return null;
  }
}

// ---------------------------------------------------------------------------- the form

function fillSelect(select, values, labels = {}) {
  select.replaceChildren(...values.map((value) => {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = labels[value] || value;
    return option;
  }));
}

function datasetDefaults(dataset) {
  form.layers.value = info.layers[dataset];
  form.n.value = info.n[dataset];
  form.noise.value = dataset in info.noise ? info.noise[dataset] : "";
  document.querySelectorAll(".toy-only").forEach((el) => { el.hidden = dataset === "mnist"; });
}

function readConfig() {
  const config = {
    dataset: form.dataset.value,
    layers: form.layers.value.trim(),
    optimizer: form.optimizer.value,
    learning_rate: Number(form.learning_rate.value),
    batch_size: Number(form.batch_size.value),
    seed: Number(form.seed.value),
    n: Number(form.n.value),
  };
  if (config.dataset !== "mnist") config.noise = Number(form.noise.value);
  return config;
}

async function createRun() {
  const old = runId;
  if (events) events.close();
  events = null;
  runId = null;
  chosen = null;
  $("trace-panel").hidden = true;
  $("code-panel").hidden = true;
  if (old) api("DELETE", `/api/runs/${old}`).catch(() => {});
  const made = await guarded(() => api("POST", "/api/runs", readConfig()));
  if (!made) { showState(null); return; }
  runId = made.id;
  data = await api("GET", `/api/runs/${runId}/data`);
  layoutFor(data);
  showState(made.state);
  listen();
}

function scheduleRecreate() {
  clearTimeout(recreateTimer);
  recreateTimer = setTimeout(() => { creating = createRun(); }, 250);
}

function layoutFor(d) {
  const mnist = d.config.dataset === "mnist";
  const regression = d.task === "regression";
  $("boundary").hidden = mnist;
  $("plane-hint").hidden = mnist;
  $("mnist").hidden = !mnist;
  document.querySelector(".units").hidden = mnist;
  $("plane-title").textContent = mnist ? "MNIST digits" : regression ? "The fitted curve" : "Decision boundary";
  $("metric-name").textContent = regression ? "R²" : "accuracy";
  $("val-metric-name").textContent = regression ? "held-out R²" : "held-out accuracy";
  $("metric-curve-title").textContent = regression ? "R²" : "Accuracy";
  $("units-hint").textContent = regression
    ? "Each unit's activation a as x goes across the data."
    : "Each unit's activation a over the plane: orange positive, blue negative.";
  if (mnist) buildDigits(d.digits);
}

// --------------------------------------------------------------------------- the stream

function listen() {
  const id = runId;
  events = new EventSource(`/api/runs/${id}/events`);
  events.onmessage = (event) => {
    if (id !== runId) return;
    snapshot = JSON.parse(event.data);
    draw(snapshot);
  };
  events.addEventListener("gone", () => {
    events.close();
    say("The run was forgotten after a long pause; a new one starts.", true);
    scheduleRecreate();
  });
}

function draw(s) {
  showState(s.state);
  drawCurves(s.curves);
  drawGradients(s.gradients);
  if (s.boundary) drawPlane(s.boundary);
  drawUnits(s.units);
  if (s.mnist) drawMnist(s.mnist);
}

const fmt = (v, digits = 4) => (v === null || v === undefined ? "–" : Number(v).toFixed(digits));

function showState(state) {
  const button = $("train");
  if (!state) {
    for (const id of ["train", "step", "reset"]) $(id).disabled = true;
    return;
  }
  for (const id of ["train", "step", "reset"]) $(id).disabled = false;
  document.querySelector('[data-testid="step"]').textContent = state.step;
  $("epoch").textContent = state.epoch;
  document.querySelector('[data-testid="loss"]').textContent = fmt(state.loss);
  const regression = state.accuracy === null && state.r2 !== undefined;
  document.querySelector('[data-testid="accuracy"]').textContent =
    regression ? fmt(state.r2, 3) : `${fmt(100 * state.accuracy, 1)}%`;
  $("val-loss").textContent = fmt(state.val_loss);
  $("val-metric").textContent = regression ? fmt(state.val_r2, 3) : `${fmt(100 * state.val_accuracy, 1)}%`;
  button.textContent = state.status === "training" ? "Pause" : "Train";
  const finished = state.status === "diverged" || state.status === "done";
  button.disabled = finished;
  $("step").disabled = finished;
  if (state.status === "diverged") {
    say(`The loss is no longer finite at step ${state.step}: the run diverged. ` +
        "Lower the learning rate and press Reset.");
  }
}

// ---------------------------------------------------------------------------- the plane

function toPixel(canvas, extent, x, y) {
  const [low, high] = extent;
  return [(x - low) / (high - low) * canvas.width, (1 - (y - low) / (high - low)) * canvas.height];
}

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function drawPlane(b) {
  const canvas = $("boundary");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (b.classes) {
    // the heat map: each grid cell the predicted class's colour over white, paler when unsure
    const size = b.classes.length;
    const k = Math.max(2, data.classes);
    const cells = new ImageData(size, size);
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        const rgb = hexToRgb(COLORS[b.classes[i][j] % COLORS.length]);
        const certainty = (b.confidence[i][j] - 1 / k) / (1 - 1 / k);
        const strength = 0.12 + 0.4 * Math.max(0, certainty);
        const at = 4 * ((size - 1 - i) * size + j);  // row 0 of the grid is the lowest y
        for (let c = 0; c < 3; c++) cells.data[at + c] = 255 - strength * (255 - rgb[c]);
        cells.data[at + 3] = 255;
      }
    }
    const small = new OffscreenCanvas(size, size);
    small.getContext("2d").putImageData(cells, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  }
  drawSamples(ctx, canvas);
  if (b.prediction) drawFit(ctx, canvas, b);
}

function drawSamples(ctx, canvas) {
  const regression = data.task === "regression";
  const extent = regression ? sineExtent() : data.extent;
  const sets = [[data.X_val, data.y_val, "test"], [data.X, data.y, "train"]];
  for (const [X, y, split] of sets) {
    for (let i = 0; i < X.length; i++) {
      const [px, py] = regression ? toPixelXY(canvas, extent, X[i][0], y[i])
                                  : toPixel(canvas, extent, X[i][0], X[i][1]);
      const color = regression ? "#1f77b4" : COLORS[y[i] % COLORS.length];
      ctx.beginPath();
      ctx.arc(px, py, split === "train" ? 3.6 : 3.2, 0, 2 * Math.PI);
      if (split === "train") {
        ctx.fillStyle = color;
        ctx.fill();
        ctx.strokeStyle = "rgba(0, 0, 0, 0.6)";
        ctx.lineWidth = 0.8;
      } else {
        ctx.strokeStyle = color;
        ctx.lineWidth = 1.6;
      }
      ctx.stroke();
      if (chosen && chosen.split === split && chosen.index === i) {
        ctx.beginPath();
        ctx.arc(px, py, 8, 0, 2 * Math.PI);
        ctx.strokeStyle = "#000";
        ctx.lineWidth = 2;
        ctx.stroke();
      }
    }
  }
}

// sine: x across, y up; the window holds the data and the fitted curve
function sineExtent() {
  const xs = data.X.map((r) => r[0]);
  const ys = data.y.concat(snapshot && snapshot.boundary ? snapshot.boundary.prediction : []);
  const pad = (lo, hi) => [lo - 0.1 * (hi - lo || 1), hi + 0.1 * (hi - lo || 1)];
  return {x: pad(Math.min(...xs), Math.max(...xs)), y: pad(Math.min(...ys), Math.max(...ys))};
}

function toPixelXY(canvas, extent, x, y) {
  return [(x - extent.x[0]) / (extent.x[1] - extent.x[0]) * canvas.width,
          (1 - (y - extent.y[0]) / (extent.y[1] - extent.y[0])) * canvas.height];
}

function drawFit(ctx, canvas, b) {
  const extent = sineExtent();
  ctx.beginPath();
  b.x.forEach((x, i) => {
    const [px, py] = toPixelXY(canvas, extent, x, b.prediction[i]);
    if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
  });
  ctx.strokeStyle = "#ff7f0e";
  ctx.lineWidth = 2.5;
  ctx.stroke();
}

function nearestSample(event) {
  const canvas = $("boundary");
  const rect = canvas.getBoundingClientRect();
  const scale = canvas.width / rect.width;
  const mx = (event.clientX - rect.left) * scale;
  const my = (event.clientY - rect.top) * scale;
  const regression = data.task === "regression";
  const extent = regression ? sineExtent() : data.extent;
  let best = null;
  for (const [X, y, split] of [[data.X, data.y, "train"], [data.X_val, data.y_val, "test"]]) {
    for (let i = 0; i < X.length; i++) {
      const [px, py] = regression ? toPixelXY(canvas, extent, X[i][0], y[i])
                                  : toPixel(canvas, extent, X[i][0], X[i][1]);
      const d = Math.hypot(px - mx, py - my);
      if (d < 12 * scale && (!best || d < best.d)) best = {d, index: i, split};
    }
  }
  return best;
}

// --------------------------------------------------------------------------- the curves

function drawCurve(canvas, steps, train, val, fixedRange) {
  const ctx = canvas.getContext("2d");
  const {width, height} = canvas;
  const left = 46, bottom = 22, top = 8, right = 10;
  ctx.clearRect(0, 0, width, height);
  const values = train.concat(val).filter((v) => v !== null && Number.isFinite(v));
  if (!values.length) return;
  let [lo, hi] = fixedRange || [Math.min(0, ...values), Math.max(...values)];
  if (hi - lo < 1e-9) hi = lo + 1;
  const last = Math.max(1, steps[steps.length - 1]);
  const X = (s) => left + (s / last) * (width - left - right);
  const Y = (v) => top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom);
  ctx.strokeStyle = "#d5dbe2";
  ctx.fillStyle = "#5b6775";
  ctx.font = "11px system-ui, sans-serif";
  ctx.lineWidth = 1;
  for (let t = 0; t <= 4; t++) {
    const v = lo + (t / 4) * (hi - lo);
    ctx.beginPath();
    ctx.moveTo(left, Y(v));
    ctx.lineTo(width - right, Y(v));
    ctx.stroke();
    ctx.fillText(v.toPrecision(2), 2, Y(v) + 4);
  }
  ctx.fillText("step 0", left, height - 6);
  const end = `step ${last}`;
  ctx.fillText(end, width - right - ctx.measureText(end).width, height - 6);
  const line = (series, color, dash) => {
    ctx.beginPath();
    ctx.setLineDash(dash);
    let pen = false;
    series.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) { pen = false; return; }
      if (pen) ctx.lineTo(X(steps[i]), Y(v)); else ctx.moveTo(X(steps[i]), Y(v));
      pen = true;
    });
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.setLineDash([]);
  };
  line(val, "#e07b00", [5, 4]);
  line(train, "#2f6fdf", []);
}

function drawCurves(c) {
  drawCurve($("loss-curve"), c.step, c.loss, c.val_loss, null);
  const regression = data && data.task === "regression";
  const metrics = c.metric.concat(c.val_metric).filter((v) => v !== null);
  const lo = regression ? Math.min(0, ...metrics) : 0;
  drawCurve($("metric-curve"), c.step, c.metric, c.val_metric, [lo, 1]);
}

function drawGradients(gradients) {
  const box = $("gradients");
  const largest = Math.max(1e-12, ...gradients.map((g) => g.W || 0));
  box.replaceChildren();
  for (const g of gradients) {
    const name = document.createElement("span");
    name.textContent = `layer ${g.layer}`;
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.style.width = `${(100 * (g.W || 0)) / largest}%`;
    const value = document.createElement("span");
    value.textContent = g.W === null ? "not finite" : g.W.toExponential(2);
    value.title = `‖db${g.layer}‖ = ${g.b === null ? "–" : g.b.toExponential(2)}`;
    box.append(name, bar, value);
  }
}

// ------------------------------------------------------------------------ hidden units

function diverging(v) {  // v in [-1, 1]: blue, white, orange
  const t = Math.max(-1, Math.min(1, v));
  const [r, g, b] = t >= 0 ? [255, 127, 14] : [31, 119, 180];
  const s = Math.abs(t);
  return [255 - s * (255 - r), 255 - s * (255 - g), 255 - s * (255 - b)];
}

function imageCanvas(values, rows, cols, color, title) {
  const canvas = document.createElement("canvas");
  canvas.width = cols;
  canvas.height = rows;
  const img = new ImageData(cols, rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const rgb = color(values[i][j]);
      const at = 4 * (i * cols + j);
      img.data.set([rgb[0], rgb[1], rgb[2], 255], at);
    }
  }
  canvas.getContext("2d").putImageData(img, 0, 0);
  if (title) canvas.title = title;
  return canvas;
}

function drawUnits(layers) {
  const box = $("units");
  box.replaceChildren();
  for (const layer of layers) {
    const wrap = document.createElement("div");
    wrap.className = "layer-units";
    const title = document.createElement("h3");
    const shown = layer.a.length < layer.units ? `, the first ${layer.a.length}` : "";
    title.textContent = `layer ${layer.layer}: ${layer.units} ${layer.activation} units${shown}`;
    const thumbs = document.createElement("div");
    thumbs.className = "thumbs";
    layer.a.forEach((unit, j) => {
      let canvas;
      if (Array.isArray(unit[0])) {
        // row 0 of the grid is the lowest y: flip it so that up is up
        const rows = unit.slice().reverse();
        canvas = imageCanvas(rows, rows.length, rows[0].length, (v) => diverging(v / 100),
                             `unit ${j} of layer ${layer.layer}`);
      } else {
        canvas = lineCanvas(unit, `unit ${j} of layer ${layer.layer}`);
        thumbs.classList.add("curves1d");
      }
      thumbs.append(canvas);
    });
    wrap.append(title, thumbs);
    box.append(wrap);
  }
}

function lineCanvas(values, title) {
  const canvas = document.createElement("canvas");
  canvas.width = 80;
  canvas.height = 40;
  canvas.title = title;
  const ctx = canvas.getContext("2d");
  ctx.strokeStyle = "#d5dbe2";
  ctx.beginPath();
  ctx.moveTo(0, 20);
  ctx.lineTo(80, 20);
  ctx.stroke();
  ctx.beginPath();
  values.forEach((v, i) => {
    const x = (i / (values.length - 1)) * 80;
    const y = 20 - (v / 100) * 18;
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  });
  ctx.strokeStyle = "#ff7f0e";
  ctx.lineWidth = 1.5;
  ctx.stroke();
  return canvas;
}

// ------------------------------------------------------------------------------- MNIST

function pixelsToRows(pixels, side) {
  const rows = [];
  for (let i = 0; i < side; i++) rows.push(pixels.slice(i * side, (i + 1) * side));
  return rows;
}

function buildDigits(digits) {
  const box = $("digits");
  box.replaceChildren();
  digits.pixels.forEach((pixels, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "digit";
    button.dataset.index = i;
    const gray = (v) => [255 * v, 255 * v, 255 * v];
    button.append(imageCanvas(pixelsToRows(pixels, 28), 28, 28, gray, `test digit ${i}`));
    const probs = document.createElement("div");
    probs.className = "probs";
    for (let c = 0; c < 10; c++) probs.append(document.createElement("span"));
    const caption = document.createElement("div");
    caption.className = "caption";
    caption.textContent = `label ${digits.labels[i]}`;
    button.append(probs, caption);
    button.addEventListener("click", () => showTrace(i, "test"));
    box.append(button);
  });
}

function drawMnist(m) {
  const buttons = $("digits").querySelectorAll(".digit");
  m.probabilities.forEach((p, i) => {
    if (!buttons[i]) return;
    const best = p.indexOf(Math.max(...p));
    buttons[i].querySelectorAll(".probs span").forEach((bar, c) => {
      bar.style.height = `${Math.max(1, 100 * p[c])}%`;
      bar.classList.toggle("top", c === best);
      bar.title = `${c}: ${p[c].toFixed(3)}`;
    });
    buttons[i].querySelector(".caption").textContent =
      `label ${data.digits.labels[i]}, reads ${best} (${(100 * p[best]).toFixed(0)}%)`;
  });
  const box = $("weights");
  box.replaceChildren();
  m.weights.forEach((w, j) => {
    const limit = Math.max(1e-9, ...w.map(Math.abs));
    const color = (v) => { const [r, g, b] = diverging(v / limit); return [b, g, r]; };  // red +
    box.append(imageCanvas(pixelsToRows(w, 28), 28, 28, color, `W1[:, ${j}]`));
  });
}

// ------------------------------------------------------------------------- one sample

async function showTrace(index, split) {
  if (!runId) return;
  const t = await guarded(() => api("GET", `/api/runs/${runId}/trace?index=${index}&split=${split}`));
  if (!t) return;
  chosen = {index, split};
  document.querySelectorAll(".digit").forEach((el) => {
    el.classList.toggle("chosen", split === "test" && Number(el.dataset.index) === index);
  });
  if (snapshot && snapshot.boundary) drawPlane(snapshot.boundary);
  const panel = $("trace-panel");
  panel.hidden = false;
  const setName = split === "train" ? "training" : "held-out";
  $("trace-title").textContent =
    `Inside ${setName} sample #${index} at step ${t.step}: target ${fmtTarget(t.target)}, ` +
    `prediction ${fmtTarget(t.prediction)}, loss ${t.loss === null ? "–" : t.loss.toFixed(5)}`;
  const box = $("trace");
  box.replaceChildren();
  const L = t.forward.length;
  box.append(section("Forward pass: each layer's z and a (model.explain)", [
    row(`a0 = x (${t.x.length} inputs)`, numbers(t.x, 28)),
    ...t.forward.flatMap((f) => [row(f.formula.z, numbers(f.z)), row(f.formula.a, numbers(f.a))]),
  ]));
  const back = t.backward.flatMap((b) => {
    const rows = [];
    rows.push(row(b.formula.delta, numbers(b.delta)));
    rows.push(row(`${b.formula.dW}   (${b.dW.length}×${b.dW[0].length})`, matrix(b.dW)));
    rows.push(row(b.formula.db, numbers(b.db)));
    return rows;
  });
  box.append(section(
    `Backward pass: the output delta, then each layer's delta and this sample's dW and db ` +
    `(model.gradients on this one sample; in a batch of n it adds 1/n of them). L = ${L}.`,
    back));
  panel.scrollIntoView({behavior: "smooth", block: "nearest"});
}

function fmtTarget(v) {
  if (Array.isArray(v)) return `[${v.map((x) => Number(x).toFixed(3)).join(", ")}]`;
  return Number.isInteger(v) ? String(v) : Number(v).toFixed(4);
}

function section(title, rows) {
  const div = document.createElement("div");
  div.className = "trace-layer";
  const h = document.createElement("h3");
  h.textContent = title;
  div.append(h, ...rows);
  return div;
}

function row(formula, content) {
  const div = document.createElement("div");
  div.className = "row";
  const f = document.createElement("div");
  f.className = "formula";
  f.textContent = formula;
  div.append(f, content);
  return div;
}

const num = (v) => (v === null ? "nan" : Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2));

function numbers(values, side) {
  const div = document.createElement("div");
  div.className = "numbers";
  if (side && values.length === side * side) {  // an MNIST image: show it as one
    const gray = (v) => [255 * v, 255 * v, 255 * v];
    const canvas = imageCanvas(pixelsToRows(values, side), side, side, gray);
    canvas.style.width = "84px";
    div.append(canvas);
    return div;
  }
  const shown = values.slice(0, 64).map(num).join("  ");
  div.textContent = `[${shown}${values.length > 64 ? `  … ${values.length} values` : ""}]`;
  return div;
}

function matrix(rows) {
  const div = document.createElement("div");
  div.className = "numbers";
  const n = rows.length * rows[0].length;
  if (rows[0].length === 1) return numbers(rows.map((r) => r[0]));  // one unit: a column
  if (rows.length === 784) {  // MNIST's first layer: each unit's column as a 28x28 image
    let limit = 1e-12;
    for (const r of rows) for (const v of r) limit = Math.max(limit, Math.abs(v || 0));
    const thumbs = document.createElement("div");
    thumbs.className = "thumbs";
    for (let j = 0; j < rows[0].length; j++) {
      const column = rows.map((r) => r[j]);
      const color = (v) => { const [r, g, b] = diverging((v || 0) / limit); return [b, g, r]; };
      thumbs.append(imageCanvas(pixelsToRows(column, 28), 28, 28, color, `dW1[:, ${j}]`));
    }
    const caption = document.createElement("div");
    caption.className = "hint";
    caption.textContent = `each unit's column dW1[:, j] as a 28×28 image; largest |dW| ` +
                          `${limit.toExponential(2)} (red +, blue −)`;
    div.append(thumbs, caption);
    return div;
  }
  if (n <= 48) {
    div.textContent = rows.map((r) => `[${r.map(num).join("  ")}]`).join("\n");
    div.style.whiteSpace = "pre";
    return div;
  }
  let limit = 1e-12;
  for (const r of rows) for (const v of r) limit = Math.max(limit, Math.abs(v || 0));
  const canvas = imageCanvas(rows, rows.length, rows[0].length, (v) => diverging((v || 0) / limit));
  const scale = Math.max(1, Math.min(8, Math.floor(320 / Math.max(rows.length, rows[0].length))));
  canvas.style.width = `${rows[0].length * scale}px`;
  canvas.style.height = `${rows.length * scale}px`;
  const caption = document.createElement("div");
  caption.className = "hint";
  caption.textContent = `rows: inputs, columns: units; largest |dW| ${limit.toExponential(2)} ` +
                        "(orange +, blue −)";
  div.append(canvas, caption);
  return div;
}

// ---------------------------------------------------------------------------- buttons

async function onTrain() {
  if (!runId) return;
  const training = $("train").textContent === "Pause";
  const state = await guarded(() => training
    ? api("POST", `/api/runs/${runId}/pause`)
    : api("POST", `/api/runs/${runId}/train`, {speed: Number($("speed").value)}));
  if (state) showState(state);
}

async function onStep() {
  if (!runId) return;
  const choice = $("updates").value;
  const updates = choice === "epoch" ? snapshotEpoch() : Number(choice);
  const state = await guarded(() => api("POST", `/api/runs/${runId}/step`, {updates}));
  if (!state) return;
  showState(state);
  if (state.updates < updates && !["diverged", "done"].includes(state.status)) {
    say(`${state.updates} of ${updates} updates: a step trains for at most a second; ` +
        "press Step again for more, or Train", true);
  }
}

function snapshotEpoch() {
  return snapshot ? snapshot.state.batches_per_epoch : 1;
}

async function onReset() {
  if (!runId) return;
  const state = await guarded(() => api("POST", `/api/runs/${runId}/reset`));
  if (state) showState(state);
}

async function onShowCode() {
  if (!runId) return;
  const text = await guarded(() => api("GET", `/api/runs/${runId}/code`));
  if (text === null) return;
  $("code").textContent = text;
  const link = $("download-code");
  if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([text], {type: "text/x-python"}));
  $("code-panel").hidden = false;
  $("code-panel").scrollIntoView({behavior: "smooth", block: "nearest"});
}

async function start() {
  info = await api("GET", "/api/lab");
  const labels = {mnist: info.mnist ? "mnist (digits)" : "mnist (not on this machine)"};
  fillSelect(form.dataset, info.datasets, labels);
  form.dataset.querySelector('option[value="mnist"]').disabled = !info.mnist;
  fillSelect(form.optimizer, info.optimizers);
  form.dataset.value = info.defaults.dataset;
  form.optimizer.value = info.defaults.optimizer;
  form.learning_rate.value = info.defaults.learning_rate;
  form.batch_size.value = info.defaults.batch_size;
  form.seed.value = info.defaults.seed;
  datasetDefaults(info.defaults.dataset);

  form.addEventListener("change", (event) => {
    const field = event.target.name;
    if (field === "learning_rate") {
      if (!runId || !(Number(form.learning_rate.value) > 0)) return;
      guarded(() => api("PATCH", `/api/runs/${runId}`, {learning_rate: Number(form.learning_rate.value)}))
        .then((state) => { if (state) { showState(state); say(`learning rate ${state.learning_rate} from step ${state.step} on`, true); } });
      return;
    }
    if (field === "dataset") datasetDefaults(form.dataset.value);
    scheduleRecreate();
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  $("train").addEventListener("click", onTrain);
  $("step").addEventListener("click", onStep);
  $("reset").addEventListener("click", onReset);
  $("show-code").addEventListener("click", onShowCode);
  $("speed").addEventListener("change", () => {
    if (runId) guarded(() => api("PATCH", `/api/runs/${runId}`, {speed: Number($("speed").value)}));
  });
  $("copy-code").addEventListener("click", () => {
    navigator.clipboard.writeText($("code").textContent).then(() => say("copied", true),
                                                             () => say("could not copy"));
  });
  $("boundary").addEventListener("click", (event) => {
    if (!data || data.config.dataset === "mnist") return;
    const hit = nearestSample(event);
    if (hit) showTrace(hit.index, hit.split);
  });
  window.addEventListener("pagehide", () => {
    if (runId) fetch(`/api/runs/${runId}`, {method: "DELETE", keepalive: true});
  });
  creating = createRun();
}

start().catch((err) => say(`the lab could not start: ${err.message}`));

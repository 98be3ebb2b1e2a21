// The draw-a-digit page: draw with Pointer Events, POST the canvas as a PNG, show the answer.
// Plain JavaScript, no build step, nothing loaded from elsewhere. In the page that
// `barenet export --html` writes, standalone/barenet.js runs the network here instead of the
// server: window.barenet answers what api/model and api/predict would.
"use strict";

const engine = window.barenet; // undefined when the page is served by `barenet serve`

const canvas = document.getElementById("canvas");
const ctx = canvas.getContext("2d");
const preview = document.getElementById("preview");
const label = document.getElementById("label");
const top3 = document.getElementById("top3");
const hint = document.getElementById("hint");
const bars = document.getElementById("probabilities");
const hidden = document.getElementById("hidden");
const architecture = document.getElementById("architecture");
const statusLine = document.getElementById("status");

const DEBOUNCE_MS = 120;
let drawing = false;
let dirty = false; // something drawn since the last Clear
let last = null;
let timer = null;
let sequence = 0; // answers to older requests than the newest shown are dropped
let shown = 0;

function resetCanvas() {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = "#000";
  ctx.fillStyle = "#000";
  ctx.lineWidth = canvas.width / 14; // a thick round pen, as MNIST's strokes are thick
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
}

function point(event) {
  const rect = canvas.getBoundingClientRect();
  return {
    x: ((event.clientX - rect.left) * canvas.width) / rect.width,
    y: ((event.clientY - rect.top) * canvas.height) / rect.height,
  };
}

canvas.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
  drawing = true;
  dirty = true;
  last = point(event);
  ctx.beginPath();
  ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, 2 * Math.PI);
  ctx.fill();
  schedule();
});

canvas.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  event.preventDefault();
  const p = point(event);
  ctx.beginPath();
  ctx.moveTo(last.x, last.y);
  ctx.lineTo(p.x, p.y);
  ctx.stroke();
  last = p;
  schedule();
});

function stop() {
  if (!drawing) return;
  drawing = false;
  clearTimeout(timer);
  predict();
}
canvas.addEventListener("pointerup", stop);
canvas.addEventListener("pointercancel", stop);

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(predict, DEBOUNCE_MS);
}

// The answer for the drawing: {ok, status, data}, data as /api/predict returns it.
async function ask() {
  if (engine) {
    try {
      const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
      return { ok: true, status: 200, data: engine.read(image) };
    } catch (error) {
      return { ok: false, status: 400, data: { error: error.message } };
    }
  }
  const response = await fetch("api/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ image: canvas.toDataURL("image/png") }),
  });
  return { ok: response.ok, status: response.status, data: await response.json() };
}

async function predict() {
  if (!dirty) return;
  const id = ++sequence;
  try {
    const { ok, status, data } = await ask();
    if (id < shown || !dirty) return;
    shown = id;
    if (!ok) {
      statusLine.textContent = data.error || `error ${status}`;
      return;
    }
    statusLine.textContent = "";
    render(data);
  } catch (error) {
    statusLine.textContent = `the server did not answer (${error})`;
  }
}

function percent(p) {
  return p < 0.001 ? "<0.1%" : `${(100 * p).toFixed(1)}%`;
}

function render(data) {
  drawPreview(data.input);
  if (data.too_small) {
    // a dot or a speck: the network would read it confidently as some digit; ask for more
    label.textContent = "draw bigger";
    label.classList.add("too-small");
    hint.textContent = data.too_small;
    top3.replaceChildren();
    resetBars();
    resetHidden();
    return;
  }
  label.textContent = String(data.label);
  label.classList.remove("too-small");
  hint.textContent = "";
  const ranked = data.probabilities
    .map((p, digit) => ({ p, digit }))
    .sort((a, b) => b.p - a.p)
    .slice(0, 3);
  top3.replaceChildren(
    ...ranked.map(({ p, digit }) => {
      const item = document.createElement("li");
      item.dataset.digit = String(digit);
      item.append(cell("span", String(digit)), " ", cell("span", percent(p)));
      item.lastChild.className = "percent";
      return item;
    }),
  );
  const top = data.label;
  data.probabilities.forEach((p, digit) => {
    const bar = bars.children[digit];
    if (!bar) return;
    bar.dataset.probability = p.toFixed(6);
    bar.title = `${digit}: ${percent(p)}`;
    bar.querySelector(".fill").style.height = `${(100 * p).toFixed(1)}%`;
    bar.classList.toggle("top", digit === top);
  });
  data.hidden.forEach((activations, l) => {
    const grid = hidden.querySelectorAll(".grid")[l];
    if (!grid) return;
    let scale = 0;
    for (const a of activations) scale = Math.max(scale, Math.abs(a));
    activations.forEach((a, i) => {
      const unit = grid.children[i];
      const v = scale > 0 ? Math.round((255 * Math.abs(a)) / scale) : 0;
      unit.style.background = a < 0 ? `rgb(0, 0, ${v})` : `rgb(${v}, ${v}, ${v})`;
      unit.title = `unit ${i}: ${a.toFixed(3)}`;
    });
  });
}

function drawPreview(input) {
  const pctx = preview.getContext("2d");
  const image = pctx.createImageData(28, 28);
  input.forEach((v, i) => {
    const g = Math.round(255 * v); // white ink on black, as the network reads it
    image.data.set([g, g, g, 255], 4 * i);
  });
  pctx.putImageData(image, 0, 0);
}

function clearAll() {
  clearTimeout(timer);
  dirty = false;
  shown = ++sequence;
  resetCanvas();
  label.textContent = "";
  label.classList.remove("too-small");
  hint.textContent = "";
  top3.replaceChildren();
  statusLine.textContent = "";
  preview.getContext("2d").clearRect(0, 0, 28, 28);
  resetBars();
  resetHidden();
}

function resetBars() {
  for (const bar of bars.children) {
    bar.dataset.probability = "0";
    bar.title = "";
    bar.classList.remove("top");
    bar.querySelector(".fill").style.height = "0%";
  }
}

function resetHidden() {
  for (const unit of hidden.querySelectorAll(".unit")) {
    unit.style.background = "";
    unit.title = "";
  }
}
document.getElementById("clear").addEventListener("click", clearAll);

function buildBars(count) {
  bars.replaceChildren();
  for (let digit = 0; digit < count; digit++) {
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.dataset.digit = String(digit);
    bar.dataset.probability = "0";
    const fill = document.createElement("div");
    fill.className = "fill";
    const name = document.createElement("div");
    name.className = "digit";
    name.textContent = String(digit);
    bar.append(fill, name);
    bars.append(bar);
  }
}

function cell(tag, text) {
  const element = document.createElement(tag);
  element.textContent = text;
  return element;
}

function buildModel(info) {
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const name of ["layer", "kind", "size", "activation", "parameters"]) {
    head.append(cell("th", name));
  }
  const body = table.createTBody();
  for (const layer of info.layers) {
    const row = body.insertRow();
    const activation = layer.activation
      ? layer.activation + (layer.dropout ? ` + dropout ${layer.dropout}` : "")
      : "-";
    for (const text of [layer.index, layer.kind, layer.size, activation, layer.parameters]) {
      row.append(cell("td", String(text)));
    }
  }
  table.className = "layers";
  const note = cell("div", `${info.parameters} parameters, ${info.dtype}, loss ${info.loss}`);
  note.className = "note";
  architecture.replaceChildren(table, note);
  const rows = info.training_rows || [];
  if (rows.length) {
    // the same (name, text) rows that `barenet info` prints
    const training = document.createElement("table");
    training.className = "training";
    training.createCaption().textContent = "training";
    const tbody = training.createTBody();
    for (const [name, text] of rows) {
      const row = tbody.insertRow();
      row.append(cell("th", name), cell("td", text));
    }
    architecture.append(training);
  }

  hidden.replaceChildren();
  for (const layer of info.layers.filter((l) => l.kind === "hidden")) {
    const box = document.createElement("div");
    box.className = "layer";
    box.append(cell("div", `layer ${layer.index}: ${layer.size} ${layer.activation} units`));
    box.firstChild.className = "caption";
    const grid = document.createElement("div");
    grid.className = "grid";
    // NOTE: columns shrink below 12px on a narrow screen, so a wide layer never overflows
    grid.style.gridTemplateColumns = `repeat(${Math.ceil(Math.sqrt(layer.size))}, minmax(0, 12px))`;
    for (let i = 0; i < layer.size; i++) {
      const unit = document.createElement("div");
      unit.className = "unit";
      grid.append(unit);
    }
    box.append(grid);
    hidden.append(box);
  }
  const output = info.layers[info.layers.length - 1];
  buildBars(output.size);
}

resetCanvas();
buildBars(10);
(engine ? Promise.resolve(engine.model) : fetch("api/model").then((response) => response.json()))
  .then(buildModel)
  .catch((error) => {
    statusLine.textContent = `could not read the model (${error})`;
  });

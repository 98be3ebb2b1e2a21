// barenet in the browser: network.py's forward pass and images.py's preprocess, in plain
// JavaScript, for the page that `barenet export MODEL --html page.html` writes. The weights come
// from the page's <script id="barenet-model"> element; nothing is ever fetched.
//
//   window.barenet.predict(pixels)    784 values in [0, 1], a 28x28 image row by row
//                                     -> the output layer's activations (the probabilities)
//   window.barenet.preprocess(image)  an ImageData, or any {width, height, data: RGBA bytes}
//                                     -> the 784-value MNIST row images.preprocess makes of it
//   window.barenet.read(image)        preprocess, then forward: {label, probabilities, input,
//                                     hidden, too_small}, what the server's /api/predict answers
//   window.barenet.model              the architecture, what the server's /api/model answers
"use strict";
(() => {
  const spec = JSON.parse(document.getElementById("barenet-model").textContent);
  const f32 = Math.fround;

  // ------------------------------------------------------------ the network (network.py)
  // Rows are samples; here one sample, so x is (h_{l-1},), W{l} (h_{l-1}, h_l), b{l} (h_l,).

  // base64 of little-endian float32 -> {shape, data: Float32Array}
  function decode({ shape, data }) {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const view = new DataView(bytes.buffer);
    const values = new Float32Array(bytes.length / 4);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(4 * i, true);
    return { shape, data: values };
  }

  // activations.py: a = f(z), element by element (softmax over the whole row)
  const ACTIVATIONS = {
    identity: () => (z) => z,
    relu: () => (z) => z.map((v) => Math.max(v, 0)),
    leaky_relu:
      ({ alpha }) =>
      (z) =>
        z.map((v) => (v > 0 ? v : alpha * v)),
    sigmoid: () => (z) =>
      // NOTE: exp(-z) overflows for very negative z; exp(-|z|) never does
      z.map((v) => {
        const e = Math.exp(-Math.abs(v));
        return (v >= 0 ? 1 : e) / (1 + e);
      }),
    tanh: () => (z) => z.map((v) => Math.tanh(v)),
    softmax: () => (z) => {
      // NOTE: shift by the max, or exp overflows; the result is the same
      const top = max(z);
      const e = z.map((v) => Math.exp(v - top));
      const sum = e.reduce((s, v) => s + v, 0);
      return e.map((v) => v / sum);
    },
  };

  const layers = spec.layers.map(({ size, activation, config }) => ({
    size,
    activate: ACTIVATIONS[activation](config),
  }));
  const params = {};
  for (const [key, tensor] of Object.entries(spec.params)) params[key] = decode(tensor);

  // x @ W.  Shapes: x (rows,), W (rows, cols) -> (cols,)
  function matmul(x, W) {
    const [rows, cols] = W.shape;
    const out = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      if (x[i] === 0) continue; // NOTE: most of an MNIST row is 0: skipping it changes nothing
      for (let j = 0, k = i * cols; j < cols; j++, k++) out[j] += x[i] * W.data[k];
    }
    return out;
  }

  // u + b.  Shapes: u (cols,), b (cols,) -> (cols,)
  function add(u, b) {
    return u.map((v, j) => v + b.data[j]);
  }

  // network.py's _forward: the output activations, and per layer what it computed.
  // Shapes: X (d,) -> a_L (k,); cache[l-1].x (h_{l-1},), .z and .a (h_l,)
  function forward(X) {
    const cache = [];
    let x = X;
    for (let l = 1; l < layers.length; l++) {
      const z = add(matmul(x, params[`W${l}`]), params[`b${l}`]);
      const a = layers[l].activate(z);
      cache.push({ x, z, a });
      x = a;
    }
    return [x, cache];
  }

  function predict(pixels) {
    const d = layers[0].size;
    if (pixels == null || pixels.length !== d) {
      throw new TypeError(`predict expects ${d} pixel values; received ${pixels?.length}`);
    }
    const x = Float64Array.from(pixels, Number);
    const bad = x.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new RangeError(`pixel ${bad} is ${pixels[bad]}; every value must be finite`);
    return Array.from(forward(x)[0]);
  }

  // -------------------------------------------------------- preprocessing (images.py)
  // NOTE: images.py computes in float32: Float32Arrays and f32() round where it stores a value,
  // and its thresholds compare as float32 numbers; Python's round() rounds halves to even.
  const BOX = 20; // the digit's longer side is fitted to 20 pixels...
  const SIDE = 28; // ...and centered by mass in a 28x28 field, at (14, 14)
  const INK_THRESHOLD = f32(0.2);
  const RIM = 0.1;
  const RIM_THRESHOLD = f32(0.05);
  const MIN_CONTRAST = 0.1;
  const MIN_BOX_FRACTION = 0.25; // images.py's: a digit spans a quarter of the picture
  const MIN_INK_PIXELS = 12; // and has this many input pixels above 0.5
  const LUMA = [f32(0.299), f32(0.587), f32(0.114)]; // ITU-R 601, as Pillow's convert("L")

  function max(a) {
    let m = -Infinity;
    for (const v of a) if (v > m) m = v;
    return m;
  }
  function ptp(a) {
    let lo = Infinity;
    for (const v of a) if (v < lo) lo = v;
    return f32(max(a) - lo);
  }
  function roundHalfEven(v) {
    const r = Math.round(v);
    return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }
  function median(values) {
    const s = Float32Array.from(values).sort();
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : f32(f32(s[m - 1] + s[m]) / 2);
  }

  // NumPy's float32 sum of a[start:start + n]: pairwise, in blocks of 8 (its pairwise_sum).
  // NOTE: a digit drawn symmetrically has its center of mass on a half pixel: the last bit of
  // the mass decides where it goes, so the sums must be NumPy's, in NumPy's order
  function pairwiseSum(a, start = 0, n = a.length - start) {
    if (n < 8) {
      let s = 0;
      for (let i = start; i < start + n; i++) s = f32(s + a[i]);
      return s;
    }
    if (n <= 128) {
      const r = Array.from(a.subarray(start, start + 8));
      let i = 8;
      for (; i < n - (n % 8); i += 8) {
        for (let j = 0; j < 8; j++) r[j] = f32(r[j] + a[start + i + j]);
      }
      let s = f32(f32(f32(r[0] + r[1]) + f32(r[2] + r[3])) + f32(f32(r[4] + r[5]) + f32(r[6] + r[7])));
      for (; i < n; i++) s = f32(s + a[start + i]);
      return s;
    }
    const half = Math.floor(n / 2) - (Math.floor(n / 2) % 8);
    return f32(pairwiseSum(a, start, half) + pairwiseSum(a, start + half, n - half));
  }

  // _to_gray: luminance, alpha composited onto white (onto black when white leaves no contrast).
  // gray = alpha * luma + (1 - alpha) * background.  Shapes: (H, W, 4) bytes -> (H, W)
  function toGray({ width, height, data }) {
    const n = width * height;
    const luma = new Float32Array(n);
    const alpha = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const r = f32(data[4 * i] / 255);
      const g = f32(data[4 * i + 1] / 255);
      const b = f32(data[4 * i + 2] / 255);
      luma[i] = f32(f32(f32(r * LUMA[0]) + f32(g * LUMA[1])) + f32(b * LUMA[2]));
      alpha[i] = f32(data[4 * i + 3] / 255);
    }
    const onWhite = luma.map((v, i) => f32(alpha[i] * v) + f32(1 - alpha[i]));
    if (ptp(onWhite) < f32(MIN_CONTRAST) && f32(MIN_CONTRAST) <= ptp(alpha)) {
      return { width, height, data: luma.map((v, i) => alpha[i] * v) }; // light ink, no paper
    }
    return { width, height, data: onWhite };
  }

  // First and last row, first and last column where a pixel is above `threshold`.
  function boundingBox({ width, height, data }, threshold) {
    let [top, bottom, left, right] = [height, -1, width, -1];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (data[y * width + x] > threshold) {
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
          left = Math.min(left, x);
          right = Math.max(right, x);
        }
      }
    }
    return [top, bottom, left, right];
  }

  // image[top:bottom + 1, left:right + 1], clipped to the image as NumPy slices are.
  function crop(image, top, bottom, left, right) {
    const [y1, x1] = [Math.min(bottom + 1, image.height), Math.min(right + 1, image.width)];
    const [width, height] = [x1 - left, y1 - top];
    const data = new Float32Array(width * height);
    for (let y = 0; y < height; y++) {
      const row = (top + y) * image.width + left;
      data.set(image.data.subarray(row, row + width), y * width);
    }
    return { width, height, data };
  }

  // Pillow's resampling of a mode "F" image (its Resample.c): the filter, scaled by the size
  // ratio when shrinking, weighs the input pixels of each output pixel; rows first, then
  // columns, each pass summed in double precision and stored as float32.
  const FILTERS = {
    box: { support: 0.5, f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
    lanczos: { support: 3, f: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
  };
  function sinc(x) {
    return x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
  }
  function coefficients(inSize, outSize, { support, f }) {
    const scale = inSize / outSize;
    const filterScale = Math.max(scale, 1);
    const reach = support * filterScale;
    const out = [];
    for (let xx = 0; xx < outSize; xx++) {
      const center = (xx + 0.5) * scale;
      const xmin = Math.max(Math.trunc(center - reach + 0.5), 0);
      const xmax = Math.min(Math.trunc(center + reach + 0.5), inSize);
      const k = [];
      for (let x = xmin; x < xmax; x++) k.push(f((x - center + 0.5) / filterScale));
      const sum = k.reduce((s, w) => s + w, 0);
      out.push({ xmin, k: sum === 0 ? k : k.map((w) => w / sum) });
    }
    return out;
  }
  function resamplePass(image, outSize, filter, horizontal) {
    const [inW, inH] = [image.width, image.height];
    const [width, height] = horizontal ? [outSize, inH] : [inW, outSize];
    const data = new Float32Array(width * height);
    const coeffs = coefficients(horizontal ? inW : inH, outSize, filter);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const { xmin, k } = coeffs[horizontal ? x : y];
        let s = 0;
        for (let i = 0; i < k.length; i++) {
          const at = horizontal ? y * inW + xmin + i : (xmin + i) * inW + x;
          s += image.data[at] * k[i];
        }
        data[y * width + x] = s;
      }
    }
    return { width, height, data };
  }
  function resize(image, width, height, filter) {
    let out = image;
    if (width !== image.width) out = resamplePass(out, width, filter, true);
    if (height !== image.height) out = resamplePass(out, height, filter, false);
    return out;
  }

  // _mnistify: MNIST's normalization of one grayscale picture. Shapes: (H, W) -> (784,)
  function mnistify(image) {
    const { width: W, height: H } = image;
    let gray = image.data;
    const border = [];
    for (let x = 0; x < W; x++) border.push(gray[x], gray[(H - 1) * W + x]);
    for (let y = 0; y < H; y++) border.push(gray[y * W], gray[y * W + W - 1]);
    let background = median(border);
    if (background > 0.5) {
      // dark ink on paper: MNIST is light ink on black
      gray = gray.map((v) => 1 - v);
      background = 1 - background;
    }
    const contrast = max(gray) - background;
    if (contrast < MIN_CONTRAST) throw new Error("no digit found in the picture: it is blank");
    const ink = {
      width: W,
      height: H,
      data: gray.map((v) => Math.min(Math.max(f32(v - background) / f32(contrast), 0), 1)),
    };

    let [top, bottom, left, right] = boundingBox(ink, INK_THRESHOLD);
    const span = Math.max(bottom - top, right - left) + 1; // for tooSmall
    // NOTE: the threshold would shave off the faint anti-aliased rim of the strokes; take back
    // what lies just outside the box, or MNIST's own digits would not come back unchanged
    const rim = Math.max(2, roundHalfEven(RIM * Math.max(bottom - top + 1, right - left + 1)));
    [top, left] = [Math.max(top - rim, 0), Math.max(left - rim, 0)];
    const window = crop(ink, top, bottom + rim, left, right + rim);
    [top, bottom, left, right] = boundingBox(window, RIM_THRESHOLD);
    const box = crop(window, top, bottom, left, right);
    const [h, w] = [box.height, box.width];
    const scale = BOX / Math.max(h, w);
    const size = [Math.max(1, roundHalfEven(w * scale)), Math.max(1, roundHalfEven(h * scale))];
    const patch = resize(box, ...size, scale < 1 ? FILTERS.box : FILTERS.lanczos);
    // NOTE: LANCZOS rings below 0, hence the clip
    patch.data = patch.data.map((v) => Math.min(Math.max(v, 0), 1));
    const peak = max(patch.data);
    patch.data = patch.data.map((v) => v / peak);

    // r = (row sums @ [0, 1, ...]) / mass, c likewise with the column sums
    const mass = pairwiseSum(patch.data);
    const columns = new Float32Array(patch.width);
    let [r, c] = [0, 0];
    for (let y = 0; y < patch.height; y++) {
      r += y * pairwiseSum(patch.data, y * patch.width, patch.width);
      for (let x = 0; x < patch.width; x++) columns[x] += patch.data[y * patch.width + x];
    }
    for (let x = 0; x < patch.width; x++) c += x * columns[x];
    [r, c] = [r / mass, c / mass];
    const y0 = Math.min(Math.max(Math.floor(SIDE / 2 - r + 0.5), 0), SIDE - patch.height);
    const x0 = Math.min(Math.max(Math.floor(SIDE / 2 - c + 0.5), 0), SIDE - patch.width);
    const out = new Float32Array(SIDE * SIDE);
    for (let y = 0; y < patch.height; y++) {
      const row = patch.data.subarray(y * patch.width, (y + 1) * patch.width);
      out.set(row, (y0 + y) * SIDE + x0);
    }
    return { x: out, span, side: Math.min(W, H) };
  }

  // images.too_small: why the input is no digit to read (a dot, a speck), or null
  function tooSmall(x, span, side) {
    if (span < MIN_BOX_FRACTION * side) {
      return (
        `too small: the ink spans ${span} of the picture's ${side} pixels ` +
        `(${roundHalfEven((100 * span) / side)}%); draw bigger, across at least ` +
        `${100 * MIN_BOX_FRACTION}% of the picture`
      );
    }
    const count = x.filter((v) => v > 0.5).length;
    if (count < MIN_INK_PIXELS) {
      return (
        `too sparse: only ${count} of the ${SIDE * SIDE} input pixels hold ink, fewer than ` +
        `${MIN_INK_PIXELS}; draw bigger, in connected strokes`
      );
    }
    return null;
  }

  function preprocessable(image) {
    const { width, height, data } = image ?? {};
    if (!(width >= 1 && height >= 1 && data?.length === 4 * width * height)) {
      throw new TypeError("preprocess expects an ImageData: {width, height, data: RGBA bytes}");
    }
    return image;
  }

  function preprocess(image) {
    preprocessable(image);
    return Array.from(mnistify(toGray(image)).x);
  }

  function read(image) {
    const { x, span, side } = mnistify(toGray(preprocessable(image)));
    const input = Array.from(x);
    const [a, cache] = forward(Float64Array.from(input));
    const probabilities = Array.from(a);
    return {
      label: probabilities.indexOf(max(probabilities)),
      probabilities,
      input,
      hidden: cache.slice(0, -1).map((step) => Array.from(step.a)),
      too_small: tooSmall(input, span, side),
    };
  }

  window.barenet = { predict, preprocess, read, model: spec.info };
})();

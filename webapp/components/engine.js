// The browser's inference engine: every number the app computes in the browser comes from here. It mirrors vaedemo:
// preprocess (vaedemo/preprocess.py), the models' encode and decode (vaedemo/models.py), one sample's ELBO terms and
// the importance-weighted log p(x) (vaedemo/losses.py: elbo_terms, importance_weighted), a map's plane and the
// posterior's ellipse on it (vaedemo/viz.py). Python stays the reference: the browser tests check these numbers
// against it. components/__init__.py's asset() puts this file before the script of each component that computes.
// Arrays are flat and row-major as torch lays them out; the sums run in double precision over float32 weights.

const ID = 24;  // a packed model opens with its id, 24 hex digits (components/latent_map.py, pack)

// float16 -> float32 for every bit pattern, built once: typed arrays of float16 are too new to rely on.
let HALF = null;
function halfTable() {
  if (HALF) return HALF;
  HALF = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1, exponent = (bits >> 10) & 0x1f, fraction = bits & 0x3ff;
    HALF[bits] = sign * (exponent === 0 ? fraction * 2 ** -24
      : exponent === 31 ? (fraction ? NaN : Infinity) : (1 + fraction / 1024) * 2 ** (exponent - 15));
  }
  return HALF;
}

// A blob of latent_map.py's pack (id, uint32 header length, JSON header, arrays): {id, header, arrays}.
function unpack(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(ID, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(ID + 4, ID + 4 + length)));
  const start = bytes.byteOffset + ID + 4 + length;
  const arrays = header.arrays.map(([offset, type, count]) => {
    const at = bytes.buffer.slice(start + offset, start + offset + count * { f2: 2, f4: 4, u1: 1 }[type]);
    if (type === "f4") return new Float32Array(at);
    if (type === "u1") return new Uint8Array(at);
    const table = halfTable();
    return Float32Array.from(new Uint16Array(at), (bits) => table[bits]);
  });
  return { id: new TextDecoder().decode(bytes.subarray(0, ID)), header, arrays };
}

// A packed model as an object: kind, latent_dim, its map's plane (centre, axes) and test codes (points, labels), or a
// VQ-VAE's codebook; it decodes once its decoder's blob is added, and encodes once its encoder's is too (each fetched
// apart, header.decoder_file and header.encoder_file: decodes.js).
function parseModel(bytes) {
  const { id, header, arrays } = unpack(bytes);
  const layers = { encoder: null, decoder: null };
  const codebook = arrays[header.codebook];
  const d = header.latent_dim, input = (v, y) => (y === undefined ? v : [...v, ...oneHot(y)]);
  const model = {
    ...header, id, bytes, encoder: null, decoder: null, points: arrays[header.points], labels: arrays[header.labels], codebook,
    // part: "encoder" or "decoder"; blob: its packed layers, whose bytes the model keeps as model[part] (for a worker)
    add(part, blob) {
      const { header: { layers: list }, arrays: weights } = unpack(blob);
      layers[part] = list.map((layer) => ({ ...layer, weight: weights[layer.weight], bias: weights[layer.bias] }));
      model[part] = blob;
    },
    // z (d,) [, label y] -> logits (784,) / Bernoulli means (784,): models.py decode_logits / decode
    decodeLogits: (z, y) => run(layers.decoder, input(z, y)),
    decode: (z, y) => sigmoid(run(layers.decoder, input(z, y))),
    decodeCodes: (codes) => sigmoid(run(layers.decoder, vectorGrid(header, codebook, codes))),
    // x (784,) in [0, 1] [, label y] -> AE: {mu: z}; VAE, CVAE: {mu (d,), logvar (d,)}; VQ-VAE: {codes (grid²,)}
    encode: (x, y) => {
      const out = run(layers.encoder, input(x, y));
      if (header.kind === "vqvae") return { codes: nearestCodes(out, codebook, d, header.grid * header.grid) };
      return header.kind === "ae" ? { mu: out } : { mu: out.slice(0, d), logvar: out.slice(d) };
    },
  };
  return model;
}

function oneHot(y) {
  return Array.from({ length: 10 }, (_, i) => (i === y ? 1 : 0));
}

// A VQ-VAE's decoder input: the codebook vector of each cell's code (codes: grid * grid numbers, row by row), laid
// out as torch's (D, grid, grid).
function vectorGrid({ latent_dim: d, grid }, codebook, codes) {
  const cells = grid * grid, x = new Float64Array(d * cells);
  for (let cell = 0; cell < cells; cell++) {
    for (let j = 0; j < d; j++) x[j * cells + cell] = codebook[codes[cell] * d + j];
  }
  return x;
}

// losses.py nearest_codes: each cell's vector of z_e (D, cells) -> the nearest codebook entry (K, D), (cells,).
function nearestCodes(zE, codebook, d, cells) {
  const codes = new Int32Array(cells), k = codebook.length / d;
  for (let cell = 0; cell < cells; cell++) {
    let best = Infinity;
    for (let code = 0; code < k; code++) {
      let distance = 0;
      for (let j = 0; j < d; j++) distance += (zE[j * cells + cell] - codebook[code * d + j]) ** 2;
      if (distance < best) [best, codes[cell]] = [distance, code];
    }
  }
  return codes;
}

function sigmoid(logits) {
  return logits.map((v) => 1 / (1 + Math.exp(-v)));
}

// The layers of an nn.Sequential as latent_map.py's browser_layers packs them, run on one input.
function run(layers, input) {
  let x = Float64Array.from(input);
  for (const layer of layers) {
    if (layer.op === "relu") for (let i = 0; i < x.length; i++) x[i] = x[i] > 0 ? x[i] : 0;
    else if (layer.op === "linear") x = linear(layer, x);
    else x = convolve(layer, x);
  }
  return x;
}

// nn.Linear, its weight sent transposed (in, out): the inputs a ReLU zeroed (or no ink) are skipped, and the others
// go four at a time, each output read and written once for four rows of the weight.
function linear({ in: n, out: m, weight, bias }, x) {
  const y = Float64Array.from(bias), live = [];
  for (let i = 0; i < n; i++) if (x[i] !== 0) live.push(i);
  let g = 0;
  for (; g + 4 <= live.length; g += 4) {
    const [a, b, c, d] = [live[g] * m, live[g + 1] * m, live[g + 2] * m, live[g + 3] * m];
    const [va, vb, vc, vd] = [x[live[g]], x[live[g + 1]], x[live[g + 2]], x[live[g + 3]]];
    for (let j = 0; j < m; j++) y[j] += va * weight[a + j] + vb * weight[b + j] + vc * weight[c + j] + vd * weight[d + j];
  }
  for (; g < live.length; g++) {
    const v = x[live[g]], row = live[g] * m;
    for (let j = 0; j < m; j++) y[j] += v * weight[row + j];
  }
  return y;
}

// A convolution's weight laid out (in, k, k, out) once per model, so that the outputs one tap reaches lie side by
// side: torch's (out, in, k, k) for nn.Conv2d, (in, out, k, k) for nn.ConvTranspose2d.
function taps({ op, in: cin, out: cout, kernel: k, weight }) {
  const laid = new Float32Array(weight.length), kk = k * k;
  for (let c = 0; c < cin; c++) {
    for (let o = 0; o < cout; o++) {
      const from = op === "conv" ? (o * cin + c) * kk : (c * cout + o) * kk;
      for (let tap = 0; tap < kk; tap++) laid[(c * kk + tap) * cout + o] = weight[from + tap];
    }
  }
  return laid;
}

// For each input pixel of a convolution, the outputs its taps reach: [output offset, tap offset, ...] into the sums
// (t, t, out) and the laid weight (in, k, k, out) of input channel 0, where output * stride - padding + tap = input
// along each axis (nn.Conv2d), or input * stride - padding + tap = output (nn.ConvTranspose2d).
function reach({ op, out: cout, size_in: s, size_out: t, kernel: k, stride, padding }) {
  const along = Array.from({ length: s }, (_, i) => {
    const pairs = [];
    for (let tap = 0; tap < k; tap++) {
      const o = op === "conv" ? (i + padding - tap) / stride : i * stride - padding + tap;
      if (Number.isInteger(o) && o >= 0 && o < t) pairs.push([tap, o]);
    }
    return pairs;
  });
  return Array.from({ length: s * s }, (_, pixel) => Int32Array.from(along[Math.floor(pixel / s)].flatMap(([ky, oy]) =>
    along[pixel % s].flatMap(([kx, ox]) => [(oy * t + ox) * cout, (ky * k + kx) * cout]))));
}

// nn.Conv2d and nn.ConvTranspose2d alike: every input pixel adds its value times each tap that reaches an output
// into that output's channels (laid (t, t, out) while summing, torch's (out, t, t) at the end).
function convolve(layer, x) {
  const { in: cin, out: cout, size_in: s, size_out: t, kernel: k, bias } = layer;
  layer.laid ??= taps(layer);
  layer.reach ??= reach(layer);
  const { laid, reach: reached } = layer, sum = new Float64Array(t * t * cout), plane = s * s;
  for (let at = 0; at < t * t; at++) sum.set(bias, at * cout);
  for (let c = 0; c < cin; c++) {
    for (let pixel = 0; pixel < plane; pixel++) {
      const v = x[c * plane + pixel];
      if (v === 0) continue;
      const pairs = reached[pixel], channel = c * k * k * cout;
      for (let p = 0; p < pairs.length; p += 2) {
        const out = pairs[p], w = channel + pairs[p + 1];
        for (let o = 0; o < cout; o++) sum[out + o] += v * laid[w + o];
      }
    }
  }
  const y = new Float64Array(cout * t * t);
  for (let at = 0; at < t * t; at++) for (let o = 0; o < cout; o++) y[o * t * t + at] = sum[at * cout + o];
  return y;
}

// Python's round(): halves go to the even neighbour.
function roundHalfEven(v) {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 ? r - 1 : r;
}

// torch's F.interpolate(mode="bilinear", antialias=True, align_corners=False) along one axis: for each of m outputs,
// the inputs it reads and their weights (a triangle filter widened by the scale when shrinking, as PIL's).
function resampleWeights(n, m) {
  const scale = n / m, support = scale >= 1 ? scale : 1, inverse = scale >= 1 ? 1 / scale : 1;
  return Array.from({ length: m }, (_, i) => {
    const centre = scale * (i + 0.5);
    const from = Math.max(Math.trunc(centre - support + 0.5), 0), to = Math.min(Math.trunc(centre + support + 0.5), n);
    const weights = [];
    for (let j = from; j < to; j++) weights.push(Math.max(0, 1 - Math.abs((j - centre + 0.5) * inverse)));
    const total = weights.reduce((a, b) => a + b, 0);
    return { from, weights: weights.map((w) => w / total) };
  });
}

const BOX = 20, SIZE = 28, CENTRE = 14, INK = 0.1;  // preprocess.py's constants

// preprocess.py preprocess_drawing: a canvas's RGBA pixels (size * size * 4, white ink on black) -> the 28x28 digit
// (784,) in [0, 1] as MNIST's were made (the ink's box scaled to 20 pixels, centred by its centre of mass), or null.
function preprocess(rgba, size) {
  const ink = new Float64Array(size * size);
  let top = size, bottom = -1, left = size, right = -1;
  for (let i = 0; i < size * size; i++) {
    ink[i] = ((rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3 / 255) * (rgba[4 * i + 3] / 255);
    if (ink[i] >= INK) {
      const y = Math.floor(i / size), x = i % size;
      [top, bottom, left, right] = [Math.min(top, y), Math.max(bottom, y), Math.min(left, x), Math.max(right, x)];
    }
  }
  if (bottom < 0) return null;
  const h = bottom - top + 1, w = right - left + 1, scale = BOX / Math.max(h, w);
  const [sh, sw] = [Math.max(1, roundHalfEven(h * scale)), Math.max(1, roundHalfEven(w * scale))];
  const across = resampleWeights(w, sw), down = resampleWeights(h, sh);
  const rows = new Float64Array(h * sw);  // each row of the box resampled across, then each column down
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < sw; x++) {
      const { from, weights } = across[x];
      let v = 0;
      for (let j = 0; j < weights.length; j++) v += weights[j] * ink[(top + y) * size + left + from + j];
      rows[y * sw + x] = v;
    }
  }
  const box = new Float64Array(sh * sw);
  let mass = 0, my = 0, mx = 0;
  for (let y = 0; y < sh; y++) {
    const { from, weights } = down[y];
    for (let x = 0; x < sw; x++) {
      let v = 0;
      for (let j = 0; j < weights.length; j++) v += weights[j] * rows[(from + j) * sw + x];
      v = Math.min(Math.max(v, 0), 1);
      box[y * sw + x] = v;
      [mass, my, mx] = [mass + v, my + v * y, mx + v * x];
    }
  }
  const at = (centre, extent) => Math.min(Math.max(roundHalfEven(CENTRE - centre), 0), SIZE - extent);
  const y0 = at(my / mass, sh), x0 = at(mx / mass, sw);
  const digit = new Float64Array(SIZE * SIZE);
  for (let y = 0; y < sh; y++) digit.set(box.subarray(y * sw, (y + 1) * sw), (y0 + y) * SIZE + x0);
  return digit;
}

// BCE of Bernoulli logits against targets x, summed (F.binary_cross_entropy_with_logits, reduction="sum").
function bce(logits, x) {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.max(logits[i], 0) - logits[i] * x[i] + Math.log1p(Math.exp(-Math.abs(logits[i])));
  return sum;
}

// losses.py elbo_terms: the VAE's path for x (784,) with the noise eps (d,): mu, logvar, sigma, eps, z, x_hat (784,)
// and that sample's recon (BCE) and closed-form KL, in nats. An AE: its code and recon alone.
function elboTerms(model, x, eps) {
  const { mu, logvar } = model.encode(x);
  if (!logvar) {
    const logits = model.decodeLogits(mu);
    return { mu, z: mu, x_hat: sigmoid(logits), recon: bce(logits, x), kl: 0 };
  }
  const sigma = logvar.map((v) => Math.exp(0.5 * v)), z = mu.map((m, j) => m + eps[j] * sigma[j]);
  const logits = model.decodeLogits(z);
  let kl = 0;
  for (let j = 0; j < mu.length; j++) kl -= 0.5 * (1 + logvar[j] - mu[j] ** 2 - Math.exp(logvar[j]));
  return { mu, logvar, sigma, eps: Array.from(eps), z, x_hat: sigmoid(logits), recon: bce(logits, x), kl };
}

// losses.py importance_weighted for one image, in two steps (answer.js works the samples a share at a time off the
// main thread): the log w_k of the K samples z_k = mu + sigma * eps_k that epsK (K * d, row by row) gives,
// log w_k = log p(x | z_k) + log p(z_k) - log q(z_k | x) (Burda et al. 2016, eq. 8), a CVAE's given the label y (then
// of p(x | y)), (K,); then bound's {elbo, logpx} of them.
function logWeights(model, x, epsK, y) {
  const { mu, logvar } = model.encode(x, y), d = mu.length, k = epsK.length / d, logW = new Float64Array(k);
  for (let s = 0; s < k; s++) {
    const eps = epsK.slice(s * d, (s + 1) * d), z = mu.map((m, j) => m + eps[j] * Math.exp(0.5 * logvar[j]));
    let ratio = 0;
    for (let j = 0; j < d; j++) ratio -= 0.5 * (z[j] ** 2 - eps[j] ** 2 - logvar[j]);
    logW[s] = -bce(model.decodeLogits(z, y), x) + ratio;
  }
  return logW;
}

// {elbo, logpx} of the K samples' log w_k: their mean, and the log of their mean weight.
function bound(logW) {
  const k = logW.length, top = Math.max(...logW), mean = logW.reduce((a, b) => a + b, 0) / k;
  return { elbo: mean, logpx: top + Math.log(logW.reduce((a, v) => a + Math.exp(v - top), 0) / k) };
}

// A code z (d,) on a map's plane (latent_map.py's BrowserModel.project): its coordinates along the plane's axes.
function project(model, z) {
  return model.axes.map((axis) => axis.reduce((sum, a, j) => sum + a * (z[j] - model.centre[j]), 0));
}

// viz.py posterior_ellipse: the 2-sigma ellipse (points of the plane) of N(mu, diag(variance)) on the model's map.
function posteriorEllipse(model, mu, variance, points = 73) {
  const [a, b] = model.axes, cov = [0, 0, 0];  // the (2, 2) covariance on the plane: [aa, ab, bb]
  variance.forEach((v, j) => { cov[0] += a[j] * a[j] * v; cov[1] += a[j] * b[j] * v; cov[2] += b[j] * b[j] * v; });
  const mean = (cov[0] + cov[2]) / 2, spread = Math.hypot((cov[0] - cov[2]) / 2, cov[1]);
  const angle = 0.5 * Math.atan2(2 * cov[1], cov[0] - cov[2]);
  const r1 = 2 * Math.sqrt(Math.max(mean + spread, 0)), r2 = 2 * Math.sqrt(Math.max(mean - spread, 0));
  const [cx, cy] = project(model, mu), [c, s] = [Math.cos(angle), Math.sin(angle)];
  return Array.from({ length: points }, (_, i) => {
    const t = (2 * Math.PI * i) / (points - 1), u = r1 * Math.cos(t), v = r2 * Math.sin(t);
    return [cx + c * u - s * v, cy + s * u + c * v];
  });
}

// likelihood.py pixel_entropy: H(x) = sum_i h(x_i), h(p) = -p log p - (1 - p) log(1 - p), in nats.
function pixelEntropy(x) {
  const h = (p) => (p > 0 ? -p * Math.log(p) : 0);
  return x.reduce((sum, p) => sum + h(p) + h(1 - p), 0);
}

// eps ~ N(0, I) of d numbers (Box-Muller): a new posterior sample's noise (the Resample button).
function gaussian(d) {
  return Array.from({ length: d }, () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random()));
}

// Heavy sums off the page's main thread: a Web Worker runs this file's own text (the page sends it) and this, parses
// each model once from its bytes and answers calls of this file's functions by name.
const WORKER_MAIN = `const parsed = new Map();
onmessage = ({ data: { id, bytes, call, args, job } }) => {
  if (bytes) {
    parsed.set(id, parseModel(bytes.model));
    for (const part of ["encoder", "decoder"]) parsed.get(id).add(part, bytes[part]);
  }
  postMessage({ job, result: self[call](parsed.get(id), ...args) });
};`;

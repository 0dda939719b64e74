// A model as the browser sees it (components/latent_map.py packs it): its decoder, run here on every pointer move,
// and its test codes on the plane of its map; or a VQ-VAE's decoder and codebook (pack_codes), whose decodeCodes
// takes a grid of code numbers. It goes into globalThis.vaedemoModels under its id, where a map that
// started first left the functions waiting for it (latent_map.js).
const models = (globalThis.vaedemoModels ??= new Map());
const ID = 24;  // the blob opens with its id, 24 hex digits

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

function parse(bytes) {
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
  const layers = header.layers.map((layer) => ({ ...layer, weight: arrays[layer.weight], bias: arrays[layer.bias] }));
  const id = new TextDecoder().decode(bytes.subarray(0, ID));
  const codebook = arrays[header.codebook];
  return { ...header, id, layers, points: arrays[header.points], labels: arrays[header.labels], codebook,
           decode: (z) => decode(layers, z), decodeCodes: (codes) => decode(layers, vectorGrid(header, codebook, codes)) };
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

// The decoder on a code z (an array of latent_dim numbers): the 784 Bernoulli means, row by row, as torch computes
// them (float32 weights as sent, the sums in double precision).
function decode(layers, z) {
  let x = Float64Array.from(z);
  for (const layer of layers) {
    if (layer.op === "relu") x = x.map((v) => (v > 0 ? v : 0));
    else if (layer.op === "linear") x = linear(layer, x);
    else x = convTranspose(layer, x);
  }
  return x.map((v) => 1 / (1 + Math.exp(-v)));
}

function linear({ in: n, out: m, weight, bias }, x) {
  const y = Float64Array.from(bias);
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (v === 0) continue;  // most inputs after a ReLU
    for (let j = 0, row = i * m; j < m; j++) y[j] += v * weight[row + j];
  }
  return y;
}

// torch's ConvTranspose2d: every input pixel adds its kernel, scaled, into the output at stride steps.
function convTranspose({ in: cin, out: cout, size_in: s, size_out: t, kernel: k, stride, padding, weight, bias }, x) {
  const y = new Float64Array(cout * t * t);
  for (let o = 0; o < cout; o++) y.fill(bias[o], o * t * t, (o + 1) * t * t);
  for (let c = 0; c < cin; c++) {
    for (let iy = 0; iy < s; iy++) {
      for (let ix = 0; ix < s; ix++) {
        const v = x[(c * s + iy) * s + ix];
        if (v === 0) continue;
        for (let o = 0; o < cout; o++) {
          const w = ((c * cout + o) * k) * k, out = o * t * t;
          for (let ky = 0; ky < k; ky++) {
            const oy = iy * stride - padding + ky;
            if (oy < 0 || oy >= t) continue;
            for (let kx = 0; kx < k; kx++) {
              const ox = ix * stride - padding + kx;
              if (ox >= 0 && ox < t) y[out + oy * t + ox] += v * weight[w + ky * k + kx];
            }
          }
        }
      }
    }
  }
  return y;
}

export default function ({ data }) {
  if (!(data instanceof Uint8Array)) return;
  const id = new TextDecoder().decode(data.subarray(0, ID));
  if (models.get(id)?.model) return;  // the same model again: parsed already
  const model = parse(data);
  const waiting = models.get(id)?.waiting ?? [];
  models.set(id, { model });
  for (const use of waiting) use(model);
}

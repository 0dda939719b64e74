// A drawing's answer, computed here on every stroke with engine.js (components/answer.py): no message to the server.
// Three parts, each an element of its own where the page puts it, all following the page's canvas (its drawing comes
// through decodes.js's channel) or a digit the page sends (data.x):
// - pictures: the 28x28 input and each model's reconstruction of its code, and the code's marks on each model's map;
// - reparam: a VAE's path x -> mu, log sigma^2 -> z = mu + sigma * eps -> x_hat as a graph with the digit's numbers,
//   the picture of z and the Resample button (a new eps, shared with the maths through the "eps" channel);
// - maths: the loss's figures for this digit: one sample's ELBO terms, and log p(x) and the ELBO's gap from
//   data.eps_k's importance samples, computed after the pictures are painted;
// - likelihood: a VAE's -log p(x) of the digit (data.eps_k's importance samples) and its excess over the pixels'
//   entropy, each a dashed line on its histogram of two data sets' test images;
// - every_digit: a CVAE reads the digit (the label of its best ELBO, data.eps_k's samples for each of the ten) and
//   writes its style (the posterior mean given that label) as every digit; "Take my style" sends that style.
// Each root keeps its latest numbers (root.latest) and counts its answers (data-answers): the tests read them.

const fixed = (v, digits) => v.toFixed(digits).replace("-", "\u2212");
const vector = (v, digits, shown) => `(${[...Array.from(v).slice(0, shown).map((x) => fixed(x, digits)),
  ...(shown !== undefined && v.length > shown ? ["…"] : [])].join(", ")})`;
// A catalogue's text with its {name} and {name:.2f} filled in, as Python's str.format fills them.
const fill = (template, values) => template.replace(/\{(\w+)(?::\.(\d)f)?\}/g,
  (_, name, digits) => (digits === undefined ? values[name] : values[name].toFixed(Number(digits))));
const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const strong = (text) => escape(text).replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>");
const SHOWN = 3;  // entries of a longer code the graph shows (reparam.py's SHOWN before it)

// call(model, ...args) of engine.js (logWeights) in the page's one Web Worker, made from
// data.engine (engine.js's text); a promise of its result. Where a worker cannot start, on this thread.
function offMainThread(engine, model, call, args) {
  const state = (globalThis.vaedemoWorker ??= { worker: null, sent: new Set(), jobs: new Map(), next: 0 });
  try {
    if (!state.worker) {
      state.worker = new Worker(URL.createObjectURL(new Blob([engine, WORKER_MAIN], { type: "text/javascript" })));
      state.worker.onmessage = ({ data: { job, result } }) => {
        state.jobs.get(job)(result);
        state.jobs.delete(job);
      };
    }
  } catch {
    return Promise.resolve({ logWeights }[call](model, ...args));
  }
  const job = state.next++;
  const bytes = state.sent.has(model.id) ? undefined : { model: model.bytes, encoder: model.encoder, decoder: model.decoder };
  state.sent.add(model.id);
  state.worker.postMessage({ id: model.id, bytes, call, args, job });
  return new Promise((resolve) => state.jobs.set(job, resolve));
}

const CHUNK = 10;  // importance samples a call of the worker works (weighed)

// Whether a part's work on its digit has gone stale: once replaced() (a newer digit or sample asked for), or once a
// pen has touched a pad since (decodes.js, pen): that drawing is about to change.
function staleFrom(replaced) {
  const touched = pen.touches;
  return () => replaced() || pen.touches !== touched;
}

// losses.py importance_weighted(model, x, epsK[, y]) in the page's Web Worker, CHUNK samples a call, so that the
// worker leaves work gone stale (stale(), staleFrom) within a call's few milliseconds and the next stroke's pictures
// have both cores: a promise of {elbo, logpx}, or of null once stale.
async function weighed(engine, model, x, epsK, stale, y) {
  const d = model.latent_dim, logW = [];
  for (let at = 0; at < epsK.length; at += CHUNK * d) {
    if (stale()) return null;
    logW.push(...await offMainThread(engine, model, "logWeights", [x, epsK.slice(at, at + CHUNK * d), y]));
  }
  return stale() ? null : bound(logW);
}

// evaluate.py label_elbos for one image, weighed label by label: the CVAE's ELBO of x given each label 0..9 with the
// same noise, (10,), or null once stale.
async function labelElbos(engine, cvae, x, epsK, stale) {
  const elbos = [];
  for (let y = 0; y < 10; y++) {
    const found = await weighed(engine, cvae, x, epsK, stale, y);
    if (!found) return null;
    elbos.push(found.elbo);
  }
  return elbos;
}

// use(models) once every model of ids has arrived with its encoder; returns its undoing.
function whenModels(ids, use) {
  const found = [];
  let left = ids.length;
  const undos = ids.map((id, i) => whenEncoded(id, (model) => {
    found[i] = model;
    if (--left === 0) use(found);
  }));
  return () => undos.forEach((undo) => undo());
}

// The digit a part answers: its canvas's drawing, as it changes, or the page's own digit. A digit fetches the
// weights, where no pad has yet (decodes.js).
function followDigit(data, answer) {
  const each = (digit) => {
    if (digit) fetchWeights();
    answer(digit);
  };
  if (data.x) {
    each(data.x);
    return () => {};
  }
  return channel("drawing", data.canvas).follow(each);
}

// The page's posterior noise: the server's eps (the session's), until Resample draws another.
function sampleNoise(data) {
  const noise = channel("eps", data.sample), origin = JSON.stringify(data.eps);
  if (noise.get()?.origin !== origin) noise.publish({ eps: data.eps, origin });
  return noise;
}

// fn after the browser has painted what this task drew: the pictures and the stars show before the rest is worked.
const afterPaint = (fn) => requestAnimationFrame(() => setTimeout(fn, 0));

function pictures(root, data) {
  root.innerHTML = `<p class="hint"></p><div class="pictures">${data.captions.map((caption, i) =>
    `<figure><canvas width="28" height="28" role="img" aria-label="${escape(data.alts[i])}"></canvas>
    <figcaption>${escape(caption)}</figcaption></figure>`).join("")}</div>`;
  root.querySelector(".hint").textContent = data.hint;
  root.classList.toggle("lecture", Boolean(data.lecture));
  const canvases = root.querySelectorAll("canvas");
  let models = null, x;
  const answer = () => {
    const drawn = Boolean(x);
    root.classList.toggle("drawn", drawn);
    if (!drawn) {
      data.maps.forEach((key) => setMarks(key, { z: null, decoded: null, point: null, ellipse: null, stars: [] }));
      root.latest = null;
      return;
    }
    const codes = models.map((model) => model.encode(x));
    const rebuilt = models.map((model, i) => model.decode(codes[i].mu));
    const answers = Number(root.dataset.answers ?? 0) + 1;
    [x, ...rebuilt].forEach((pixels, i) => {
      paintDigit(canvases[i], pixels);
      canvases[i].dataset.shown = `${answers}.${i}`;  // which answer it shows (tests, benchmarks)
    });
    models.forEach((model, i) => {
      const { mu, logvar } = codes[i], z = Array.from(mu);
      setMarks(data.maps[i], { z, decoded: rebuilt[i], point: project(model, mu), ...(logvar ? {
        ellipse: posteriorEllipse(model, mu, logvar.map(Math.exp)) } : {}) });
    });
    root.latest = { x: Array.from(x), codes: codes.map(({ mu, logvar }) => ({ mu: Array.from(mu),
      logvar: logvar && Array.from(logvar) })), pictures: rebuilt.map((p) => Array.from(p)) };
    root.answeredAt = performance.now();
    root.dataset.answers = String(answers);
  };
  const stops = [followDigit(data, (digit) => { x = digit; if (models) answer(); }),
                 whenModels(data.models, (found) => { models = found; answer(); })];
  return () => stops.forEach((stop) => stop());
}

// The graph of the path, laid out as Graphviz laid it out before: x; mu and log sigma^2; eps and sigma; z; x_hat.
function graph(terms, words) {
  const box = (cx, cy, title, value, cls = "", half = 88) => `<g class="node ${cls}"><rect x="${cx - half}"
    y="${cy - 24}" width="${2 * half}" height="48" rx="9"/><text x="${cx}" y="${cy - 5}">${escape(title)}</text>
    <text x="${cx}" y="${cy + 15}">${escape(value)}</text></g>`;
  const arrow = ([x1, y1], [x2, y2], label = "") => `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"
    marker-end="url(#head)"/>${label ? `<text class="edge" x="${(x1 + x2) / 2 + 8}" y="${(y1 + y2) / 2}">${escape(label)}</text>` : ""}`;
  const v = (values, digits = 2) => vector(values, digits, SHOWN);
  return `<svg viewBox="0 0 560 430" aria-hidden="true">
    <defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">
    <path d="M0,0 L10,5 L0,10 z"/></marker></defs>
    ${arrow([230, 54], [130, 106], words.encoder)}${arrow([330, 54], [430, 106])}${arrow([460, 154], [460, 196])}
    ${arrow([100, 154], [200, 288])}${arrow([280, 244], [280, 286])}${arrow([460, 244], [360, 288])}
    ${arrow([280, 334], [280, 376], words.decoder)}
    ${box(280, 30, "x", words.x_name, "", 130)}${box(100, 130, "μ", v(terms.mu))}
    ${box(460, 130, "log σ²", v(terms.logvar))}${box(280, 220, "ε ~ N(0, I)", v(terms.eps), "noise")}
    ${box(460, 220, "σ = exp(½ log σ²)", v(terms.sigma, 3))}${box(280, 310, "z = μ + σ ⊙ ε", v(terms.z), "sample")}
    ${box(280, 400, "x̂", words.decoded_z, "", 130)}</svg>`;
}

function reparam(root, data) {
  const { words } = data;
  root.innerHTML = `<div class="reparam"><div class="graph" role="img"></div><figure class="z"><canvas width="28"
    height="28" role="img"></canvas><figcaption></figcaption><button type="button" class="resample"></button></figure>
    </div><p class="words"></p>`;
  root.querySelector(".graph").setAttribute("aria-label", words.alt_graph);
  root.querySelector(".z figcaption").textContent = words.x_hat;
  const button = root.querySelector("button.resample");
  button.textContent = words.resample;
  button.title = words.resample_help;
  root.classList.toggle("lecture", data.lecture);
  const noise = sampleNoise(data);
  let model = null, x = null;
  const answer = () => {
    root.classList.toggle("drawn", Boolean(x));
    if (!model || !x) {
      if (data.map) setMarks(data.map, { stars: [] });
      return;
    }
    const terms = elboTerms(model, x, noise.get().eps), d = terms.mu.length, shown = d > SHOWN ? SHOWN : undefined;
    root.querySelector(".graph").innerHTML = graph(terms, words);
    const picture = root.querySelector(".z canvas");
    paintDigit(picture, terms.x_hat);
    picture.setAttribute("aria-label", fill(words.alt_x_hat, { z: vector(terms.z, 2, SHOWN) }));
    const values = Object.fromEntries(["mu", "logvar", "sigma", "eps", "z"].map((name) => [name, vector(terms[name], 4, shown)]));
    root.querySelector(".words").innerHTML = [fill(words.values, values),
      ...(shown ? [fill(words.first_entries, { shown: SHOWN, d })] : []), words.explain].map(strong).join(" ");
    if (data.map) setMarks(data.map, { stars: [project(model, terms.z)] });
    root.latest = { ...terms, x_hat: Array.from(terms.x_hat), mu: Array.from(terms.mu), logvar: Array.from(terms.logvar) };
    root.dataset.answers = String(Number(root.dataset.answers ?? 0) + 1);
  };
  const resample = () => noise.publish({ ...noise.get(), eps: gaussian(data.eps.length) });
  button.addEventListener("click", resample);
  const stops = [followDigit(data, (digit) => { x = digit; afterPaint(answer); }), noise.follow(answer),
                 whenEncoded(data.model, (found) => { model = found; answer(); })];
  return () => {
    button.removeEventListener("click", resample);
    stops.forEach((stop) => stop());
  };
}

function maths(root, data) {
  const { words } = data;
  root.innerHTML = `<dl class="figures"></dl>`;
  const list = root.querySelector(".figures");
  const noise = data.eps ? sampleNoise(data) : null;
  let model = null, x = null, asked = 0;
  const show = (rows) => {
    list.innerHTML = rows.map(([term, value]) => `<div><dt>${escape(term)}</dt><dd>${escape(value)}</dd></div>`).join("");
  };
  const answer = () => {
    const question = ++asked;
    root.classList.toggle("drawn", Boolean(x));
    if (!model || !x) return show([]);
    const terms = elboTerms(model, x, noise ? noise.get().eps : []);
    if (!terms.logvar) {
      root.latest = { recon: terms.recon };
      show([[words.ae_loss, fixed(terms.recon, 1)]]);
      root.dataset.answers = String(Number(root.dataset.answers ?? 0) + 1);
    } else {
      root.latest = { recon: terms.recon, kl: terms.kl, elbo: -(terms.recon + terms.kl) };
      const sample = [[words.elbo, fixed(-(terms.recon + terms.kl), 1)], [words.recon, fixed(-terms.recon, 1)],
                      [words.kl, fixed(terms.kl, 2)]];
      show([...sample, [words.logpx, "…"]]);
      // the importance samples off the main thread: a stroke's pictures never wait for them
      weighed(data.engine, model, x, data.eps_k, staleFrom(() => question !== asked)).then((found) => {
        if (!found) return;
        const { elbo, logpx } = found;
        root.latest = { ...root.latest, iw_elbo: elbo, logpx };
        show([...sample, [words.logpx, fixed(logpx, 1)], [words.iw_elbo, fixed(elbo, 1)], [words.gap, fixed(logpx - elbo, 2)]]);
        root.dataset.answers = String(Number(root.dataset.answers ?? 0) + 1);
      });
    }
  };
  const stops = [followDigit(data, (digit) => { x = digit; afterPaint(answer); }),
                 ...(noise ? [noise.follow(answer)] : []),
                 whenEncoded(data.model, (found) => { model = found; answer(); })];
  return () => {
    asked++;
    stops.forEach((stop) => stop());
  };
}

function everyDigit(root, data, setTriggerValue) {
  const { words } = data;
  root.innerHTML = `<p class="hint"></p><div class="cvae"><div class="reading"><figure><img class="input">
    <figcaption></figcaption></figure><p class="verdict" aria-live="polite"></p></div><figure class="every"><img>
    <figcaption></figcaption></figure><table class="elbos"></table><p class="note"></p>
    <button type="button" class="style"></button></div>`;
  root.querySelector(".hint").textContent = words.hint;
  root.querySelector(".reading figcaption").textContent = words.input;
  root.querySelector("img.input").alt = words.alt_input;
  root.querySelector(".every img").alt = words.alt_every;
  root.querySelector(".note").textContent = words.elbo_note;
  const button = root.querySelector("button.style");
  button.textContent = words.take_style;
  button.title = words.take_style_help;
  let model = null, x = null, asked = 0, style = null;
  const answer = () => {
    const question = ++asked, digit = x;
    root.classList.toggle("drawn", Boolean(x));
    if (!model || !x) return;
    root.querySelector("img.input").src = digitURI(x);
    labelElbos(data.engine, model, x, data.eps_k, staleFrom(() => question !== asked)).then((elbos) => {
      if (!elbos) return;
      const x = digit, best = elbos.indexOf(Math.max(...elbos));
      const runnerUp = Math.max(...elbos.filter((_, y) => y !== best));
      style = Array.from(model.encode(x, best).mu);
      const row = document.createElement("canvas");
      row.width = 280;
      row.height = 28;
      Array.from({ length: 10 }, (_, y) => {
        const digit = document.createElement("canvas");
        digit.width = digit.height = 28;
        paintDigit(digit, model.decode(style, y));
        row.getContext("2d").drawImage(digit, 28 * y, 0);
      });
      root.querySelector(".every img").src = row.toDataURL("image/png");
      root.querySelector(".every figcaption").textContent = fill(words.your_style, { z1: style[0], z2: style[1], best });
      root.querySelector(".verdict").innerHTML = strong(fill(words.verdict, { best, elbo: elbos[best],
                                                                              margin: elbos[best] - runnerUp }));
      root.querySelector(".elbos").innerHTML = `<tr><th scope="row">y</th>${elbos.map((_, y) => `<td>${y}</td>`).join("")}</tr>
        <tr><th scope="row">ℒ(x, y)</th>${elbos.map((v, y) => `<td${y === best ? ' class="best"' : ""}>${fixed(v, 0)}</td>`).join("")}</tr>`;
      root.latest = { x: Array.from(x), elbos: Array.from(elbos), best, style };
      root.dataset.answers = String(Number(root.dataset.answers ?? 0) + 1);
    });
  };
  const take = () => { if (style) setTriggerValue("style", style); };
  button.addEventListener("click", take);
  const stops = [followDigit(data, (digit) => { x = digit; answer(); }),
                 whenEncoded(data.model, (found) => { model = found; answer(); })];
  return () => {
    asked++;
    button.removeEventListener("click", take);
    stops.forEach((stop) => stop());
  };
}

// A histogram of two data sets' scores as an SVG (bars on shared bins, overlaid), the drawing's value a dashed line.
function histogram({ title, axis, count_axis: countAxis, edges, series }, marker, markerLabel) {
  const [W, H, left, right, top, bottom] = [640, 330, 58, 14, 40, 92], count = Math.max(...series.flatMap((s) => s.counts));
  const x = (v) => left + ((v - edges[0]) / (edges.at(-1) - edges[0])) * (W - left - right);
  const y = (c) => H - bottom - (c / count) * (H - top - bottom);
  const ticks = (low, high) => {
    const rough = (high - low) / 6, power = 10 ** Math.floor(Math.log10(rough));
    const step = power * [1, 2, 5, 10].find((m) => m * power >= rough);
    return Array.from({ length: Math.floor(high / step) - Math.ceil(low / step) + 1 }, (_, i) => (Math.ceil(low / step) + i) * step);
  };
  const bars = series.map(({ counts, colour }) => counts.map((c, i) => c ? `<rect x="${x(edges[i])}" y="${y(c)}"
    width="${x(edges[i + 1]) - x(edges[i])}" height="${y(0) - y(c)}" fill="${colour}" fill-opacity="0.6"/>` : "").join("")).join("");
  const xTicks = ticks(edges[0], edges.at(-1)).map((v) => `<line x1="${x(v)}" x2="${x(v)}" y1="${y(0)}" y2="${y(0) + 5}"/>
    <text x="${x(v)}" y="${y(0) + 20}" class="tick">${v}</text>`).join("");
  const yTicks = ticks(0, count).map((c) => `<line x1="${left}" x2="${W - right}" y1="${y(c)}" y2="${y(c)}" class="grid"/>
    <text x="${left - 8}" y="${y(c) + 4}" class="tick y">${c}</text>`).join("");
  const legend = series.map(({ name, colour }, i) => `<rect x="${left + i * 280}" y="${H - 24}" width="14" height="14"
    fill="${colour}" fill-opacity="0.6"/><text x="${left + 20 + i * 280}" y="${H - 12}" class="legend">${escape(name)}</text>`).join("");
  const at = marker === null ? null : x(Math.min(Math.max(marker, edges[0]), edges.at(-1)));
  return `<svg viewBox="0 0 ${W} ${H}" aria-hidden="true"><text x="${left}" y="22" class="title">${escape(title)}</text>
    ${yTicks}${bars}<line x1="${left}" x2="${W - right}" y1="${y(0)}" y2="${y(0)}"/>${xTicks}
    <text x="${(left + W - right) / 2}" y="${H - 40}" class="axis">${escape(axis)}</text>
    <text transform="translate(16 ${(top + H - bottom) / 2}) rotate(-90)" class="axis">${escape(countAxis)}</text>${legend}
    ${at === null ? "" : `<line x1="${at}" x2="${at}" y1="${top}" y2="${y(0)}" class="marker"/>
    <text x="${at}" y="${top - 4}" class="axis">${escape(markerLabel)}</text>`}</svg>`;
}

function likelihood(root, data) {
  const { words } = data;
  root.innerHTML = `<p class="hint"></p><p class="last"></p><p class="yours" aria-live="polite"></p>${data.histograms.map(() =>
    `<figure class="histogram"><div class="chart" role="img"></div><figcaption></figcaption></figure>`).join("")}`;
  root.querySelector(".hint").textContent = words.hint;
  root.querySelector(".last").textContent = words.last;
  const figures = root.querySelectorAll("figure.histogram");
  let model = null, drawn = null, asked = 0, shownScores = null;
  const draw = (scores) => {
    const key = JSON.stringify(scores);
    if (key === shownScores) return;  // the same charts (the weights' arrival with no digit yet): not redrawn
    shownScores = key;
    data.histograms.forEach((shown, i) => {
      const marker = scores[shown.score];
      figures[i].querySelector(".chart").innerHTML = histogram(shown, marker, words.marker);
      figures[i].querySelector(".chart").setAttribute("aria-label", marker === null ? shown.alt
        : `${shown.alt} ${fill(words.alt_marker, { value: marker })}`);
      figures[i].querySelector("figcaption").textContent = shown.caption;
    });
  };
  const answer = () => {
    const x = drawn ?? data.x ?? null, question = ++asked;
    root.classList.toggle("drawn", Boolean(x));
    root.classList.toggle("from-last", !drawn && Boolean(data.x));
    if (x) fetchWeights();
    if (!x || !model) return draw({ nll: null, excess: null });
    weighed(data.engine, model, x, data.eps_k, staleFrom(() => question !== asked)).then((found) => {
      if (!found) return;
      const { logpx } = found;
      const scores = { nll: -logpx, excess: -logpx - pixelEntropy(x) };
      root.querySelector(".yours").innerHTML = strong(fill(words.yours, scores));
      draw(scores);
      root.latest = { x: Array.from(x), ...scores };
      root.dataset.answers = String(Number(root.dataset.answers ?? 0) + 1);
    });
  };
  const stops = [channel("drawing", data.canvas).follow((x) => { drawn = x; answer(); }),
                 whenEncoded(data.model, (found) => { model = found; answer(); })];
  answer();
  return () => {
    asked++;
    stops.forEach((stop) => stop());
  };
}

export default function ({ parentElement, data, setTriggerValue }) {
  const root = parentElement.querySelector(".answer");
  root.dataset.part = data.part;
  const part = { pictures, reparam, maths, likelihood, every_digit: everyDigit }[data.part];
  return restart(root, () => part(root, data, setTriggerValue));
}

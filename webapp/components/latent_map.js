// The latent map (components/latent_map.py): a model's test codes on the plane of its map, the marks a page asks
// for, and beside them the digit that the model's decoder makes of the point under the pointer, decoded here on
// every move. The server hears of it only when a page asks for picks and a point is picked. The same component, given
// `interpolation`, decodes two models along the lines between two codes as a slider moves.
// Streamlit calls this function again whenever the page sends new data (runs.js ends the previous call's run first):
// the elements it builds stay on the component's root, so it only redraws.
const marks = (globalThis.vaedemoMarks ??= new Map());  // a map's key -> {data, listeners} (marks.js)
const LATENCIES = 1000;  // the last this many pointer-move-to-painted-digit times stay on the root (benchmarks)

// The point a model decodes for a place on its map's plane: the plane's centre plus so much of each of its axes.
const codeAt = (model, [a, b]) => model.centre.map((c, j) => c + a * model.axes[0][j] + b * model.axes[1][j]);
const number = (v) => v.toFixed(2).replace("-", "−");
// A map's shading (components/latent_map.py's density_layer): each cell of a grid over its plane, the prior in amber
// and over it the aggregate posterior in blue, each as opaque as its share of the prior's peak (the prior's at most
// PRIOR_OPACITY, so that the blue over it shows).
const PRIOR_COLOUR = [245, 158, 11], CODES_COLOUR = [37, 99, 235], PRIOR_OPACITY = 0.6;
const shade = (prior, codes) => PRIOR_COLOUR.map((c, i) => {
  const under = 255 + PRIOR_OPACITY * prior * (c - 255);  // the prior's amber over white
  return under + codes * (CODES_COLOUR[i] - under);
});
const rgb = (colour) => `rgb(${colour.map(Math.round).join(", ")})`;

function niceTicks(low, high, count = 6) {
  const rough = (high - low) / count, power = 10 ** Math.floor(Math.log10(rough));
  const step = power * [1, 2, 5, 10].reduce((best, m) => (Math.abs(m * power - rough) < Math.abs(best * power - rough) ? m : best));
  const ticks = [];
  for (let tick = Math.ceil(low / step) * step; tick <= high + step * 1e-9; tick += step) ticks.push(Math.round(tick * 1e9) / 1e9);
  return ticks;
}

// Where the plot sits in a canvas of width x height css pixels: one scale for both axes, the other axis showing more.
function frameOf([x0, x1, y0, y1], width, height, text) {
  const left = 4.7 * text, top = 10, box = [width - left - 10, height - top - 3.8 * text];
  const scale = Math.min(box[0] / Math.max(x1 - x0, 1e-6), box[1] / Math.max(y1 - y0, 1e-6));
  const sx = (box[0] / scale - (x1 - x0)) / 2, sy = (box[1] / scale - (y1 - y0)) / 2;
  const f = { x0: x0 - sx, x1: x1 + sx, y0: y0 - sy, y1: y1 + sy, left, top, box, scale, width, height, text };
  f.pixel = ([x, y]) => [left + (x - f.x0) * scale, top + (f.y1 - y) * scale];
  f.plane = ([px, py]) => [Math.min(Math.max(f.x0 + (px - left) / scale, f.x0), f.x1),
                           Math.min(Math.max(f.y1 - (py - top) / scale, f.y0), f.y1)];
  return f;
}

// The canvas's 2-D context, cleared, at width x height css pixels and the screen's own pixel density. Resizing a
// canvas reallocates it: only when the size changed (not on every pointer move).
function sized(canvas, width, height) {
  const ratio = window.devicePixelRatio || 1, w = Math.round(width * ratio), h = Math.round(height * ratio);
  const pen = canvas.getContext("2d");
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  pen.setTransform(ratio, 0, 0, ratio, 0, 0);
  pen.clearRect(0, 0, width, height);
  pen.setLineDash([]);
  return pen;
}

// The shading as a picture of one pixel a cell, made once for each density layer the page sends.
function densityPicture(density) {
  if (density.picture) return density.picture;
  const n = density.cells, prior = density.prior, codes = density.aggregate;
  const picture = document.createElement("canvas");
  picture.width = picture.height = n;
  const pen = picture.getContext("2d"), pixels = pen.createImageData(n, n);
  for (let i = 0; i < n * n; i++) pixels.data.set([...shade(prior[i] / 255, codes[i] / 255), 255], 4 * i);
  pen.putImageData(pixels, 0, 0);
  return (density.picture = picture);
}

// The shading under the codes, stretched over the grid's square of the plane: the browser's bilinear smoothing draws
// each cell's colour at its middle and blends neighbours between them.
function drawDensity(canvas, f, density) {
  const pen = sized(canvas, f.width, f.height);
  canvas.hidden = !density;
  if (!density) return;
  const e = density.extent, [x0, y0] = f.pixel([-e, e]), [x1, y1] = f.pixel([e, -e]);
  pen.save();
  pen.beginPath();
  pen.rect(f.left, f.top, ...f.box);
  pen.clip();
  pen.imageSmoothingEnabled = true;
  pen.drawImage(densityPicture(density), x0, y0, x1 - x0, y1 - y0);
  pen.restore();
}

function drawCodes(canvas, f, points, labels, colours, names, shaded) {
  const pen = sized(canvas, f.width, f.height), family = getComputedStyle(canvas).fontFamily;  // the page's font
  pen.fillStyle = "#fff";
  pen.strokeStyle = "#d0d0d8";
  if (!shaded) pen.fillRect(f.left, f.top, ...f.box);  // shaded: the density's canvas under this one shows through
  pen.strokeRect(f.left, f.top, ...f.box);
  pen.save();
  pen.beginPath();
  pen.rect(f.left, f.top, ...f.box);
  pen.clip();
  // Shaded, the shading is the picture: each code a small grey dot over it, no class's colour to mistake for a shade.
  if (shaded) pen.globalAlpha = 0.4;
  const radius = shaded ? 1 : Math.max(2.5, f.text / 4), n = labels.length;
  let seed = 1;  // the same shuffled order every time: no digit always drawn on top of the others
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const i of order) {
    const [x, y] = f.pixel([points[2 * i], points[2 * i + 1]]);
    pen.fillStyle = shaded ? "#31333f" : colours[labels[i]];
    pen.beginPath();
    pen.arc(x, y, radius, 0, 2 * Math.PI);
    pen.fill();
  }
  pen.restore();
  pen.fillStyle = "#31333f";
  pen.font = `${f.text}px ${family}`;
  pen.textAlign = "center";
  pen.textBaseline = "top";
  const count = (pixels) => Math.max(2, Math.min(6, Math.floor(pixels / (3.5 * f.text))));  // labels that don't overlap
  for (const tick of niceTicks(f.x0, f.x1, count(f.box[0]))) pen.fillText(number(tick).replace(".00", ""), f.pixel([tick, 0])[0], f.top + f.box[1] + f.text / 3);
  pen.textAlign = "right";
  pen.textBaseline = "middle";
  for (const tick of niceTicks(f.y0, f.y1, count(f.box[1]))) pen.fillText(number(tick).replace(".00", ""), f.left - f.text / 2, f.pixel([0, tick])[1]);
  pen.font = `${(7 * f.text) / 6}px ${family}`;
  pen.textAlign = "center";
  pen.textBaseline = "bottom";
  pen.fillText(names[0], f.left + f.box[0] / 2, f.height - f.text / 6);
  pen.translate((4 * f.text) / 3, f.top + f.box[1] / 2);
  pen.rotate(-Math.PI / 2);
  pen.textBaseline = "middle";
  pen.fillText(names[1], 0, 0);
}

function star(pen, [x, y], size) {
  pen.beginPath();
  for (let i = 0; i < 10; i++) {
    const r = i % 2 ? size / 3 : (5 * size) / 6, a = Math.PI / 2 + (i * Math.PI) / 5;
    pen.lineTo(x + r * Math.cos(a), y - r * Math.sin(a));
  }
  pen.closePath();
  pen.fillStyle = "#000";
  pen.strokeStyle = "#fff";
  pen.lineWidth = 1.5;
  pen.fill();
  pen.stroke();
}

function drawMarks(canvas, f, data, mark, point, pointer) {
  const pen = sized(canvas, f.width, f.height);
  pen.save();
  pen.beginPath();
  pen.rect(f.left, f.top, ...f.box);
  pen.clip();
  pen.strokeStyle = "#000";
  for (const radius of data.circles) {
    pen.setLineDash(radius === 1 ? [] : [6, 4]);
    pen.lineWidth = 1.5;
    pen.beginPath();
    const [cx, cy] = f.pixel([0, 0]);
    pen.arc(cx, cy, radius * f.scale, 0, 2 * Math.PI);
    pen.stroke();
  }
  pen.setLineDash([]);
  if (mark.ellipse) {
    pen.lineWidth = 2;
    pen.beginPath();
    for (const xy of mark.ellipse) pen.lineTo(...f.pixel(xy));
    pen.stroke();
  }
  if (data.path) {
    const ends = data.path.map(f.pixel);
    pen.strokeStyle = pen.fillStyle = "crimson";
    pen.lineWidth = 3;
    pen.beginPath();
    pen.moveTo(...ends[0]);
    pen.lineTo(...ends[1]);
    pen.stroke();
    pen.font = `bold ${f.text * 1.2}px ${getComputedStyle(canvas).fontFamily}`;
    pen.textAlign = "center";
    ends.forEach(([x, y], i) => {
      pen.beginPath();
      pen.arc(x, y, 5, 0, 2 * Math.PI);
      pen.fill();
      pen.fillText("AB"[i], x, y - 9);
    });
  }
  if (point) star(pen, f.pixel(point), 1.6 * f.text);
  // the small stars over it: the Draw page's sample z lies within a narrow posterior's star
  // (mark.star_scale: smaller where a map has hundreds, a room's drawings)
  for (const other of mark.stars ?? []) star(pen, f.pixel(other), f.text * (mark.star_scale ?? 1));
  if (pointer) {
    const [x, y] = f.pixel(pointer);
    pen.strokeStyle = "#000";
    pen.lineWidth = 1.5;
    pen.beginPath();
    pen.arc(x, y, 7, 0, 2 * Math.PI);
    pen.moveTo(x - 11, y);
    pen.lineTo(x + 11, y);
    pen.moveTo(x, y - 11);
    pen.lineTo(x, y + 11);
    pen.stroke();
  }
  pen.restore();  // the clip, for the next call on this context
}

function map(root, data, setTriggerValue) {
  if (!root.built) {
    root.innerHTML = `<div class="body"><div class="plot"><canvas class="density" hidden></canvas><canvas class="codes"></canvas><canvas class="marks"></canvas></div>
      <div class="decoded"><canvas class="digit" width="28" height="28" role="img"></canvas><div class="z"></div></div>
      </div><div class="legend"></div>
      <label class="frames"><span></span><input type="range" min="0" step="1"></label><div class="caption"></div>`;
    root.built = true;
    root.latencies = [];
    root.dataset.decodes = "0";
  }
  const plot = root.querySelector(".plot"), digit = root.querySelector("canvas.digit"), label = root.querySelector(".z");
  const slider = root.querySelector(".frames input"), codes = root.querySelector("canvas.codes");
  if (!digit.hasAttribute("aria-label")) digit.setAttribute("aria-label", data.words.digit);  // named before its model comes
  // The legend: the classes' colours, or shaded, the two shades
  root.querySelector(".legend").innerHTML = data.density
    ? [[shade(1, 0), data.words.prior_shade], [shade(0, 1), data.words.codes_shade]]
      .map(([colour, name]) => `<span><i class="shade" style="background:${rgb(colour)}"></i>${name}</span>`).join("")
    : data.classes.map((name, i) => `<span><i style="background:${data.colours[i]}"></i>${name}</span>`).join("");
  root.querySelector(".caption").textContent = data.title;
  plot.setAttribute("role", "img");  // to a screen reader the map is one picture, named by its title
  plot.setAttribute("aria-label", data.title);
  root.style.setProperty("--text", `${data.text}px`);
  plot.classList.toggle("picks", data.pick);
  const frames = data.frames ?? null;
  root.querySelector(".frames").hidden = !frames || frames.length < 2;
  if (frames) {
    slider.max = frames.length - 1;
    if (root.framesShown !== frames.length) slider.value = frames.length - 1;  // a new epoch: show it
    root.framesShown = frames.length;
  }
  // The marks come in an element of their own (marks.js): the star's place, its code z, the ellipse.
  const entry = marks.get(data.key) ?? { listeners: new Set() };
  marks.set(data.key, entry);
  let mark = entry.data ?? {}, point = mark.point ?? null;
  let model = null, f = null, pressed = null;  // pressed: where the pointer went down
  const waits = [];  // the undoings of what this run waits for (decodes.js), for its cleanup
  root.querySelector(".decoded").hidden = !data.model;

  const rest = () => {
    drawMarks(root.querySelector("canvas.marks"), f, data, mark, point, null);
    root.dataset.point = point ? JSON.stringify(point) : "";  // where the star is drawn (tests, benchmarks)
    root.dataset.stars = (mark.stars ?? []).length;  // how many small stars are drawn (tests, benchmarks)
    root.dataset.starsAt = JSON.stringify(mark.stars ?? []);  // and where (tests)
    if (!model) return;
    if (mark.z || root.picked) {
      const z = root.picked ?? mark.z, decoded = !root.picked && mark.decoded;
      if (!decoded && !model.decoder) return waits.push(whenDecoded(model.id, rest));  // fetched once (decodes.js)
      paintDigit(digit, decoded || model.decode(z));  // a stroke's answer decoded it already
      label.textContent = z.length === 2 ? `z = (${z.map(number).join(", ")})` : data.words.your_code;
      digit.setAttribute("aria-label", data.words.decoded_at + label.textContent);
    } else {
      digit.getContext("2d").clearRect(0, 0, 28, 28);
      label.textContent = data.words.point_at;
      digit.setAttribute("aria-label", data.words.digit);
    }
  };
  const layout = () => {
    const width = plot.clientWidth;
    if (!width) return;
    f = root.frame = frameOf(data.bounds, width, Math.round(width * data.height), data.text);  // tests find points by it
    plot.style.height = `${f.height}px`;
    const shown = frames ? frames[slider.value] : null;
    const points = shown ? shown.points : model.points, labels = shown ? data.labels : model.labels;
    if (shown) root.querySelector(".frames span").textContent = shown.caption;
    // A stroke on the Draw page moves only the marks: the codes are drawn again only when they or their frame change.
    const drawn = JSON.stringify([data.model, slider.value, f.width, f.height, data.bounds, data.text, data.names,
                                  window.devicePixelRatio, Boolean(data.density)]);
    if (codes.drawn !== drawn || frames) {
      drawDensity(root.querySelector("canvas.density"), f, data.density);
      drawCodes(codes, f, points, labels, data.colours, data.names, Boolean(data.density));
    }
    codes.drawn = drawn;
    root.dataset.shaded = String(Boolean(data.density));  // the shading is drawn, or gone (tests)
    rest();
  };
  // Where the plot is on the screen, asked once per entry or scroll: asking on every move would make the browser
  // lay out the page again after the last move's label, half of a move's time (docs/benchmarks.md).
  let box = null;
  const forget = () => { box = null; };
  const at = (event) => {
    box ??= plot.getBoundingClientRect();
    return f.plane([event.clientX - box.left, event.clientY - box.top]);
  };
  // The decoder comes at the map's first hover or touch (decodes.js): meanwhile the latest point waits for it.
  let waiting = null;
  const decodeAt = (event) => {
    if (!model || !f) return;
    if (!model.decoder) {
      if (!waiting) waits.push(whenDecoded(model.id, () => { if (waiting) decodeAt(waiting); waiting = null; }));
      waiting = event;
      return;
    }
    const p = at(event), z = codeAt(model, p);
    paintDigit(digit, model.decode(z));
    drawMarks(root.querySelector("canvas.marks"), f, data, mark, point, p);
    label.textContent = model.latent_dim === 2 ? `z = (${z.map(number).join(", ")})` : `${data.words.pc_short} = (${p.map(number).join(", ")})`;
    digit.setAttribute("aria-label", data.words.decoded_at + label.textContent);
    root.dataset.z = JSON.stringify(z);
    root.dataset.decodes = String(+root.dataset.decodes + 1);
    root.latencies.push(performance.now() - event.timeStamp);
    if (root.latencies.length > LATENCIES) root.latencies.shift();
  };
  const pick = (event, dragged) => {
    const p = at(event), [px, py] = f.pixel(p);
    let row = null, best = dragged ? 0 : 36;  // a click within 6 pixels of a test code picks the code itself
    for (let i = 0; i < model.labels.length; i++) {
      const [x, y] = f.pixel([model.points[2 * i], model.points[2 * i + 1]]);
      const d = (x - px) ** 2 + (y - py) ** 2;
      if (d < best) [row, best] = [i, d];
    }
    point = row === null ? p : [model.points[2 * row], model.points[2 * row + 1]];
    root.picked = codeAt(model, point);
    setTriggerValue("pick", { z: root.picked, row });
  };
  const listeners = [
    [plot, "pointerenter", () => { forget(); if (model) whenDecoded(model.id, () => {}); }],
    [window, "scroll", forget, { capture: true, passive: true }],
    [plot, "pointerdown", (event) => {
      if (event.button > 0) return;
      forget();
      pressed = [event.clientX, event.clientY];
      plot.setPointerCapture(event.pointerId);
      decodeAt(event);
    }],
    [plot, "pointermove", (event) => { if (pressed || event.pointerType !== "touch") decodeAt(event); }],
    [plot, "pointerup", (event) => {
      if (!pressed) return;
      const dragged = Math.hypot(event.clientX - pressed[0], event.clientY - pressed[1]) > 4;
      pressed = null;
      if (data.pick && model) pick(event, dragged);
      if (event.pointerType === "mouse") decodeAt(event);
    }],
    [plot, "pointercancel", () => { pressed = null; rest(); }],
    [plot, "pointerleave", (event) => { if (!pressed && event.pointerType !== "touch") { waiting = null; rest(); } }],
    [slider, "input", () => layout()],
  ];
  for (const [target, type, handler, options] of listeners) target.addEventListener(type, handler, options);
  const observer = new ResizeObserver(() => { forget(); if (f && f.width !== plot.clientWidth) layout(); });
  observer.observe(plot);
  root.picked = null;
  const onMarks = (latest) => {
    [mark, point, root.picked] = [latest, latest.point ?? null, null];
    if (f) rest();
  };
  entry.listeners.add(onMarks);
  const start = (found) => {
    model = found;
    layout();
    root.dataset.ready = "true";
  };
  if (data.model) waits.push(whenModel(data.model, start));
  else start(null);
  return () => {
    root.dataset.ready = "";
    waits.forEach((undo) => undo());
    entry.listeners.delete(onMarks);
    observer.disconnect();
    for (const [target, type, handler, options] of listeners) target.removeEventListener(type, handler, options);
  };
}

function interpolation(root, data) {
  if (!root.built) {
    root.innerHTML = `<div class="digits"></div><input type="range" min="0" max="1000" value="500">
      <div class="ends"><span>A</span><span class="t"></span><span>B</span></div>`;
    root.built = true;
    root.latencies = [];
  }
  root.querySelector("input").setAttribute("aria-label", data.words.from_a_to_b);
  root.querySelector(".digits").innerHTML = data.captions
    .map((caption) => `<figure><canvas width="28" height="28" role="img" aria-label="${caption}"></canvas><figcaption>${caption}</figcaption></figure>`).join("");
  root.style.setProperty("--text", "1rem");
  const slider = root.querySelector("input"), canvases = root.querySelectorAll(".digits canvas"), found = [];
  const paint = (event) => {
    const t = slider.value / 1000;
    root.querySelector(".t").textContent = data.words.of_the_way.replace("{n}", Math.round(100 * t));
    found.forEach((model, i) => {
      if (!model) return;
      const [a, b] = data.ends[i];
      paintDigit(canvases[i], model.decode(a.map((v, j) => v + t * (b[j] - v))));
    });
    root.dataset.t = String(t);
    if (event) root.latencies.push(performance.now() - event.timeStamp);
  };
  const waits = data.models.map((id, i) => whenDecoded(id, (model) => {
    found[i] = model;
    paint();
    if (found.filter(Boolean).length === data.models.length) root.dataset.ready = "true";
  }));
  slider.addEventListener("input", paint);
  return () => {
    root.dataset.ready = "";
    waits.forEach((undo) => undo());
    slider.removeEventListener("input", paint);
  };
}

export default function ({ parentElement, data, setTriggerValue }) {
  const root = parentElement.querySelector(".latent");
  return restart(root, () => (data.interpolation ? interpolation(root, data) : map(root, data, setTriggerValue)));
}

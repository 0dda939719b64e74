// What each dimension means (components/dimensions.py; decodes.js comes before it): one row per latent dimension, that
// dimension alone moved in even steps from z_i - span to z_i + span around the code z, the other coordinates kept,
// each step decoded here by the model that model.js holds (vaedemo.latent.traversal is the reference). A slider
// under each row (or a finger or the pointer dragged along the row) moves the dimension continuously, and the
// picture at the row's end follows it, decoded at every move: nothing goes to the server.

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name]);
const signed = (v) => (Math.abs(v) < 0.005 ? "0.0" : `${v < 0 ? "−" : "+"}${Math.abs(v).toFixed(1)}`);

// The offsets of the steps from z_i: torch.linspace(-span, span, steps).
const offsets = (steps, span) => Array.from({ length: steps }, (_, k) => -span + (2 * span * k) / (steps - 1));

function canvas(className, label) {
  const element = document.createElement("canvas");
  element.width = element.height = 28;
  element.className = className;
  element.setAttribute("role", "img");
  element.setAttribute("aria-label", label);
  return element;
}

// A row's elements: its label, the strip of steps, the slider under it and the live picture at its end.
function buildRow(row, data) {
  const { words, steps, span } = data;
  const section = document.createElement("section");
  section.className = row.unused ? "row unused" : "row";
  section.dataset.index = row.index;
  const heading = document.createElement("div");
  heading.className = "heading";
  heading.id = `dimension-${row.index}`;
  const label = document.createElement("span");
  label.className = "label";
  label.textContent = row.label;
  heading.append(label);
  if (row.unused) {
    const note = document.createElement("span");
    note.className = "note";
    note.textContent = words.unused;
    heading.append(note);
  }
  section.setAttribute("role", "group");
  section.setAttribute("aria-labelledby", heading.id);
  const strip = document.createElement("div");
  strip.className = "strip";
  strip.style.setProperty("--steps", steps);
  strip.append(...offsets(steps, span).map((offset) => canvas("step", fill(words.step, { name: row.name, offset: signed(offset) }))));
  const slider = document.createElement("input");
  Object.assign(slider, { type: "range", min: -span, max: span, step: 0.1, value: 0 });
  slider.setAttribute("aria-label", fill(words.slider, { name: row.name }));
  const live = document.createElement("figure");
  live.className = "live";
  const caption = document.createElement("figcaption");
  const still = fill(words.step, { name: row.name, offset: signed(0) });
  live.append(canvas("live", fill(words.live, { moved: still })), caption);
  const track = document.createElement("div");
  track.className = "track";
  track.append(strip, slider);
  const body = document.createElement("div");
  body.className = "body";
  body.append(track, live);
  section.append(heading, body);
  return section;
}

export default function ({ parentElement, data }) {
  const root = parentElement.querySelector(".dimensions");
  return restart(root, () => traverse(root, data));
}

function traverse(root, data) {
  const { rows, words, steps, span } = data;
  const sent = JSON.stringify([data.model, data.z, rows, steps, span, words]);
  if (root.dataset.sent !== sent) {  // new rows (another model, digit or language): built afresh, decoded anew
    root.dataset.sent = sent;
    root.dataset.ready = "";
    root.dataset.decodes = "0";
    root.decoded = new Map();  // a dimension's index -> its steps' pictures (784 numbers each), for the tests
    root.replaceChildren(...rows.map((row) => buildRow(row, data)));
  }
  const sections = [...root.querySelectorAll("section.row")], shifts = offsets(steps, span);
  let model = null, stopped = false;

  // The live picture of a row: its dimension moved by the slider's offset (at a step's own offset, that step's).
  const paintLive = (section, row) => {
    const slider = section.querySelector("input"), offset = Number(slider.value);
    const k = shifts.findIndex((shift) => Math.abs(shift - offset) < 1e-9), z = [...data.z];
    z[row.index] += offset;
    const pixels = k >= 0 && root.decoded.has(row.index) ? root.decoded.get(row.index)[k] : model.decode(z);
    paintDigit(section.querySelector("canvas.live"), pixels);
    const text = fill(words.step, { name: row.name, offset: signed(offset) });
    section.querySelector("canvas.live").setAttribute("aria-label", fill(words.live, { moved: text }));
    section.querySelector("figcaption").textContent = signed(offset);
    slider.setAttribute("aria-valuetext", text);
    section.dataset.offset = String(offset);
  };

  const listeners = [];
  sections.forEach((section, r) => {
    const row = rows[r], slider = section.querySelector("input"), strip = section.querySelector(".strip");
    const moved = () => {
      if (!model) return;
      paintLive(section, row);
      root.dataset.decodes = String(+root.dataset.decodes + 1);
    };
    // A pointer or a finger on the strip moves the slider to the offset under it (the steps' middles at their own).
    const to = (event) => {
      const box = strip.getBoundingClientRect(), cell = box.width / steps;
      const share = Math.min(Math.max((event.clientX - box.left - cell / 2) / (box.width - cell), 0), 1);
      slider.value = String(Math.round((-span + 2 * span * share) * 10) / 10);
      moved();
    };
    const down = (event) => {
      if (event.button > 0) return;
      strip.setPointerCapture(event.pointerId);
      to(event);
    };
    const move = (event) => { if (strip.hasPointerCapture(event.pointerId)) to(event); };
    listeners.push([slider, "input", moved], [strip, "pointerdown", down], [strip, "pointermove", move]);
  });
  for (const [target, type, handler] of listeners) target.addEventListener(type, handler);

  // The steps, row by row, yielding to the page between rows: a convolutional decoder's 112 decodes take a second on
  // a phone, and the rows at the top (the most used dimensions) come first.
  const decodeRows = async () => {
    const start = performance.now();
    for (const [r, section] of sections.entries()) {
      if (stopped) return;
      const row = rows[r];
      if (!root.decoded.has(row.index)) {
        const pictures = shifts.map((offset) => {
          const z = [...data.z];
          z[row.index] += offset;
          return model.decode(z);
        });
        root.decoded.set(row.index, pictures);
      }
      section.querySelectorAll("canvas.step").forEach((step, k) => paintDigit(step, root.decoded.get(row.index)[k]));
      paintLive(section, row);
      await new Promise((resume) => setTimeout(resume));
    }
    if (stopped) return;
    root.dataset.ms = String(Math.round(performance.now() - start));  // every row decoded and painted (docs)
    root.dataset.ready = "true";
  };
  whenDecoded(data.model, (found) => {
    if (stopped) return;
    model = found;
    decodeRows();
  });
  return () => {
    stopped = true;
    for (const [target, type, handler] of listeners) target.removeEventListener(type, handler);
  };
}

// What the components that paint a model's decodes share (components/__init__.py's asset() puts this file before
// each of their scripts): the models that model.js parsed, and a 28x28 digit painted on a canvas.
const models = (globalThis.vaedemoModels ??= new Map());  // id -> {model} or {waiting: [...]} (model.js)

// use(model) once the model with this id has arrived (at once if it has). Returns its undoing, for the run's end
// (runs.js): a model or its weights can come after Streamlit has run the component again (a rerun, another model),
// and the ended run's use() would answer with the model it had.
function whenModel(id, use) {
  const entry = models.get(id) ?? { waiting: [] };
  if (entry.model) {
    use(entry.model);
    return () => {};
  }
  const waiter = (model) => use(model);
  models.set(id, { waiting: [...entry.waiting, waiter] });
  return () => {
    const now = models.get(id);
    if (now?.waiting) now.waiting = now.waiting.filter((each) => each !== waiter);
  };
}

// A model's decoder and encoder come apart from it, each a file over HTTP (hall/model_files.py), so that a page's
// first load carries its maps alone. A page with a drawing pad fetches every weight its parts wait for as soon as its
// first screen is drawn (fetchWeights: the student's first stroke overlaps the download), and each part that waits
// after that, whenever its model arrives; elsewhere a decoder is fetched when a part waits for it (whenDecoded: at
// once where a page shows decodes, at a map's first hover or touch), an encoder when a part has a digit to answer.
// A failed fetch is tried again while a part waits for it, so no drawing is left unanswered.
const weights = (globalThis.vaedemoWeights ??= { eager: false, fetching: new Set(), waiting: [] });
const RETRIES = [1, 2, 4, 8, 15];  // seconds before each new try of a failed fetch

// use(model) once the model with this id has arrived and its decoder too; returns its undoing (whenModel).
function whenDecoded(id, use) {
  return whenParts(id, ["decoder"], use, () => true);
}

// use(model) once the model with this id has arrived, its decoder and its encoder too; returns its undoing.
function whenEncoded(id, use) {
  return whenParts(id, ["encoder", "decoder"], use, () => weights.eager);
}

// A pen's touches of the page's drawing pads (canvas.js counts them): what is worked on the drawing as it was is
// stale from the next touch (answer.js, staleFrom).
const pen = (globalThis.vaedemoPen ??= { touches: 0 });

// Fetch the weights every part waits for, now and from now on (a drawing pad's first screen, a digit to answer).
function fetchWeights() {
  weights.eager = true;
  for (const { model, parts } of weights.waiting) parts.forEach((part) => fetchPart(model, part));
}

function whenParts(id, parts, use, now) {
  let waiter = null;
  const undo = whenModel(id, (model) => {
    if (parts.every((part) => model[part])) return use(model);
    waiter = { model, parts, use };
    weights.waiting.push(waiter);
    if (now()) parts.forEach((part) => fetchPart(model, part));  // asked when the model arrives, not before
  });
  return () => {
    undo();
    weights.waiting = weights.waiting.filter((each) => each !== waiter);
  };
}

async function fetchPart(model, part, tries = 0) {
  const file = model[`${part}_file`];
  if (model[part] || weights.fetching.has(file)) return;
  weights.fetching.add(file);
  try {
    const answer = await fetch(`/api/models/${file}`);
    if (!answer.ok) throw new Error(answer.statusText);
    model.add(part, new Uint8Array(await answer.arrayBuffer()));
  } catch {
    if (tries < RETRIES.length) setTimeout(() => fetchPart(model, part, tries + 1), 1000 * RETRIES[tries]);
    return;  // after the last try, asked again by the next part that waits
  } finally {
    weights.fetching.delete(file);
  }
  const ready = weights.waiting.filter((waiting) => waiting.parts.every((each) => waiting.model[each]));
  weights.waiting = weights.waiting.filter((waiting) => !ready.includes(waiting));
  for (const waiting of ready) waiting.use(waiting.model);
}

function paintDigit(canvas, pixels) {
  const image = new ImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const grey = Math.round(255 * pixels[i]);
    image.data.set([grey, grey, grey, 255], 4 * i);
  }
  canvas.getContext("2d").putImageData(image, 0, 0);
}

// A value one component publishes under a key and others follow: a canvas's drawing (784 numbers, or null), the
// noise eps of a page's posterior sample. follow() hands over the latest value at once and returns its undoing.
function channel(name, key) {
  const all = (globalThis.vaedemoChannels ??= new Map()), id = `${name}:${key}`;
  if (!all.has(id)) all.set(id, { value: undefined, listeners: new Set() });
  const entry = all.get(id);
  return {
    get: () => entry.value,
    publish(value) {
      entry.value = value;
      for (const listener of entry.listeners) listener(value);
    },
    follow(listener) {
      entry.listeners.add(listener);
      if (entry.value !== undefined) listener(entry.value);
      return () => entry.listeners.delete(listener);
    },
  };
}

// Move what a latent map marks (marks.js's entries): patch goes over the map's marks, and the map redraws them.
function setMarks(key, patch) {
  const marks = (globalThis.vaedemoMarks ??= new Map()), entry = marks.get(key) ?? { listeners: new Set() };
  entry.data = { ...(entry.data ?? {}), ...patch, map: key };
  marks.set(key, entry);
  for (const listener of entry.listeners) listener(entry.data);
}

// A 28x28 picture (784 numbers in [0, 1]) as a PNG data URI, for an <img> that keeps its alt text.
function digitURI(pixels) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 28;
  paintDigit(canvas, pixels);
  return canvas.toDataURL("image/png");
}

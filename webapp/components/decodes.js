// What the components that paint a model's decodes share (components/__init__.py's asset() puts this file before
// each of their scripts): the models that model.js parsed, and a 28x28 digit painted on a canvas.
const models = (globalThis.vaedemoModels ??= new Map());  // id -> {model} or {waiting: [...]} (model.js)

// use(model) once the model with this id has arrived (at once if it has).
function whenModel(id, use) {
  const entry = models.get(id) ?? { waiting: [] };
  if (entry.model) use(entry.model);
  else models.set(id, { waiting: [...entry.waiting, use] });
}

// The encoders come apart from their models, over HTTP (webapp/model_files.py): only a drawing needs them, and a page's
// first load goes without. fetchEncoders() fetches those the page's parts wait for (whenEncoded), each once, at the
// first touch of a drawing pad (canvas.js) or when a part has a digit to answer; after that, each as it is waited for.
const encoders = (globalThis.vaedemoEncoders ??= { asked: false, fetching: new Set(), waiting: new Map() });

// use(model) once the model with this id has arrived and its encoder too.
function whenEncoded(id, use) {
  whenModel(id, (model) => {
    if (model.encoderBytes) return use(model);
    encoders.waiting.set(id, [...(encoders.waiting.get(id) ?? []), use]);
    if (encoders.asked) fetchEncoder(model);
  });
}

function fetchEncoders() {
  encoders.asked = true;
  for (const id of encoders.waiting.keys()) whenModel(id, fetchEncoder);
}

async function fetchEncoder(model) {
  if (encoders.fetching.has(model.id)) return;
  encoders.fetching.add(model.id);
  try {
    const answer = await fetch(`/api/models/${model.encoder_file}`);
    if (!answer.ok) throw new Error(answer.statusText);
    model.addEncoder(new Uint8Array(await answer.arrayBuffer()));
  } catch {
    encoders.fetching.delete(model.id);  // tried again at the next touch of a pad or digit
    return;
  }
  const waiting = encoders.waiting.get(model.id) ?? [];
  encoders.waiting.delete(model.id);
  for (const use of waiting) use(model);
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

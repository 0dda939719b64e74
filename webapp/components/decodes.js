// What the components that paint a model's decodes share (components/__init__.py's asset() puts this file before
// each of their scripts): the models that model.js parsed, and a 28x28 digit painted on a canvas.
const models = (globalThis.vaedemoModels ??= new Map());  // id -> {model} or {waiting: [...]} (model.js)

// use(model) once the model with this id has arrived (at once if it has).
function whenModel(id, use) {
  const entry = models.get(id) ?? { waiting: [] };
  if (entry.model) use(entry.model);
  else models.set(id, { waiting: [...entry.waiting, use] });
}

function paintDigit(canvas, pixels) {
  const image = new ImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const grey = Math.round(255 * pixels[i]);
    image.data.set([grey, grey, grey, 255], 4 * i);
  }
  canvas.getContext("2d").putImageData(image, 0, 0);
}

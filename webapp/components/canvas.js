// The drawing canvas's script (components/canvas.py; engine.js, decodes.js and roomapi.js come before it). After
// every stroke it prepares the drawing as MNIST's digits were (engine.js preprocess) and publishes the 28x28 digit on
// the "drawing" channel under its key, where the page's other components answer it; no message goes to Streamlit.
// In a room (data.room: its code, this session's member id, the words of its refusals) each drawing's 784 grey bytes
// are posted to the room API (roomapi.js), and a refusal is said under the canvas. The latest digit also stays in the
// tab's sessionStorage, for the pages that offer the last drawing. The strokes live on the canvas element, so they
// survive reruns; the function runs again whenever Streamlit sends new data (runs.js ends the previous run first), and
// only (re)binds the handlers.
const LAST = "vaedemo.lastDrawing";

// 784 numbers in [0, 1] -> base64 of their grey bytes (0-255), row by row: how a digit travels to the server.
function greyBytes(x) {
  return btoa(String.fromCharCode(...x.map((v) => Math.round(255 * v))));
}

export default function ({ parentElement, data }) {
  const canvas = parentElement.querySelector("canvas.ink");
  return restart(canvas, () => bind(parentElement, canvas, data));
}

function bind(parentElement, canvas, data) {
  const ink = canvas.getContext("2d", { willReadFrequently: true });  // read after every stroke: kept in memory
  const { size, stroke, words } = data;
  canvas.setAttribute("aria-label", words.label);
  for (const name of ["undo", "clear"]) {
    const button = parentElement.querySelector(`button.${name}`);
    button.textContent = words[name];
    button.title = words[`${name}_help`];
  }
  const fresh = canvas.width !== size;
  if (fresh) {
    canvas.width = canvas.height = size;
    canvas.strokes = [];
  }
  const paint = () => {
    ink.fillStyle = "#000";
    ink.fillRect(0, 0, size, size);
    ink.strokeStyle = ink.fillStyle = "#fff";
    ink.lineWidth = stroke;
    ink.lineCap = ink.lineJoin = "round";
    for (const points of canvas.strokes) {
      ink.beginPath();
      ink.moveTo(...points[0]);
      if (points.length === 1) ink.lineTo(points[0][0] + 0.01, points[0][1]);  // a dot
      for (const point of points.slice(1)) ink.lineTo(...point);
      ink.stroke();
    }
  };
  const drawing = channel("drawing", data.key);
  const publish = () => {
    const x = canvas.strokes.length ? preprocess(ink.getImageData(0, 0, size, size).data, size) : null;
    drawing.publish(x);
    return x;
  };
  const status = parentElement.querySelector(".refused");
  const send = async () => {
    const x = publish(), grey = x && greyBytes(Array.from(x));
    if (!grey) return;
    sessionStorage.setItem(LAST, grey);
    canvas.latest = grey;  // a post still waiting to be tried again (roomapi.js) gives way to this one
    while (data.room && canvas.latest === grey) {
      const [said, again] = await postToRoom(data.room, "drawings", { image: grey });
      if (canvas.latest !== grey) return;
      status.textContent = said;
      if (!again) return;
      await new Promise((resolve) => setTimeout(resolve, 1000 * again));
    }
  };
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * size / box.width, (event.clientY - box.top) * size / box.height];
  };
  // the stroke under the pen, on the element like the strokes: a rerun that binds the handlers anew mid-stroke (the
  // page's other parts can rerun it at any time) goes on with it, where a stroke of this run's own would be cut short
  const down = (event) => {
    if (event.button > 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);  // a stroke that leaves the canvas still ends here
    canvas.stroke = [at(event)];
    canvas.strokes.push(canvas.stroke);
    paint();
    pen.touches++;  // the page's pen (decodes.js): work on the drawing as it was is stale now
  };
  const move = (event) => {
    if (!canvas.stroke) return;
    for (const e of event.getCoalescedEvents ? event.getCoalescedEvents() : [event]) canvas.stroke.push(at(e));
    paint();
  };
  const up = () => {
    if (!canvas.stroke) return;
    canvas.stroke = null;
    send();
  };
  const undo = () => { canvas.strokes.pop(); paint(); send(); };
  const clear = () => { canvas.strokes = []; paint(); send(); };
  const listeners = [
    [canvas, "pointerdown", down], [canvas, "pointermove", move], [canvas, "pointerup", up],
    [canvas, "pointercancel", up], [parentElement.querySelector("button.undo"), "click", undo],
    [parentElement.querySelector("button.clear"), "click", clear],
  ];
  for (const [target, type, handler] of listeners) target.addEventListener(type, handler);
  paint();
  if (fresh || drawing.get() === undefined) publish();  // a new canvas: the page's components learn it is blank
  canvas.dataset.ready = "true";
  requestAnimationFrame(() => setTimeout(fetchWeights, 0));  // the page's weights once the pad is on screen (decodes.js)
  return () => {
    canvas.dataset.ready = "";
    for (const [target, type, handler] of listeners) target.removeEventListener(type, handler);
  };
}

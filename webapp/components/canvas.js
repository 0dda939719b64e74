// The drawing canvas's script (components/canvas.py). The strokes live on the canvas element, so they survive
// reruns; the function runs again (after the previous run's cleanup) whenever Streamlit sends new data, and only
// (re)binds the handlers.
export default function ({ parentElement, data, setStateValue }) {
  const canvas = parentElement.querySelector("canvas.ink");
  const pen = canvas.getContext("2d");
  const { size, stroke, words } = data;
  canvas.setAttribute("aria-label", words.label);
  for (const name of ["undo", "clear"]) {
    const button = parentElement.querySelector(`button.${name}`);
    button.textContent = words[name];
    button.title = words[`${name}_help`];
  }
  if (canvas.width !== size) {
    canvas.width = canvas.height = size;
    canvas.strokes = [];
  }
  const paint = () => {
    pen.fillStyle = "#000";
    pen.fillRect(0, 0, size, size);
    pen.strokeStyle = pen.fillStyle = "#fff";
    pen.lineWidth = stroke;
    pen.lineCap = pen.lineJoin = "round";
    for (const points of canvas.strokes) {
      pen.beginPath();
      pen.moveTo(...points[0]);
      if (points.length === 1) pen.lineTo(points[0][0] + 0.01, points[0][1]);  // a dot
      for (const point of points.slice(1)) pen.lineTo(...point);
      pen.stroke();
    }
  };
  const send = () => setStateValue("drawing", canvas.strokes.length ? canvas.toDataURL("image/png") : null);
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * size / box.width, (event.clientY - box.top) * size / box.height];
  };
  let drawing = null;
  const down = (event) => {
    if (event.button > 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);  // a stroke that leaves the canvas still ends here
    drawing = [at(event)];
    canvas.strokes.push(drawing);
    paint();
  };
  const move = (event) => {
    if (!drawing) return;
    for (const e of event.getCoalescedEvents ? event.getCoalescedEvents() : [event]) drawing.push(at(e));
    paint();
  };
  const up = () => {
    if (!drawing) return;
    drawing = null;
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
  canvas.dataset.ready = "true";
  return () => {
    canvas.dataset.ready = "";
    for (const [target, type, handler] of listeners) target.removeEventListener(type, handler);
  };
}

"""A small drawing canvas of our own (Streamlit Components v2, no build step): white ink on black, drawn with a
mouse, pen or finger, with Undo and Clear. It sends the picture once per stroke, on pointer-up, as a PNG: no
debounce (streamlit-drawable-canvas waits 200 ms after the last change), so reconstructions start at once."""
import base64
import io

import numpy as np
import streamlit as st
from PIL import Image

HTML = """
<div class="pad">
  <canvas class="ink" aria-label="Drawing canvas: draw a digit here"></canvas>
  <div class="tools">
    <button type="button" class="undo" title="Take back the last stroke">Undo</button>
    <button type="button" class="clear" title="Wipe the canvas">Clear</button>
  </div>
</div>
"""

CSS = """
.pad { display: inline-flex; flex-direction: column; gap: 0.5rem; }
.ink { background: #000; border-radius: 0.5rem; cursor: crosshair; touch-action: none; display: block; }
.tools { display: flex; gap: 0.5rem; }
button { font: inherit; font-size: 0.9rem; padding: 0.25rem 0.9rem; border-radius: 0.5rem; cursor: pointer;
         border: 1px solid var(--st-border-color, #ccc); background: var(--st-background-color, #fff);
         color: var(--st-text-color, #222); }
button:hover { border-color: var(--st-primary-color, #f63); color: var(--st-primary-color, #f63); }
"""

# The strokes live on the canvas element, so they survive reruns; the function runs again (after the previous
# run's cleanup) whenever Streamlit sends new data, and only (re)binds the handlers.
JS = """
export default function ({ parentElement, data, setStateValue }) {
  const canvas = parentElement.querySelector("canvas.ink");
  const pen = canvas.getContext("2d");
  const { size, stroke } = data;
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
"""

_canvas = st.components.v2.component("vaedemo.canvas", html=HTML, css=CSS, js=JS)


def drawing_canvas(key: str, size: int = 280, stroke: int = 24) -> np.ndarray | None:
    """The canvas; returns its RGBA pixels (size, size, 4) uint8, or None while nothing is drawn."""
    result = _canvas(key=key, data={"size": size, "stroke": stroke}, default={"drawing": None},
                     on_drawing_change=lambda: None, width="content")
    if not result.drawing:
        return None
    try:  # the browser sends this string: anything but our own PNG of the right size counts as no drawing
        _, encoded = result.drawing.split(";base64,", 1)
        image = Image.open(io.BytesIO(base64.b64decode(encoded)), formats=["PNG"])
        if image.size != (size, size):
            return None
        return np.asarray(image.convert("RGBA"))
    except (ValueError, OSError):
        return None

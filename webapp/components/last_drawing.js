// The tab's latest drawing, which canvas.js keeps in sessionStorage, sent to the server once per element and drawing
// (components/canvas.py, last_drawing): a page that offers the last drawing gets it without a message per stroke.
export default function ({ parentElement, setStateValue }) {
  const grey = sessionStorage.getItem("vaedemo.lastDrawing");
  if (!grey || parentElement.sent === grey) return;
  parentElement.sent = grey;
  setStateValue("digit", grey);
}

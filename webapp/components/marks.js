// The marks of a page's latent maps that move on every stroke or pick (components/latent_map.py): each star's code
// and place, and the posterior's ellipse. They reach each map (latent_map.js) through globalThis.vaedemoMarks under
// the map's key, so that the map's own element, its script and all, stays the same message from one rerun to the
// next and Streamlit sends it as a reference to the copy the browser holds.
const marks = (globalThis.vaedemoMarks ??= new Map());  // a map's key -> {data, listeners}

export default function ({ data }) {
  for (const mark of data.marks) {
    const entry = marks.get(mark.map) ?? { listeners: new Set() };
    entry.data = mark;
    marks.set(mark.map, entry);
    for (const listener of entry.listeners) listener(mark);
  }
}

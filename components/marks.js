// The marks of one latent map that move on every stroke or pick (components/latent_map.py): the star's code and
// place, and the posterior's ellipse. They reach the map (latent_map.js) through globalThis.vaedemoMarks under the
// map's key, so that the map's own element, its script and all, stays the same message from one rerun to the next
// and Streamlit sends it as a reference to the copy the browser holds.
const marks = (globalThis.vaedemoMarks ??= new Map());  // a map's key -> {data, listeners}

export default function ({ data }) {
  const entry = marks.get(data.map) ?? { listeners: new Set() };
  entry.data = data;
  marks.set(data.map, entry);
  for (const listener of entry.listeners) listener(data);
}

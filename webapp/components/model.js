// A model as the browser sees it (components/latent_map.py packs it; engine.js, put before this file, parses it): its
// encoder and decoder, run here on every stroke and pointer move, its test codes on the plane of its map, or a
// VQ-VAE's codebook. It goes into globalThis.vaedemoModels under its id, where a component that started first left
// the functions waiting for it (decodes.js, whenModel); its decoder and encoder come apart (decodes.js, whenDecoded).
const models = (globalThis.vaedemoModels ??= new Map());

export default function ({ data }) {
  if (!(data instanceof Uint8Array)) return;
  const id = new TextDecoder().decode(data.subarray(0, ID));
  if (models.get(id)?.model) return;  // the same model again: parsed already
  const model = parseModel(data);
  const waiting = models.get(id)?.waiting ?? [];
  models.set(id, { model });
  for (const use of waiting) use(model);
}

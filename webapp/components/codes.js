// A VQ-VAE's codes you can edit (components/codes.py; engine.js and decodes.js come before it): the drawing's grid of
// code numbers, encoded here on every stroke of the page's canvas (or of the page's digit, data.x), its
// reconstruction and the edited grid's, both decoded here by the model that model.js holds, and the codebook to pick
// a code from. The edits stay on the root while the drawing's codes stay the same, and start afresh with new ones.

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name]);

// Arrow keys move the focus within a row-major grid of `columns` buttons (Home and End: the first and the last).
function step(key, at, count, columns) {
  const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -columns, ArrowDown: columns };
  if (key === "Home") return 0;
  if (key === "End") return count - 1;
  if (!(key in moves)) return null;
  const next = at + moves[key];
  return next >= 0 && next < count ? next : at;
}

function editor(root, data, model, codes) {
  const { entries, colours, words } = data;
  const cells = codes.length, side = Math.round(Math.sqrt(cells));
  const grid = root.querySelector(".grid"), book = root.querySelector(".codebook");
  const reset = root.querySelector(".reset"), status = root.querySelector(".status");
  const original = root.querySelector("canvas.original"), edited = root.querySelector("canvas.edited");
  const sent = JSON.stringify(codes);
  if (root.dataset.sent !== sent) {  // a new drawing: its own codes, the first cell picked
    root.dataset.sent = sent;
    root.edited = [...codes];
    root.picked ??= 0;
  }
  grid.style.setProperty("--cells", side);
  grid.setAttribute("aria-label", words.grid_label);
  book.setAttribute("aria-label", words.codebook_label);
  reset.textContent = words.reset;
  root.querySelector("figcaption.original").textContent = words.reconstruction;
  root.querySelector("figcaption.edited").textContent = words.edited;
  root.querySelector(".keys").textContent = words.keys;

  if (grid.children.length !== cells) {
    grid.replaceChildren(...codes.map((_, cell) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "cell";
      button.dataset.cell = cell;
      return button;
    }));
  }
  if (book.children.length !== entries.length || book.dataset.entries !== entries[0]) {
    book.dataset.entries = entries[0];
    book.replaceChildren(...entries.map((uri, code) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "entry";
      button.dataset.code = code;
      button.style.background = colours[code];
      const image = document.createElement("img");
      image.src = uri;
      image.alt = "";
      const number = document.createElement("span");
      number.textContent = code;
      button.append(image, number);
      return button;
    }));
  }

  const decode = () => {
    paintDigit(edited, model.decodeCodes(root.edited));
    root.dataset.decodes = Number(root.dataset.decodes ?? 0) + 1;
    root.dataset.codes = JSON.stringify(root.edited);
  };
  const show = () => {
    const changed = root.edited.filter((code, cell) => code !== codes[cell]).length;
    [...grid.children].forEach((button, cell) => {
      const code = root.edited[cell];
      button.textContent = code;
      button.style.background = colours[code];
      button.classList.toggle("changed", code !== codes[cell]);
      button.setAttribute("aria-pressed", cell === root.picked);
      button.tabIndex = cell === root.picked ? 0 : -1;
      button.setAttribute("aria-label", fill(words.cell, { row: Math.floor(cell / side) + 1,
                                                           column: (cell % side) + 1, code, was: codes[cell] }));
    });
    const current = root.edited[root.picked];
    [...book.children].forEach((button, code) => {
      button.setAttribute("aria-pressed", code === current);
      button.tabIndex = code === current ? 0 : -1;
      button.setAttribute("aria-label", fill(words.entry, { code }));
    });
    const where = { row: Math.floor(root.picked / side) + 1, column: (root.picked % side) + 1, code: current };
    status.textContent = `${fill(words.picked, where)} ${fill(words.changed, { changed })}`;
    original.setAttribute("aria-label", fill(words.alt_digit, { changed: 0 }));
    edited.setAttribute("aria-label", fill(words.alt_digit, { changed }));
    reset.disabled = changed === 0;
  };
  const pick = (cell) => {
    root.picked = cell;
    show();
  };
  const choose = (code) => {
    root.edited[root.picked] = code;
    show();
    decode();
  };
  // A cell is chosen as the pointer goes down (choosing changes nothing but the selection): a finger's tap does not
  // always bring a click (in Chromium's touch emulation, the first tap after a finger stroke brings none).
  grid.onclick = grid.onpointerdown = (event) => {
    const button = event.target.closest(".cell");
    if (button) pick(Number(button.dataset.cell));
  };
  grid.onkeydown = (event) => {
    const next = step(event.key, root.picked, cells, side);
    if (next !== null) {
      event.preventDefault();
      pick(next);
      grid.children[next].focus();
    } else if (event.key === "Enter" || event.key === " ") {  // on to the codebook, at the cell's code
      event.preventDefault();
      book.children[root.edited[root.picked]].focus();
    }
  };
  book.onclick = (event) => {
    const button = event.target.closest(".entry");
    if (button) choose(Number(button.dataset.code));
  };
  book.onkeydown = (event) => {
    const at = Number(event.target.closest(".entry")?.dataset.code ?? 0);
    const columns = Math.max(1, Math.round(book.clientWidth / book.children[0].offsetWidth));
    const next = step(event.key, at, entries.length, columns);
    if (next !== null) {
      event.preventDefault();
      [...book.children].forEach((button, code) => { button.tabIndex = code === next ? 0 : -1; });
      book.children[next].focus();
    } else if (event.key === "Enter" || event.key === " " || event.key === "Escape") {  // back to the cell
      event.preventDefault();
      if (event.key !== "Escape") choose(at);  // Escape leaves its code as it was
      grid.children[root.picked].focus();
    }
  };
  reset.onclick = () => {
    root.edited = [...codes];
    show();
    decode();
  };
  show();
  paintDigit(original, model.decodeCodes(codes));
  decode();
  const used = new Set(codes).size, rows = [];
  for (let row = 0; row < side; row++) rows.push(codes.slice(row * side, (row + 1) * side).join(" "));
  root.querySelector(".summary").textContent = fill(words.summary, { cells, used, size: entries.length,
                                                                       rows: rows.join("; ") });
  root.dataset.ready = "true";
}

export default function ({ parentElement, data }) {
  const root = parentElement.querySelector(".codes");
  return restart(root, () => show(root, data));
}

function show(root, data) {
  const input = root.querySelector("img.input");
  root.classList.toggle("compact", Boolean(data.compact));
  root.querySelector(".hint").textContent = data.words.hint;
  root.querySelector("figcaption.input").textContent = data.words.input;
  input.alt = data.words.alt_input;
  root.querySelector(".last").textContent = data.words.last;
  let model = null, drawn = null;
  const answer = () => {
    const x = drawn ?? data.x ?? null;
    root.classList.toggle("drawn", Boolean(x));
    root.classList.toggle("from-last", !drawn && Boolean(data.x));
    if (x) fetchWeights();
    if (!x || !model) return;
    input.src = digitURI(x);
    editor(root, data, model, Array.from(model.encode(x).codes));
  };
  const stops = [channel("drawing", data.canvas).follow((x) => { drawn = x; answer(); }),
                 whenEncoded(data.model, (found) => { model = found; answer(); })];
  return () => stops.forEach((stop) => stop());
}

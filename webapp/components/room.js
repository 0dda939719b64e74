// A room followed through the room API (hall/room_api.py), never through a script rerun (components/room.py).
// Two parts, by data.part:
// - "view", the Class page's live view: every REFRESH_S it asks GET /api/rooms/CODE?map=1 and shows the counts, the
//   digits the conditional VAE reads in each student's latest drawing, the newest drawings, and each student's
//   latest drawing as a small star on the class map (through the map's marks, decodes.js setMarks).
// - "follow", on a member's page, hidden: every data.every_s it asks GET /api/rooms/CODE and, when the lecturer's
//   view has changed since data.followed, tells the page once (trigger "view"), which then offers it; with
//   data.watch_model (the Draw page), when the model the room's Draw pages use is another than data.model (the room's
//   own that the page shows, or null), it tells the page once too (trigger "model"), which then runs with it.
// - "tally", on the lecturer's Lesson page: every data.every_s it asks GET /api/rooms/CODE and shows how the room
//   answered the step's question, a bar a choice, and how many of the joined students answered; the right bar marked
//   once the lecturer reveals it (data.right).
// - "choices", the step's question as large buttons. In a room (data.room) a tap posts the answer to
//   POST /api/rooms/CODE/answers, another tap changes it, and the right choice shows when the lecturer reveals it
//   (data.right); alone, a tap shows at once whether it was right, and why.
// A store that does not answer (503) or a network that fails is said in the page's words, and the next poll tries
// again; a poll never overlaps the one before.

function poll(url, every_s, answer, trouble) {
  let stopped = false, timer = null;
  const ask = async () => {
    try {
      const response = await fetch(url, { cache: "no-store" });
      if (stopped) return;
      if (response.ok) answer(await response.json());
      else trouble(response.status);
    } catch {
      if (!stopped) trouble(503);
    }
    if (!stopped) timer = setTimeout(ask, every_s * 1000);
  };
  ask();
  return () => { stopped = true; clearTimeout(timer); };
}

const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, name) => values[name]);
const bold = (text) => text.replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>");  // the catalogue's markdown emphasis
const escape = (text) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function view(root, data) {
  const { words } = data;
  root.innerHTML = `<p class="trouble" role="status" aria-live="polite"></p><p class="counts" aria-live="polite"></p>
    <p class="empty"></p><div class="drawings"><p class="caption"></p><div class="strip"></div>
    <table><thead><tr></tr></thead><tbody><tr></tr></tbody></table></div>`;
  const [trouble, counts, empty] = ["trouble", "counts", "empty"].map((name) => root.querySelector(`.${name}`));
  const drawings = root.querySelector(".drawings"), strip = root.querySelector(".strip");
  root.querySelector(".caption").textContent = words.strip;
  empty.textContent = words.empty;
  const heads = [words.digit, ...Array.from({ length: 10 }, (_, d) => String(d))];
  root.querySelector("thead tr").innerHTML = heads.map((h) => `<th scope="col">${escape(h)}</th>`).join("");
  let shownVersion = null;
  return poll(`/api/rooms/${data.code}?map=1`, data.every_s, (room) => {
    trouble.textContent = "";
    root.dataset.drawings = room.drawings;
    root.dataset.students = room.students;
    if (room.version === shownVersion) return;
    shownVersion = room.version;
    // English has a singular: "1 drawing from 1 student", "5 drawings from 1 student"
    const countsText = room.drawings === 1 ? words.counts_one : room.students === 1 ? words.counts_one_student
      : words.counts;
    counts.innerHTML = bold(escape(fill(countsText, room)));
    empty.hidden = room.drawings > 0;
    drawings.hidden = room.drawings === 0;
    root.querySelector("tbody tr").innerHTML = `<th scope="row">${escape(words.students)}</th>` +
      room.digits.map((n) => `<td>${n}</td>`).join("");
    strip.replaceChildren(...room.latest.map(({ image, digit }) => {
      const figure = document.createElement("figure"), img = document.createElement("img");
      const grey = Uint8Array.from(atob(image), (c) => c.charCodeAt(0));
      img.src = digitURI(Array.from(grey, (v) => v / 255));
      img.alt = fill(words.alt_drawing, { digit });
      figure.append(img, Object.assign(document.createElement("figcaption"), { textContent: digit }));
      return figure;
    }));
    setMarks(data.map, { stars: room.points.map(([x, y]) => [x, y]) });
  }, (status) => {
    trouble.textContent = status === 404 ? words.gone : words.unreachable;
  });
}

function follow(root, data, setTriggerValue) {
  // a toast over the page, never above the pad: a finger may be mid-stroke when the room stops answering
  const trouble = Object.assign(document.createElement("p"), { className: "trouble toast" });
  trouble.setAttribute("role", "status");
  root.replaceChildren(trouble);
  return poll(`/api/rooms/${data.code}`, data.every_s, (room) => {
    trouble.textContent = "";
    const sent = room.view.id;  // told once per view (the element remembers across the page's reruns)
    if (sent !== undefined && sent !== data.followed && String(sent) !== root.dataset.told) {
      root.dataset.told = String(sent);
      setTriggerValue("view", sent);
    }
    const model = room.model ?? null;
    if (data.watch_model && model !== data.model && root.dataset.toldModel !== String(model)) {
      root.dataset.toldModel = String(model);
      setTriggerValue("model", model ?? "");
    }
  }, (status) => {
    trouble.textContent = status === 404 ? data.words.gone : data.words.unreachable;
  });
}

function tally(root, data) {
  const { words } = data;
  root.innerHTML = `<p class="trouble" role="status" aria-live="polite"></p>
    <figure class="tally"><figcaption></figcaption><div class="bars"></div></figure><p class="answered"></p>`;
  const trouble = root.querySelector(".trouble"), answered = root.querySelector(".answered");
  root.querySelector("figcaption").textContent = words.tally_label;
  const bars = data.choices.map((choice, i) => {
    const bar = document.createElement("div");
    bar.className = "bar" + (i === data.right ? " right" : "");
    bar.innerHTML = `<span class="choice"></span><span class="track"><span class="fill"></span></span>
      <span class="n">0</span>`;
    bar.querySelector(".choice").textContent = choice;
    root.querySelector(".bars").append(bar);
    return bar;
  });
  return poll(`/api/rooms/${data.code}`, data.every_s, (room) => {
    trouble.textContent = "";
    const counts = room.answers[data.step] ?? [];
    const total = counts.reduce((sum, n) => sum + n, 0);
    bars.forEach((bar, i) => {
      const n = counts[i] ?? 0;
      bar.querySelector(".fill").style.width = `${total ? (100 * n) / total : 0}%`;
      bar.querySelector(".n").textContent = n;
      bar.setAttribute("aria-label", `${data.choices[i]}: ${n}`);
    });
    answered.textContent = fill(words.answered, { answered: total, joined: room.joined });
    root.dataset.answered = total;
  }, (status) => {
    trouble.textContent = status === 404 ? words.gone : words.unreachable;
  });
}

// This tab's answer to a step of a room, kept across the page's reruns and the steps.
const chosenKey = (data) => `vaedemo.answer.${data.room.code}.${data.step}`;

function choices(root, data) {
  const { words } = data;
  root.innerHTML = `<div class="choices" role="group"></div><p class="said" role="status" aria-live="polite"></p>`;
  root.classList.toggle("compact", Boolean(data.compact));
  const group = root.querySelector(".choices"), said = root.querySelector(".said");
  group.setAttribute("aria-label", data.question);
  let chosen = data.room ? sessionStorage.getItem(chosenKey(data)) : null;
  chosen = chosen === null ? null : Number(chosen);
  const buttons = data.choices.map((choice, i) => {
    const button = Object.assign(document.createElement("button"), { type: "button", textContent: choice });
    button.addEventListener("click", () => choose(i));
    group.append(button);
    return button;
  });
  const show = (note) => {
    const revealed = data.right !== null && (data.room !== null || chosen !== null);  // in a room, once revealed
    buttons.forEach((button, i) => {
      button.setAttribute("aria-pressed", String(i === chosen));
      button.classList.toggle("right", revealed && i === data.right);
    });
    if (revealed) {
      const verdict = chosen === null ? "" : (chosen === data.right ? words.right : words.wrong) + " ";
      said.textContent = verdict + fill(words.the_answer, { choice: data.choices[data.right] }) + " " + data.why;
    } else {
      said.textContent = note ?? (chosen === null ? "" : words.your_choice);
    }
  };
  const choose = async (i) => {
    chosen = i;
    if (!data.room) return show();
    show();
    const [said] = await postToRoom(data.room, "answers", { step: data.step, choice: i });  // a refusal: tap again
    if (!said) sessionStorage.setItem(chosenKey(data), String(i));
    show(said || undefined);
  };
  show();
}

const PARTS = { view, follow, tally, choices };

export default function ({ parentElement, data, setTriggerValue }) {
  const root = parentElement.querySelector(".room") ?? parentElement.appendChild(
    Object.assign(document.createElement("div"), { className: "room" }));
  return restart(root, () => PARTS[data.part](root, data, setTriggerValue));
}

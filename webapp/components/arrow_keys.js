// The lesson's arrow keys (components/arrow_keys.py): Right (or Page Down, as a presenter's clicker sends) asks for the
// next step, Left (or Page Up) for the previous one, anywhere on the page but in a control that takes keys itself
// (a text field, a slider, a menu). No element of its own; the listener goes when the element does.
const OWN_KEYS = new Set(["slider", "spinbutton", "textbox", "combobox", "listbox", "option", "radio", "tab", "menu",
                          "menuitem", "grid", "searchbox"]);
const MOVES = { ArrowRight: 1, PageDown: 1, ArrowLeft: -1, PageUp: -1 };

function takesKeys(target) {
  for (let element = target; element && element.nodeType === 1; element = element.parentElement) {
    if (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName)) return true;
    if (OWN_KEYS.has(element.getAttribute("role"))) return true;
  }
  return false;
}

export default function ({ parentElement, setTriggerValue }) {
  return restart(parentElement, () => listen(parentElement, setTriggerValue));
}

function listen(parentElement, setTriggerValue) {
  const press = (event) => {
    const by = MOVES[event.key];
    if (!by || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (takesKeys(event.composedPath()[0] ?? event.target)) return;
    event.preventDefault();
    setTriggerValue("move", by);
  };
  document.addEventListener("keydown", press);
  // for the browser tests: keys pressed from now on move the lesson (the component's root may be a shadow root)
  (parentElement instanceof ShadowRoot ? parentElement.host : parentElement).dataset.arrowKeys = "listening";
  return () => document.removeEventListener("keydown", press);
}

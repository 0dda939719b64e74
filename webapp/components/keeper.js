// This browser's secret for the model it trained or uploaded (components/keeper.py): kept in its own storage, so
// that the server can hand the model back after a sleeping phone or a restart. It tells the token once per page load
// (setting its state reruns the page), writes a new one when the page asks, and forgets it when the student does.
const KEY = "vaedemo-model-token";

export default function ({ data, setStateValue }) {
  let token = null;
  try {
    if (data.forget) localStorage.removeItem(KEY);
    if (data.keep) localStorage.setItem(KEY, data.keep);
    token = localStorage.getItem(KEY);
  } catch {
    return;  // storage switched off (a private window in some browsers): nothing is kept, nothing breaks
  }
  if (token && token !== data.told) setStateValue("token", token);
}

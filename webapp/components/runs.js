// Streamlit runs a component's function again each time the page sends it new data, but calls the cleanup that the
// function returns only when the component leaves the page (Components v2). restart(element, start) ends the element's
// previous run before it starts the next, so that no run's listeners, follows and waits outlive it: one left going
// answered every stroke again with the models it had (after a switch to 16-D, the 2-D pair's, into pictures no longer
// on the page), and a pad bound twice took each stroke twice. Returns the run's end, for Streamlit's cleanup.
function restart(element, start) {
  element.endRun?.();
  const end = start() ?? (() => {});
  let ended = false;
  element.endRun = () => {
    if (ended) return;
    ended = true;
    element.endRun = null;
    end();
  };
  return element.endRun;
}

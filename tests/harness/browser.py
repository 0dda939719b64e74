"""Debian's Chromium as the browser tests and benchmarks drive it (Playwright with executable_path; `make test`
installs it with apt-get, Playwright never downloads a browser). The tests drive its old headless shell
(chromium-headless-shell: the same Blink and V8 without the full browser's own processes), a quarter less CPU for the
same test files on two cores (docs/benchmarks.md); the benchmarks time the full browser a person has."""
import shutil

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]


def hold_weights(context, ms: int):
    """Each weight file (hall/model_files.py) reaches the context's pages ms late, as over a hall's wifi."""
    context.add_init_script(f"""const fetched = window.fetch;
window.fetch = (url, ...rest) => String(url).includes("/api/models/")
  ? new Promise((done) => setTimeout(done, {ms})).then(() => fetched(url, ...rest)) : fetched(url, ...rest);""")


def chromium_path(shell: bool = False) -> str:
    name = "chromium-headless-shell" if shell else "chromium"
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed: `make test` installs Debian's {name} package with apt-get")
    return path


def wait_for_app(page):
    """Wait until Streamlit has finished running the script: the app's own script state (stApp's
    data-test-script-state) is notRunning. A widget's change sets it to rerunRequested at once, where the 'Running...'
    indicator shows only once the run has begun: waiting for the indicator to go, a test could go on before a rerun
    it caused (and a busy machine's rerun then replaced what it drew)."""
    page.wait_for_selector("[data-testid=stApp]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]').dataset.testScriptState === 'notRunning'", timeout=30_000)

"""axe-core, the accessibility engine, run in a page (tests/webapp/test_browser_a11y.py). `make axe` installs it from
npm into AXE_HOME; the tests inject its script into the page and ask it for the violations of the WCAG 2.1 AA rules and
the best practices, open shadow roots (our components) included."""
import os
from pathlib import Path

AXE_HOME = Path(os.environ.get("VAEDEMO_AXE", Path.home() / ".cache" / "vaedemo" / "axe"))
AXE_SCRIPT = AXE_HOME / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("critical", "serious")

# Each violation as [rule, impact, [the selector of each element it was found on]], once the page's fonts have come
# and it is laid out: the Latent page in Chinese, measured just after its map was ready, had a formula 20 pixels wider
# than its box (2 pixels three seconds later), and a full run's audit once flagged that box as a scrollable region.
RUN = """async () => {
    await document.fonts.ready;
    await new Promise((laid) => requestAnimationFrame(() => requestAnimationFrame(laid)));
    return (await axe.run(document, { resultTypes: ["violations"] })).violations
        .map(v => [v.id, v.impact, v.nodes.map(node => node.target.flat().join(" >> "))]);
}"""


def violations(page) -> list[tuple[str, str, list[str]]]:
    """axe-core's violations on the page as it is now: (rule, impact, [element, ...]) each."""
    if not AXE_SCRIPT.is_file():
        raise RuntimeError(f"axe-core is not installed in {AXE_HOME}: `make axe` installs it with npm")
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    return [tuple(violation) for violation in page.evaluate(RUN)]


def serious(found) -> list[tuple[str, str, list[str]]]:
    return [violation for violation in found if violation[1] in SERIOUS]

"""What the Draw page's reparameterisation part (webapp/reparam.py) costs the server: CPU milliseconds and bytes sent
per stroke, and per press of Resample epsilon, which reruns the part's own fragment. One student alone on the server,
speaking Streamlit's protocol as the browser does (tests/harness/protocol.py), no browser.
Run: make bench (or python -m benchmarks.reparam_cost [--runs N]); to compare with a version before the part, run the
same measurement there (its stroke figure; it has no Resample).
"""
import argparse
import asyncio

from benchmarks.lecture_hall import server_cpu_s
from tests.harness.protocol import DRAWINGS, Session, press
from tests.harness.server import free_port, start_app, stop_app

RESAMPLE = "Resample ε"


async def measure(url: str, pid: int, runs: int) -> dict:
    """{"stroke": (ms, kB), "resample": (ms, kB)}, means over runs of each, after five strokes of warm-up."""
    session = Session(url)
    await session.connect()
    await session.rerun()
    for stroke in range(5):
        await session.stroke(DRAWINGS[stroke % len(DRAWINGS)])

    async def cost(action) -> tuple[float, float]:
        cpu, received = server_cpu_s([pid]), session.received
        for run in range(runs):
            await action(run)
        return 1000 * (server_cpu_s([pid]) - cpu) / runs, (session.received - received) / runs / 1000

    figures = {"stroke": await cost(lambda run: session.stroke(DRAWINGS[run % len(DRAWINGS)]))}
    if RESAMPLE in session.buttons:
        figures["resample"] = await cost(lambda run: press(session, RESAMPLE, "Draw"))
    await session.close()
    if session.errors:
        raise RuntimeError(f"the Draw page failed: {session.errors[0]}")
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    port = free_port()
    server = start_app(port)
    try:
        figures = asyncio.run(measure(f"http://127.0.0.1:{port}", server.pid, args.runs))
    finally:
        stop_app(server)
    for name, (ms, kb) in figures.items():
        print(f"Draw page, one student alone, a {name}: server CPU {ms:.1f} ms, {kb:.1f} kB sent (mean of {args.runs})")


if __name__ == "__main__":
    main()

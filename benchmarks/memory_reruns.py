"""The server's memory over time, with no forced garbage collection after each run (.streamlit/config.toml):
1,000 strokes on the Draw page in one session, then three times 100 sessions opened (each draws once) and closed,
all in one class room (outside a room a stroke sends the server nothing: the browser answers it; in a room each goes
to the room, the room's flood cap refusing most of the 1,000 with a toast, a run all the same).

Speaks Streamlit's websocket protocol to a real `streamlit run app.py` (benchmarks/lecture_hall.py's Session),
reading the server's resident memory from /proc. The models and the test-sample codes are loaded once per
process (webapp.per_process), so memory should stay flat once the first runs have warmed up; a closed session's
state goes once its server.disconnectedSessionTTL has passed. Run: make bench.
"""
import asyncio
import re
import sys
from pathlib import Path

from tests.harness.protocol import DRAWINGS, Session
from tests.harness.server import free_port, start_app, stop_app
from vaedemo.rooms import open_store

STROKES, SESSIONS = 1000, 100
SESSION_TTL_S = 10  # how long the server keeps a closed session (Streamlit's default is 120 s)


def resident_mb(pid: int) -> float:
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024


async def measure(url: str, pid: int):
    room = f"room={open_store().create_room()[0]}"
    session = Session(url, room)
    await session.connect()
    await session.rerun()
    marks = {}
    for stroke in range(1, STROKES + 1):
        await session.stroke(DRAWINGS[stroke % len(DRAWINGS)])
        if stroke in (10, 100, 250, 500, 1000):
            marks[stroke] = resident_mb(pid)
    await session.close()
    print(f"one session, {STROKES:,} strokes on the Draw page: resident memory "
          + ", ".join(f"after {stroke:,}: {mb:.0f} MB" for stroke, mb in marks.items())
          + f"; from stroke 100 to {STROKES:,}: {marks[STROKES] - marks[100]:+.1f} MB", flush=True)

    for round in ("first", "second", "third"):  # the later hundreds show whether the first one's memory is used again
        before = resident_mb(pid)
        for _ in range(SESSIONS):
            visitor = Session(url, room)
            await visitor.connect()
            await visitor.rerun()
            await visitor.stroke(DRAWINGS[0])
            await visitor.close()
        opened = resident_mb(pid)
        await asyncio.sleep(2 * SESSION_TTL_S)
        visitor = Session(url)  # a run of the server's loop after the TTL, which lets it clean up the closed sessions
        await visitor.connect()
        await visitor.rerun()
        await visitor.close()
        print(f"{round} {SESSIONS} sessions opened, each drawing once, and closed: {before:.0f} MB before, "
              f"{opened:.0f} MB after ({opened - before:+.1f} MB), {resident_mb(pid):.0f} MB once their "
              f"{SESSION_TTL_S} s TTL had passed", flush=True)
    if session.errors:
        sys.exit(f"the Draw page failed: {session.errors[0]}")


def main():
    port = free_port()
    server = start_app(port, args=["--server.disconnectedSessionTTL", str(SESSION_TTL_S)])
    try:
        asyncio.run(measure(f"http://127.0.0.1:{port}", server.pid))
    finally:
        stop_app(server)


if __name__ == "__main__":
    main()

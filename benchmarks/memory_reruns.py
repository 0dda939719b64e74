"""The server's memory over time, with no forced garbage collection after each run (.streamlit/config.toml):
1,000 drawings posted to a class room through its API by 100 phones (a stroke sends the server nothing: the browser
answers it; in a room each drawing is one post, no script run), then three times 100 sessions opened on the Draw page
in that room and closed.

Speaks Streamlit's websocket protocol (tests/harness/protocol.py) and the room API (tests/harness/hall.py) to a real
`streamlit run app.py`,
reading the server's resident memory from /proc. The models and the test-sample codes are loaded once per
process (hall.per_process), so memory should stay flat once the first runs have warmed up; a closed session's
state goes once its server.disconnectedSessionTTL has passed. Run: make bench.
"""
import asyncio
import re
import sys
from pathlib import Path

from hall.rooms import open_store
from tests.harness.hall import IMAGES, Phone
from tests.harness.protocol import Session
from tests.harness.server import free_port, start_app, stop_app

PHONES, DRAWINGS, SESSIONS = 100, 10, 100  # 1,000 drawings: each phone's 10 within the room's flood rule
SESSION_TTL_S = 10  # how long the server keeps a closed session (Streamlit's default is 120 s)


def resident_mb(pid: int) -> float:
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024


async def measure(url: str, pid: int):
    code = open_store().create_room()[0]
    room = f"room={code}"
    phones = [Phone(url) for _ in range(PHONES)]
    for phone in phones:
        await phone.join(code)
    marks, refused = {}, []
    for round in range(1, DRAWINGS + 1):
        answers = await asyncio.gather(*(phone.draw(code, IMAGES[n % len(IMAGES)]) for n, phone in enumerate(phones)))
        refused += [answer for status, answer in answers if status != 202]
        if round in (1, 2, 5, 10):
            marks[round * PHONES] = resident_mb(pid)
    for phone in phones:
        await phone.close()
    print(f"{PHONES * DRAWINGS:,} drawings posted to the room by {PHONES} phones: resident memory "
          + ", ".join(f"after {posts:,}: {mb:.0f} MB" for posts, mb in marks.items())
          + f"; from post 200 to {PHONES * DRAWINGS:,}: {marks[PHONES * DRAWINGS] - marks[200]:+.1f} MB", flush=True)

    errors = []
    for round in ("first", "second", "third"):  # the later hundreds show whether the first one's memory is used again
        before = resident_mb(pid)
        for _ in range(SESSIONS):
            visitor = Session(url, room)
            await visitor.connect()
            await visitor.rerun()
            await visitor.close()
            errors += visitor.errors
        opened = resident_mb(pid)
        await asyncio.sleep(2 * SESSION_TTL_S)
        visitor = Session(url)  # a run of the server's loop after the TTL, which lets it clean up the closed sessions
        await visitor.connect()
        await visitor.rerun()
        await visitor.close()
        print(f"{round} {SESSIONS} sessions opened on the Draw page in the room and closed: {before:.0f} MB before, "
              f"{opened:.0f} MB after ({opened - before:+.1f} MB), {resident_mb(pid):.0f} MB once their "
              f"{SESSION_TTL_S} s TTL had passed", flush=True)
    if refused or errors:
        sys.exit(f"the room refused a drawing: {refused[0]}" if refused else f"the Draw page failed: {errors[0]}")


def main():
    port = free_port()
    server = start_app(port, args=["--server.disconnectedSessionTTL", str(SESSION_TTL_S)])
    try:
        asyncio.run(measure(f"http://127.0.0.1:{port}", server.pid))
    finally:
        stop_app(server)


if __name__ == "__main__":
    main()

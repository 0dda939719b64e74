"""A room learns its handwriting (the Class page's button): one run on the training line (hall/line.py) over the
room's drawings as they are at the press, the shipped VAE-2D fine-tuned on them in a trainer process
(hall/trainer.learn_room_in_child, vaedemo/handwriting.py, where the choice to fine-tune is explained). When the run
ends, its model and figures go to the room store, where they live as long as the room; the lecturer then has the
room's Draw pages use it or not (RoomStore.use_learned), which the phones learn from the room API's poll."""
import functools

from hall import load_shipped
from hall.line import Job, TrainingQueue
from hall.rooms import Drawing, RoomError, WrongKey, store
from vaedemo.checkpoints import load_checkpoint_bytes
from vaedemo.datasets import checkpoint_path
from vaedemo.handwriting import MIN_DRAWINGS, room_config

MOST_DRAWINGS = 2_000  # the newest drawings a run learns from: a room of 500 took 5 s of a trainer
# (docs/benchmarks.md), this many about 20; a hall's every drawing (20 a student) would take minutes, and megabytes of
# the line's file


class RoomRun(Job):
    """The run of a room's handwriting: a Job over its drawings that, once done, keeps its model in the room (the
    lecturer's key says the lecturer asked for it) before it says it is done."""

    def __init__(self, code: str, key: str, drawings: list[Drawing], line: TrainingQueue | None = None):
        shipped = load_shipped(checkpoint_path("vae", 2, "mnist"))
        super().__init__(room_config(shipped, len(drawings)), line=line,
                         drawings=b"".join(drawing.image for drawing in drawings))
        self.code, self.key, self.digits = code, key, [drawing.digit for drawing in drawings]

    def estimate_s(self) -> float:
        return self.line.estimate_s(self.config.epochs * len(self.digits), self.config.epochs)

    def finish(self, message: dict):
        learned = message.get("learned")
        if message["status"] == "done" and learned is not None and message["checkpoint"] is not None:
            figures = {"drawings": len(self.digits), "nll": [round(nll, 3) for nll in learned["nll"]]} | {
                name: [[round(float(x), 3), round(float(y), 3), digit] for (x, y), digit in zip(codes, self.digits)]
                for name, codes in (("shipped", learned["shipped"]), ("room", learned["room"]))}
            try:
                store().keep_learned(self.code, self.key, message["checkpoint"], figures)
            except RoomError as error:
                message = message | {"status": "failed", "parts": [("room_not_kept", {"error": str(error)})],
                                     "checkpoint": None}
        super().finish(message)


def learn(code: str, key: str, line: TrainingQueue | None = None) -> RoomRun:
    """Put the room's run in line, over its drawings now (newest first, MOST_DRAWINGS at most); raises ValueError below
    MIN_DRAWINGS and the room's refusals (hall.rooms.RoomError)."""
    if not store().is_lecturer(code, key):
        raise WrongKey(code)
    drawings = store().drawings(code, newest=MOST_DRAWINGS)
    if len(drawings) < MIN_DRAWINGS:
        raise ValueError(f"a room's handwriting needs {MIN_DRAWINGS} drawings at least, not {len(drawings)}")
    return RoomRun(code, key, drawings, line).start()


@functools.lru_cache(maxsize=16)
def learned_model(code: str, learned: str):
    """The room's learned model with this id, loaded once a process (a few recent ones kept); None when the room's
    model is another now. Raises the room's refusals (Unreachable, NoSuchRoom)."""
    weights = store().learned_weights(code, learned)
    return None if weights is None else load_checkpoint_bytes(weights, f"room-{code}.safetensors")

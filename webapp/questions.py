"""The lesson's questions, which a hall answers through the room API (hall/room_api.py) and anyone answers alone:
each step's right choice, by the step's name, in the lesson's order (webapp/lesson.py's STEPS; a test keeps the two
one list). The question, its choices and the sentence of why are the catalogues' lesson.<name>.question, .choices and
.why, in each language. No torch here: the room API checks an answer against it."""
from webapp.i18n import CATALOGUES

RIGHT = {"compress": 1, "holes": 1, "prior": 1, "prior_holes": 1, "reparameterisation": 1, "elbo_gap": 1, "beta": 1,
         "dimensions": 1, "walk": 0, "repair": 2, "style": 1, "codes": 1,
         "handwriting": 1}  # each step's right choice, from 0


def choices(step: int) -> int:
    """How many choices the question of step (1 to len(RIGHT)) offers."""
    return len(CATALOGUES["en"][f"lesson.{list(RIGHT)[step - 1]}.choices"])


def offered() -> tuple[int, ...]:
    """How many choices each step's question offers, in the lesson's order: what the room API checks answers by."""
    return tuple(choices(step) for step in range(1, len(RIGHT) + 1))

"""A room learns its handwriting (hall/learning.py): one run on the real training line, in a real trainer process,
over a room's drawings in the store the app uses; its model and figures kept in the room."""
import pytest
import torch
import torch.nn.functional as F

from hall.learning import learn, learned_model
from hall.rooms import WrongKey, store
from tests.harness.training import finished
from vaedemo.data import load_test_sample
from vaedemo.handwriting import MIN_DRAWINGS
from vaedemo.viz import to_uint8


def thick_drawings(n: int) -> list[tuple[bytes, int]]:
    """n test digits drawn with a thicker pen, as a room keeps them: 784 grey bytes, and their digits."""
    images, labels = load_test_sample("mnist")
    thick = F.max_pool2d(images[:n], 3, stride=1, padding=1)
    return [(image.tobytes(), int(label)) for image, label in zip(to_uint8(thick), labels[:n])]


def room_of(drawings: list[tuple[bytes, int]]) -> tuple[str, str]:
    code, key = store().create_room()
    for start in range(0, len(drawings), 10):  # ten students, ten drawings each (under the flood's cap)
        member = store().join(code)
        for image, digit in drawings[start:start + 10]:
            store().add_drawing(code, member, image, (0.0, 0.0), digit)
    return code, key


def test_a_room_of_thick_strokes_learns_a_model_that_finds_them_more_likely():
    drawings = thick_drawings(100)
    code, key = room_of(drawings)
    progress = finished(learn(code, key))
    assert progress.status == "done", progress.message
    assert progress.message == "Learned from the room's 100 drawings."
    learned = store().learned(code)
    shipped_nll, room_nll = learned.figures["nll"]
    assert room_nll < shipped_nll - 30 and learned.figures["drawings"] == 100
    # one star a drawing on each map, with the digit the app read in it; nothing that names a student
    digits = [digit for _, digit in reversed(drawings)]  # the store gives them newest first
    for name in ("shipped", "room"):
        assert [digit for _, _, digit in learned.figures[name]] == digits
    assert set(learned.figures) == {"drawings", "nll", "shipped", "room"}
    model = learned_model(code, learned.id)
    assert (model.kind, model.latent_dim, model.config.arch) == ("vae", 2, "conv")
    assert model.metadata["fine_tuned_from"] == "vae-2d.safetensors"
    image = torch.frombuffer(bytearray(drawings[-1][0]), dtype=torch.uint8).float().div(255).view(1, 1, 28, 28)
    with torch.inference_mode():
        assert model.encode(image)[0][0].tolist() == pytest.approx(learned.figures["room"][0][:2], abs=2e-3)


def test_fewer_drawings_or_another_key_are_refused_with_a_message():
    code, key = room_of(thick_drawings(MIN_DRAWINGS - 10))
    with pytest.raises(ValueError, match=f"{MIN_DRAWINGS} drawings at least, not {MIN_DRAWINGS - 10}"):
        learn(code, key)
    with pytest.raises(WrongKey):
        learn(code, "not the key")

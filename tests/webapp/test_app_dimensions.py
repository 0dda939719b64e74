"""The Dimensions page in AppTest, in English and in Chinese: a row per latent dimension of the VAE the sidebar
chooses, labelled "z{i}: KL {value} nats" and sorted by that KL on the test sample, unused ones greyed, around a test
digit's code or the last drawing's; the browser gets the model to decode the rows (AppTest cannot run it)."""
import json
import re

import pytest
import torch
from streamlit.testing.v1 import AppTest

import vaedemo
from tests.harness.apptest import open_page
from tests.harness.latent_maps import elements, sent_models
from tests.harness.server import ROOT
from tests.harness.texts import assert_no_english
from vaedemo.data import load_test_sample
from vaedemo.evaluate import kl_per_dimension
from webapp import session
from webapp.components.latent_map import pack

PAGE = "webapp/views/dimensions.py"
ROW = re.compile(r"^z(\d+): KL (\d+\.\d\d) nats$")


def rows_data(at) -> dict:
    (element,) = elements(at, "vaedemo.dimensions")
    return json.loads(element.proto.json)


def shown_rows(at) -> list[tuple[int, float, bool]]:
    """(the dimension's number in its label, its KL in the label, greyed) of each row, in order."""
    rows = []
    for row in rows_data(at)["rows"]:
        number, kl = ROW.match(row["label"]).groups()
        assert int(number) == row["index"] + 1 and row["name"] == f"z{number}"
        rows.append((int(number), float(kl), row["unused"]))
    return rows


def explained(at) -> str:
    """The paragraph under the rows, on the active units and beta."""
    (text,) = [m.value for m in at.markdown if m.value.startswith("**Reading the rows.**")]
    return text


def first_of(label: int, dataset: str = "mnist") -> torch.Tensor:
    images, labels = load_test_sample(dataset)
    return images[torch.nonzero(labels == label)[0, 0]][None]


def code(model, x) -> list[float]:
    with torch.inference_mode():
        return model.latent_mean(x)[0].tolist()


def test_each_dimension_of_the_shipped_vae_gets_a_row_sorted_by_its_kl_around_a_test_seven():
    at = open_page(PAGE)
    assert at.title[0].value == "What each dimension means"
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-16d.safetensors")
    images, labels = load_test_sample()
    kl = kl_per_dimension(vae, images)
    rows = shown_rows(at)
    assert [number for number, _, _ in rows] == [i + 1 for i in kl.argsort(descending=True).tolist()]
    assert [value for _, value, _ in rows] == [round(v, 2) for v in sorted(kl.tolist(), reverse=True)]
    assert not any(unused for _, _, unused in rows)  # the MLP VAE-16D uses all 16 (KL 0.89 to 2.11 nats)
    data = rows_data(at)
    assert data["z"] == pytest.approx(code(vae, first_of(7)), abs=1e-6) and (data["steps"], data["span"]) == (7, 3)
    with torch.inference_mode():
        expected = pack(vae, vae.latent_mean(images), labels).id
    assert data["model"] == expected and sent_models(at) == [expected]
    assert "this model uses 16 of its 16." in explained(at)
    at.selectbox(key="dimensions_label").set_value(3).run()  # another test digit
    assert rows_data(at)["z"] == pytest.approx(code(vae, first_of(3)), abs=1e-6)


def test_the_conv_vae_greys_the_three_dimensions_it_does_not_use_and_puts_them_last():
    at = open_page(PAGE)
    at.toggle(key="dimensions_conv").set_value(True).run()
    assert not at.exception
    rows = shown_rows(at)
    assert [unused for _, _, unused in rows] == [False] * 13 + [True] * 3
    assert all(value == 0.0 for _, value, unused in rows if unused)
    assert "this model uses 13 of its 16." in explained(at)
    assert any("the shipped conv VAE-16D, trained on MNIST" in c.value for c in at.caption)


def test_the_last_drawing_is_the_code_the_rows_move_around_once_there_is_one():
    at = open_page(PAGE)
    assert not at.radio
    drawing = torch.roll(first_of(2), shifts=3, dims=3)  # stands in for the Draw page's preprocessed drawing
    at.session_state["last_drawing"] = drawing
    at.run()
    assert at.radio(key="dimensions_source").value == "drawing" and not at.selectbox
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-16d.safetensors")
    assert rows_data(at)["z"] == pytest.approx(code(vae, drawing), abs=1e-6)
    at.radio(key="dimensions_source").set_value("test").run()
    assert rows_data(at)["z"] == pytest.approx(code(vae, first_of(7)), abs=1e-6)


def test_on_fashion_mnist_the_fashion_vae_and_a_test_item():
    at = open_page(PAGE)
    at.session_state["last_drawing"] = first_of(2)  # a drawing is a digit: not offered here
    at.session_state[session.DATASET] = "fashion"
    at.run()
    assert not at.exception and not at.radio
    assert "dimensions_conv" not in [toggle.key for toggle in at.toggle]  # Fashion-MNIST has no conv pair
    assert at.selectbox(key="dimensions_label").label == "Test item"
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "fashion-vae-16d.safetensors")
    assert rows_data(at)["z"] == pytest.approx(code(vae, first_of(7, "fashion")), abs=1e-6)
    assert sum(unused for _, _, unused in shown_rows(at)) == 3


def test_the_sessions_own_vae_takes_the_shipped_ones_place_and_another_kind_does_not():
    at = open_page(PAGE)
    torch.manual_seed(0)
    mine = vaedemo.build_model(vaedemo.ModelConfig("vae", 4, hidden=16)).eval()  # untrained
    with torch.no_grad():  # z2 on the prior (its mean and log-variance heads give 0 for any image), the rest off it
        for head in (1, 5):
            mine.encoder[2].weight[head] = 0
            mine.encoder[2].bias[head] = 0
        mine.encoder[2].bias[[0, 2, 3]] = 1.0
    at.session_state[session.MY_MODEL] = mine
    at.session_state[session.USE_MINE] = True
    at.run()
    assert not at.exception
    assert any(c.value.startswith("Shown: your own VAE (latent size 4)") for c in at.caption)
    rows = shown_rows(at)
    assert len(rows) == 4 and rows[-1] == (2, 0.0, True)
    at.session_state[session.MY_MODEL] = vaedemo.build_model(vaedemo.ModelConfig("ae", 2, hidden=16)).eval()
    at.run()
    assert "not your AE" in at.info[0].value and len(shown_rows(at)) == 16


def test_in_chinese():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(lang="zh")
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception and at.title[0].value == "每个维度的含义"
    assert all(re.fullmatch(r"z\d+：KL \d+\.\d\d 奈特", row["label"]) for row in rows_data(at)["rows"])
    assert_no_english(at)
    at.toggle(key="dimensions_conv").set_value(True).run()
    assert rows_data(at)["words"]["unused"] == "未使用" and sum(row["unused"] for row in rows_data(at)["rows"]) == 3
    assert_no_english(at)

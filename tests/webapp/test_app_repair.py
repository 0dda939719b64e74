"""The Repair page under AppTest: the digit, the damage and the models each change what is shown, and the
figures are the ones vaedemo.repair computes. Also the Train page's denoising option."""
import pytest
import torch
from streamlit.testing.v1 import AppTest

import vaedemo
from tests.harness.server import ROOT
from vaedemo.data import load_test_sample
from vaedemo.datasets import DATASETS
from vaedemo.repair import REGIONS, erase_block, fill_in, mean_abs_error, repair


@pytest.fixture
def at():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("webapp/views/repair.py").run()
    assert not at.exception
    return at


def pictures(at) -> dict:
    """Caption -> URL of each digit shown (the URL names the picture's bytes), without the error maps."""
    return {image.captions[0]: image.value[0] for image in at.get("image")
            if image.captions[0] not in ("error map", "error map colours: 0 (exact) to 1")}


def mean_errors(at) -> dict:
    """Picture name -> its mean |error| per pixel as shown: one metric under each picture after the clean one."""
    return dict(zip(list(pictures(at))[1:], (float(metric.value) for metric in at.metric)))


def button(at, label):
    [found] = [b for b in at.button if b.label == label]
    return found


def first_test_digit(label: int) -> torch.Tensor:
    images, labels = load_test_sample()
    return images[torch.nonzero(labels == label)[0, 0]][None]  # (1, 1, 28, 28)


def test_page_shows_clean_damaged_and_both_repairs_with_their_errors(at):
    assert at.title[0].value == "Repair a damaged digit"
    assert list(pictures(at)) == ["Clean digit", "Damaged", "conv AE, 2-D", "conv VAE, 2-D"]
    assert [image.captions[0] for image in at.get("image")].count("error map") == 3
    errors = mean_errors(at)
    assert list(errors) == ["Damaged", "conv AE, 2-D", "conv VAE, 2-D"] and all(0 < e < 1 for e in errors.values())
    assert at.metric[1].proto.delta == f"{errors['conv AE, 2-D'] - errors['Damaged']:+.3f}"
    assert "Best repair here:" in at.main.caption[-1].value
    assert at.radio(key="repair_latent_dim").value == 2
    assert "Draw a digit on the **Draw** page to repair your own." in [c.value for c in at.caption]


def test_noise_slider_changes_the_damaged_picture_and_its_error(at):
    at.slider(key="repair_noise").set_value(0.0).run()
    assert mean_errors(at)["Damaged"] == 0.0
    assert pictures(at)["Damaged"] == pictures(at)["Clean digit"]
    at.slider(key="repair_noise").set_value(0.8).run()
    noisy = pictures(at)["Damaged"]
    assert noisy != pictures(at)["Clean digit"] and mean_errors(at)["Damaged"] > 0.2
    errors = mean_errors(at)
    assert errors["conv VAE, 2-D"] < errors["Damaged"] - 0.05  # at this noise the repair is clearly closer
    button(at, "New noise").click().run()
    assert pictures(at)["Damaged"] != noisy


def test_erasing_a_region_or_a_placed_block_zeroes_exactly_that(at):
    clean = first_test_digit(7)
    at.slider(key="repair_noise").set_value(0.0).run()
    assert [s.key for s in at.slider] == ["repair_noise"] and "repair_fill_only" not in [t.key for t in at.toggle]
    at.selectbox(key="repair_erase").set_value("top half").run()
    top = erase_block(clean, *REGIONS["top half"])
    assert mean_errors(at)["Damaged"] == pytest.approx(mean_abs_error(top, clean).item(), abs=0.0005)
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-2d.safetensors")
    filled = fill_in(vae, top, REGIONS["top half"])  # the default: only the erased block is redrawn
    assert at.toggle(key="repair_fill_only").value is True
    assert mean_errors(at)["conv VAE, 2-D"] == pytest.approx(mean_abs_error(filled, clean).item(), abs=0.0005)
    at.toggle(key="repair_fill_only").set_value(False).run()
    assert mean_errors(at)["conv VAE, 2-D"] == pytest.approx(mean_abs_error(repair(vae, top), clean).item(), abs=0.0005)
    at.selectbox(key="repair_erase").set_value("a block I place").run()
    assert [s.key for s in at.slider] == ["repair_noise", "repair_block_top", "repair_block_left", "repair_block_size"]
    at.slider(key="repair_block_top").set_value(12).run()
    at.slider(key="repair_block_size").set_value(6).run()
    block = erase_block(clean, 12, 8, 6, 6)
    assert mean_errors(at)["Damaged"] == pytest.approx(mean_abs_error(block, clean).item(), abs=0.0005)


def test_picking_another_test_digit_changes_the_clean_one(at):
    before = pictures(at)["Clean digit"]
    at.selectbox(key="repair_label").set_value(3).run()
    three = pictures(at)["Clean digit"]
    assert three != before
    at.number_input(key="repair_index").set_value(2).run()
    assert pictures(at)["Clean digit"] != three
    button(at, "Random test digit").click().run()
    assert not at.exception
    assert (at.session_state["repair_label"], at.session_state["repair_index"]) != (3, 2)


def test_my_last_drawing_is_offered_only_once_there_is_one(at):
    assert [r.key for r in at.radio] == ["repair_latent_dim"]
    drawing = torch.roll(first_test_digit(2), shifts=3, dims=3)  # stands in for the Draw page's preprocessed drawing
    at.session_state["last_drawing"] = drawing
    at.run()
    assert [r.key for r in at.radio] == ["repair_source", "repair_latent_dim"]
    test_digit = pictures(at)["Clean digit"]
    assert at.radio(key="repair_source").options == ["a test digit", "my last drawing from the Draw page"]
    at.radio(key="repair_source").set_value("drawing").run()
    assert not at.exception
    assert pictures(at)["Clean digit"] != test_digit
    assert [s.key for s in at.selectbox] == ["repair_erase"]  # no test-digit picker now
    at.slider(key="repair_noise").set_value(0.0).run()
    at.selectbox(key="repair_erase").set_value("left half").run()
    left = erase_block(drawing, *REGIONS["left half"])
    assert mean_errors(at)["Damaged"] == pytest.approx(mean_abs_error(left, drawing).item(), abs=0.0005)


def test_my_own_model_is_shown_too_and_labelled_denoising(at):
    torch.manual_seed(0)
    mine = vaedemo.build_model(vaedemo.ModelConfig("ae", 2, hidden=16)).eval()
    mine.metadata = {"train_noise": "0.3"}
    at.session_state["my_model"] = mine
    at.run()
    assert list(mean_errors(at)) == ["Damaged", "conv AE, 2-D", "conv VAE, 2-D",
                                     "Your AE, 2-D, denoising (trained on noise 0.3)"]
    at.session_state["use_mine"] = True  # the sidebar's switch: now it is the page's AE, shown once
    at.run()
    assert list(mean_errors(at)) == ["Damaged", "Your AE, 2-D, denoising (trained on noise 0.3)", "conv VAE, 2-D"]


def test_16d_pair_and_the_shipped_denoising_vae(at):
    at.radio(key="repair_latent_dim").set_value(16).run()
    names = list(mean_errors(at))
    assert names[:3] == ["Damaged", "AE, 16-D", "VAE, 16-D"]
    if (ROOT / "checkpoints" / "vae-16d-denoise.safetensors").exists():
        assert names[3] == "VAE, 16-D, denoising (trained on noise 0.3)"
        at.slider(key="repair_noise").set_value(0.6).run()
        errors = mean_errors(at)
        assert errors[names[3]] < errors["VAE, 16-D"] < errors["Damaged"]


def test_the_convolutional_pair_repairs_in_16d(at):
    assert not [t for t in at.toggle if t.key == "repair_conv"]  # offered with 16-D codes only
    at.radio(key="repair_latent_dim").set_value(16).run()
    at.toggle(key="repair_conv").set_value(True).run()
    assert not at.exception
    names = list(mean_errors(at))
    assert names[:3] == ["Damaged", "conv AE, 16-D", "conv VAE, 16-D"]
    at.slider(key="repair_noise").set_value(0.6).run()
    errors = mean_errors(at)
    assert errors["conv VAE, 16-D"] < errors["Damaged"]


def test_a_link_with_the_settings_opens_that_exact_view():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(repair_label="3", repair_index="5", repair_noise="0.0", repair_erase="centre",
                           repair_fill_only="false", repair_latent_dim="16-D")
    at.run()
    at.switch_page("webapp/views/repair.py").run()
    assert not at.exception
    assert (at.selectbox(key="repair_label").value, at.number_input(key="repair_index").value) == (3, 5)
    assert at.radio(key="repair_latent_dim").value == 16 and at.toggle(key="repair_fill_only").value is False
    images, labels = load_test_sample()
    clean = images[torch.nonzero(labels == 3)[4, 0]][None]
    centre = erase_block(clean, *REGIONS["centre"])
    assert mean_errors(at)["Damaged"] == pytest.approx(mean_abs_error(centre, clean).item(), abs=0.0005)
    vae = vaedemo.load_checkpoint(ROOT / "checkpoints" / "vae-16d.safetensors")
    assert mean_errors(at)["VAE, 16-D"] == pytest.approx(mean_abs_error(repair(vae, centre), clean).item(), abs=0.0005)


def test_on_fashion_mnist_it_repairs_items_and_leaves_out_what_belongs_to_mnist(at):
    mnist_clean = pictures(at)["Clean digit"]
    at.session_state["last_drawing"] = first_test_digit(2)  # a drawing is a digit: not offered here
    mine = vaedemo.build_model(vaedemo.ModelConfig("vae", 2, hidden=16)).eval()
    mine.metadata = {"dataset": "mnist"}
    at.session_state["my_model"] = mine
    at.session_state["dataset"] = "fashion"  # the sidebar's picker
    at.run()
    assert not at.exception
    assert at.title[0].value == "Repair a damaged item"
    assert at.markdown[0].value.startswith("Take an item, damage it")
    assert at.selectbox(key="repair_label").label == "Test item"
    assert at.selectbox(key="repair_label").options == list(DATASETS["fashion"].classes)
    assert [r.key for r in at.radio] == ["repair_latent_dim"]
    assert list(pictures(at)) == ["Clean item", "Damaged", "conv AE, 2-D", "conv VAE, 2-D"]
    assert pictures(at)["Clean item"] != mnist_clean


def test_train_page_has_the_denoising_noise_level():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("webapp/views/train.py").run()
    noise = at.select_slider(key="_train_noise")
    assert noise.label == "Denoising: noise level" and noise.value == 0.0
    noise.set_value(0.3).run()
    assert at.session_state["train_noise"] == 0.3

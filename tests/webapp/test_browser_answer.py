"""The browser answers every stroke (components/engine.js and answer.js); vaedemo stays the reference. Digits drawn
with the mouse on the Draw page, then every number the browser computed read back and recomputed with vaedemo:

- the 28x28 input from the canvas's own pixels by vaedemo.preprocess, within 1/255 a pixel;
- each model's code, reconstruction, sample and loss from the weights as the browser holds them (float16, as
  components/latent_map.py packs them, biases float32): codes within 1e-4, pictures within 1e-3, the ELBO's terms and
  the importance-weighted log p(x) within 0.05 nats;
- against the shipped float32 models the float16 weights cost at most ERROR_OF_HALF in a code (measured on the ten
  digits of tests/harness/strokes.py: at most 0.0011 in a code, 0.002 in a pixel), the price of half the bytes.

And no message goes to the server while a person draws."""

import pytest
import torch

from tests.harness.browser import wait_for_app
from tests.harness.latent_maps import as_the_browser_has_it, messages_to_the_server
from tests.harness.server import ROOT
from tests.harness.strokes import canvas_pixels, draw_digit
from vaedemo import load_checkpoint
from vaedemo.losses import elbo_terms, importance_weighted
from vaedemo.preprocess import preprocess_drawing

pytestmark = pytest.mark.browser
ERROR_OF_HALF = 0.005
PAIRS = {"2-D": ("2d", "", 2), "16-D": ("16d", "?draw_latent_dim=16-D", 16),
         "16-D conv": ("16d", "?draw_latent_dim=16-D&draw_conv=true", 16)}


def latest(page, part: str) -> dict:
    return page.locator(f".answer[data-part={part}]").evaluate("root => root.latest")


def tensor(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32)


@pytest.mark.parametrize("pair", PAIRS)
def test_the_browser_answers_each_stroke_as_vaedemo_does_and_tells_the_server_nothing(page, app_url, pair):
    size, query, latent_dim = PAIRS[pair]
    arch = "conv-" if "conv" in pair else ""
    shipped = [load_checkpoint(ROOT / "checkpoints" / f"{arch}{kind}-{size}.safetensors") for kind in ("ae", "vae")]
    ae, vae = (as_the_browser_has_it(model) for model in shipped)
    sent = messages_to_the_server(page)
    page.goto(f"{app_url}/{query}")
    wait_for_app(page)
    page.locator(".answer[data-part=maths]").wait_for(state="attached")
    page.wait_for_timeout(1000)  # the page's own messages (its first run's) are over
    sent.clear()
    for digit in (7, 3):
        draw_digit(page, digit)  # stroke by stroke, each answered
        page.locator(".answer[data-part=maths]").evaluate(
            "root => new Promise(done => { const check = () => root.latest && (root.latest.logpx !== undefined"
            " || root.latest.kl === undefined) ? done() : setTimeout(check, 20); check(); })")
        pictures, sample, maths = (latest(page, part) for part in ("pictures", "reparam", "maths"))

        x = tensor(pictures["x"]).view(1, 1, 28, 28)
        expected = preprocess_drawing(canvas_pixels(page))
        assert (x - expected).abs().max() <= 1 / 255, "the 28x28 input as vaedemo.preprocess makes it"

        with torch.inference_mode():
            codes = [ae.encode(x), vae.encode(x)[0]]
            logvar = vae.encode(x)[1]
            shipped_codes = [shipped[0].encode(expected), shipped[1].encode(expected)[0]]
            for code, shipped_code, answer in zip(codes, shipped_codes, pictures["codes"]):
                assert tensor(answer["mu"]) == pytest.approx(code[0], abs=1e-4)
                assert tensor(answer["mu"]) == pytest.approx(shipped_code[0], abs=ERROR_OF_HALF)
            assert tensor(pictures["codes"][1]["logvar"]) == pytest.approx(logvar[0], abs=1e-4)
            for picture, code, model in zip(pictures["pictures"], codes, (ae, vae)):
                assert tensor(picture) == pytest.approx(model.decode(code).flatten(), abs=1e-3)

            eps = tensor(sample["eps"])[None]
            terms = elbo_terms(vae, x, eps)
            assert tensor(sample["z"]) == pytest.approx(terms.z, abs=1e-4)
            assert tensor(sample["x_hat"]) == pytest.approx(terms.x_hat.flatten(), abs=1e-3)
            assert (maths["recon"], maths["kl"]) == pytest.approx((terms.recon, terms.kl), abs=0.05)
            eps_k = torch.randn(100, 1, latent_dim, generator=torch.Generator().manual_seed(0))
            elbo, log_px = importance_weighted(vae, x, eps_k)
            assert (maths["iw_elbo"], maths["logpx"]) == pytest.approx((elbo.item(), log_px.item()), abs=0.05)
            assert maths["logpx"] >= maths["iw_elbo"], "log p(x) is at least the ELBO"
    assert sent == [], "no message to the server while drawing"

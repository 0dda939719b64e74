"""The two languages: the catalogues have the same keys (and the same values to fill in), and in Chinese (?lang=zh)
every page renders without an exception and shows no English sentence: no run of two English words outside formulas,
numbers and names (AE, VAE, ELBO, KL, PCA, MNIST, ...)."""
import re
import string

import pytest
from streamlit.testing.v1 import AppTest

from tests.harness.apptest import Moment
from tests.harness.server import ROOT
from tests.harness.texts import assert_no_english, english_runs, visible_texts
from tests.harness.training import trained
from vaedemo.texts import CURVE_LABELS, JOB_MESSAGES
from webapp.i18n import CATALOGUES

PAGES = [f"webapp/views/{name}.py" for name in ("draw", "home", "latent", "dimensions", "train", "compare", "repair",
                                                "every_digit", "class", "likelihood", "codes", "lesson")]


def placeholders(text) -> set:
    """The values a text takes, {name}; a formula's braces ($\\text{KL}$) are LaTeX, not values."""
    if not isinstance(text, str):
        return set()
    return {name for _, name, _, _ in string.Formatter().parse(re.sub(r"\$[^$]*\$", "", text)) if name}


def test_both_catalogues_have_the_same_keys_and_placeholders():
    en, zh = CATALOGUES["en"], CATALOGUES["zh"]
    assert sorted(set(en) - set(zh)) == [], "missing in zh.toml"
    assert sorted(set(zh) - set(en)) == [], "missing in en.toml"
    # the pages fill in what English needs; Chinese may leave some out (an article), never ask for more
    assert [key for key in en if not placeholders(zh[key]) <= placeholders(en[key])] == []
    assert [key for key in en if type(en[key]) is not type(zh[key])] == []


def test_every_message_of_a_training_job_and_every_label_of_its_curves_has_its_texts():
    """The library writes them in English once (vaedemo.texts, for its own tests and logs too); the English catalogue
    takes them from there, the Chinese one translates each."""
    for catalogue in CATALOGUES.values():
        assert [kind for kind in JOB_MESSAGES if f"jobs.{kind}" not in catalogue] == []
        assert [name for name in CURVE_LABELS if f"curves.{name}" not in catalogue] == []
    assert CATALOGUES["en"]["jobs.finished"] == JOB_MESSAGES["finished"] == "Finished: {epochs} epochs trained."
    assert CATALOGUES["zh"]["curves.kl"] != CURVE_LABELS["kl"]


def chinese(page: str, **query) -> AppTest:
    """The page opened from a shared link with ?lang=zh (and the rest of query)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params.update(lang="zh", **query)
    at.run()
    if page != PAGES[0]:
        at.switch_page(page).run()
    assert not at.exception
    assert at.session_state["lang"] == "zh"
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_chinese_shows_no_english_sentence(page):
    assert_no_english(chinese(page))


def test_the_draw_page_in_16d_conv_and_repair_with_a_block_on_fashion_mnist_in_chinese():
    at = chinese("webapp/views/draw.py", draw_latent_dim="16-D")
    at.toggle(key="draw_conv").set_value(True).run()
    assert_no_english(at)
    # (AppTest sets a selectbox by its shown option, so the erase option comes in by the link, as a person shares it)
    at = chinese("webapp/views/repair.py", dataset="Fashion-MNIST", repair_erase="我自己放置的方块")
    assert at.slider(key="repair_block_size").label == "边长"
    assert_no_english(at)
    assert "T恤/上衣" in at.selectbox(key="repair_label").options


def test_a_training_run_and_my_model_in_chinese():
    job = trained(epochs=2, train_size=300, latent_dim=4)
    progress = job.poll()
    at = chinese("webapp/views/train.py")
    at.session_state["train_job"] = Moment(job, status="training", epochs=progress.epochs[:1], maps=progress.maps[:1])
    assert_no_english(at.run())
    at.session_state["train_job"] = job
    at.run()
    assert_no_english(at)
    [use] = [button for button in at.button if button.label == "在所有页面使用我的模型"]
    use.click().run()
    assert_no_english(at)
    at.switch_page("webapp/views/latent.py").run()
    assert_no_english(at)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_english_by_default(page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    if page != PAGES[0]:
        at.switch_page(page).run()
    assert not at.exception
    assert at.session_state["lang"] == "en"
    assert any(english_runs(text) for text in visible_texts(at._tree))

"""The Chinese interface in a real browser: a shared ?lang=zh link opens each page in Chinese (its title, the
navigation, the components' own texts), the language follows page changes and switches back to English; and the
screenshot of the Draw page in Chinese (docs/draw-zh.png, shown in README.zh.md)."""
import re

import pytest
from playwright.sync_api import expect

from tests.harness.browser import wait_for_app
from tests.harness.latent_maps import MAP
from tests.harness.server import ROOT
from tests.harness.strokes import CANVAS, draw_a_seven_for_the_screenshot
from tests.harness.texts import english_runs

pytestmark = pytest.mark.browser

TITLES = {
    "": "写一个数字",
    "home": "自编码器与变分自编码器眼中的 MNIST 数字",
    "latent": "漫游 VAE 的二维潜在空间",
    "dimensions": "每个维度的含义",
    "train": "训练你自己的自编码器",
    "compare": "对比：为什么 VAE 能生成，而自编码器不能",
    "repair": "修复受损的数字",
    "every_digit": "用你的笔迹写出每一个数字",
    "class": "课堂",
    "likelihood": "似然知道什么",
}
NAVIGATION = ["手写", "测试图像", "潜在空间", "训练", "对比 AE 与 VAE", "修复", "写遍十个数字", "课堂", "似然知道什么"]
# Streamlit's own texts in its widgets (the file uploader's "Drag and drop file here", "Browse files") are the
# frontend's, in English whatever the page's language: the check below reads the page's texts without them.
OWN_TEXTS = """main => { const copy = main.cloneNode(true);
    copy.querySelectorAll('[data-testid=stFileUploaderDropzone], [data-testid=stFileUploaderDropzoneInstructions]')
        .forEach(element => element.remove());
    return copy.innerText; }"""


@pytest.mark.parametrize("path", list(TITLES))
def test_a_shared_chinese_link_opens_the_page_in_chinese(page, app_url, path):
    page.goto(f"{app_url}/{path}?lang=zh")
    wait_for_app(page)
    expect(page.locator("h1").first).to_have_text(TITLES[path], timeout=90_000)  # a fresh server imports torch first
    expect(page.locator("[data-testid=stSidebarNav] a")).to_contain_text(NAVIGATION)  # after each icon's name
    wait_for_app(page)
    text = page.locator("[data-testid=stMain]").evaluate(OWN_TEXTS)
    assert [runs for line in text.splitlines() if (runs := english_runs(line))] == []
    assert "lang=zh" in page.url


def test_the_language_follows_page_changes_and_switches_back(page, app_url):
    page.goto(f"{app_url}/?lang=zh")
    wait_for_app(page)
    expect(page.locator(f"{CANVAS}[data-ready=true]")).to_be_visible(timeout=90_000)
    buttons = page.locator("[data-testid=stBidiComponentIsolated] .tools button")
    expect(buttons).to_have_text(["撤销", "清空"])
    assert page.locator(CANVAS).get_attribute("aria-label") == "画布：在这里写一个数字"
    expect(page.locator(f"{MAP} .z").first).to_have_text("将指针移到图上")

    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_text("潜在空间", exact=True).click()
    page.wait_for_url(re.compile(r"/latent\?.*lang=zh"))
    expect(page.locator("h1").first).to_have_text(TITLES["latent"])

    sidebar.get_by_text("English").click()
    expect(page.locator("h1").first).to_have_text("Walk through the 2-D latent space of a VAE")
    page.wait_for_function("() => !location.search.includes('lang=')")
    expect(sidebar.locator("[data-testid=stSidebarNav] a").first).to_contain_text("Draw")


def test_screenshot_of_a_drawn_seven_in_chinese(page, app_url):
    draw_a_seven_for_the_screenshot(page, f"{app_url}/?lang=zh")
    expect(page.get_by_text("数学原理：VAE 对这个数字的损失")).to_be_visible()
    page.screenshot(path=ROOT / "artifacts" / "draw-zh.png", full_page=True)


def test_a_first_visit_from_a_chinese_browser_opens_in_chinese(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{app_url}/repair")
        wait_for_app(page)
        expect(page.locator("h1").first).to_have_text(TITLES["repair"], timeout=90_000)
        page.wait_for_url(re.compile(r"lang=zh"))  # so that a link copied from here opens in Chinese too
    finally:
        context.close()

"""Lecture mode and shareable views in a real browser: ?lecture=1 gives large type and a folded sidebar, and the
address bar carries each page's settings, so a bookmarked or shared link opens the same view."""
import re

import pytest
from playwright.sync_api import expect

from tests.harness.browser import wait_for_app
from tests.harness.latent_maps import MAP

pytestmark = pytest.mark.browser


def root_font_px(page) -> float:
    return float(page.evaluate("getComputedStyle(document.documentElement).fontSize").removesuffix("px"))


def open_sidebar(page):
    if page.locator("[data-testid=stSidebar]").get_attribute("data-collapsed") == "true":
        page.get_by_test_id("stExpandSidebarButton").click()


def test_a_shared_link_opens_the_same_latent_view_in_lecture_mode(page, app_url):
    page.goto(f"{app_url}/latent?lecture=1&latent_z1=1.5&latent_z2=-0.5")
    wait_for_app(page)
    decoded = page.locator(f"{MAP} .z")
    expect(decoded).to_have_text("z = (1.50, −0.50)", timeout=90_000)  # a fresh server imports torch first
    assert root_font_px(page) == 24
    assert page.locator("[data-testid=stSidebar]").get_attribute("data-collapsed") == "true"

    slider = page.get_by_role("slider", name="z1")
    slider.focus()
    page.keyboard.press("ArrowRight")  # z1 one step up, as a lecturer would nudge it
    expect(slider).to_have_attribute("aria-valuetext", "1.55")
    expect(decoded).to_have_text("z = (1.55, −0.50)")
    page.wait_for_url(re.compile(r"latent_z1=1\.55"))
    assert "lecture=1" in page.url and "latent_z2=-0.5" in page.url

    page.goto(page.url)  # the bookmark
    wait_for_app(page)
    expect(decoded).to_have_text("z = (1.55, −0.50)")
    assert root_font_px(page) == 24


def test_lecture_mode_follows_to_other_pages_and_switches_off(page, app_url):
    page.goto(f"{app_url}/?draw_latent_dim=16-D")
    wait_for_app(page)
    assert page.get_by_role("radio", name="16-D").is_checked()
    assert root_font_px(page) == 16

    page.locator("[data-testid=stSidebar]").get_by_text("Lecture mode").click()
    page.wait_for_function("getComputedStyle(document.documentElement).fontSize === '24px'")
    page.wait_for_url(re.compile(r"lecture=1"))

    sidebar = page.locator("[data-testid=stSidebar]")
    expect(sidebar).to_have_attribute("data-collapsed", "true")  # folded away for the projector
    open_sidebar(page)
    sidebar.get_by_text("Latent space").click()
    page.wait_for_url(re.compile(r"/latent\?.*lecture=1"))
    wait_for_app(page)
    assert root_font_px(page) == 24

    open_sidebar(page)
    sidebar.get_by_text("Lecture mode").click()
    page.wait_for_function("getComputedStyle(document.documentElement).fontSize === '16px'")
    assert "lecture" not in page.url

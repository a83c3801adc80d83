"""Issue 12 item 1: every tab follows TensorBoard's own theme menu (its `dark-mode` body class), live, and the
system's `prefers-color-scheme` when it runs outside TensorBoard."""

from __future__ import annotations

import pytest
from browser_helpers import eventually, open_tab, screenshot

pytestmark = pytest.mark.browser

DARK_BG = "rgb(32, 33, 36)"
LIGHT_BG = "rgb(255, 255, 255)"
# The top-left pixel of the heatmap canvas (its background, drawn by the canvas itself).
CORNER_JS = "(c) => Array.from(c.getContext('2d').getImageData(1, 1, 1, 1).data.slice(0, 3))"


def _theme(frame):
    return frame.locator("html").evaluate(
        "(html) => [html.dataset.tbsTheme, getComputedStyle(document.body).backgroundColor]"
    )


def _wait_theme(frame, name: str):
    frame.locator(f"html[data-tbs-theme={name}]").wait_for(state="attached", timeout=10000)


def _choose(page, label: str):
    page.get_by_label("Menu for changing light or dark theme").click()
    page.get_by_role("menuitem", name=label).click()


def test_tab_follows_tensorboards_theme_menu(page, tensorboard_server, small_logdir):
    tb = tensorboard_server(small_logdir)
    page.goto(f"{tb.url}/#tbs_predictions")
    frame = page.frame_locator("iframe[src*='plugin_entry.html?name=tbs_predictions']")
    canvas = frame.get_by_test_id("heatmap-canvas")
    canvas.wait_for(timeout=30000)
    assert _theme(frame) == ["light", LIGHT_BG]
    screenshot(page, "theme_tensorboard_light")

    _choose(page, "Dark")  # TensorBoard's own menu: it sets `dark-mode` on its body
    assert page.evaluate("() => document.body.classList.contains('dark-mode')")
    _wait_theme(frame, "dark")
    assert _theme(frame) == ["dark", DARK_BG]
    assert eventually(page, lambda: max(canvas.evaluate(CORNER_JS)) < 60), "the heatmap was not redrawn dark"
    screenshot(page, "theme_tensorboard_dark")

    _choose(page, "Light")
    _wait_theme(frame, "light")
    assert _theme(frame) == ["light", LIGHT_BG]
    assert eventually(page, lambda: min(canvas.evaluate(CORNER_JS)) > 200)

    # Toggling the class directly (what the menu does) is followed too.
    page.evaluate("() => document.body.classList.add('dark-mode')")
    _wait_theme(frame, "dark")

    # The menu wins over the system: a dark system with TensorBoard set to Light gives a light tab (a tab that
    # followed only prefers-color-scheme stayed dark here).
    page.evaluate("() => document.body.classList.remove('dark-mode')")
    page.emulate_media(color_scheme="dark")
    try:
        _choose(page, "Dark")
        _wait_theme(frame, "dark")
        _choose(page, "Light")
        assert not page.evaluate("() => document.body.classList.contains('dark-mode')")
        _wait_theme(frame, "light")
        assert _theme(frame) == ["light", LIGHT_BG]
        assert eventually(page, lambda: min(canvas.evaluate(CORNER_JS)) > 200)
        screenshot(page, "theme_system_dark_tensorboard_light")
    finally:
        page.emulate_media(color_scheme="light")


def test_plugin_page_alone_follows_the_system_theme(page, tensorboard_server, small_logdir):
    tb = tensorboard_server(small_logdir)
    page.emulate_media(color_scheme="dark")
    try:
        canvas = open_tab(page, tb.url)
        assert _theme(page) == ["dark", DARK_BG]
        page.emulate_media(color_scheme="light")
        _wait_theme(page, "light")
        assert eventually(page, lambda: min(canvas.evaluate(CORNER_JS)) > 200)
    finally:
        page.emulate_media(color_scheme="light")

"""The Tokens tab in headless Chromium against a real `tensorboard`: strips, top-k on hover, step changes."""

import json

import pytest

from tests.browser.browser_helpers import count_near, download_png
from tests.conftest import wait_for
from tests.tokens.helpers import WORDS, write_lm_run

pytestmark = pytest.mark.browser
STEPS = [0, 5, 10]


def _colors(page):
    return page.eval_on_selector_all("[data-testid=token]", "(els) => els.map((e) => e.dataset.color)")


def test_strip_hover_and_step_change(tmp_path, tensorboard_server, page):
    write_lm_run(tmp_path / "logs" / "lm_run", STEPS, batch=2, length=6)
    tb = tensorboard_server(tmp_path / "logs")
    wait_for(lambda: tb.get_json("/data/plugin/tbs_tokens/tags"), timeout=60)
    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_tokens")
    page.get_by_test_id("token-strip").first.wait_for(timeout=30000)
    assert page.get_by_test_id("token-strip").count() == 2
    assert page.get_by_test_id("token").count() == 12
    texts = page.eval_on_selector_all("[data-testid=token] .tbs-token-text", "(els) => els.map((e) => e.textContent)")
    assert set(texts) <= {w.replace("\n", "\u21b5") for w in WORDS[3:]}  # tokenizer text, newline made visible
    latest = _colors(page)
    assert latest[0] == "none" and len(set(latest[1:6])) > 1  # position 0 has no prediction

    page.get_by_test_id("token").nth(3).hover()
    panel = page.get_by_test_id("topk-panel")
    panel.wait_for(timeout=10000)
    assert page.get_by_test_id("topk-bar").count() == 5
    assert "rank" in panel.inner_text()
    # The logged logits favour the target more at each step: at the latest step it is the top-1.
    assert page.locator("[data-testid=topk-bar].target").count() == 1

    page.get_by_test_id("step-slider").focus()
    page.keyboard.press("Home")
    page.wait_for_function(
        "(before) => JSON.stringify([...document.querySelectorAll('[data-testid=token]')].map(e => e.dataset.color)) !== before",
        arg=json.dumps(latest, separators=(",", ":")),
        timeout=10000,
    )
    assert _colors(page) != latest

    page.get_by_test_id("token").nth(2).click()
    page.get_by_test_id("token-history").wait_for(timeout=10000)
    page.get_by_test_id("loss-chart").locator("canvas").first.wait_for(timeout=10000)
    page.screenshot(path=str(tmp_path / "tokens_tab.png"), full_page=True)

    # Issue 12 item 3: the Tokens charts export as figures: opaque, titled, with the run in the legend.
    figure = download_png(page, page.get_by_test_id("export-png-loss-chart"))
    assert figure.getchannel("A").getextrema() == (255, 255) and figure.convert("RGB").getpixel((2, 2)) == (
        255,
        255,
        255,
    )
    assert count_near(figure, (32, 33, 36), (0, 24, figure.width, 72), tolerance=40) > 30  # the title
    assert (
        count_near(figure, (0x42, 0x50, 0x66), (0, figure.height - 60, figure.width, figure.height), tolerance=8) > 20
    )


def _inside_viewport(page, box) -> bool:
    size = page.viewport_size
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


def test_topk_popover_in_view_and_rank_history_of_every_run(tmp_path, tensorboard_server, page):
    """Issue 12 item 7: the top-k panel is a popover by the hovered token inside the window (also for a token at
    the window's bottom-right on a long strip), it closes when the pointer leaves, and a pinned token's history
    shows its target rank in every selected run."""
    from tests.browser.browser_helpers import screenshot

    for seed, run in enumerate(("lm_a", "lm_b")):
        write_lm_run(tmp_path / "logs" / run, [0, 5], batch=1, length=400, seed=seed)
    tb = tensorboard_server(tmp_path / "logs")
    wait_for(lambda: len(tb.get_json("/data/plugin/tbs_tokens/tags")) == 2, timeout=60)
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_tokens")
    page.get_by_test_id("token-strip").nth(1).wait_for(timeout=30000)
    tokens = page.get_by_test_id("token")
    assert tokens.count() == 800

    # The token at the bottom-right of the window: scroll it there, hover it.
    target = tokens.nth(390)
    target.scroll_into_view_if_needed()
    page.evaluate("(y) => window.scrollBy(0, y)", target.bounding_box()["y"] - 860)
    box = target.bounding_box()
    assert box["y"] + box["height"] > 820, box  # near the bottom edge
    target.hover()
    popover = page.get_by_test_id("topk-popover")
    popover.wait_for(timeout=10000)
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('[data-testid=topk-popover]')).visibility === 'visible'"
    )
    pop = popover.bounding_box()
    assert _inside_viewport(page, pop), (pop, page.viewport_size)
    # Next to the token: just above it here (no room below).
    assert pop["y"] + pop["height"] <= box["y"] + 1 and box["y"] - (pop["y"] + pop["height"]) < 20, (pop, box)
    assert "rank" in popover.inner_text() and popover.get_by_test_id("topk-bar").count() == 5
    screenshot(page, "tokens_popover")

    page.mouse.move(5, 5)  # leave the strip
    popover.wait_for(state="detached", timeout=5000)

    # Pin a token: its history shows target probability, entropy and rank for both runs.
    tokens.nth(3).click()
    history = page.get_by_test_id("token-history")
    history.wait_for(timeout=10000)
    rank = page.get_by_test_id("rank-chart")
    rank.locator("canvas").first.wait_for(timeout=10000)
    assert rank.get_by_test_id("legend-item").all_text_contents() == ["lm_a", "lm_b"]
    screenshot(page, "tokens_rank_history")

"""The Tokens tab in headless Chromium against a real `tensorboard`: strips, top-k on hover, step changes."""

import json

import pytest

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

"""Issue 12 item 4: every heatmap has a colour bar saying what its colour means; in diff mode a diverging bar
that says which sign is better (on the confusion diagonal more is better, off it fewer)."""

from __future__ import annotations

import numpy as np
import pytest
from browser_helpers import hex_rgb, open_tab, screenshot

pytestmark = pytest.mark.browser

BAR_OFFSET = 12 + 6  # heatmapPaint.ts: the bar's gap, then half its width


def _bar_ends(canvas):
    """The colours at the top and bottom of the canvas's colour bar (device pixels = CSS pixels here)."""
    return canvas.evaluate(
        """(c) => {
          const l = JSON.parse(c.dataset.layout), ctx = c.getContext('2d'), x = Math.round(l.left + l.plotW + %d);
          const px = (y) => Array.from(ctx.getImageData(x, Math.round(y), 1, 1).data.slice(0, 3));
          return [px(l.top + 2), px(l.top + Math.max(l.plotH, 40) - 2)];
        }"""
        % BAR_OFFSET
    )


def _near(rgb, hex_color, tolerance=25):
    return max(abs(a - b) for a, b in zip(rgb, hex_rgb(hex_color))) <= tolerance


def test_confusion_color_bar_and_diverging_diff_legend(page, tensorboard_server, small_logdir):
    tb = tensorboard_server(small_logdir)
    canvas = open_tab(page, tb.url)
    bar = canvas.evaluate("(c) => JSON.parse(c.dataset.colorBar)")
    assert bar["title"] == "count" and bar["lo"] <= bar["hi"]
    top, bottom = _bar_ends(canvas)
    assert _near(top, "#fde725") and _near(bottom, "#440154"), (top, bottom)

    page.get_by_test_id("norm-mode").select_option("row")
    page.wait_for_function(
        "() => JSON.parse(document.querySelector('[data-testid=heatmap-canvas]').dataset.colorBar).title.includes('recall')"
    )

    page.get_by_test_id("diff-toggle").click()
    page.wait_for_function(
        "() => JSON.parse(document.querySelector('[data-testid=heatmap-canvas]').dataset.colorBar).highNote"
    )
    bar = canvas.evaluate("(c) => JSON.parse(c.dataset.colorBar)")
    assert bar["highNote"] == "red: A more" and bar["lowNote"] == "blue: A fewer"
    assert (
        "Diagonal (correct): red, more, is better" in bar["caption"]
        and "Off the diagonal (errors): blue, fewer" in bar["caption"]
    )
    assert bar["lo"] == -bar["hi"]  # symmetric: white is "no change"
    top, bottom = _bar_ends(canvas)
    assert _near(top, "#67001f") and _near(bottom, "#053061"), (top, bottom)
    screenshot(page, "color_bar_confusion_diff")


@pytest.fixture(scope="module")
def attention_logdir(tmp_path_factory):
    import tb_suite as tbs

    root = tmp_path_factory.mktemp("color_bars")
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(1, 1, 2, 5, 5))
    weights = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype(np.float32)
    with tbs.Writer(root / "run") as writer:
        tbs.log_attention(writer, "enc", weights, tokens=list("abcde"), step=0)
        tbs.log_head_stats(writer, "heads", step=0, entropy=ENTROPY)
    return root


ENTROPY = np.array([[0.25, 1.5], [0.75, 2.25]])  # exact in 3 significant digits


def test_attention_map_and_head_statistics_color_bars(page, tensorboard_server, attention_logdir):
    tb = tensorboard_server(attention_logdir)
    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_attention")
    canvas = page.get_by_test_id("heatmap-canvas")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=heatmap-canvas]')?.dataset.colorBar", timeout=30000
    )
    assert canvas.evaluate("(c) => JSON.parse(c.dataset.colorBar).title") == "attention weight"
    top, bottom = _bar_ends(canvas)
    assert _near(top, "#fde725") and _near(bottom, "#440154")

    bar = page.get_by_test_id("stat-entropy").get_by_test_id("color-bar")
    bar.wait_for(timeout=15000)
    assert float(bar.get_by_test_id("color-bar-lo").text_content()) == ENTROPY.min()
    assert float(bar.get_by_test_id("color-bar-hi").text_content()) == ENTROPY.max()
    assert "entropy (nats)" in bar.text_content()
    screenshot(page, "color_bar_attention")

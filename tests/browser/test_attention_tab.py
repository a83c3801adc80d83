"""End-to-end: the Attention tab in headless Chromium against a real `tensorboard`."""

from __future__ import annotations

import numpy as np
import pytest
from browser_helpers import XSS_NAME, cell_center, screenshot

pytestmark = pytest.mark.browser

L, H, S = 2, 3, 8
STEPS = (0, 10, 20)

# A cheap picture fingerprint: the sum of a sample of the canvas pixels.
PIXELS_JS = """
(canvas) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0;
  for (let i = 0; i < data.length; i += 4 * 13) sum += data[i] * 3 + data[i + 1] * 5 + data[i + 2] * 7;
  return sum;
}
"""


@pytest.fixture(scope="module")
def attention_logdir(tmp_path_factory):
    import tb_suite as tbs

    root = tmp_path_factory.mktemp("attention_tab")
    rng = np.random.default_rng(0)
    tokens = [XSS_NAME, *[f"tok{i}" for i in range(1, S)]]
    with tbs.Writer(root / "run_a") as writer:
        for k, step in enumerate(STEPS):
            logits = rng.normal(size=(L, 2, H, S, S)) * (1 + 2 * k)  # sharper every step
            weights = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
            tbs.log_attention(writer, "encoder", weights.astype(np.float32), tokens=tokens, step=step)
            mask = np.zeros((L, H))
            mask[1, 0] = 1
            tbs.log_head_stats(
                writer, "heads", step=step, entropy=rng.random((L, H)) + k, importance=rng.random((L, H)), mask=mask
            )
    return root


def _open(page, tb):
    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_attention")
    page.get_by_test_id("heatmap-canvas").wait_for(timeout=30000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=heatmap-canvas]')?.dataset.layout", timeout=30000
    )
    page.get_by_test_id("thumb-0-0").wait_for(timeout=30000)
    return page.get_by_test_id("heatmap-canvas")


def _picture_changes(page, canvas, before, timeout=10000):
    for _ in range(timeout // 100):
        if canvas.evaluate(PIXELS_JS) != before:
            return True
        page.wait_for_timeout(100)
    return False


@pytest.mark.parametrize("load_fast", [True, False], ids=["rust-loader", "python-loader"])
def test_grid_click_scrub_hover_diff_and_stats(page, tensorboard_server, attention_logdir, load_fast):
    tb = tensorboard_server(attention_logdir, load_fast=load_fast)
    canvas = _open(page, tb)

    # The grid shows every layer x head; clicking one opens it.
    assert page.get_by_test_id("head-grid").locator("canvas").count() == L * H
    before = canvas.evaluate(PIXELS_JS)
    page.get_by_test_id("thumb-1-2").click()
    page.wait_for_function("() => document.querySelector('[data-testid=head-picker]').value === '2'")
    assert page.get_by_test_id("layer-picker").input_value() == "1"
    assert "layer 1, head 2" in page.get_by_test_id("map-panel").locator("h3").text_content()
    assert _picture_changes(page, canvas, before), "opening another head did not change the picture"

    # Scrubbing to an earlier step changes the picture.
    slider = page.get_by_test_id("step-slider")
    assert slider.get_attribute("aria-valuetext") == "20"
    before = canvas.evaluate(PIXELS_JS)
    slider.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=step-slider]').getAttribute('aria-valuetext') === '10'"
    )
    assert _picture_changes(page, canvas, before), "scrubbing did not change the picture"

    # Hover shows the token pair as text; the HTML-like token never becomes an element.
    canvas.hover(position=cell_center(page, 0, 0))
    tooltip = page.get_by_test_id("tooltip")
    tooltip.wait_for()
    text = tooltip.text_content()
    assert f"query: {XSS_NAME}" in text and f"key: {XSS_NAME}" in text and "value: " in text
    canvas.hover(position=cell_center(page, 2, 3))
    assert "query: tok2" in tooltip.text_content() and "key: tok3" in tooltip.text_content()
    assert page.locator("img").count() == 0

    # Difference from the previous step, the example picker, rollout, and head statistics.
    page.get_by_test_id("diff").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=map-panel] h3').textContent.includes('minus step 0')"
    )
    page.get_by_test_id("diff").click()
    page.get_by_test_id("example-picker").select_option("1")
    page.get_by_test_id("view-picker").select_option("rollout")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=map-panel] h3').textContent.startsWith('rollout')"
    )
    stats = page.get_by_test_id("stats-panel")
    stats.wait_for()
    assert stats.locator("td[data-masked]").count() == 2  # layer 1, head 0 in the entropy and importance grids
    stats.get_by_test_id("curve-entropy").locator("canvas").first.wait_for()

    # Play advances the step by itself.
    page.get_by_test_id("play").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=step-slider]').getAttribute('aria-valuetext') !== '10'",
        timeout=10000,
    )
    page.get_by_test_id("play").click()


# Importances across magnitudes: 0.001-0.005 used to print "0.00" next to "1.35e-4" (issue 8, item 8).
IMPORTANCE = np.array([[0.0042, 0.00135, 1.35e-4], [0.003, 0.5, 2e-5]])


@pytest.fixture(scope="module")
def small_stats_logdir(tmp_path_factory):
    import tb_suite as tbs

    root = tmp_path_factory.mktemp("attention_stats")
    with tbs.Writer(root / "run") as writer:
        tbs.log_head_stats(writer, "heads", step=0, importance=IMPORTANCE, entropy=IMPORTANCE * 1000)
    return root


def test_head_statistics_cells_show_their_values(page, tensorboard_server, small_stats_logdir):
    tb = tensorboard_server(small_stats_logdir)
    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_attention")
    grid = page.get_by_test_id("stat-importance")
    grid.wait_for(timeout=30000)
    screenshot(page, "attention_head_stats")
    for name, expected in (("importance", IMPORTANCE), ("entropy", IMPORTANCE * 1000)):
        cells = page.get_by_test_id(f"stat-{name}").locator("tbody tr")
        for layer in range(expected.shape[0]):
            texts = cells.nth(layer).locator("td").all_text_contents()[1:]
            for head, text in enumerate(texts):
                value = float(np.float32(expected[layer, head]))
                shown = float(text)
                # Three significant digits: never zero, never more than half a unit of the third digit off.
                assert shown != 0 and abs(shown - value) <= 0.005 * abs(value), (name, layer, head, text, value)


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.fixture(scope="module")
def two_run_logdir(tmp_path_factory):
    import tb_suite as tbs

    root = tmp_path_factory.mktemp("attention_compare")
    rng = np.random.default_rng(11)
    weights = {}
    for run in ("run_a", "run_b"):
        with tbs.Writer(root / run) as writer:
            for k, step in enumerate((0, 10)):
                w = _softmax(rng.normal(size=(L, 1, H, 6, 6)) * (1 + k)).astype(np.float32)
                weights[run, step] = w
                tbs.log_attention(writer, "enc", w, tokens=[f"w{i}" for i in range(6)], step=step)
                tbs.log_head_stats(writer, "heads", step=step, entropy=rng.random((L, H)) + k)
                tbs.log_head_stats(
                    writer, "heads_with_a_long_statistics_tag_name", step=step, entropy=rng.random((L, H))
                )
    return root, weights


def test_compare_runs_per_head_curves_and_stats_tag_width(page, tensorboard_server, two_run_logdir):
    """Issue 12 item 8: the same head of another run side by side (values checked against what was logged),
    head statistics over training per head, and a statistics-tag select that does not stretch."""
    root, weights = two_run_logdir
    tb = tensorboard_server(root)
    _open(page, tb)
    page.get_by_test_id("thumb-1-2").click()  # layer 1, head 2
    page.get_by_test_id("compare-picker").get_by_label("run_b").check()
    compared = page.locator("[data-testid=compare-map][data-run=run_b]")
    canvas = compared.get_by_test_id("heatmap-canvas")
    canvas.wait_for(timeout=15000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=compare-map][data-run=run_b] [data-testid=heatmap-canvas]')?.dataset.layout"
    )
    assert "layer 1, head 2 · step 10" in compared.locator("h3").text_content()
    layout = canvas.evaluate("(c) => JSON.parse(c.dataset.layout)")
    # Both maps share one scale: [0, the larger maximum].
    main_bar = (
        page.get_by_test_id("map-panel")
        .get_by_test_id("heatmap-canvas")
        .evaluate("(c) => JSON.parse(c.dataset.colorBar)")
    )
    bar = canvas.evaluate("(c) => JSON.parse(c.dataset.colorBar)")
    assert [bar["lo"], bar["hi"]] == [main_bar["lo"], main_bar["hi"]]
    expected_max = max(weights["run_a", 10][1, 0, 2].max(), weights["run_b", 10][1, 0, 2].max())
    assert bar["lo"] == 0 and abs(bar["hi"] - expected_max) <= 1 / 255
    page.wait_for_timeout(300)  # the row settles once both maps are drawn
    for q, k in ((0, 0), (2, 5)):
        layout = canvas.evaluate("(c) => JSON.parse(c.dataset.layout)")
        canvas.hover(
            position={
                "x": layout["left"] + (k + 0.5) * layout["cellW"],
                "y": layout["top"] + (q + 0.5) * layout["cellH"],
            }
        )
        text = compared.get_by_test_id("tooltip").text_content()
        value = float(text.split("value: ")[1].split()[0])
        expected = weights["run_b", 10][1, 0, 2, q, k]
        assert abs(value - expected) <= 1 / 255 + 0.005 * expected, (q, k, value, expected)
    screenshot(page, "attention_compare")

    # Per-head curves of one layer over training.
    stats = page.get_by_test_id("stats-panel")
    stats.get_by_test_id("stats-scope").select_option("1")
    curve = stats.get_by_test_id("curve-entropy")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=curve-entropy] [data-testid=legend]')?.textContent.includes('L1 H0')"
    )
    assert curve.get_by_test_id("legend-item").all_text_contents() == [f"L1 H{h}" for h in range(H)]
    # The statistics tag select is as wide as its longest option, not the page.
    width = page.get_by_test_id("stats-tag-picker").bounding_box()["width"]
    assert width < 420, width

"""Issue 14: an exported Landscape tab opened from file:// in headless Chromium with the network blocked:
it draws, hover answers, scrubbing changes the picture, HTML in a tag name stays text, no request leaves."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tb_suite.core.reader import read_records
from tb_suite.export import export
from tb_suite.export.selection import Selection
from tests.export.conftest import HTML_TAG

pytestmark = pytest.mark.browser


@pytest.fixture
def offline_page(page):
    """`page` with every request other than file:, blob: and data: refused and recorded."""
    left: list[str] = []

    def refuse(route):
        left.append(route.request.url)
        route.abort()

    page.route(lambda url: not url.startswith(("file:", "blob:", "data:")), refuse)
    page.on(
        "request",
        lambda request: None if request.url.startswith(("file:", "blob:", "data:")) else left.append(request.url),
    )
    page.left = left
    return page


def test_exported_landscape_draws_hovers_and_scrubs_offline(landscape_logdir, offline_page, tmp_path):
    page = offline_page
    report = tmp_path / "report.html"
    sizes = export(landscape_logdir, "landscape", report, selection=Selection(steps="0:20"))
    assert sizes["file"] == report.stat().st_size
    page.set_viewport_size({"width": 1300, "height": 1000})
    page.goto(report.as_uri())
    page.wait_for_selector("[data-testid=tag-picker]", timeout=30000)
    page.locator("[data-testid=tag-picker]").select_option("plane")
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=plane-canvas][data-mode=contour]').length === 2", timeout=30000
    )
    assert page.locator("[data-testid=plane-view]").count() == 2  # both runs

    # The last exported step is shown (20; step 30 was left out).
    slider = page.locator("[data-testid=step-slider]")
    page.wait_for_selector("text=a @ 20", timeout=10000)
    assert "20 (3/3)" in page.locator("body").inner_text()
    canvas = page.locator("[data-testid=plane-canvas]").first
    before = canvas.screenshot()
    assert len(set(np.frombuffer(before, np.uint8)[::97].tolist())) > 20  # not blank

    # Hover the centre of the plane: the stored loss there, as the tab prints it.
    _, arrays = read_records(landscape_logdir / "a", "tbs_landscape")["plane"][20]
    centre = float(arrays["loss"][20, 20])
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 40 + 170, box["y"] + 8 + 170)
    page.wait_for_selector("[data-testid=tooltip]", timeout=5000)
    assert f"loss {centre:.4g}" in page.locator("[data-testid=tooltip]").inner_text()
    page.mouse.move(0, 0)

    # Scrub to the first step: the title and the picture change.
    slider.fill("0")
    page.wait_for_selector("text=a @ 0", timeout=10000)
    assert _picture_changes(page, canvas, before)

    # Switching a run off leaves the other's plane.
    page.get_by_test_id("run-picker").get_by_role("checkbox").nth(1).uncheck()
    page.wait_for_function("document.querySelectorAll('[data-testid=plane-view]').length === 1", timeout=10000)

    # A tag named like HTML is listed and shown as text, never parsed into an element.
    page.locator("[data-testid=tag-picker]").select_option(HTML_TAG)
    page.wait_for_selector("[data-testid=line-view] canvas", timeout=15000)
    assert page.locator("img").count() == 0
    assert HTML_TAG in page.locator("[data-testid=tag-picker]").inner_text()
    assert page.left == []
    # The guard itself sees a request that tries to leave.
    page.evaluate("fetch('http://127.0.0.1:9/leak').catch(() => null)")
    page.wait_for_timeout(200)
    assert page.left and page.left[0].startswith("http://127.0.0.1:9/")


def _colors(page):
    return page.eval_on_selector_all("[data-testid=token]", "(els) => els.map((e) => e.dataset.color)")


def test_exported_tokens_hover_scrub_and_pin_offline(tokens_logdir, offline_page, tmp_path):
    page = offline_page
    report = tmp_path / "tokens.html"
    export(tokens_logdir, "tokens", report, selection=Selection(steps="10:30"))
    page.goto(report.as_uri())
    page.get_by_test_id("token-strip").first.wait_for(timeout=30000)
    assert page.get_by_test_id("token-strip").count() == 4  # 2 sequences x 2 runs
    latest = _colors(page)
    assert len(set(latest)) > 2

    page.get_by_test_id("token").nth(3).hover()
    page.get_by_test_id("topk-panel").wait_for(timeout=10000)
    assert page.get_by_test_id("topk-bar").count() == 5

    # Scrubbing to the first exported step (10) recolours the strip.
    page.get_by_test_id("step-slider").focus()
    page.keyboard.press("Home")
    page.wait_for_function(
        "(before) => JSON.stringify([...document.querySelectorAll('[data-testid=token]')].map(e => e.dataset.color)) !== before",
        arg=json.dumps(latest, separators=(",", ":")),
        timeout=10000,
    )

    # Pinning a token draws its history in every run, from the embedded per-position answers.
    page.get_by_test_id("token").nth(2).click()
    page.get_by_test_id("token-history").wait_for(timeout=10000)
    page.get_by_test_id("loss-chart").locator("canvas").first.wait_for(timeout=10000)
    page.wait_for_timeout(300)
    assert "not included in this export" not in page.locator("body").inner_text()
    assert page.left == []


def test_exported_predictions_hover_click_and_scrub_offline(small_logdir, offline_page, tmp_path):
    from tests.browser.browser_helpers import NONBLANK_JS, XSS_NAME, cell_center

    page = offline_page
    report = tmp_path / "predictions.html"
    export(small_logdir, "predictions", report, selection=Selection(tags="^val$"))
    page.goto(report.as_uri())
    canvas = page.get_by_test_id("heatmap-canvas")
    canvas.wait_for(timeout=30000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=heatmap-canvas]')?.dataset.arrivalToDrawnMs !== undefined",
        timeout=30000,
    )
    assert canvas.evaluate(NONBLANK_JS) > 5
    assert page.get_by_test_id("run-picker").get_by_role("checkbox").count() == 2

    canvas.hover(position=cell_center(page, 0, 0))
    page.get_by_test_id("tooltip").wait_for()
    assert "true: cat" in page.get_by_test_id("tooltip").text_content()
    canvas.click(position=cell_center(page, 0, 0))
    page.get_by_test_id("examples-panel").wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=example]').length > 0", timeout=15000)

    slider = page.get_by_test_id("step-slider")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=step-slider]').getAttribute('aria-valuetext') === '0'"
    )
    assert "step 0" in page.get_by_test_id("summary").text_content()

    name_cell = page.get_by_test_id("class-table").get_by_text(XSS_NAME, exact=True)
    name_cell.wait_for(timeout=10000)  # the table of the new step
    assert name_cell.count() == 1
    assert page.locator("img").count() == 0
    assert page.left == []


def test_exported_layers_draws_hovers_and_opens_a_cell_offline(offline_page, tmp_path):
    from tests.browser.browser_helpers import NONBLANK_JS
    from tests.layers.helpers import write_monitored_run

    page = offline_page
    write_monitored_run(tmp_path / "logs" / "cnn", steps=10, every=3)
    report = tmp_path / "layers.html"
    export(tmp_path / "logs", "layers", report)
    page.goto(report.as_uri())
    flow = page.get_by_test_id("gradient-flow-chart").locator("canvas")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=gradient-flow-chart] canvas')?.dataset.layout", timeout=30000
    )
    assert flow.evaluate(NONBLANK_JS) > 2
    layout = json.loads(flow.get_attribute("data-layout"))
    flow.hover(
        position={"x": layout["left"] + 0.5 * layout["plotW"] / layout["n"], "y": layout["top"] + layout["plotH"] - 2}
    )
    page.get_by_test_id("bar-tooltip").wait_for(timeout=10000)
    assert "layer 0: 0" in page.get_by_test_id("bar-tooltip").inner_text()

    heatmap = page.get_by_test_id("layer-step-heatmap").get_by_test_id("heatmap-canvas")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=layer-step-heatmap] [data-testid=heatmap-canvas]')?.dataset.arrivalToDrawnMs",
        timeout=30000,
    )
    assert heatmap.evaluate(NONBLANK_JS) > 2
    # Layers: 0 Conv2d, 1 ReLU, 3 Conv2d, 4 ReLU, 6 Linear; steps 0, 3, 6, 9. Open layer "3" at step 3.
    cell = json.loads(heatmap.get_attribute("data-layout"))
    center = {
        "x": cell["left"] + (1.5 - cell["col0"]) * cell["cellW"],
        "y": cell["top"] + (2.5 - cell["row0"]) * cell["cellH"],
    }
    heatmap.click(position=center)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=step-slider]')?.getAttribute('aria-valuetext') === '3'",
        timeout=10000,
    )
    page.get_by_test_id("distributions").wait_for(timeout=10000)
    assert "of 3 over training" in page.get_by_test_id("distributions").inner_text()
    page.get_by_test_id("feature-map-canvas").wait_for(timeout=10000)
    assert page.get_by_test_id("feature-map-canvas").evaluate(NONBLANK_JS) > 2
    page.get_by_test_id("diagnoses").wait_for(timeout=10000)
    assert "not included in this export" not in page.locator("body").inner_text()
    assert page.left == []


def _picture_changes(page, canvas, before: bytes) -> bool:
    for _ in range(50):
        if canvas.screenshot() != before:
            return True
        page.wait_for_timeout(100)
    return False


def test_exported_attention_grid_click_scrub_hover_diff_and_stats_offline(attention_logdir, offline_page, tmp_path):
    from tests.browser.browser_helpers import XSS_NAME, cell_center

    page = offline_page
    report = tmp_path / "attention.html"
    export(attention_logdir, "attention", report)
    page.goto(report.as_uri())
    canvas = page.get_by_test_id("heatmap-canvas")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=heatmap-canvas]')?.dataset.layout", timeout=30000
    )
    page.get_by_test_id("thumb-0-0").wait_for(timeout=30000)
    assert page.get_by_test_id("head-grid").locator("canvas").count() == 2 * 3

    before = canvas.screenshot()
    page.get_by_test_id("thumb-1-2").click()
    page.wait_for_function("() => document.querySelector('[data-testid=head-picker]').value === '2'")
    assert _picture_changes(page, canvas, before), "opening another head did not change the picture"

    slider = page.get_by_test_id("step-slider")
    before = canvas.screenshot()
    slider.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=step-slider]').getAttribute('aria-valuetext') === '10'"
    )
    assert _picture_changes(page, canvas, before), "scrubbing did not change the picture"

    canvas.hover(position=cell_center(page, 0, 0))
    page.get_by_test_id("tooltip").wait_for()
    assert f"query: {XSS_NAME}" in page.get_by_test_id("tooltip").text_content()
    assert page.locator("img").count() == 0

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
    page.get_by_test_id("stats-panel").locator("td[data-masked]").first.wait_for(timeout=10000)
    assert "not included in this export" not in page.locator("body").inner_text()
    assert page.left == []

"""The Layers tab in headless Chromium against a real `tensorboard`: it draws, hover shows a value, clicking a
heatmap cell opens that layer at that step."""

import json

import pytest

from tests.browser.browser_helpers import NONBLANK_JS
from tests.conftest import wait_for
from tests.layers.helpers import write_monitored_run

pytestmark = pytest.mark.browser
PLUGIN = "tbs_layers"


def _cell_center(canvas, row: int, col: int) -> dict:
    layout = json.loads(canvas.get_attribute("data-layout"))
    return {
        "x": layout["left"] + (col + 0.5 - layout["col0"]) * layout["cellW"],
        "y": layout["top"] + (row + 0.5 - layout["row0"]) * layout["cellH"],
    }


def test_tab_draws_hovers_and_opens_a_cell(tmp_path, tensorboard_server, page):
    write_monitored_run(tmp_path / "logs" / "cnn", steps=10, every=3)
    tb = tensorboard_server(tmp_path / "logs")
    wait_for(lambda: tb.get_json(f"/data/plugin/{PLUGIN}/tags"), timeout=60)
    page.goto(f"{tb.url}/data/plugin_entry.html?name={PLUGIN}")

    flow = page.get_by_test_id("gradient-flow-chart").locator("canvas")
    flow.wait_for(timeout=30000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=gradient-flow-chart] canvas')?.dataset.layout", timeout=30000
    )
    assert flow.evaluate(NONBLANK_JS) > 2
    layout = json.loads(flow.get_attribute("data-layout"))
    # Hover the first layer's bar (a conv layer, so it has gradients): the tooltip names it and its values.
    flow.hover(
        position={"x": layout["left"] + 0.5 * layout["plotW"] / layout["n"], "y": layout["top"] + layout["plotH"] - 2}
    )
    tooltip = page.get_by_test_id("bar-tooltip")
    tooltip.wait_for(timeout=10000)
    text = tooltip.inner_text()
    assert "layer 0: 0" in text and "mean |grad|:" in text and "–" not in text.split("mean |grad|:")[1].split("\n")[0]

    heatmap = page.get_by_test_id("layer-step-heatmap").get_by_test_id("heatmap-canvas")
    heatmap.wait_for(timeout=30000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=layer-step-heatmap] [data-testid=heatmap-canvas]')?.dataset.arrivalToDrawnMs",
        timeout=30000,
    )
    assert heatmap.evaluate(NONBLANK_JS) > 2
    # Layers: 0 Conv2d, 1 ReLU, 3 Conv2d, 4 ReLU, 6 Linear; steps 0, 3, 6, 9. Open layer "3" at step 3.
    center = _cell_center(heatmap, 2, 1)
    heatmap.hover(position=center)
    cell_tip = page.get_by_test_id("layer-step-heatmap").get_by_test_id("tooltip")
    cell_tip.wait_for(timeout=10000)
    assert "layer: 3" in cell_tip.inner_text() and "step: 3" in cell_tip.inner_text()
    heatmap.click(position=center)
    page.wait_for_function("() => document.querySelector('[data-testid=layer-picker]')?.value === '3'", timeout=10000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=step-slider]')?.getAttribute('aria-valuetext') === '3'",
        timeout=10000,
    )
    page.get_by_test_id("distributions").wait_for(timeout=10000)
    assert "of 3 over training" in page.get_by_test_id("distributions").inner_text()
    page.get_by_test_id("feature-map-canvas").wait_for(timeout=10000)
    assert page.get_by_test_id("feature-map-canvas").evaluate(NONBLANK_JS) > 2
    page.get_by_test_id("diagnoses").wait_for(timeout=10000)
    page.screenshot(path=str(tmp_path / "layers_tab.png"), full_page=True)

"""Issue 12 item 2: a run has one colour in every tb-suite tab, and it is the colour TensorBoard's own runs
table gives it (TensorBoard colours runs by their position in its run list, ordered by first-event time)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from browser_helpers import eventually, screenshot, write_predictions

pytestmark = pytest.mark.browser

# Written in this order, so TensorBoard's order (first-event time) is not the name order.
RUNS = ("zeta", "alpha", "mid")

SWATCHES_JS = """
(root) => Object.fromEntries([...root.querySelectorAll('label')].map(
  (l) => [l.textContent.trim(), getComputedStyle(l.querySelector('.tbs-swatch')).backgroundColor]))
"""


@pytest.fixture(scope="module")
def colour_logdir(tmp_path_factory):
    from torch.utils.tensorboard import SummaryWriter

    import tb_suite as tbs
    from tb_suite.landscape.slices import LineSlice

    root = tmp_path_factory.mktemp("run_colours")
    alphas = np.linspace(-0.5, 1.5, 21)
    for k, run in enumerate(RUNS):
        write_predictions(root / run, 3, steps=(0,), images=False, seed=k)
        with tbs.Writer(root / run) as writer:
            tbs.log_slice(writer, "line", LineSlice(alphas, (alphas - 1) ** 2 + k), step=0)
        with SummaryWriter(str(root / run)) as scalars:  # for the Runs tab
            for step in range(3):
                scalars.add_scalar("train/loss", 1.0 + k - 0.1 * step, step)
        time.sleep(1.05)  # distinct first-event times
    return root


def _tensorboard_colours(page, url: str) -> dict:
    """Run -> colour as TensorBoard's own runs table (Time Series dashboard) shows it."""
    page.goto(f"{url}/#timeseries")
    page.locator(".run-color-swatch").nth(len(RUNS) - 1).wait_for(timeout=30000)
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.run-color-swatch')].map(
          (b) => [b.parentElement.parentElement.parentElement.textContent.trim(), getComputedStyle(b).backgroundColor]))"""
    )


def _tab_colours(page, url: str, plugin: str, expected: dict) -> dict:
    page.goto(f"{url}/data/plugin_entry.html?name={plugin}")
    picker = page.get_by_test_id("run-picker")
    picker.locator("label").nth(len(RUNS) - 1).wait_for(timeout=30000)
    # The colours settle once TensorBoard's run list has arrived.
    eventually(page, lambda: picker.evaluate(SWATCHES_JS) == expected)
    return picker.evaluate(SWATCHES_JS)


def test_one_colour_per_run_matching_tensorboard(page, tensorboard_server, colour_logdir):
    tb = tensorboard_server(colour_logdir)
    assert tb.get_json("/data/runs") == list(RUNS)
    expected = _tensorboard_colours(page, tb.url)
    assert set(expected) == set(RUNS) and len(set(expected.values())) == len(RUNS)
    screenshot(page, "run_colours_tensorboard")

    predictions = _tab_colours(page, tb.url, "tbs_predictions", expected)
    screenshot(page, "run_colours_predictions")
    landscape = _tab_colours(page, tb.url, "tbs_landscape", expected)
    screenshot(page, "run_colours_landscape")
    assert predictions == expected
    assert landscape == expected
    # The line chart draws each run in its colour: its legend swatches carry the same colours.
    legend = page.get_by_test_id("line-view").locator(".tbs-legend .tbs-legend-swatch line")
    legend.first.wait_for(state="attached", timeout=15000)
    drawn = {c for c in legend.evaluate_all("(els) => els.map((e) => getComputedStyle(e).stroke)")}
    assert set(expected.values()) <= drawn

    # The Runs tab: each run's table swatch and its curve's legend swatch carry TensorBoard's colour, also
    # when TensorBoard's run list arrives after the tab has drawn (held here until then): the tab redraws.
    held = []
    page.route("**/data/runs", lambda route: held.append(route))
    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_runs")
    page.locator("[data-testid=run-row]").nth(len(RUNS) - 1).wait_for(timeout=30000)
    legend = page.get_by_test_id("curve-panel").get_by_test_id("legend-item")
    legend.nth(len(RUNS) - 1).wait_for(timeout=30000)
    table_js = (
        "(rows) => Object.fromEntries(rows.map((r) => [r.dataset.run, "
        "getComputedStyle(r.querySelector('.tbs-swatch')).backgroundColor]))"
    )
    legend_js = (
        "(items) => Object.fromEntries(items.map((i) => [i.textContent.trim(), "
        "getComputedStyle(i.querySelector('.tbs-legend-swatch line')).stroke]))"
    )
    assert held, "the Runs tab did not ask for TensorBoard's run list"
    # without the list, runs take the palette in name order: not TensorBoard's colours for this logdir
    assert page.eval_on_selector_all("[data-testid=run-row]", table_js) != expected
    for route in held:
        route.continue_()
    page.unroute("**/data/runs")
    eventually(
        page,
        lambda: (
            page.eval_on_selector_all("[data-testid=run-row]", table_js) == expected
            and legend.evaluate_all(legend_js) == expected
        ),
    )
    table = page.eval_on_selector_all("[data-testid=run-row]", table_js)
    curves = legend.evaluate_all(legend_js)
    screenshot(page, "run_colours_runs")
    assert table == expected
    assert curves == expected

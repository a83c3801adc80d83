"""The Runs tab in headless Chromium against a real `tensorboard`, on runs written by torch's SummaryWriter and
add_hparams: the numbers shown, sorting, regex and config filters (and a bad filter's error), grouping with
mean +- std, colouring by a config value and a run's dashboard."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tests.conftest import wait_for
from tests.helpers import accumulator
from tests.runs.helpers import write_torch_sweep

pytestmark = pytest.mark.browser


def _shown(value: float) -> str:
    """The tab's formatNumber(v, 4) (4 significant digits, trailing zeros dropped) for |v| in [1e-3, 1e6)."""
    if float(value).is_integer():
        return str(int(value))
    decimals = max(0, 3 - math.floor(math.log10(abs(value))))
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _final(run_dir, tag="train/loss") -> float:
    return float(accumulator(run_dir).Scalars(tag)[-1].value)


def _rows(page) -> list[str]:
    return page.eval_on_selector_all("[data-testid=run-row]", "(els) => els.map((e) => e.dataset.run)")


@pytest.mark.parametrize("load_fast", [True, False])
def test_table_filter_group_colour_dashboard(tmp_path, tensorboard_server, page, load_fast):
    logdir = tmp_path / "logs"
    runs = write_torch_sweep(logdir, lrs=(0.1, 0.03, 0.01), seeds=(0, 1))
    import tb_suite as tbs
    from tests.browser.browser_helpers import XSS_NAME

    with tbs.Writer(str(logdir / "lr0.1_seed0")) as writer:
        tbs.log_config(writer, {"note": XSS_NAME})  # config text renders as text (the page fails on a dialog)
    tb = tensorboard_server(logdir, load_fast=load_fast)
    wait_for(lambda: len(tb.get_json("/data/plugin/tbs_runs/runs")["runs"]) == 6, timeout=60)
    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_runs")
    page.get_by_test_id("runs-table").wait_for(timeout=30000)
    assert sorted(_rows(page)) == sorted(runs)
    header = page.eval_on_selector_all("[data-testid=runs-table] th", "(els) => els.map((e) => e.textContent)")
    note = page.locator("[data-testid=run-row][data-run=lr0\\.1_seed0] td").nth(header.index("note")).inner_text()
    assert note == XSS_NAME and page.locator("img[src=x]").count() == 0

    # Sorting by the final train/loss matches the oracle's order; the cell shows the oracle's number.
    finals = {run: _final(logdir / run) for run in runs}
    page.get_by_test_id("sort-metric:train/loss").click()
    page.wait_for_function(
        "() => document.querySelector('th[data-testid=\"sort-metric:train/loss\"]').textContent.includes('▲')"
    )
    assert _rows(page) == sorted(runs, key=finals.get)
    header = page.eval_on_selector_all("[data-testid=runs-table] th", "(els) => els.map((e) => e.textContent)")
    column = next(i for i, h in enumerate(header) if h.startswith("train/loss"))
    first = page.locator("[data-testid=run-row]").first.locator("td").nth(column).inner_text()
    assert first == _shown(min(finals.values()))
    page.get_by_test_id("sort-metric:train/loss").click()
    page.wait_for_function(
        "(run) => document.querySelector('[data-testid=run-row]').dataset.run === run", arg=max(finals, key=finals.get)
    )

    # "best" per column: min for a loss, flipped to max by the column's button (the route's direction).
    page.get_by_test_id("stat-select").select_option("best")
    values = [e.value for e in accumulator(logdir / "lr0.1_seed0").Scalars("train/loss")]
    cell = page.locator("[data-testid=run-row][data-run=lr0\\.1_seed0] td").nth(column)
    page.wait_for_function("([el, text]) => el.textContent === text", arg=[cell.element_handle(), _shown(min(values))])
    page.get_by_test_id("direction-train/loss").click()
    page.wait_for_function("([el, text]) => el.textContent === text", arg=[cell.element_handle(), _shown(max(values))])
    page.get_by_test_id("direction-train/loss").click()
    page.get_by_test_id("stat-select").select_option("final")

    # Regex on the name, then a config expression; a bad expression shows its error.
    page.get_by_test_id("regex-input").fill("seed1$")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=run-row]').length === 3")
    page.get_by_test_id("regex-input").fill("")
    page.get_by_test_id("filter-input").fill("lr < 0.05 and seed in [0]")
    page.get_by_test_id("filter-input").press("Enter")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=run-row]').length === 2")
    assert sorted(_rows(page)) == ["lr0.01_seed0", "lr0.03_seed0"]
    page.get_by_test_id("filter-input").fill("lr <")
    page.get_by_test_id("filter-input").press("Enter")
    page.get_by_role("alert").wait_for(timeout=30000)
    assert "column 5" in page.get_by_role("alert").inner_text()
    page.get_by_test_id("filter-input").fill("")
    page.get_by_test_id("filter-input").press("Enter")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=run-row]').length === 6")

    # Group by lr: mean +- std over the seeds, as pandas computes them.
    page.get_by_test_id("group-select").select_option("lr")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=group-row]').length === 3")
    frame = pd.DataFrame([{"lr": float(r[2:].split("_")[0]), "final": v} for r, v in finals.items()]).groupby("lr")[
        "final"
    ]
    shown = page.eval_on_selector_all("[data-testid='group-train/loss']", "(els) => els.map((e) => e.textContent)")
    expected = [f"{_shown(m)} ± {_shown(s)}" for m, s in zip(frame.mean(), frame.std())]
    assert sorted(shown) == sorted(expected)
    # Grouped curves: one mean line per lr group with a std band.
    page.get_by_test_id("band-select").select_option("std")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=curve-panel]')?.textContent.includes('lr=0.1 mean (2)')"
    )
    page.get_by_test_id("band-select").select_option("none")
    page.get_by_test_id("group-select").select_option("")

    # Colour by lr: a continuous legend, and the curves drawn.
    page.get_by_test_id("color-select").select_option("lr")
    legend = page.get_by_test_id("color-legend")
    legend.wait_for(timeout=30000)
    assert "viridis" in legend.inner_text() and "0.01" in legend.inner_text()
    page.get_by_test_id("curve-panel").locator("canvas").first.wait_for(timeout=30000)
    swatches = page.eval_on_selector_all(
        "[data-testid=run-row] .tbs-swatch", "(els) => els.map((e) => e.style.background)"
    )
    assert len(set(swatches)) == 3  # one colour per lr, shared by its seeds

    # Parallel coordinates: brushing the top half of the lr axis keeps the lr=0.1 runs in the table.
    page.get_by_test_id("view-parallel").click()
    brush = page.get_by_test_id("pc-brush-lr")
    brush.wait_for(timeout=30000)
    box = brush.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.up()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=run-row]').length === 2")
    assert sorted(_rows(page)) == ["lr0.1_seed0", "lr0.1_seed1"]
    page.get_by_test_id("clear-brushes").click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=run-row]').length === 6")

    # A run's dashboard: its config and best/final table, and its charts.
    page.get_by_role("checkbox", name="select all").uncheck()
    page.locator("[data-testid=run-row][data-run=lr0\\.1_seed0] input").check()
    page.get_by_test_id("view-dashboard").click()
    dashboard = page.get_by_test_id("dashboard")
    dashboard.wait_for(timeout=30000)
    assert dashboard.count() == 1 and dashboard.get_attribute("data-run") == "lr0.1_seed0"
    config = page.get_by_test_id("dashboard-config").inner_text()
    assert "lr" in config and "0.1" in config and "sgd" in config
    summary = page.get_by_test_id("dashboard-summary").inner_text()
    assert _shown(finals["lr0.1_seed0"]) in summary
    page.get_by_test_id("dashboard-chart").locator("canvas").first.wait_for(timeout=30000)
    # Per-epoch box plots of train/loss: one box per epoch, medians as pandas computes them.
    page.wait_for_function("() => document.querySelectorAll('[data-testid=box]').length === 4")
    events = accumulator(logdir / "lr0.1_seed0").Scalars("train/loss")
    medians = (
        pd.DataFrame({"v": [e.value for e in events], "epoch": [e.step // 30 for e in events]})
        .groupby("epoch")["v"]
        .median()
    )
    shown = page.eval_on_selector_all("[data-testid=box]", "(els) => els.map((e) => Number(e.dataset.median))")
    np.testing.assert_allclose(shown, medians.to_numpy(), rtol=1e-12)

    # Live: a run written while the tab is open appears in the table.
    write_torch_sweep(logdir, lrs=(0.5,), seeds=(9,), steps=range(0, 30, 10))
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=run-row]')].some((r) => r.dataset.run === 'lr0.5_seed9')",
        timeout=60000,
    )

"""End-to-end: the Predictions tab in headless Chromium against a real `tensorboard`."""

from __future__ import annotations

import re

import pytest
from browser_helpers import NONBLANK_JS, XSS_NAME, cell_center, open_tab, write_predictions
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("load_fast", [False, True], ids=["python-loader", "rust-loader"])
def test_tab_loads_and_draws(page, tensorboard_server, small_logdir, load_fast):
    tb = tensorboard_server(small_logdir, load_fast=load_fast)
    canvas = open_tab(page, tb.url)
    assert canvas.evaluate(NONBLANK_JS) > 5, "heatmap looks blank"
    summary = page.get_by_test_id("summary").text_content()
    assert "accuracy" in summary and "6 classes" in summary
    assert page.get_by_test_id("run-picker").get_by_role("checkbox").count() == 2
    assert page.get_by_test_id("class-table").locator("tbody tr").count() == 6
    page.get_by_test_id("roc-chart").locator("canvas").first.wait_for()
    page.get_by_test_id("pr-chart").locator("canvas").first.wait_for()
    assert "AUC" in page.get_by_test_id("roc-chart").text_content()

    table = page.get_by_test_id("class-table")
    table.locator("th", has_text="support").click()
    supports = [int(t) for t in table.locator("tbody tr td:nth-child(5)").all_text_contents()]
    assert supports == sorted(supports, reverse=True)


def test_hover_click_export_and_text_safety(page, tensorboard_server, small_logdir):
    tb = tensorboard_server(small_logdir)
    canvas = open_tab(page, tb.url)

    canvas.hover(position=cell_center(page, 0, 0))
    tooltip = page.get_by_test_id("tooltip")
    tooltip.wait_for()
    text = tooltip.text_content()
    assert "true: cat" in text and "predicted: cat" in text
    assert "count: " in text and int(text.split("count: ")[1].split()[0]) >= 0

    canvas.click(position=cell_center(page, 0, 0))
    panel = page.get_by_test_id("examples-panel")
    panel.wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=example]').length > 0", timeout=15000)
    assert panel.locator("canvas").count() > 0, "thumbnails were logged but not drawn"

    with page.expect_download() as download:
        page.get_by_test_id("export-png").click()
    png = open(download.value.path(), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000

    # The malicious class name is text everywhere: in the table, tooltips and no <img> was created.
    assert page.get_by_test_id("class-table").get_by_text(XSS_NAME, exact=True).count() == 1
    canvas.hover(position=cell_center(page, 1, 0))
    assert XSS_NAME in page.get_by_test_id("tooltip").text_content()
    assert page.locator("img").count() == 0


def test_step_slider_and_diff_mode(page, tensorboard_server, small_logdir):
    tb = tensorboard_server(small_logdir)
    open_tab(page, tb.url)
    slider = page.get_by_test_id("step-slider")
    assert slider.get_attribute("aria-valuetext") == "10"
    slider.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=step-slider]').getAttribute('aria-valuetext') === '0'"
    )
    # the step's record may still be loading: wait for it, not for a fixed time
    expect(page.get_by_test_id("summary")).to_contain_text("step 0", timeout=20_000)

    page.get_by_test_id("diff-toggle").click()
    # diff mode is on once the baseline record has arrived: its diverging colour bar says which sign is better
    canvas = page.get_by_test_id("heatmap-canvas")
    expect(canvas).to_have_attribute("data-color-bar", re.compile("is better"), timeout=20_000)
    canvas.hover(position=cell_center(page, 0, 0))
    assert "baseline count" in page.get_by_test_id("tooltip").text_content()


def test_1000_class_matrix_draw_time(page, tensorboard_server, big_logdir):
    tb = tensorboard_server(big_logdir)
    canvas = open_tab(page, tb.url)
    arrival_ms = float(canvas.get_attribute("data-arrival-to-drawn-ms"))
    draw_ms = float(canvas.get_attribute("data-draw-ms"))
    print(
        f"\n1000-class confusion matrix: data arrival -> drawn {arrival_ms:.1f} ms (grid draw {draw_ms:.1f} ms; goal 50 ms)"
    )
    assert canvas.evaluate(NONBLANK_JS) > 3
    assert "1000 classes" in page.get_by_test_id("summary").text_content()

    # 0.7 px cells: zoom in with the wheel, drag the window to the bottom-right corner, hover exactly.
    box = canvas.bounding_box()
    corner = cell_center(page, 990, 990)
    x, y = box["x"] + corner["x"], box["y"] + corner["y"]
    page.mouse.move(x, y)
    for _ in range(3):
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(50)
    assert canvas.evaluate("(c) => JSON.parse(c.dataset.layout).cellW") > 5
    page.mouse.down()
    page.mouse.move(x - 150, y - 150, steps=5)
    page.mouse.up()
    layout = canvas.evaluate("(c) => JSON.parse(c.dataset.layout)")
    assert layout["row0"] + layout["plotH"] / layout["cellH"] > 999.99, "drag did not pan to the last row"
    canvas.hover(position=cell_center(page, 999, 998))
    text = page.get_by_test_id("tooltip").text_content()
    assert "true: class_999" in text and "predicted: class_998" in text


def test_tab_inside_tensorboard_ui(page, tensorboard_server, small_logdir):
    tb = tensorboard_server(small_logdir)
    page.goto(f"{tb.url}/#tbs_predictions")
    frame = page.frame_locator("iframe[src*='plugin_entry.html?name=tbs_predictions']")
    frame.get_by_test_id("heatmap-canvas").wait_for(timeout=30000)
    # Inside TensorBoard the run list arrives through the host bridge too.
    assert frame.get_by_test_id("run-picker").get_by_role("checkbox").count() == 2


def test_labels_record_hides_curves(page, tensorboard_server, small_logdir):
    tb = tensorboard_server(small_logdir)
    open_tab(page, tb.url)
    page.get_by_test_id("roc-chart").wait_for()
    page.get_by_test_id("tag-picker").select_option("val_labels")
    page.wait_for_function("() => document.querySelector('[data-testid=summary]').textContent.includes('4 classes')")
    # Curves and the table follow the matrix a frame later (deferred render).
    page.get_by_test_id("roc-chart").wait_for(state="detached")
    assert page.get_by_test_id("pr-chart").count() == 0
    page.wait_for_function("() => document.querySelectorAll('[data-testid=class-table] tbody tr').length === 4")
    assert page.get_by_test_id("class-table").locator("th", has_text="AUC").count() == 0


def test_new_steps_appear_live(page, tensorboard_server, tmp_path):
    logdir = tmp_path / "live"
    write_predictions(logdir / "run", 3, steps=(0,), images=False)
    tb = tensorboard_server(logdir)
    open_tab(page, tb.url)
    assert page.get_by_test_id("step-slider").get_attribute("aria-valuetext") == "0"
    write_predictions(logdir / "run", 3, steps=(5,), images=False, seed=3)
    # TensorBoard reloads every second here; the tab polls ./tags every 2 s and follows the latest step.
    page.wait_for_function(
        "() => document.querySelector('[data-testid=step-slider]').getAttribute('aria-valuetext') === '5'",
        timeout=30000,
    )
    page.wait_for_function("() => document.querySelector('[data-testid=summary]').textContent.includes('step 5')")

"""Issue 12 item 3: every chart of every tab exports a figure for a slide: an opaque background of the theme
(or white by choice), a title (run, tag, step), the chart, its legend and colour bar."""

from __future__ import annotations

import os

import numpy as np
import pytest
from browser_helpers import count_near, download_png, hex_rgb, open_tab, screenshot

pytestmark = pytest.mark.browser

LIGHT, DARK, WHITE = (255, 255, 255), (32, 33, 36), (255, 255, 255)
TEXT_LIGHT_THEME, TEXT_DARK_THEME = (32, 33, 36), (232, 234, 237)
SCALE = 2  # figures are drawn at 2 device pixels per CSS pixel
PAD, TITLE_H = 12, 24  # exportPng.ts layout
VIRIDIS_TOP, VIRIDIS_BOTTOM = hex_rgb("#fde725"), hex_rgb("#440154")


def check_figure(image, bg, text, *, name: str):
    """Opaque, on `bg`, with a title in `text` colour."""
    folder = os.environ.get("TBS_SCREENSHOT_DIR")
    if folder:
        image.save(os.path.join(folder, f"figure_{name}.png"))
    assert image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255), f"{name}: not opaque"
    assert image.convert("RGB").getpixel((2, 2)) == bg, f"{name}: background"
    title_band = (0, PAD * SCALE, image.width, (PAD + TITLE_H) * SCALE)
    assert count_near(image, text, title_band, tolerance=40) > 30, f"{name}: no title"


def legend_pixels(image, chart_css_height: float, rgb) -> int:
    """Pixels of colour `rgb` in the legend, below the chart."""
    top = int((PAD + TITLE_H + chart_css_height + 4) * SCALE)
    return count_near(image, rgb, (0, top, image.width, image.height), tolerance=8)


def check_color_bar(image, layout: dict):
    """The heatmap's viridis colour bar right of the grid: yellow at its top, purple at its bottom."""
    x = (PAD + layout["left"] + layout["plotW"] + 12 + 6) * SCALE
    top = (PAD + TITLE_H + layout["top"] + 2) * SCALE
    bottom = (PAD + TITLE_H + layout["top"] + max(layout["plotH"], 40) - 2) * SCALE
    rgb = image.convert("RGB")
    near = lambda p, q: max(abs(a - b) for a, b in zip(p, q)) <= 20  # noqa: E731
    assert near(rgb.getpixel((int(x), int(top))), VIRIDIS_TOP) and near(
        rgb.getpixel((int(x), int(bottom))), VIRIDIS_BOTTOM
    )


def test_predictions_exports_light_dark_and_white(page, tensorboard_server, small_logdir):
    tb = tensorboard_server(small_logdir)
    for scheme, bg, text in (("light", LIGHT, TEXT_LIGHT_THEME), ("dark", DARK, TEXT_DARK_THEME)):
        page.emulate_media(color_scheme=scheme)
        canvas = open_tab(page, tb.url)
        page.locator(f"html[data-tbs-theme={scheme}]").wait_for(state="attached")
        layout = canvas.evaluate("(c) => JSON.parse(c.dataset.layout)")
        matrix = download_png(page, page.get_by_test_id("export-png"))
        check_figure(matrix, bg, text, name=f"confusion-{scheme}")
        check_color_bar(matrix, layout)
        # The title names the tag, run and step.
        roc = page.get_by_test_id("roc-chart")
        roc.locator("canvas").first.wait_for()
        chart_h = roc.locator("canvas").first.evaluate("(c) => c.getBoundingClientRect().height")
        for kind in ("roc", "pr"):
            figure = download_png(page, page.get_by_test_id(f"export-png-{kind}-chart"))
            check_figure(figure, bg, text, name=f"{kind}-{scheme}")
            # Class 0's colour (first series) is in the legend, and so is run_b's dashed swatch.
            assert legend_pixels(figure, chart_h, hex_rgb("#1f77b4")) > 20, f"{kind}: no legend"
        white = download_png(page, page.get_by_test_id("export-png-roc-chart-white"))
        check_figure(white, WHITE, TEXT_LIGHT_THEME, name=f"roc-white-{scheme}")
        screenshot(page, f"export_predictions_{scheme}")
    page.emulate_media(color_scheme="light")


@pytest.fixture(scope="module")
def mixed_logdir(tmp_path_factory):
    """Attention, landscape (line and axis slices) in one run."""
    import tb_suite as tbs
    from tb_suite.landscape.slices import AxisSlices, LineSlice

    root = tmp_path_factory.mktemp("export")
    rng = np.random.default_rng(0)
    with tbs.Writer(root / "run") as writer:
        for step in (0, 10):
            logits = rng.normal(size=(2, 1, 2, 6, 6))
            weights = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
            tbs.log_attention(writer, "enc", weights.astype(np.float32), tokens=[f"t{i}" for i in range(6)], step=step)
            tbs.log_head_stats(writer, "heads", step=step, entropy=rng.random((2, 2)), importance=rng.random((2, 2)))
            alphas = np.linspace(-0.5, 1.5, 21)
            tbs.log_slice(writer, "line", LineSlice(alphas, (alphas - 1) ** 2 + step), step=step)
            offsets = np.linspace(-1, 1, 11)
            tbs.log_slice(
                writer,
                "axes",
                AxisSlices(
                    ["a.w[0]", "b.w[1]"],
                    ["a", "b"],
                    ["Linear"] * 2,
                    np.zeros(2),
                    offsets,
                    np.stack([offsets**2, np.abs(offsets)]) + 1,
                    center_loss=1.0,
                ),
                step=step,
            )
    return root


def test_attention_and_landscape_charts_export(page, tensorboard_server, mixed_logdir):
    tb = tensorboard_server(mixed_logdir)
    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_attention")
    canvas = page.get_by_test_id("heatmap-canvas")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=heatmap-canvas]')?.dataset.layout", timeout=30000
    )
    page.get_by_test_id("thumb-0-0").wait_for(timeout=30000)  # the page is laid out: the map keeps its size
    page.get_by_test_id("stats-panel").wait_for(timeout=30000)
    layout = None
    for _ in range(50):  # the map keeps its size once the page is laid out
        page.wait_for_timeout(200)
        now = canvas.evaluate("(c) => JSON.parse(c.dataset.layout)")
        if now == layout:
            break
        layout = now
    figure = download_png(page, page.get_by_test_id("export-png"))
    check_figure(figure, LIGHT, TEXT_LIGHT_THEME, name="attention-map")
    check_color_bar(figure, layout)
    figure = download_png(page, page.get_by_test_id("export-png-head-grid"))
    check_figure(figure, LIGHT, TEXT_LIGHT_THEME, name="attention-head-grid")
    figure = download_png(page, page.get_by_test_id("export-png-stat-entropy"))
    check_figure(figure, LIGHT, TEXT_LIGHT_THEME, name="attention-stat-grid")
    curve = page.get_by_test_id("curve-entropy")
    curve.locator("canvas").first.wait_for(timeout=15000)
    figure = download_png(page, page.get_by_test_id("export-png-curve-entropy"))
    check_figure(figure, LIGHT, TEXT_LIGHT_THEME, name="attention-curve")

    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_landscape")
    page.get_by_test_id("tag-picker").wait_for(timeout=30000)
    page.get_by_test_id("tag-picker").select_option("line")
    line = page.get_by_test_id("line-chart")
    line.locator("canvas").first.wait_for(timeout=15000)
    chart_h = line.locator("canvas").first.evaluate("(c) => c.getBoundingClientRect().height")
    figure = download_png(page, page.get_by_test_id("export-png-line-chart"))
    check_figure(figure, LIGHT, TEXT_LIGHT_THEME, name="landscape-line")
    assert legend_pixels(figure, chart_h, hex_rgb("#425066")) > 20  # the run's colour in the legend
    page.get_by_test_id("tag-picker").select_option("axes")
    page.get_by_test_id("axis-chart-1").locator("canvas").first.wait_for(timeout=15000)
    figure = download_png(page, page.get_by_test_id("export-png-axis-chart-1"))
    check_figure(figure, LIGHT, TEXT_LIGHT_THEME, name="landscape-axis")
    screenshot(page, "export_landscape_axes")

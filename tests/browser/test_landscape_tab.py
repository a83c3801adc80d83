"""End to end: a real `tensorboard`, the built tab in headless Chromium, the three views."""

import numpy as np
import pytest

import tb_suite as tbs
from tb_suite.landscape.slices import AxisSlices, LineSlice
from tests.conftest import wait_for
from tests.landscape.test_plugin import plane_at

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("logs")
    for run in ("run_a", "run_b"):
        with tbs.Writer(root / run) as writer:
            for step in (0, 10, 20):
                tbs.log_slice(writer, "1_plane", plane_at(step), step=step)
                alphas = np.linspace(-0.5, 1.5, 41)
                tbs.log_slice(writer, "2_line", LineSlice(alphas, (alphas - 1) ** 2 + step / 10), step=step)
                offsets = np.linspace(-1, 1, 21)
                tbs.log_slice(
                    writer,
                    "3_axes",
                    AxisSlices(
                        ["fc1.weight[3, 7]", "fc2.bias[0]", "fc2.weight[1, 1]"],
                        ["fc1", "fc2", "fc2"],
                        ["Linear"] * 3,
                        np.zeros(3),
                        offsets,
                        np.stack([offsets**2, np.abs(offsets), 1 - offsets]) + 1,
                        center_loss=1.0,
                    ),
                    step=step,
                )
    return root


def test_three_views_render_and_respond(logdir, tensorboard_server, page, tmp_path):
    tb = tensorboard_server(logdir)
    wait_for(lambda: len(tb.get_json(tb.plugin("tbs_landscape", "tags"))) == 2, timeout=60)
    page.set_viewport_size({"width": 1300, "height": 1000})
    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_landscape")
    page.wait_for_selector("[data-testid=plane-canvas]", timeout=30000)
    assert page.locator("[data-testid=plane-view]").count() == 2  # two runs side by side
    canvas = page.locator("[data-testid=plane-canvas]").first
    page.wait_for_function("document.querySelector('[data-testid=plane-canvas]').dataset.mode === 'contour'")
    # hover the centre of the first plane: the loss there is the minimum, 0.1
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 40 + 170, box["y"] + 8 + 170)
    page.wait_for_selector("[data-testid=tooltip]", timeout=5000)
    assert "loss 0.1" in page.locator("[data-testid=tooltip]").inner_text()
    page.screenshot(path=str(tmp_path / "contour.png"), full_page=True)
    page.locator("[data-testid=plane-mode]").select_option("heatmap")
    page.locator("[data-testid=log-scale]").check()
    page.wait_for_function("document.querySelector('[data-testid=plane-canvas]').dataset.mode === 'heatmap'")
    page.locator("[data-testid=progress]").wait_for(timeout=10000)
    page.screenshot(path=str(tmp_path / "plane.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("[data-testid=export-png]").first.click()
    assert download.value.suggested_filename.endswith(".png")
    # step navigation: the first step changes the title
    page.locator("[data-testid=step-slider]").fill("0")
    page.wait_for_selector("text=run_a @ 0", timeout=10000)

    page.locator("[data-testid=tag-picker]").select_option("2_line")
    page.wait_for_selector("[data-testid=line-view] canvas", timeout=15000)
    assert "start (α=0)" in page.locator("[data-testid=line-view]").inner_text()
    page.screenshot(path=str(tmp_path / "line.png"), full_page=True)

    page.locator("[data-testid=tag-picker]").select_option("3_axes")
    page.wait_for_selector("[data-testid=axis-multiple] canvas", timeout=15000)
    multiples = page.locator("[data-testid=axis-multiple]")
    assert multiples.count() == 3
    assert "fc1.weight[3, 7]" in multiples.first.inner_text() and "fc1 (Linear)" in multiples.first.inner_text()
    page.screenshot(path=str(tmp_path / "axes.png"), full_page=True)


TRAJECTORY_STEPS = np.array([5, 40])


@pytest.fixture(scope="module")
def compare_logdir(tmp_path_factory):
    from tb_suite.landscape.slices import PlaneSlice

    root = tmp_path_factory.mktemp("compare")
    for run, factor in (("run_a", 1.0), ("run_b", 10.0)):
        base = plane_at(0)
        # run_a's record names its checkpoints' steps; run_b's is an older record without them
        steps = TRAJECTORY_STEPS if run == "run_a" else None
        plane = PlaneSlice(
            base.xs,
            base.ys,
            base.losses * factor,
            seed=0,
            trajectory=base.trajectory,
            center_loss=0.1,
            trajectory_steps=steps,
        )
        with tbs.Writer(root / run) as writer:
            tbs.log_slice(writer, "plane", plane, step=0)
    return root


def _scales(page):
    return page.eval_on_selector_all(
        "[data-testid=plane-canvas]", "(els) => els.map((e) => JSON.parse(e.dataset.scale))"
    )


def test_shared_scale_levels_input_and_trajectory_hover(compare_logdir, tensorboard_server, page):
    """Issue 12 item 9."""
    from tests.browser.browser_helpers import screenshot

    tb = tensorboard_server(compare_logdir)
    wait_for(lambda: len(tb.get_json(tb.plugin("tbs_landscape", "tags"))) == 2, timeout=60)
    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_landscape")
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=plane-canvas][data-scale]').length === 2", timeout=30000
    )
    losses = [plane_at(0).losses.astype(np.float32).astype(float) * f for f in (1.0, 10.0)]
    both = [min(l.min() for l in losses), max(l.max() for l in losses)]
    # Comparing runs: one scale by default, the range of both planes.
    assert page.get_by_test_id("shared-scale").is_checked()
    for scale in _scales(page):
        assert scale == pytest.approx(both, rel=1e-6)
    screenshot(page, "landscape_shared_scale")
    page.get_by_test_id("shared-scale").uncheck()
    page.wait_for_function(
        "() => { const s = [...document.querySelectorAll('[data-testid=plane-canvas]')].map(e => e.dataset.scale); return s[0] !== s[1]; }"
    )
    for scale, values in zip(_scales(page), losses):
        assert scale == pytest.approx([values.min(), values.max()], rel=1e-6)

    # The levels box keeps what is typed: clear it, type 5, get 5 (not "25").
    levels = page.get_by_test_id("levels")
    levels.fill("")
    page.wait_for_timeout(100)
    assert levels.input_value() == ""
    levels.press_sequentially("5")
    assert levels.input_value() == "5"
    page.wait_for_function("document.querySelector('[data-testid=plane-canvas]').dataset.levels === '5'")

    # The trajectory's checkpoints answer on hover with their training step (run_a's record has them);
    # run_b's record has no steps and says which checkpoint it is.
    tooltip = page.get_by_test_id("tooltip")
    for index, (run, expected) in enumerate((("run_a", TRAJECTORY_STEPS), ("run_b", None))):
        view = page.get_by_test_id("plane-view").nth(index)
        assert run in view.locator("h3").inner_text()
        canvas = view.get_by_test_id("plane-canvas")
        points = canvas.evaluate("(c) => JSON.parse(c.dataset.points)")
        assert len(points) == 2
        box = canvas.bounding_box()
        for k, (px, py) in enumerate(points):
            page.mouse.move(box["x"] + px, box["y"] + py)
            tooltip.wait_for(timeout=5000)
            page.wait_for_function(
                "(k) => document.querySelector('[data-testid=tooltip]').innerText.includes(`checkpoint ${k} of 2`)",
                arg=k + 1,
            )
            text = tooltip.inner_text()
            if expected is None:
                assert "step" not in text
            else:
                assert f"checkpoint {k + 1} of 2: step {expected[k]}" in text
            if k == 0 and run == "run_a":
                screenshot(page, "landscape_trajectory_hover")
            page.mouse.move(0, 0)

"""Issue 12 item 10: the run picker has a regex filter and all/none like TensorBoard's run selector; with no
run selected, or no data, a tab says so and says what to log instead of staying blank."""

from __future__ import annotations

import numpy as np
import pytest
from browser_helpers import open_tab, screenshot

pytestmark = pytest.mark.browser


def _shown_runs(page):
    return page.get_by_test_id("run-picker").locator("label").all_text_contents()


def _count_label(page):
    return page.locator(".tbs-field", has=page.get_by_test_id("run-picker")).locator(".tbs-label").text_content()


def test_filter_toggle_all_and_empty_states(page, tensorboard_server, small_logdir):
    tb = tensorboard_server(small_logdir)
    open_tab(page, tb.url)
    assert _shown_runs(page) == ["run_a", "run_b"]

    page.get_by_test_id("run-filter").fill("_B$")  # case-insensitive regex
    page.wait_for_function("() => document.querySelectorAll('[data-testid=run-picker] label').length === 1")
    assert _shown_runs(page) == ["run_b"]
    page.get_by_test_id("runs-none").click()  # acts on the runs shown only
    assert _count_label(page) == "Runs (1/2)"
    page.get_by_test_id("run-filter").fill("run_(")  # not a regex: matched as text
    assert page.get_by_test_id("run-filter").get_attribute("aria-invalid") == "true"
    assert "no run matches" in page.get_by_test_id("run-picker").text_content()

    page.get_by_test_id("run-filter").fill("")
    page.get_by_test_id("runs-none").click()
    assert _count_label(page) == "Runs (0/2)"
    empty = page.get_by_test_id("empty-state")
    empty.wait_for(timeout=5000)
    assert "No run selected" in empty.text_content()
    assert page.get_by_test_id("heatmap-canvas").count() == 0
    screenshot(page, "run_selection_none")

    page.get_by_test_id("runs-all").click()
    assert _count_label(page) == "Runs (2/2)"
    page.get_by_test_id("heatmap-canvas").wait_for(timeout=15000)
    assert page.get_by_test_id("empty-state").count() == 0


@pytest.fixture(scope="module")
def stats_only_logdir(tmp_path_factory):
    import tb_suite as tbs

    root = tmp_path_factory.mktemp("stats_only")
    with tbs.Writer(root / "run") as writer:
        tbs.log_head_stats(writer, "heads", step=0, entropy=np.ones((2, 2)))
    return root


def test_attention_without_maps_says_what_to_log(page, tensorboard_server, stats_only_logdir):
    tb = tensorboard_server(stats_only_logdir)
    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_attention")
    empty = page.get_by_test_id("empty-state")
    empty.wait_for(timeout=30000)
    assert "tb_suite.log_attention(" in empty.text_content()
    page.get_by_test_id("stats-panel").wait_for(timeout=15000)
    assert "(1/0)" not in page.locator("body").text_content()
    screenshot(page, "attention_stats_only")

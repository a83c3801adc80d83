"""Issue 12 item 6: ROC/PR legends with 20+ curves are complete and scroll, carry each run's micro/macro AUC
(checked against scikit-learn), ROC has the chance diagonal, and the swatches show the second run's dash."""

from __future__ import annotations

import numpy as np
import pytest
from browser_helpers import screenshot

pytestmark = pytest.mark.browser

C, N = 12, 400
RUNS = ("run_a", "run_b")


def _data(seed: int):
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, C, N)
    logits = rng.normal(size=(N, C))
    logits[np.arange(N), targets] += 1.5
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return probs.astype(np.float32), targets


@pytest.fixture(scope="module")
def curves_logdir(tmp_path_factory):
    import tb_suite as tbs

    root = tmp_path_factory.mktemp("curves")
    for k, run in enumerate(RUNS):
        probs, targets = _data(k)
        with tbs.Writer(root / run) as writer:
            tbs.log_predictions(writer, "val", probs, targets, step=0)
    return root


def test_legends_complete_scrollable_with_averages_chance_and_dashes(page, tensorboard_server, curves_logdir):
    from sklearn.metrics import roc_auc_score

    tb = tensorboard_server(curves_logdir)
    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_predictions")
    page.get_by_role("button", name=f"all {C}").click()
    roc = page.get_by_test_id("roc-chart")
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=roc-chart] [data-testid=legend]')?.dataset.count === '{2 * C + 1}'",
        timeout=30000,
    )
    legend = roc.get_by_test_id("legend")
    items = legend.get_by_test_id("legend-item")
    assert items.count() == 2 * C + 1  # every curve and the chance diagonal
    assert items.last.text_content() == "chance (AUC 0.5)"
    # The legend scrolls instead of cutting curves off; the last entry can be scrolled into view.
    assert legend.evaluate("(e) => getComputedStyle(e).overflowY") == "auto"
    for i in range(items.count()):
        items.nth(i).scroll_into_view_if_needed()
        box, item = legend.bounding_box(), items.nth(i).bounding_box()
        assert box["y"] - 1 <= item["y"] and item["y"] + item["height"] <= box["y"] + box["height"] + 1, i
        assert item["x"] + item["width"] <= box["x"] + box["width"] + 1, i

    # Micro and macro AUC of each run in the legend, as scikit-learn computes them.
    summary = roc.get_by_test_id("legend-summary").text_content()
    for k, run in enumerate(RUNS):
        probs, targets = _data(k)
        onehot = np.eye(C)[targets]
        micro = roc_auc_score(onehot, probs, average="micro")
        macro = roc_auc_score(onehot, probs, average="macro")
        assert f"{run}: micro AUC {micro:.3f}, macro AUC {macro:.3f}" in summary, (summary, micro, macro)

    # run_a's swatches are solid, run_b's dashed like its curves.
    dashes = items.evaluate_all("(els) => els.map((e) => [e.textContent, e.querySelector('svg').dataset.dash])")
    assert all(d == "" for t, d in dashes if t.startswith("run_a"))
    assert all(d == "6,3" for t, d in dashes if t.startswith("run_b"))
    assert roc.locator("svg line[stroke-dasharray='6 3']").count() == C
    screenshot(page, "curve_legends", roc)

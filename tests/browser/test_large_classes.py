"""Issue 12 item 5: at 1,000 classes the matrix has a log scale, an errors-only view whose off-diagonal cells are
visible, a top-N list of confusions (checked against numpy) that jumps to the cell, class search, and an order
that puts confused classes next to each other."""

from __future__ import annotations

import numpy as np
import pytest
from browser_helpers import cell_center, open_tab, screenshot

pytestmark = pytest.mark.browser

C, PER_CLASS = 1000, 30
NAMES = [f"class_{i}" for i in range(C)]


def _labels():
    """70 % right, 10 % mistaken for a partner class (2k <-> 2k+1), 20 % for a random one."""
    rng = np.random.default_rng(5)
    targets = np.repeat(np.arange(C), PER_CLASS)
    u = rng.random(targets.size)
    predicted = np.where(u < 0.7, targets, np.where(u < 0.8, targets ^ 1, rng.integers(0, C, targets.size)))
    return predicted, targets


@pytest.fixture(scope="module")
def labels_logdir(tmp_path_factory):
    import tb_suite as tbs

    root = tmp_path_factory.mktemp("classes1000")
    predicted, targets = _labels()
    with tbs.Writer(root / "run") as writer:
        tbs.log_confusion_matrix(writer, "val", predicted, targets, step=0, num_classes=C, class_names=NAMES)
    return root


def _oracle_confusion() -> np.ndarray:
    predicted, targets = _labels()
    return np.bincount(targets * C + predicted, minlength=C * C).reshape(C, C)


# Mean distance of the grid's pixels from the colormap's lowest colour (viridis #440154); hidden (grey) cells
# count as zero: how much of the matrix stands out from "nothing here".
LIT_JS = """
(c) => {
  const l = JSON.parse(c.dataset.layout), ctx = c.getContext('2d');
  const d = ctx.getImageData(Math.ceil(l.left), Math.ceil(l.top), Math.floor(l.plotW) - 1, Math.floor(l.plotH) - 1).data;
  let sum = 0, n = 0;
  for (let i = 0; i < d.length; i += 4) {
    n++;
    if (d[i] === d[i + 1] && d[i + 1] === d[i + 2]) continue;
    sum += Math.abs(d[i] - 0x44) + Math.abs(d[i + 1] - 0x01) + Math.abs(d[i + 2] - 0x54);
  }
  return sum / n;
}
"""


def test_1000_classes_errors_only_log_top_confusions_search_and_grouping(page, tensorboard_server, labels_logdir):
    confusion = _oracle_confusion()
    off = confusion.copy()
    np.fill_diagonal(off, 0)
    tb = tensorboard_server(labels_logdir)
    canvas = open_tab(page, tb.url)
    screenshot(page, "classes1000_default")
    lit_before = canvas.evaluate(LIT_JS)

    page.get_by_test_id("errors-only").check()
    page.wait_for_function(
        "() => JSON.parse(document.querySelector('[data-testid=heatmap-canvas]').dataset.colorBar).title.includes('errors only')"
    )
    bar = canvas.evaluate("(c) => JSON.parse(c.dataset.colorBar)")
    assert bar["hi"] == off.max()  # the scale is fitted to the errors
    lit = canvas.evaluate(LIT_JS)
    screenshot(page, "classes1000_errors_only")
    assert lit > 1.5 * lit_before, (lit, lit_before)  # the off-diagonal cells stand out
    screenshot(page, "classes1000_errors_only")

    page.get_by_test_id("log-colors").check()
    page.wait_for_function(
        "() => JSON.parse(document.querySelector('[data-testid=heatmap-canvas]').dataset.colorBar).title.includes('log scale')"
    )
    assert canvas.evaluate("(c) => JSON.parse(c.dataset.colorBar).hi") == pytest.approx(np.log10(1 + off.max()))
    lit_log = canvas.evaluate(LIT_JS)
    assert lit_log > 3 * lit_before, (lit_log, lit_before)  # single errors read next to the largest
    screenshot(page, "classes1000_errors_only_log")

    # The top confusions, as numpy counts them.
    items = page.get_by_test_id("top-confusion")
    assert items.count() == 20
    flat = off.ravel()
    expected = sorted(flat[flat > 0].tolist(), reverse=True)[:20]
    shown = [int(t.split("\n")[-1].split("·")[0]) if "\n" in t else None for t in items.all_inner_texts()]
    assert shown == expected, (shown, expected)
    first = items.first.inner_text().split("\n")[0]
    true_name, predicted_name = first.split(" → ")
    row, col = int(true_name.split("_")[1]), int(predicted_name.split("_")[1])
    assert off[row, col] == expected[0]
    assert items.first.inner_text().split("·")[1].strip() == f"{100 * off[row, col] / confusion[row].sum():.1f}%"
    items.first.click()  # jumps to the cell: zoomed in, selected, examples open
    page.get_by_test_id("examples-panel").wait_for(timeout=15000)
    assert f"true {true_name} → predicted {predicted_name}" in page.get_by_test_id("examples-panel").inner_text()
    page.wait_for_function(
        "() => JSON.parse(document.querySelector('[data-testid=heatmap-canvas]').dataset.layout).cellW > 10"
    )
    canvas.hover(position=cell_center(page, row, col))
    tooltip = page.get_by_test_id("tooltip").inner_text()
    assert f"true: {true_name}" in tooltip and f"count: {off[row, col]}" in tooltip
    screenshot(page, "classes1000_jump")

    # Search: the classes whose name matches, rows and columns.
    page.get_by_test_id("class-search").fill("class_99\\d?$")
    page.wait_for_function(
        "() => JSON.parse(document.querySelector('[data-testid=heatmap-canvas]').dataset.layout).rows === 11"
    )
    assert page.get_by_test_id("class-count").inner_text() == "11 of 1000 classes"
    page.get_by_test_id("class-search").fill("")

    # Grouping: the most confused pair (by shares of their true classes, either way) ends up adjacent.
    page.get_by_test_id("class-order").select_option("grouped")
    page.wait_for_function(
        "() => JSON.parse(document.querySelector('[data-testid=confusion-panel]').dataset.classes)[0] !== 0",
        timeout=15000,
    )
    order = page.get_by_test_id("confusion-panel").evaluate("(e) => JSON.parse(e.dataset.classes)")
    assert sorted(order) == list(range(C))
    share = off / np.maximum(confusion.sum(1, keepdims=True), 1)
    sym = share + share.T
    a, b = np.unravel_index(np.argmax(np.triu(sym, 1)), sym.shape)
    assert abs(order.index(int(a)) - order.index(int(b))) == 1

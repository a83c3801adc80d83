"""Helpers shared by the browser tests and benchmarks/bench_heatmap_browser.py: headless Debian
Chromium (never `playwright install`), predictions logdirs written with the public API, and page helpers."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS_NAME = "<img src=x onerror=alert(1)>"
PLUGIN = "tbs_predictions"

# Number of distinct colours in a sample of the canvas pixels (1 for a blank canvas).
NONBLANK_JS = """
(canvas) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const colours = new Set();
  for (let i = 0; i < data.length; i += 4 * 97) colours.add(data[i] << 16 | data[i + 1] << 8 | data[i + 2]);
  return colours.size;
}
"""


def launch_chromium(playwright, color_scheme: str = "light"):
    """A fresh persistent context (own temp profile) in the system Chromium."""
    return playwright.chromium.launch_persistent_context(
        tempfile.mkdtemp(prefix="tbs-chromium-"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        color_scheme=color_scheme,
        viewport={"width": 1400, "height": 1000},
        accept_downloads=True,
    )


def write_predictions(
    logdir: Path,
    num_classes: int,
    steps=(0, 10),
    *,
    images: bool,
    seed: int = 0,
    class_names: list[str] | None = None,
    tag: str = "val",
    samples: int = 600,
) -> None:
    """Logs noisy softmax predictions (accuracy rising with the step) through `tb_suite.log_predictions`."""
    import tb_suite as tbs

    rng = np.random.default_rng(seed)
    names = class_names or [f"class_{i}" for i in range(num_classes)]
    writer = tbs.Writer(str(logdir))
    try:
        for k, step in enumerate(steps):
            targets = rng.integers(0, num_classes, samples)
            logits = rng.normal(size=(samples, num_classes)).astype(np.float32)
            logits[np.arange(samples), targets] += 1.0 + k
            probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
            kwargs = {"step": step, "class_names": names}
            if images:
                kwargs["images"] = rng.integers(0, 256, (samples, 3, 8, 8)).astype(np.uint8)
            tbs.log_predictions(writer, tag, probs, targets, **kwargs)
    finally:
        writer.close()


def write_labels(logdir: Path, tag: str, num_classes: int, step: int = 0, samples: int = 200) -> None:
    """Logs hard predicted labels (no scores, so no curves) through `tb_suite.log_confusion_matrix`."""
    import tb_suite as tbs

    rng = np.random.default_rng(7)
    targets = rng.integers(0, num_classes, samples)
    preds = np.where(rng.random(samples) < 0.7, targets, rng.integers(0, num_classes, samples))
    writer = tbs.Writer(str(logdir))
    try:
        tbs.log_confusion_matrix(writer, tag, preds, targets, step=step, num_classes=num_classes)
    finally:
        writer.close()


def eventually(page, predicate, timeout_ms: int = 15_000, interval_ms: int = 100):
    """`predicate()`'s first truthy value, polled until `timeout_ms`; its last value when that runs out (a
    redraw or a fetch settles in its own time, more slowly on a loaded machine)."""
    waited = 0
    while not (value := predicate()) and waited < timeout_ms:
        page.wait_for_timeout(interval_ms)
        waited += interval_ms
    return value


def entry_url(base_url: str) -> str:
    return f"{base_url}/data/plugin_entry.html?name={PLUGIN}"


def open_tab(page, base_url: str):
    """Opens the tab's iframe page directly and waits for the first heatmap draw."""
    page.goto(entry_url(base_url))
    canvas = page.get_by_test_id("heatmap-canvas")
    canvas.wait_for(timeout=30000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=heatmap-canvas]')?.dataset.arrivalToDrawnMs !== undefined",
        timeout=30000,
    )
    # The curves and the table render just after the matrix.
    page.get_by_test_id("class-table").wait_for(timeout=30000)
    return canvas


def cell_center(page, row: int, col: int) -> dict:
    """Centre of a heatmap cell in CSS pixels relative to the canvas (from its `data-layout`)."""
    # A new record may remount the canvas: wait until the shown one has been drawn.
    page.wait_for_function("() => document.querySelector('[data-testid=heatmap-canvas]')?.dataset.layout")
    layout = page.get_by_test_id("heatmap-canvas").first.evaluate("(c) => JSON.parse(c.dataset.layout)")
    return {
        "x": layout["left"] + (col + 0.5 - layout["col0"]) * layout["cellW"],
        "y": layout["top"] + (row + 0.5 - layout["row0"]) * layout["cellH"],
    }


def screenshot(page, name: str, locator=None) -> None:
    """Saves a PNG of the page (or of `locator`) as `$TBS_SCREENSHOT_DIR/<name>.png` when that variable is
    set, so a person can look at what a test saw; does nothing otherwise."""
    import os

    folder = os.environ.get("TBS_SCREENSHOT_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    (locator or page).screenshot(path=str(Path(folder) / f"{name}.png"), **({} if locator else {"full_page": True}))


def download_png(page, button):
    """Clicks `button` (a locator) and returns the downloaded PNG as a Pillow image (mode kept)."""
    from PIL import Image

    with page.expect_download() as download:
        button.click()
    with open(download.value.path(), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    image = Image.open(download.value.path())
    image.load()
    return image


def hex_rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return tuple(int(color[i : i + 2], 16) for i in (0, 2, 4))


def count_near(image, rgb, box=None, tolerance: int = 12) -> int:
    """Pixels of `image` (inside `box` = (left, top, right, bottom)) within `tolerance` of `rgb` per channel."""
    import numpy as np

    pixels = np.asarray(image.convert("RGB").crop(box) if box else image.convert("RGB")).astype(int)
    return int((np.abs(pixels - np.array(rgb)).max(axis=-1) <= tolerance).sum())

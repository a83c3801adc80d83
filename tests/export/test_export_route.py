"""Issue 14: the "Export HTML" button under a tab served by a real `tensorboard` (both loaders for the route)
downloads the offline page, which then works from file:// with the network blocked; the route refuses an
over-large or bad selection with a JSON 4xx."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.export.conftest import HTML_TAG
from tests.export.test_export import embedded_answers

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("load_fast", [True, False])
def test_export_route_answers_the_page_and_4xx(landscape_logdir, tensorboard_server, load_fast):
    tb = tensorboard_server(landscape_logdir, load_fast=load_fast)
    tb.wait_for_tags("tbs_landscape", tab_name="Landscape", runs=2)
    status, body, content_type = tb.get(tb.plugin("tbs_landscape", "export?runs=^a$&steps=10"))
    assert status == 200 and content_type.startswith("text/html")
    answers = embedded_answers(body.decode())
    tags = json.loads(answers['["tags",[]]'][1])
    assert set(tags) == {"a"} and {tag: info["steps"] for tag, info in tags["a"].items()} == {
        "plane": [10],
        HTML_TAG: [10],
    }
    for query, code, message in (
        ("max_mib=0.2", 413, "over the limit"),
        ("steps=x", 400, "steps: "),
        ("max_mib=-1", 400, "max_mib"),
        ("runs=^zzz$", 400, "no steps"),
    ):
        status, body, _ = tb.get(tb.plugin("tbs_landscape", f"export?{query}"))
        assert status == code and message in json.loads(body)["error"], (query, body[:200])


def test_export_button_downloads_a_page_that_works_offline(landscape_logdir, tensorboard_server, page, tmp_path):
    tb = tensorboard_server(landscape_logdir)
    tb.wait_for_tags("tbs_landscape", tab_name="Landscape", runs=2)
    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_landscape")
    button = page.get_by_test_id("export-html")
    button.wait_for(timeout=30000)
    page.locator("[data-testid=tag-picker]").select_option("plane")  # the button exports what is shown
    page.wait_for_function("document.querySelectorAll('[data-testid=plane-canvas]').length === 2", timeout=30000)
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == "tbs_landscape.html"
    report = tmp_path / "downloaded.html"
    download.value.save_as(report)

    left: list[str] = []
    page.route(
        lambda url: not url.startswith(("file:", "blob:", "data:")),
        lambda route: (left.append(route.request.url), route.abort()),
    )
    page.goto(report.as_uri())
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=plane-canvas][data-mode=contour]').length === 2", timeout=30000
    )
    assert "30 (4/4)" in page.locator("body").inner_text()  # every step of the logdir
    options = page.locator("[data-testid=tag-picker] option").all_text_contents()
    assert options == ["plane"]  # the shown tag only
    assert page.get_by_test_id("export-html").count() == 0  # no server to export from
    assert left == []


def test_export_button_names_why_a_tab_cannot_export(tmp_path, tensorboard_server, page):
    from tests.browser.browser_helpers import write_predictions

    write_predictions(tmp_path / "logs" / "run", 4, steps=(0,), images=False)
    tb = tensorboard_server(tmp_path / "logs")
    tb.wait_for_tags("tbs_predictions", tab_name="Predictions", runs=1)
    page.goto(f"{tb.url}/data/plugin_entry.html?name=tbs_predictions")
    page.get_by_test_id("export-html").wait_for(timeout=30000)
    status, body, _ = tb.get(tb.plugin("tbs_predictions", "export?max_mib=0.01"))
    assert status == 413 and "over the limit" in json.loads(body)["error"]
    # The button asks for everything; narrowed here to an empty selection, it shows the server's reason.
    asked: list[str] = []

    def narrow(route):
        asked.append(route.request.url)
        route.continue_(url=route.request.url.split("?")[0] + "?runs=^none$")

    page.route(lambda url: "/tbs_predictions/export" in url, narrow)
    page.get_by_test_id("export-html").click()
    error = page.get_by_test_id("export-html-error")
    error.wait_for(timeout=15000)
    assert "no steps" in error.inner_text()
    # It asked for the shown run and tag.
    query = parse_qs(urlsplit(asked[0]).query)
    assert query == {"runs": ["^(?:run)$"], "tags": ["^(?:val)$"]}

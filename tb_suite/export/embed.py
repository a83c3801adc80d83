"""The export file: the tab's bundle and its route answers in one HTML page (frontend/src/lib/embedded.ts
reads them), with text escaped so that nothing in the data can end a <script> element."""

from __future__ import annotations

import base64
import html
import json

# Python's base85 alphabet with "<" swapped for "." (absent from it): 1.25 bytes per byte and no "</script".
_B85_TO_EMBEDDED = bytes.maketrans(b"<", b".")


def key(route: str, params: dict) -> str:
    """frontend/src/lib/embedded.ts `embeddedKey`: the route and its parameters as strings, sorted."""
    entries = sorted([k, str(v)] for k, v in params.items())
    return json.dumps([route, entries], separators=(",", ":"), ensure_ascii=False)


def answer(status: int, content_type: str, body: bytes) -> list:
    """`[status, value]` for a JSON answer, `[status, byte length, base85 text]` for a binary one."""
    if content_type.startswith("application/json"):
        return [status, json.loads(body)]
    return [status, len(body), base64.b85encode(body).translate(_B85_TO_EMBEDDED).decode()]


def _script_safe(text: str) -> str:
    return text.replace("<", "\\u003c")  # only inside JSON strings, where it means the same


def page(title: str, bundle: str, answers: dict[str, dict]) -> str:
    if "</script" in bundle.lower() or "<!--" in bundle:
        raise ValueError("the tab's bundle holds '</script' or '<!--' and cannot be inlined")
    data = _script_safe(json.dumps({"answers": answers}, separators=(",", ":"), ensure_ascii=False, allow_nan=False))
    return (
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>\n"
        f"<script type=\"application/json\" id=\"tbs-embedded\">{data}</script>\n"
        f"<script type=\"text/plain\" id=\"tbs-bundle\">{bundle}</script>\n"
        # The bundle is an ES module exporting render(), as TensorBoard loads it; a blob URL imports it offline.
        "<script type=\"module\">\n"
        "const source = document.getElementById(\"tbs-bundle\").textContent;\n"
        "const url = URL.createObjectURL(new Blob([source], { type: \"text/javascript\" }));\n"
        "import(url).then((module) => module.render());\n"
        "</script>\n</head><body></body></html>\n"
    )

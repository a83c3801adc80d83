"""The export file: the tab's bundle and its route answers in one HTML page (frontend/src/lib/embedded.ts
reads them). The answers travel as one gzip stream written in base85, so the page holds no text of the data
(nothing in it can end a <script> or become markup) and takes at most 1.25x the compressed bytes."""

from __future__ import annotations

import base64
import gzip
import html
import json
import struct

# Python's base85 alphabet with "<" swapped for "." (absent from it), so the text never holds "</script".
_B85_TO_EMBEDDED = bytes.maketrans(b"<", b".")


def key(route: str, params: dict) -> str:
    """frontend/src/lib/embedded.ts `embeddedKey`: the route and its parameters as strings, sorted."""
    entries = sorted([k, str(v)] for k, v in params.items())
    return json.dumps([route, entries], separators=(",", ":"), ensure_ascii=False)


class Answers:
    """Route answers packed as `uint32 LE index length | index JSON | bodies`, the index mapping each key to
    `[status, offset, length, 1 if JSON else 0]`."""

    def __init__(self):
        self.index: dict[str, list[int]] = {}
        self._bodies: list[bytes] = []
        self.size = 0  # bytes of the bodies

    def add(self, key: str, status: int, content_type: str, body: bytes) -> None:
        self.index[key] = [status, self.size, len(body), int(content_type.startswith("application/json"))]
        self._bodies.append(body)
        self.size += len(body)

    def packed(self) -> bytes:
        index = json.dumps(self.index, separators=(",", ":"), ensure_ascii=False).encode()
        return struct.pack("<I", len(index)) + index + b"".join(self._bodies)


def encoded(data: bytes) -> tuple[str, int]:
    """(base85 text of the gzip of `data`, the gzip's byte length)."""
    compressed = gzip.compress(data, compresslevel=6, mtime=0)
    return base64.b85encode(compressed).translate(_B85_TO_EMBEDDED).decode(), len(compressed)


def page(title: str, bundle: str, answers: Answers) -> str:
    if "</script" in bundle.lower() or "<!--" in bundle:
        raise ValueError("the tab's bundle holds '</script' or '<!--' and cannot be inlined")
    text, length = encoded(answers.packed())
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>\n"
        f'<script type="application/octet-stream" id="tbs-embedded" data-length="{length}">{text}</script>\n'
        f'<script type="text/plain" id="tbs-bundle">{bundle}</script>\n'
        # The bundle is an ES module exporting render(), as TensorBoard loads it; a blob URL imports it offline.
        '<script type="module">\n'
        'const source = document.getElementById("tbs-bundle").textContent;\n'
        'const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));\n'
        "import(url).then((module) => module.render());\n"
        "</script>\n</head><body></body></html>\n"
    )

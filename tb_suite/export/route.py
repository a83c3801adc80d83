"""`GET export?runs=&tags=&steps=&max_mib=`: a running tab's own data as the offline HTML page of
`tb-suite export` (its "Export HTML" button), built from the plugin's routes in process."""

from __future__ import annotations

import json

from werkzeug import wrappers

from tb_suite.export.exporter import (
    DEFAULT_MAX_BYTES,
    ExportTooLarge,
    Routes,
    html_page,
)
from tb_suite.export.selection import Selection

# The TensorBoard request context and experiment id, kept by the inner route calls.
_CONTEXT_KEYS = ("tensorboard.request_context", "HTTP_TENSORBOARD_EXPERIMENT_ID")


def _error(message: str, code: int) -> wrappers.Response:
    return wrappers.Response(json.dumps({"error": message}), code, content_type="application/json")


def export_route(plugin):
    @wrappers.Request.application
    def app(request):
        args = request.args
        try:
            max_mib = float(args.get("max_mib", DEFAULT_MAX_BYTES / 2**20))
            if not max_mib > 0:
                raise ValueError
        except ValueError:
            return _error(f"parameter 'max_mib' must be a positive number, got {args.get('max_mib')!r}", 400)
        environ = {key: request.environ[key] for key in _CONTEXT_KEYS if key in request.environ}
        try:
            selection = Selection(args.get("runs") or None, args.get("tags") or None, args.get("steps") or None)
            text, _ = html_page(
                Routes(plugin, environ), plugin.frontend, selection, int(max_mib * 2**20), f"tb-suite {plugin.tab_name}"
            )
        except ExportTooLarge as exc:
            return _error(str(exc), 413)
        except ValueError as exc:
            return _error(str(exc), 400)
        response = wrappers.Response(text, 200, content_type="text/html; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="{plugin.frontend}.html"'
        return response

    return app

"""`tb-suite import FILE.csv --follow`: keep importing the rows that training appends to a CSV."""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable

from tb_suite.runs.eventfile import FollowFile
from tb_suite.runs.importers import read_csv_rows


def follow_csv(
    path: str,
    run_dir: str,
    *,
    poll_s: float = 0.5,
    idle_exit_s: float | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> int:
    """Appends every complete row of `path`, as it grows, to an event file of `run_dir`. Returns the number
    of rows written once `idle_exit_s` passes without a new row (by default it never returns: Ctrl-C stops
    it). A file that shrinks (a logger rewriting it, e.g. with new columns) is re-read from its start and
    the rows already written are skipped."""
    written = seen = offset = 0
    header: str | None = None
    pending = ""
    idle_since = time.monotonic()
    out = FollowFile(run_dir)
    try:
        while True:
            size = os.path.getsize(path) if os.path.exists(path) else 0
            if size < offset:
                offset, header, pending, seen = 0, None, "", 0
            if size > offset:
                with open(path, "rb") as f:
                    f.seek(offset)
                    pending += f.read(size - offset).decode("utf-8")
                offset = size
                complete, _, pending = pending.rpartition("\n")
                lines = complete.split("\n") if complete else []
                if lines and header is None:
                    header, lines = lines[0], lines[1:]
                lines = [line for line in lines if line.strip()]
                if lines:
                    rows = list(csv.reader(io.StringIO("\n".join([header, *lines]))))
                    table = read_csv_rows(path, rows, first_line=seen + 2)
                    skip = min(max(written - seen, 0), len(table.steps))
                    seen += len(table.steps)
                    if skip < len(table.steps):
                        out.write(table.tags, table.steps[skip:], table.wall_times[skip:], table.values[skip:])
                        written += len(table.steps) - skip
                        if on_rows:
                            on_rows(written)
                    idle_since = time.monotonic()
            if idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s:
                return written
            time.sleep(poll_s)
    finally:
        out.close()

"""Imports of other tools' training logs as TensorBoard runs (scalars the Scalars tab shows too, plus the
run's configuration for the Runs tab): generic CSV, experiment folders (`config.json`, `logs/metrics.csv`,
`checkpoints/`), Lightning `CSVLogger` (`metrics.csv` + `hparams.yaml`), Hugging Face `trainer_state.json`
and Sequence Training Visualizer JSONL. Every file is read and checked before anything is written; an
error names the file, line and column.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tb_suite.runs.compute import flatten_config
from tb_suite.runs.eventfile import ScalarFile

STEP_COLUMNS = ("step", "global_step")
WALL_TIME_COLUMNS = ("wall_time", "walltime", "time", "timestamp")
FORMATS = ("csv", "experiment", "lightning", "hf", "seqviz")
_FLOAT32_MAX = float(np.finfo(np.float32).max)


class ImportFormatError(ValueError):
    """A file that cannot be imported; the message starts with `file:line:column:` where known."""


@dataclass
class Table:
    """Scalars of one run: per row a step and wall time, per tag a column (NaN = not logged in that row)."""

    tags: list[str]
    steps: np.ndarray
    wall_times: np.ndarray
    values: np.ndarray  # (rows, tags) float32


@dataclass
class PlannedRun:
    """What one import writes: run `run` of the logdir."""

    run: str
    format: str
    source: str
    table: Table | None
    config: dict = field(default_factory=dict)
    files: list[dict] = field(default_factory=list)
    seqviz: str | None = None  # a JSONL file whose token records the tokens family writes too


# --- CSV ---------------------------------------------------------------------------------------------------
def read_csv(path: str) -> Table:
    """A CSV file with a header row: a `step` (or `global_step`) column, else the row index, is the step; a
    `wall_time`/`time`/`timestamp` column (seconds or ISO 8601) the wall time; every other column is a scalar
    tag (`epoch` included: it marks epoch boundaries). Empty and NaN cells are not logged (a row logs the
    tags it has a value for, as loggers that write train and validation rows separately expect)."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{path}: not UTF-8 text ({exc.reason})") from None
    fast = _read_numeric_csv(path, text)
    if fast is not None:
        return fast
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ImportFormatError(f"{path}: {exc}") from None
    return read_csv_rows(path, rows)


def _read_numeric_csv(path: str, text: str) -> Table | None:
    """The common case in numpy's C parser: every cell a number, steps integers >= 0, values in float32
    range. None otherwise: then the general reader finds and names the first problem cell."""
    first, _, body = text.partition("\n")
    try:
        header = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return None
    header = [name.strip() for name in header]
    if not body.strip() or len(set(header)) != len(header) or not all(header):
        return None
    try:
        data = np.loadtxt(io.StringIO(body), delimiter=",", dtype=np.float64, ndmin=2, comments=None)
    except ValueError:
        return None
    if data.shape[1] != len(header) or data.shape[0] != body.count("\n") + (not body.endswith("\n")):
        return None
    lowered = [name.lower() for name in header]
    step_col = next((lowered.index(n) for n in STEP_COLUMNS if n in lowered), None)
    time_col = next((lowered.index(n) for n in WALL_TIME_COLUMNS if n in lowered), None)
    metric_cols = [i for i in range(len(header)) if i not in (step_col, time_col)]
    values = data[:, metric_cols]
    if not metric_cols or (np.abs(values[np.isfinite(values)]) > _FLOAT32_MAX).any():
        return None
    if step_col is None:
        steps = np.arange(len(data), dtype=np.int64)
    else:
        raw = data[:, step_col]
        if not (np.isfinite(raw).all() and (raw >= 0).all() and (raw < 2.0**62).all() and (raw == np.round(raw)).all()):
            return None
        steps = raw.astype(np.int64)
    if time_col is None:
        wall = np.full(len(data), time.time())
    elif np.isfinite(data[:, time_col]).all():
        wall = data[:, time_col]
    else:
        return None
    return Table([header[i] for i in metric_cols], steps, wall, values.astype(np.float32))


def read_csv_rows(path: str, rows: list[list[str]], first_line: int = 2) -> Table:
    """`read_csv` of parsed rows (header first); `first_line` is the file line of the first data row."""
    while rows and not rows[-1]:
        rows.pop()
    if not rows:
        raise ImportFormatError(f"{path}:1:1: empty file (a header row is needed)")
    header = [name.strip() for name in rows[0]]
    for column, name in enumerate(header, 1):
        if not name:
            raise ImportFormatError(f"{path}:1:{column}: empty column name")
        if header.index(name) != column - 1:
            raise ImportFormatError(f"{path}:1:{column}: column {name!r} appears twice")
    body = rows[1:]
    width = len(header)
    for number, row in enumerate(body, first_line):
        if len(row) != width:
            if not row:
                raise ImportFormatError(f"{path}:{number}:1: empty line inside the data")
            raise ImportFormatError(
                f"{path}:{number}:{min(len(row), width) + 1}: {len(row)} fields, the header has {width}"
            )
    columns = list(zip(*body)) if body else [() for _ in header]
    lowered = [name.lower() for name in header]
    step_col = next((lowered.index(n) for n in STEP_COLUMNS if n in lowered), None)
    time_col = next((lowered.index(n) for n in WALL_TIME_COLUMNS if n in lowered), None)
    tags, values = [], []
    for index, (name, column) in enumerate(zip(header, columns)):
        if index in (step_col, time_col):
            continue
        tags.append(name)
        values.append(_floats(path, column, index + 1, first_line))
    if step_col is None:
        steps = np.arange(first_line - 2, first_line - 2 + len(body), dtype=np.int64)
    else:
        steps = _steps(path, columns[step_col], step_col + 1, first_line)
    wall = (
        np.full(len(body), time.time())
        if time_col is None
        else _wall_times(path, columns[time_col], time_col + 1, first_line)
    )
    if not tags:
        raise ImportFormatError(f"{path}:1:1: no metric columns (only step / time)")
    return Table(
        tags, steps, wall, np.stack(values, axis=1).astype(np.float32) if body else np.zeros((0, len(tags)), np.float32)
    )


def _floats(path: str, column: tuple, number: int, first_line: int, *, allow_empty: bool = True) -> np.ndarray:
    """float64 values of one CSV column, empty cells NaN; the first bad cell names its line and column."""
    cells = np.asarray(column, dtype=str)
    cells = np.char.strip(cells)
    empty = cells == ""
    try:
        values = np.where(empty, "nan", cells).astype(np.float64)
    except ValueError:
        values = None
    if values is not None:
        big = np.abs(values) > _FLOAT32_MAX
        big &= np.isfinite(values)
        if not big.any():
            if not allow_empty and empty.any():
                raise ImportFormatError(f"{path}:{int(np.flatnonzero(empty)[0]) + first_line}:{number}: empty cell")
            return values
        index = int(np.flatnonzero(big)[0])
        raise ImportFormatError(
            f"{path}:{index + first_line}:{number}: {column[index]!r} is outside the float32 range of TensorBoard scalars"
        )
    for line, cell in enumerate(column, first_line):  # the error path only: find the first bad cell
        if cell.strip():
            try:
                float(cell)
            except ValueError:
                raise ImportFormatError(f"{path}:{line}:{number}: not a number: {cell[:40]!r}") from None
    raise ImportFormatError(f"{path}:?:{number}: not a number")  # unreachable: numpy failed on some cell


def _steps(path: str, column: tuple, number: int, first_line: int) -> np.ndarray:
    values = _floats(path, column, number, first_line, allow_empty=False)
    bad = np.flatnonzero((values < 0) | (values != np.round(values)) | ~np.isfinite(values) | (values >= 2.0**62))
    if bad.size:
        index = int(bad[0])
        raise ImportFormatError(
            f"{path}:{index + first_line}:{number}: a step must be an integer >= 0, got {column[index]!r}"
        )
    return values.astype(np.int64)


def _wall_times(path: str, column: tuple, number: int, first_line: int) -> np.ndarray:
    try:
        return _floats(path, column, number, first_line, allow_empty=False)
    except ImportFormatError:
        pass
    try:
        stamps = np.asarray([c.strip() for c in column], dtype="datetime64[us]")
    except ValueError:
        for line, cell in enumerate(column, first_line):
            try:
                float(cell)
            except ValueError:
                try:
                    np.datetime64(cell.strip(), "us")
                except ValueError:
                    raise ImportFormatError(
                        f"{path}:{line}:{number}: wall time must be seconds or ISO 8601, got {cell[:40]!r}"
                    ) from None
        raise ImportFormatError(f"{path}:?:{number}: wall times mix seconds and dates") from None
    return stamps.astype(np.int64) / 1e6


# --- formats ---------------------------------------------------------------------------------------------------
def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ImportFormatError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{path}: not UTF-8 text ({exc.reason})") from None


def _config(path: str, value: Any) -> dict:
    if not isinstance(value, dict):
        raise ImportFormatError(
            f"{path}:1:1: the configuration must be a JSON/YAML mapping, got {type(value).__name__}"
        )
    return flatten_config(value)


def plan_experiment(folder: str, run: str) -> PlannedRun:
    config = _config(os.path.join(folder, "config.json"), _read_json(os.path.join(folder, "config.json")))
    table = read_csv(os.path.join(folder, "logs", "metrics.csv"))
    files = []
    checkpoints = os.path.join(folder, "checkpoints")
    if os.path.isdir(checkpoints):
        for root, _, names in os.walk(checkpoints):
            for name in sorted(names):
                full = os.path.join(root, name)
                files.append({"path": os.path.relpath(full, folder), "bytes": os.path.getsize(full)})
    return PlannedRun(run, "experiment", folder, table, config, sorted(files, key=lambda f: f["path"]))


def plan_lightning(folder: str, run: str) -> PlannedRun:
    table = read_csv(os.path.join(folder, "metrics.csv"))
    config = {}
    hparams = os.path.join(folder, "hparams.yaml")
    if os.path.exists(hparams):
        config = _config(hparams, _read_yaml(hparams))
    return PlannedRun(run, "lightning", folder, table, config)


def _read_yaml(path: str) -> Any:
    try:
        import yaml
    except ImportError:
        raise ImportFormatError(f"{path}: reading hparams.yaml needs PyYAML: pip install 'tb-suite[runs]'") from None

    class Loader(yaml.SafeLoader):
        """Safe loading; Lightning's python-object tags become their text instead of failing."""

    Loader.add_multi_constructor("", lambda loader, suffix, node: f"{suffix}:{getattr(node, 'value', '')}")
    try:
        with open(path, encoding="utf-8") as f:
            value = yaml.load(f, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "?:?"
        raise ImportFormatError(f"{path}:{where}: not valid YAML ({exc.problem})") from None
    return {} if value is None else value


def plan_hf(path: str, run: str) -> PlannedRun:
    """`trainer_state.json`: `log_history` entries become rows (their `step`), the other top-level values config."""
    state = _read_json(path)
    if not isinstance(state, dict) or not isinstance(state.get("log_history"), list):
        raise ImportFormatError(f"{path}:1:1: not a trainer_state.json (no 'log_history' list)")
    history = state["log_history"]
    tags: dict[str, int] = {}
    for i, entry in enumerate(history):
        if not isinstance(entry, dict):
            raise ImportFormatError(f"{path}: log_history[{i}] must be an object")
        step = entry.get("step")
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ImportFormatError(f"{path}: log_history[{i}].step must be an integer >= 0, got {step!r}")
        for key, value in entry.items():
            if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                tags.setdefault(key, len(tags))
    values = np.full((len(history), len(tags)), np.nan, np.float32)
    for i, entry in enumerate(history):
        for key, value in entry.items():
            if key in tags:
                if abs(value) > _FLOAT32_MAX and math.isfinite(value):
                    raise ImportFormatError(f"{path}: log_history[{i}].{key} is outside the float32 range")
                values[i, tags[key]] = value
    steps = np.asarray([entry["step"] for entry in history], np.int64)
    config = flatten_config({k: v for k, v in state.items() if k != "log_history"})
    table = Table(list(tags), steps, np.full(len(history), time.time()), values)
    return PlannedRun(run, "hf", path, table, config)


def plan_seqviz(path: str, run: str) -> PlannedRun:
    """Sequence Training Visualizer JSONL: `loss` and `perplexity` = exp(loss) per step as scalars (the token
    records go to the Tokens tab through `tb_suite.tokens.seqviz`)."""
    steps, losses = [], []
    try:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ImportFormatError(f"{path}:{number}:{exc.colno}: not valid JSON ({exc.msg})") from None
                if not isinstance(entry, dict):
                    raise ImportFormatError(f"{path}:{number}:1: an entry must be a JSON object")
                step, loss = entry.get("step"), entry.get("loss")
                if isinstance(step, bool) or not isinstance(step, int) or step < 0:
                    raise ImportFormatError(f"{path}:{number}: step must be an integer >= 0, got {step!r}")
                if loss is not None and (isinstance(loss, bool) or not isinstance(loss, (int, float))):
                    raise ImportFormatError(f"{path}:{number}: loss must be a number, got {loss!r}")
                steps.append(step)
                losses.append(np.nan if loss is None else float(loss))
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{path}: not UTF-8 text ({exc.reason})") from None
    if not steps:
        raise ImportFormatError(f"{path}: no entries")
    order = np.argsort(np.asarray(steps), kind="stable")
    loss = np.asarray(losses, np.float64)[order]
    with np.errstate(over="ignore"):
        perplexity = np.where(np.exp(loss) > _FLOAT32_MAX, np.inf, np.exp(loss))
    table = Table(
        ["loss", "perplexity"],
        np.asarray(steps, np.int64)[order],
        np.full(len(steps), time.time()),
        np.stack([loss, perplexity], axis=1).astype(np.float32),
    )
    return PlannedRun(run, "seqviz", path, table, seqviz=path)


# --- detection and writing ----------------------------------------------------------------------------------
def detect_format(path: str) -> str:
    """The format of `path` (a file or a folder), or ImportFormatError saying what was looked for."""
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, "config.json")) and os.path.isfile(
            os.path.join(path, "logs", "metrics.csv")
        ):
            return "experiment"
        if os.path.isfile(os.path.join(path, "metrics.csv")) and os.path.isfile(os.path.join(path, "hparams.yaml")):
            return "lightning"
        if os.path.isfile(os.path.join(path, "trainer_state.json")):
            return "hf"
        raise ImportFormatError(
            f"{path}: unknown folder layout (looked for config.json + logs/metrics.csv, metrics.csv + hparams.yaml, "
            "trainer_state.json)"
        )
    if not os.path.exists(path):
        raise ImportFormatError(f"{path}: no such file or folder")
    name = os.path.basename(path).lower()
    if name.endswith(".jsonl"):
        return "seqviz"
    if name.endswith(".json"):
        return "hf"
    if name.endswith(".csv"):
        folder = os.path.dirname(os.path.abspath(path))
        return "lightning" if os.path.isfile(os.path.join(folder, "hparams.yaml")) else "csv"
    raise ImportFormatError(f"{path}: unknown file type (expected .csv, .json, .jsonl or a folder)")


def default_run_name(path: str, fmt: str) -> str:
    path = os.path.abspath(path)
    if fmt in ("lightning", "hf") and os.path.isfile(path):
        path = os.path.dirname(path)
    if fmt == "lightning":  # lightning_logs/<name>/version_N: keep the experiment name
        parent = os.path.basename(os.path.dirname(path))
        base = os.path.basename(path)
        return f"{parent}/{base}" if base.startswith("version_") and parent else base
    if os.path.isfile(path):
        return os.path.splitext(os.path.basename(path))[0]
    return os.path.basename(path.rstrip(os.sep))


def plan(path: str, fmt: str | None = None, run: str | None = None) -> PlannedRun:
    """Reads and checks one path (nothing is written)."""
    path = os.fspath(path)
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    run = run or default_run_name(path, fmt)
    if fmt == "csv":
        return PlannedRun(run, "csv", path, read_csv(path))
    if fmt == "experiment":
        return plan_experiment(path, run)
    if fmt == "lightning":
        return plan_lightning(path if os.path.isdir(path) else os.path.dirname(path), run)
    if fmt == "hf":
        return plan_hf(os.path.join(path, "trainer_state.json") if os.path.isdir(path) else path, run)
    return plan_seqviz(path, run)


def _check_run_name(run: str) -> None:
    parts = run.replace("\\", "/").split("/")
    if not run or os.path.isabs(run) or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"run name must be a relative path without '.' or '..' parts, got {run!r}")


def write(planned: Iterable[PlannedRun], logdir: str) -> list[str]:
    """Writes checked runs into `logdir`; returns their run folders."""
    from tb_suite.core.writer import Writer
    from tb_suite.runs.summary import log_config

    planned = list(planned)
    for item in planned:
        _check_run_name(item.run)
    if item_runs := [p.run for p in planned]:
        duplicates = {r for r in item_runs if item_runs.count(r) > 1}
        if duplicates:
            raise ValueError(f"two imports would write the same run: {sorted(duplicates)}")
    if any(p.seqviz for p in planned):
        from tb_suite.tokens.seqviz import import_seqviz_files

        # Validates every token record before writing any (raises, nothing written).
        seqviz = [p for p in planned if p.seqviz]
        import_seqviz_files([p.seqviz for p in seqviz], logdir, runs=[p.run for p in seqviz])
    out = []
    for item in planned:
        run_dir = os.path.join(os.fspath(logdir), *item.run.split("/"))
        # The config first: opening a Writer reads the tb-suite event files already in the run.
        source = f"{item.format}:{os.path.abspath(item.source)}"
        if item.config or item.files or item.format != "seqviz":
            with Writer(run_dir) as writer:
                log_config(writer, item.config, source=source, files=item.files)
        if item.table is not None and len(item.table.steps):
            scalars = ScalarFile(run_dir)
            try:
                scalars.write(item.table.tags, item.table.steps, item.table.wall_times, item.table.values)
            except BaseException:
                scalars.abort()
                raise
            scalars.commit()
        out.append(run_dir)
    return out


def import_paths(
    paths: Iterable[str], logdir: str, *, fmt: str | None = None, runs: list[str] | None = None
) -> list[PlannedRun]:
    """Reads and checks every path, then writes them all: one run each. Returns what was written.

    Example:
        >>> import_paths(["exp/lr0.1"], "runs")  # doctest: +SKIP
    """
    paths = [os.fspath(p) for p in paths]
    if runs is not None and len(runs) != len(paths):
        raise ValueError(f"runs has {len(runs)} names for {len(paths)} paths")
    planned = [plan(path, fmt, runs[i] if runs else None) for i, path in enumerate(paths)]
    write(planned, logdir)
    return planned

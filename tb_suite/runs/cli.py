"""`tb-suite import PATH... --logdir DIR [--follow]` and `tb-suite summary LOGDIR` (see `tb_suite.cli`)."""

from __future__ import annotations

import csv
import json
import os
import re
import sys

from tb_suite.runs.compute import DEFAULT_LAST_N
from tb_suite.runs.importers import FORMATS, import_paths, plan


def register_import(formats) -> None:
    """Adds `tb-suite import [auto] PATH... --logdir DIR [--format F] [--run NAME] [--follow]`."""
    parser = formats.add_parser(
        "auto", help="CSV, experiment folders, Lightning CSVLogger, HF trainer_state.json, seqviz JSONL (detected)"
    )
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--logdir", required=True)
    parser.add_argument("--format", choices=FORMATS, help="skip detection")
    parser.add_argument("--run", dest="run_names", action="append", help="run name per PATH (default: from the path)")
    parser.add_argument("--follow", action="store_true", help="keep importing rows appended to the CSV")
    parser.add_argument(
        "--idle-exit", type=float, default=None, metavar="S", help="with --follow: stop after S s without new rows"
    )
    parser.set_defaults(run=_import_command)


def _import_command(args) -> int:
    if not args.follow:
        for item in import_paths(args.paths, args.logdir, fmt=args.format, runs=args.run_names):
            rows = 0 if item.table is None else len(item.table.steps)
            print(
                f"{item.source}: {item.format} -> {os.path.join(args.logdir, item.run)} ({rows} rows, {len(item.config)} config keys)"
            )
        return 0
    if len(args.paths) != 1:
        raise ValueError("--follow takes one PATH")
    from tb_suite.runs.follow import follow_csv
    from tb_suite.runs.importers import write

    planned = plan(args.paths[0], args.format, (args.run_names or [None])[0])
    if planned.format not in ("csv", "experiment", "lightning"):
        raise ValueError(f"--follow reads a growing CSV; {planned.source} is {planned.format}")
    csv_path = {
        "csv": planned.source,
        "experiment": os.path.join(planned.source, "logs", "metrics.csv"),
        "lightning": os.path.join(planned.source, "metrics.csv"),
    }[planned.format]
    planned.table = None  # the follower writes every row, the ones there now included
    write([planned], args.logdir)
    run_dir = os.path.join(args.logdir, planned.run)
    print(f"{csv_path}: {planned.format}, following into {run_dir} (Ctrl-C stops)", flush=True)
    try:
        follow_csv(csv_path, run_dir, idle_exit_s=args.idle_exit, on_rows=lambda n: print(f"{n} rows", flush=True))
    except KeyboardInterrupt:
        pass
    return 0


def register_summary(parser) -> None:
    """Adds `tb-suite summary LOGDIR [--runs REGEX] [--format table|csv|json] [--last N]`."""
    parser.add_argument("logdir")
    parser.add_argument("--runs", default="", metavar="REGEX", help="only runs whose name matches")
    parser.add_argument("--filter", default="", metavar="EXPR", help="config filter, e.g. 'lr < 1e-3'")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument("--last", type=int, default=DEFAULT_LAST_N, help="points averaged for 'last N mean'")
    parser.set_defaults(run=_summary_command)


def summary_rows(logdir: str, *, runs: str = "", expression: str = "", last_n: int = DEFAULT_LAST_N) -> list[dict]:
    """The runs table of `logdir` read in-process through TensorBoard's own multiplexer data provider."""
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer

    from tb_suite.runs.compute import filter_rows
    from tb_suite.runs.table import SeriesCache, build_rows

    if not os.path.isdir(logdir):
        raise ValueError(f"{logdir}: no such folder")
    multiplexer = plugin_event_multiplexer.EventMultiplexer(
        tensor_size_guidance={"scalars": 0, "hparams": 0, "tbs_runs": 0}
    )
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, logdir)
    rows, errors = build_rows(provider, context.RequestContext(), "", logdir, SeriesCache(), last_n=last_n)
    for error in errors:
        print(f"warning: {error}", file=sys.stderr)
    try:
        pattern = re.compile(runs)
    except re.error as exc:
        raise ValueError(f"--runs: {exc}") from None
    return filter_rows([row for row in rows if pattern.search(row["run"])], expression)


def _flat(rows: list[dict]) -> tuple[list[str], list[list]]:
    keys = sorted({k for row in rows for k in row["config"]})
    tags = sorted({t for row in rows for t in row["metrics"]})
    header = ["run", *keys] + [f"{tag} {stat}" for tag in tags for stat in ("final", "best", "best_step", "last_mean")]
    table = []
    for row in rows:
        line = [row["run"], *(row["config"].get(k) for k in keys)]
        for tag in tags:
            summary = row["metrics"].get(tag, {})
            line += [summary.get(stat) for stat in ("final", "best", "best_step", "last_mean")]
        table.append(line)
    return header, table


def _text(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _summary_command(args) -> int:
    from tb_suite.runs.compute import FilterError

    try:
        rows = summary_rows(args.logdir, runs=args.runs, expression=args.filter, last_n=args.last)
    except FilterError as exc:
        raise ValueError(f"--filter: {exc}") from None
    if args.format == "json":
        json.dump(rows, sys.stdout, indent=1, allow_nan=False)
        print()
        return 0
    header, table = _flat(rows)
    if args.format == "csv":
        out = csv.writer(sys.stdout)
        out.writerow(header)
        out.writerows([["" if v is None else v for v in line] for line in table])
        return 0
    cells = [header] + [[_text(v) for v in line] for line in table]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    for n, line in enumerate(cells):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print(f"{len(rows)} runs")
    return 0

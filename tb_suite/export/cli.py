"""`tb-suite export LOGDIR --plugin NAME [--runs REGEX] [--tags REGEX] [--steps SPEC] -o FILE [--format json]`."""

from __future__ import annotations

import argparse

from tb_suite.export.exporter import DEFAULT_MAX_BYTES, FAMILIES, export
from tb_suite.export.selection import Selection


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logdir")
    parser.add_argument("--plugin", required=True, help=f"the tab: {', '.join(sorted(FAMILIES))}")
    parser.add_argument("--runs", help="regular expression the exported runs match (re.search)")
    parser.add_argument("--tags", help="regular expression the exported tags match (re.search)")
    parser.add_argument("--steps", help="steps: N, A:B (inclusive) or A:B:S, comma separated")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--format", choices=("html", "json"), default="html")
    parser.add_argument(
        "--max-mib",
        type=float,
        default=DEFAULT_MAX_BYTES / 2**20,
        help="refuse, before writing, an export larger than this (MiB; 0: no limit)",
    )
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    sizes = export(
        args.logdir,
        args.plugin,
        args.output,
        selection=Selection(args.runs, args.tags, args.steps),
        format=args.format,
        max_bytes=int(args.max_mib * 2**20) or None,
    )
    if args.format == "json":
        print(f"wrote {args.output}: {sizes['file'] / 1024:.1f} kB")
    else:
        print(
            f"wrote {args.output}: {sizes['file'] / 1024:.1f} kB (bundle {sizes['bundle'] / 1024:.1f} kB, "
            f"embedded {sizes['embedded_binary'] / 1024:.1f} kB binary and {sizes['embedded_json'] / 1024:.1f} kB JSON, compressed)"
        )
    return 0

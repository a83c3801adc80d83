"""`python -m demos --logdir DIR`: run every demo into a new or empty DIR, then `tensorboard --logdir DIR`."""

from __future__ import annotations

import argparse
import os
import sys
import time

from demos import attention_demo, landscape_demo, layers_demo, predictions_demo, runs_demo, tokens_demo

# Each family appends its demo: a function run(logdir) that trains something and logs into logdir.
DEMOS = [predictions_demo.run, landscape_demo.run, attention_demo.run, tokens_demo.run]
DEMOS.append(runs_demo.run)
DEMOS.append(layers_demo.run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos", description=__doc__)
    parser.add_argument("--logdir", required=True, help="where the runs are written")
    parser.add_argument("--only", metavar="NAME", help="run only the demos whose module name contains NAME")
    args = parser.parse_args(argv)
    demos = [demo for demo in DEMOS if args.only is None or args.only in demo.__module__]
    if not demos:
        parser.error(f"no demo matches {args.only!r}")
    if os.path.isdir(args.logdir) and os.listdir(args.logdir):
        parser.error(f"{args.logdir} is not empty: choose a new directory (runs written twice repeat their steps)")
    start = time.monotonic()
    for number, demo in enumerate(demos, 1):
        name = demo.__module__.rsplit(".", 1)[-1]
        print(f"[{number}/{len(demos)}] {name} ...", flush=True)
        began = time.monotonic()
        demo(args.logdir)
        print(f"[{number}/{len(demos)}] {name} done in {time.monotonic() - began:.0f} s", flush=True)
    print(
        f"all demos written to {args.logdir} in {time.monotonic() - start:.0f} s; "
        f"view them with: tensorboard --logdir {args.logdir}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

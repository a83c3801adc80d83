"""The `tb-suite` command. Each family adds its subcommands through a `register(subparsers)` function
listed in `_COMMANDS` (imported only when the command line is parsed)."""

from __future__ import annotations

import argparse
import importlib
import sys

# (command, help, "module:function" adding that command's sub-subcommands)
_COMMANDS: list[tuple[str, str, list[str]]] = [
    ("import", "turn files of other tools into tb-suite runs", ["tb_suite.tokens.seqviz:register"]),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tb-suite", description="tb-suite: TensorBoard plugins for PyTorch training")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text, registrars in _COMMANDS:
        command = commands.add_parser(name, help=help_text)
        formats = command.add_subparsers(dest="format", required=True)
        for registrar in registrars:
            module, function = registrar.split(":")
            getattr(importlib.import_module(module), function)(formats)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except (ValueError, TypeError, OSError) as error:
        print(f"tb-suite {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

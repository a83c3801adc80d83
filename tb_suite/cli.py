"""The `tb-suite` command. Each family adds its subcommands through a `register(subparsers)` function
listed in `_COMMANDS` (imported only when the command line is parsed)."""

from __future__ import annotations

import argparse
import importlib
import sys

# (command, help, "module:function" adding that command's sub-subcommands)
_COMMANDS: list[tuple[str, str, list[str]]] = [
    (
        "import",
        "turn files of other tools into tb-suite runs",
        ["tb_suite.tokens.seqviz:register", "tb_suite.runs.cli:register_import"],
    ),
]
# (command, help, "module:function" adding that command's arguments): commands without sub-subcommands
_SINGLE_COMMANDS: list[tuple[str, str, str]] = [
    ("summary", "print the runs table of a logdir", "tb_suite.runs.cli:register_summary"),
    ("export", "write a tab's selection as one offline HTML file or JSON", "tb_suite.export.cli:register"),
]
# A command line naming no sub-subcommand gets this one: `tb-suite import PATH...` detects the format.
_DEFAULT_SUBCOMMAND = {"import": "auto"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tb-suite", description="tb-suite: TensorBoard plugins for PyTorch training")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text, registrars in _COMMANDS:
        command = commands.add_parser(name, help=help_text)
        formats = command.add_subparsers(dest="format", required=True)
        for registrar in registrars:
            module, function = registrar.split(":")
            getattr(importlib.import_module(module), function)(formats)
        parser.set_defaults(**{f"_{name}_subcommands": tuple(formats.choices)})
    for name, help_text, registrar in _SINGLE_COMMANDS:
        module, function = registrar.split(":")
        getattr(importlib.import_module(module), function)(commands.add_parser(name, help=help_text))
    return parser


def _with_default_subcommand(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    if len(argv) >= 2 and argv[0] in _DEFAULT_SUBCOMMAND:
        known = parser.get_default(f"_{argv[0]}_subcommands") or ()
        if argv[1] not in known and not argv[1].startswith("-"):
            return [argv[0], _DEFAULT_SUBCOMMAND[argv[0]], *argv[1:]]
    return argv


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_with_default_subcommand(parser, sys.argv[1:] if argv is None else list(argv)))
    try:
        return int(args.run(args) or 0)
    except (ValueError, TypeError, OSError) as error:
        print(f"tb-suite {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

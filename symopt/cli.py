"""The ``symopt`` command line: a thin dispatcher over ``symopt.commands.*``.

Each sub-command lives in its own module with two functions::

    def add_arguments(parser: argparse.ArgumentParser) -> None: ...
    def run(args: argparse.Namespace) -> int: ...

Command modules import heavy libraries (jax, ray, torch) inside ``run`` so that
``symopt --help`` and argument errors stay instant.  Every expected failure is
raised as an :class:`search_space.errors.InputError` (or subclass) and printed
here as one line, with a non-zero exit and no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from search_space.errors import InputError

# name -> (module, one-line help).  Order is the order shown in --help.
COMMANDS: dict[str, tuple[str, str]] = {
    "rediscover": ("symopt.commands.rediscover", "search from AdamW, simplify, recognise and export (the main job)"),
    "search": ("symopt.commands.search", "run (or resume) a regularized-evolution search"),
    "program": ("symopt.commands.program", "parse, type-check and hash one program file"),
    "simplify": ("symopt.commands.simplify", "simplify a program and print its derivation"),
    "equiv": ("symopt.commands.equiv", "check two programs for numerical equivalence"),
    "export": ("symopt.commands.export", "export a program as optax and torch optimizers"),
    "show": ("symopt.commands.show", "table of a run's hall of fame"),
    "lineage": ("symopt.commands.lineage", "ancestry of a program in a run"),
    "compare": ("symopt.commands.compare", "train programs on a proxy and plot loss curves"),
    "report": ("symopt.commands.report", "write a static HTML report of a run"),
    "bench": ("symopt.commands.bench", "run a benchmark (evaluator, search, lion)"),
}


def _available() -> dict[str, object]:
    """Import the command modules that exist (a module still to be written is skipped)."""
    found = {}
    for name, (module, _help) in COMMANDS.items():
        try:
            found[name] = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symopt",
        description="Rediscover optimization algorithms by evolving symbolic programs.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module in _available().items():
        p = sub.add_parser(name, help=COMMANDS[name][1], description=COMMANDS[name][1])
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args._run(args)
    except InputError as exc:
        print(f"symopt {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"symopt {args.command}: interrupted", file=sys.stderr)
        return 130
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The ``symopt`` command line: a thin dispatcher over ``symopt.commands.*``.

Each sub-command lives in its own module with two functions::

    def add_arguments(parser: argparse.ArgumentParser) -> None: ...
    def run(args: argparse.Namespace) -> int: ...

Only the module of the command being run is imported (``symopt --help`` imports none), so a
command's imports cost only that command: ``symopt program`` and ``symopt show`` start without
JAX, Ray or torch.  Every expected failure is
raised as an :class:`search_space.errors.InputError` (or subclass) and printed
here as one line ``symopt CMD: error: ...`` with exit status 1 and no traceback; a
bad command line is one line of the same form with exit status 2 (docs/cli.md).  SIGINT and SIGTERM
end a command with one line and exit status 130 / 143 after a clean shut-down (:mod:`symopt.interrupts`),
with no Ray process left behind.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterable

from search_space.errors import InputError
from symopt import interrupts

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
    "bench": ("symopt.commands.bench", "run a benchmark (evaluator, search, lion, planted, programs)"),
}


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, ``symopt CMD: error: ...`` (no usage block)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The ``symopt`` parser with one sub-parser per command of :data:`COMMANDS`.

    Args:
      commands: the commands whose modules are imported and whose arguments are added (default:
        all); the others are listed with their help line only.

    Returns:
      The parser.
    """
    parser = _Parser(
        prog="symopt",
        description="Rediscover optimization algorithms by evolving symbolic programs.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    full = set(COMMANDS if commands is None else commands)
    for name, (module_name, text) in COMMANDS.items():
        p = sub.add_parser(name, help=text, description=text)
        if name in full:
            module = importlib.import_module(module_name)
            module.add_arguments(p)
            p.set_defaults(_run=module.run, _parser=p)
    return parser


def _command(argv: list[str]) -> str | None:
    """The command named on the command line (its first word that is not an option)."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    """Run ``symopt ARGV``; return the exit status (0 success, 1 bad input, 2 bad command line, 130 / 143
    interrupted by SIGINT / SIGTERM, 141 stdout closed by its reader)."""
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser([c for c in (_command(words),) if c in COMMANDS])
    args, extra = parser.parse_known_args(argv)
    if extra:     # reported by the command's own parser, so that the line names the command
        args._parser.error(f"unrecognized arguments: {' '.join(extra)}")
    with interrupts.handling(to_exit=argv is None):      # argv None: this process's own command line
        try:
            try:
                code = args._run(args)
            finally:
                interrupts.shield()      # a signal from here on cannot break the shut-down
                _shutdown_ray()
        except InputError as exc:
            print(f"symopt {args.command}: error: {exc}", file=sys.stderr)
            return 1
        except BrokenPipeError:      # the reader went away (``symopt show RUN | head``): nothing left to say
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # no second error at exit
            return 141                   # 128 + SIGPIPE, as a shell reports a program killed by it
        except KeyboardInterrupt as exc:
            why, hint = interrupts.received(exc), getattr(exc, "resume", None)
            print(f"symopt {args.command}: {why.what}" + (f"; continue with: {hint}" if hint else ""),
                  file=sys.stderr)
            return why.exit_code
    return int(code or 0)


def _shutdown_ray() -> None:
    """Stop the Ray this command started (or leave the cluster it joined), if it used Ray at all."""
    cluster = sys.modules.get("symopt.search.cluster")
    if cluster is not None:
        cluster.shutdown()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

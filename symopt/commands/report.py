"""``symopt report RUN [--out DIR]``: a static, offline HTML report (see docs/inspect.md)."""

from __future__ import annotations

import argparse

from symopt.inspect.report import write_report
from symopt.inspect.rundata import open_run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run directory (finished or in progress)")
    parser.add_argument("--out", metavar="DIR", help="output directory (default RUN/report/)")


def run(args: argparse.Namespace) -> int:

    index = write_report(open_run(args.run), args.out)
    print(index)
    return 0

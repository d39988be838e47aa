"""``symopt lineage RUN HASH``: the ancestry of a program back to the seed (see docs/inspect.md)."""

from __future__ import annotations

import argparse
import json

from symopt.errors import UserError
from symopt.inspect import lineage, rundata


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run directory")
    parser.add_argument("hash", metavar="HASH", help="functional hash of the program (prefix allowed)")
    parser.add_argument("--dot", metavar="FILE", help="also write the path as Graphviz dot")
    parser.add_argument("--json", action="store_true",
                        help='print a JSON list, seed first, of {"hash", "mutation", "fitness", "program"}')


def run(args: argparse.Namespace) -> int:

    rd = rundata.open_run(args.run)
    path = lineage.lineage(rd, args.hash)
    if args.dot:
        try:
            with open(args.dot, "w", encoding="utf-8") as fh:
                fh.write(lineage.dot(path))
        except OSError as exc:
            raise UserError(f"{args.dot}: cannot write ({exc.strerror or exc})") from None
    if args.json:
        print(json.dumps(path, sort_keys=True))
    else:
        print(lineage.text(path, where=str(rd.child("evaluations.jsonl"))))
    return 0

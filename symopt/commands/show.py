"""``symopt show RUN``: the hall of fame of a run (see docs/inspect.md)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys

from symopt.errors import UserError
from symopt.inspect import families, rundata, show


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run directory")
    parser.add_argument("--top", type=int, help="show the best N programs only")
    parser.add_argument("--program", metavar="HASH", help="print one program (hash prefix allowed) in full")
    parser.add_argument("--family", metavar="NAME",
                        help="the programs the recogniser names NAME (lion, adam, ...): where each appeared, "
                             "its fitness per stage and why it was not returned")
    parser.add_argument("--json", action="store_true",
                        help='print a JSON list of {"rank", "hash", "fitness", "family", "program"}')


def run(args: argparse.Namespace) -> int:

    if args.top is not None and args.top < 1:
        raise UserError(f"--top must be >= 1, got {args.top}")
    if args.family is not None:
        name = families.check_family(args.family)     # before reading the run: a typo costs nothing
        found = families.family_rows(rundata.open_run(args.run), name)
        print(json.dumps(found, sort_keys=True) if args.json else families.family_table(found))
        return 0
    rd = rundata.open_run(args.run)
    if args.program:
        h = rundata.find_hash(rd, args.program)
        rec = next((e for e in rundata.hall_of_fame(rd) if e["hash"] == h), None)
        rec = rec or next(r for r in rundata.evaluations(rd) if r["hash"] == h)
        prog = rundata.program_of(rec["program"], f"{rd.path} program {h}")
        if args.json:
            print(json.dumps({"hash": h, "fitness": rec.get("fitness"), "family": show.family_of(prog),
                              "program": rec["program"]}, sort_keys=True))
            return 0
        print(f"# {h}  {rundata.fitness_text(rec.get('fitness') or {})}  family: {show.family_of(prog)}")
        print(show.listing(prog, color=sys.stdout.isatty()), end="")
        return 0
    entries = show.rows(rd, args.top)
    if args.json:
        print(json.dumps(entries, sort_keys=True))
    else:
        print(show.table(entries, shutil.get_terminal_size((120, 20)).columns))
    return 0

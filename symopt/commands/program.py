"""``symopt program FILE``: parse, type-check and hash one program file.

Prints the program, its live and dead statements (with their types), its
functional hash and the type check.  Exit 0 only for a valid program; an
unparsable or invalid one prints one line ``symopt program: error: FILE:line:col: reason``
on stderr and exits 1.  ``--json`` prints exactly ``{"valid", "hash", "live", "dead", "reason"}``
on stdout instead (``reason``: ``FILE:line:col: reason`` or null), also for an invalid program.
"""

from __future__ import annotations

import argparse
import json

from search_space.analysis import analyze
from search_space.errors import ProgramError
from search_space.hashing import functional_hash
from search_space.parser import parse, read_text
from search_space.program import format_program, format_statement
from symopt.located import check_located


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="program file (def train(w, g, m, v, lr): ...)")
    parser.add_argument("--space", metavar="NAME", help="also check that the program fits this search space")
    parser.add_argument("--lr-linear", action="store_true",
                        help="also require the update to scale linearly with the lr input")
    parser.add_argument("--json", action="store_true", help="print one JSON object: valid, hash, live, dead, reason")


def run(args: argparse.Namespace) -> int:

    try:
        text = read_text(args.file)
        program = parse(text, file=args.file)
        error = check_located(program, text, args.file, space=args.space, lr_linear=args.lr_linear)
    except ProgramError as exc:
        program, error = None, exc
    if error is not None:
        if not args.json:
            raise error         # one line on stderr, exit 1 (symopt.cli)
        print(json.dumps({"valid": False, "hash": None, "live": [], "dead": [], "reason": str(error)}))
        return 1
    a = analyze(program)
    live = [format_statement(s) for s in a.live_statements]
    dead = [format_statement(s) for s in a.dead_statements]
    h = functional_hash(program)
    if args.json:
        print(json.dumps({"valid": True, "hash": h, "live": live, "dead": dead, "reason": None}))
        return 0
    print(format_program(program), end="")
    print(f"\nhash: {h}")
    checks = "valid (well-typed" + (", linear in lr" if args.lr_linear else "")
    checks += f", fits space {args.space!r})" if args.space else ")"
    print(f"type check: {checks}")
    print(f"live statements ({len(live)}):")
    for st, t, is_live in zip(program.statements, a.types, a.live):
        if is_live:
            print(f"  {format_statement(st):<40} {t}")
    print(f"dead statements ({len(dead)}):")
    for st, t, is_live in zip(program.statements, a.types, a.live):
        if not is_live:
            print(f"  {format_statement(st):<40} {t}")
    states = ", ".join(f"{s} {'live' if is_live else 'dead'}" for s, is_live in zip(program.states, a.live_states))
    print(f"states: {states}")
    return 0

"""``symopt export PROGRAM --name NAME --out DIR``: optax + torch modules, program and provenance."""

from __future__ import annotations

import argparse

from search_space.analysis import analyze
from search_space.errors import ProgramError
from search_space.seeds import load_seed
from symopt.export import check_name, export_program
from symopt.export.provenance import command_line, provenance
from symopt.rundir import RunFiles
from symopt.simplify import simplify_exact


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("program", help="program file (or seed name); it is simplified exactly first")
    parser.add_argument("--name", required=True, help="optimizer name (lowercase identifier), e.g. lion")
    parser.add_argument("--out", required=True, help="output folder (a Python package), e.g. discovered/")
    parser.add_argument("--source", choices=("derivation", "search"), default="derivation",
                        help="provenance source (default: derivation)")
    parser.add_argument("--run", help="run directory the program came from (provenance)")


def run(args: argparse.Namespace) -> int:

    check_name(args.name)
    if args.run is not None:

        RunFiles.open(args.run)      # a missing or foreign run directory is one line, nothing written
    program = load_seed(args.program)
    reason = analyze(program).reason
    if reason is not None:   # name the file: the exporter itself only sees the program
        raise ProgramError(f"cannot export an invalid program: {reason}", file=args.program)
    d = simplify_exact(program)
    prov = provenance(args.source, command_line(), input=args.program, run=args.run, derivation=d.to_json())
    for p in export_program(d.program, args.name, args.out, prov):
        print(p)
    return 0

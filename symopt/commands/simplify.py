"""``symopt simplify FILE [--measure] [--json] [--export NAME --out DIR]``: the derivation, step by step."""

from __future__ import annotations

import argparse
import json

from search_space.program import format_program
from search_space.seeds import load_seed
from symopt.commands.arguments import seed_list
from symopt.errors import UserError
from symopt.export import export_program
from symopt.export.provenance import command_line, provenance
from symopt.recognise import recognise
from symopt.simplify import simplify


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("program", help="program file (or a seed name such as program2)")
    parser.add_argument("--measure", action="store_true",
                        help="also unwrap and round by measurement on the proxies (labelled 'measured')")
    parser.add_argument("--funnel", default="default", help="funnel for measured steps (default: default)")
    parser.add_argument("--stage", default="A", help="funnel stage for measured steps (default: A)")
    parser.add_argument("--seeds", type=seed_list, default=None,
                        help="seeds of the paired comparison, comma-separated (default: the funnel's held-out "
                             "seeds, which no search trained on)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--export", metavar="NAME", help="also export the result as NAME into --out")
    parser.add_argument("--out", metavar="DIR", help="folder for --export")


def run(args: argparse.Namespace) -> int:

    if args.export and not args.out:
        raise UserError("--export needs --out DIR")
    program = load_seed(args.program)
    evaluator = None
    options = {}
    if args.measure:
        from symopt.evaluation import make_evaluator  # lazy: JAX, only for --measure

        evaluator = make_evaluator(args.funnel, lr_grid=True)   # scored as the search scores: best lr scale
        evaluator.stage(args.stage)  # a clear error for an unknown stage
        options = {"stage": args.stage, "seeds": args.seeds}
    d = simplify(program, measure=args.measure, evaluator=evaluator, **options)
    rec = recognise(d.program)
    if args.export:

        prov = provenance("derivation", command_line(), input=args.program, derivation=d.to_json())
        paths = export_program(d.program, args.export, args.out, prov)
    if args.json:
        print(json.dumps({
            "program": format_program(d.program),
            "family": rec.family,
            "constants": rec.constants,
            "steps": [{k: s[k] for k in ("rule", "kind", "before", "after")} for s in d.to_json()],
        }))
        return 0
    for i, s in enumerate(d.steps, 1):
        print(f"step {i}: {s.rule} [{s.kind}]")
        print(f"  why: {s.why}")
        print("  after:")
        print("\n".join("    " + line for line in format_program(s.after).rstrip().split("\n")))
    print("result:")
    print(format_program(d.program), end="")
    consts = ", ".join(f"{k}={v!r}" for k, v in rec.constants.items())
    print(f"family: {rec.family or 'new'}" + (f" ({consts})" if consts else ""))
    if args.export:
        print("exported: " + ", ".join(str(p) for p in paths))
    return 0

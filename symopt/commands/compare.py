"""``symopt compare PROGRAM... --task TASK``: train programs on a proxy, plot their loss curves."""

from __future__ import annotations

import argparse
import os

import proxies
from search_space.seeds import load_seed
from symopt.commands.arguments import seed_list
from symopt.errors import UserError
from symopt.inspect import compare

PLOT = "compare.png"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("programs", metavar="PROGRAM", nargs="+", help="program files or seed names (adamw, lion, ...)")
    parser.add_argument("--task", required=True, help="proxy task name (see proxies.task_names())")
    parser.add_argument("--seeds", type=seed_list, default="0,1,2",
                        help="training seeds, comma-separated (default 0,1,2)")
    parser.add_argument("--out", metavar="DIR", default=".",
                        help=f"folder for the loss-curve plot {PLOT} (default: the current folder)")


def run(args: argparse.Namespace) -> int:

    if args.task not in proxies.task_names():
        raise UserError(f"unknown task {args.task!r} (known: {', '.join(proxies.task_names())})")
    programs = {}
    for spec in args.programs:
        name = os.path.splitext(os.path.basename(spec))[0] if os.path.exists(spec) else spec
        while name in programs:
            name += "'"
        programs[name] = load_seed(spec)
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{args.out}: --out must be a folder ({exc.strerror or exc})") from None
    task = proxies.get_task(args.task)
    results = compare.compare(programs, task, args.seeds)
    path = os.path.join(args.out, PLOT)
    try:
        path = compare.plot(results, args.task, path)
    except OSError as exc:
        raise UserError(f"{path}: cannot write plot ({exc.strerror or exc})") from None
    print(compare.summary(results, args.task))
    print(f"plot: {path}")
    return 0

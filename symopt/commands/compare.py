"""``symopt compare PROGRAM... --task TASK``: train programs on a proxy, plot their loss curves."""

from __future__ import annotations

import argparse
import os

from symopt.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("programs", metavar="PROGRAM", nargs="+", help="program files or seed names (adamw, lion, ...)")
    parser.add_argument("--task", required=True, help="proxy task name (see proxies.task_names())")
    parser.add_argument("--out", metavar="FILE.png", default="compare.png", help="loss-curve plot (default compare.png)")
    parser.add_argument("--seeds", type=int, default=3, help="training seeds per program (default 3)")


def run(args: argparse.Namespace) -> int:
    import proxies
    from search_space.seeds import load_seed
    from symopt.inspect import compare

    if args.seeds < 1:
        raise UserError(f"--seeds must be >= 1, got {args.seeds}")
    if args.task not in proxies.task_names():
        raise UserError(f"unknown task {args.task!r} (known: {', '.join(proxies.task_names())})")
    if not args.out.lower().endswith(".png"):
        raise UserError(f"{args.out}: --out must name a .png file")
    programs = {}
    for spec in args.programs:
        name = os.path.splitext(os.path.basename(spec))[0] if os.path.exists(spec) else spec
        while name in programs:
            name += "'"
        programs[name] = load_seed(spec)
    task = proxies.get_task(args.task)
    results = compare.compare(programs, task, args.seeds)
    try:
        path = compare.plot(results, args.task, args.out)
    except OSError as exc:
        raise UserError(f"{args.out}: cannot write plot ({exc.strerror or exc})") from None
    print(compare.summary(results, args.task))
    print(f"plot: {path}")
    return 0

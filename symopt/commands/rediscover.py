"""``symopt rediscover``: the main job — search from AdamW, meta-validate, simplify, recognise, export.

Takes the same search options as ``symopt search`` (except ``--resume``), with a time-boxed default
that finishes within about ten minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import sys

from symopt.commands import search as search_command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    search_command.add_arguments(parser, resume=False)
    a = parser.add_argument
    a("--meta-top", type=int, help="hall-of-fame entries meta-validated at the end; the best there is kept "
                                    "(default 2)")
    a("--no-measure", action="store_true", help="simplify with exact rewrites only (no measured pruning)")
    a("--export-to", metavar="DIR", help="also replace the shipped result in DIR (e.g. discovered/)")


def _config(args: argparse.Namespace, defaults: dict):
    """The resolved config: search defaults < the main job's ``defaults`` < --config file < command line."""
    from symopt.config import default_config, merge, read_file

    cfg = merge(default_config(), defaults, "symopt rediscover defaults")
    if args.config:
        cfg = merge(cfg, read_file(args.config), args.config)
    flags = search_command.overrides_from(args)
    if args.budget and args.time is None:
        flags.setdefault("search", {})["time"] = 0.0  # an explicit budget replaces the default time cap
    if args.time and args.budget is None:
        flags.setdefault("search", {})["budget"] = 0  # an explicit time replaces the default budget
    if args.meta_top is not None:
        flags.setdefault("funnel", {})["meta_top"] = args.meta_top
    return merge(cfg, flags, "command line")


def run(args: argparse.Namespace) -> int:
    from symopt.export.provenance import command_line
    from symopt.rediscover import ACCELERATOR_DEFAULTS, DEFAULTS, Options, rediscover
    from symopt.rundir import RunDir
    from symopt.search import device
    from symopt.search.progress import Progress
    from symopt.search.run import default_run_dir

    cfg = _config(args, DEFAULTS)
    if device.placement(cfg) != "cpu":     # an accelerator: a time budget, the candidates it allows
        cfg = _config(args, {k: {**DEFAULTS.get(k, {}), **ACCELERATOR_DEFAULTS.get(k, {})}
                             for k in DEFAULTS | ACCELERATOR_DEFAULTS})
    # the run directory is locked for the whole job (search, then simplify and export into it)
    if not cfg.search.run_dir:
        cfg = cfg.override({"search": {"run_dir": default_run_dir()}}, "command line")
    RunDir.reserve(cfg.search.run_dir)
    out = sys.stderr if args.json else sys.stdout
    options = Options(measure=not args.no_measure, export_to=args.export_to,
                      command=command_line())
    summary = rediscover(cfg, options, log=lambda msg: print(msg, file=out, flush=True), progress=Progress(out))
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    return 0

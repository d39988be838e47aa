"""``symopt rediscover``: the main job — search from AdamW, meta-validate, simplify, recognise, export.

Takes the same search options as ``symopt search``, with a time-boxed default that finishes within
about ten minutes on 2 CPU cores; ``--resume DIR`` continues an interrupted job.
"""

from __future__ import annotations

import argparse
import json
import sys

from symopt.commands import search as search_command
from symopt.config import default_config, merge, read_file
from symopt.errors import UserError
from symopt.export.provenance import command_line
from symopt.rediscover import ACCELERATOR_DEFAULTS, DEFAULTS, Options, rediscover
from symopt.search import device
from symopt.search.progress import Progress
from symopt.search.run import default_run_dir, resume_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    search_command.add_arguments(parser, resume=False)
    a = parser.add_argument
    a("--resume", metavar="DIR", help="continue the interrupted main job in DIR (search, then the rest)")
    a("--meta-top", type=int, help="hall-of-fame entries meta-validated at the end; the best there is kept "
                                    "(default 2)")
    a("--no-measure", action="store_true", help="simplify with exact rewrites only (no measured pruning)")
    a("--export-to", metavar="DIR", help="also replace the shipped result in DIR (e.g. discovered/)")


def _flags(args: argparse.Namespace) -> dict:
    """The command line's config overrides: an explicit budget replaces the default time cap, and an
    explicit time the default budget."""
    flags = search_command.overrides_from(args)
    if args.budget and args.time is None:
        flags.setdefault("search", {})["time"] = 0.0
    if args.time and args.budget is None:
        flags.setdefault("search", {})["budget"] = 0
    return flags


def _config(args: argparse.Namespace, defaults: dict | None = None):
    """The resolved config: search defaults < the main job's ``defaults`` (:data:`symopt.rediscover.DEFAULTS`)
    < --config file < command line; with ``--resume``, the run's own config with a new length or cluster
    address."""

    if args.resume:
        search_command.check_resume_flags(args)
        if args.meta_top is not None:
            raise UserError("--resume continues a run with its own config; cannot change --meta-top")
        return search_command.apply_flags(resume_config(args.resume), _flags(args))
    cfg = merge(default_config(), DEFAULTS if defaults is None else defaults, "symopt rediscover defaults")
    if args.config:
        cfg = merge(cfg, read_file(args.config), args.config)
    cfg = search_command.apply_flags(cfg, _flags(args))
    if args.meta_top is not None:
        cfg = merge(cfg, {"funnel": {"meta_top": args.meta_top}}, "--meta-top")
    if not cfg.search.run_dir:
        cfg = cfg.override({"search": {"run_dir": default_run_dir()}}, "command line")
    return cfg


def run(args: argparse.Namespace) -> int:

    cfg = _config(args)
    if not args.resume and device.placement(cfg) != "cpu":   # an accelerator: a time budget instead
        cfg = _config(args, {k: {**DEFAULTS.get(k, {}), **ACCELERATOR_DEFAULTS.get(k, {})}
                             for k in DEFAULTS | ACCELERATOR_DEFAULTS})
    out = sys.stderr if args.json else sys.stdout
    options = Options(measure=not args.no_measure, export_to=args.export_to, command=command_line(),
                      resume=args.resume)
    with search_command.resumable("rediscover", args.resume or cfg.search.run_dir):
        summary = rediscover(cfg, options, log=lambda msg: print(msg, file=out, flush=True), progress=Progress(out))
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    return 0

"""The provenance record written beside an export (``<name>.provenance.json``)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from filekit.nonfinite import inf_to_none

SOURCES = ("search", "derivation")
KEYS = ("source", "command", "input", "run", "seed", "lineage", "stage_fitness", "derivation", "config")


def provenance(source: str, command: str, *, input: str | None = None, run: str | None = None,
               seed=None, lineage=(), stage_fitness=None, derivation=(), config: dict | None = None) -> dict:
    """A provenance record (what :func:`symopt.export.export_program` writes beside an export).

    Args:
      source: "search" (found by a search) or "derivation" (simplified from a given program).
      command: the command that produced the export (:func:`command_line`).
      input: the program file or seed the export came from.
      run: the run directory of a search.
      seed: the search's RNG seed.
      lineage: the ancestry of the program in the run.
      stage_fitness: fitness per funnel stage.
      derivation: the simplification steps (``Derivation.to_json()``).
      config: the search's resolved configuration (``Config.to_dict()``), enough to replay the run.

    Returns:
      The record, a dict with the keys of :data:`KEYS`.

    Raises:
      ValueError: ``source`` is not one of :data:`SOURCES`.

    >>> provenance("derivation", "symopt export lion --name lion --out x")["source"]
    'derivation'
    """
    if source not in SOURCES:
        raise ValueError(f"provenance source must be one of {SOURCES}, got {source!r}")
    return {"source": source, "command": command, "input": input, "run": run, "seed": seed,
            "lineage": list(lineage), "stage_fitness": dict(stage_fitness or {}), "derivation": list(derivation),
            "config": config}


def command_line(argv=None) -> str:
    """The command that is running, as a user would type it.

    Args:
      argv: the arguments, program first (default ``sys.argv``).

    Returns:
      The command line, each argument quoted for a shell where it needs it.

    >>> command_line(["/usr/bin/symopt", "export", "my lion.program"])
    "symopt export 'my lion.program'"
    """
    argv = list(sys.argv if argv is None else argv)
    prog = Path(argv[0]).name if argv else "symopt"
    if prog in ("__main__.py", "cli.py"):
        prog = "symopt"
    return " ".join([prog] + [shlex.quote(a) for a in argv[1:]])


def provenance_json(record: dict) -> str:
    """``record`` as the text of a ``.provenance.json`` file (sorted keys; non-finite numbers as null).

    Args:
      record: a provenance record (:func:`provenance`).

    Returns:
      The JSON text, ending with a newline.

    >>> print(provenance_json({"stage_fitness": {"A": 0.9, "B": float("inf")}}))
    {
      "stage_fitness": {
        "A": 0.9,
        "B": null
      }
    }
    <BLANKLINE>
    """
    return json.dumps(inf_to_none(record), indent=2, sort_keys=True, allow_nan=False) + "\n"

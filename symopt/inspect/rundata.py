"""Shared access to a run directory for the inspect commands.

>>> fitness_text({"A": 0.91234, "B": None})
'A=0.9123 B=inf'
"""

from __future__ import annotations

import math
import os
import warnings

from filekit.nonfinite import none_to_inf
from search_space.errors import InputError
from search_space.parser import parse
from search_space.program import Program
from symopt.errors import UserError
from symopt.rundir import RunDir


def open_run(path: str | os.PathLike) -> RunDir:
    """``RunDir.open`` that also checks the logs can be read (one-line UserError otherwise)."""
    rd = RunDir.open(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # a truncated last line of a live run is expected
        rd.evaluations(), rd.hall_of_fame(), rd.meta_validation()
    return rd


def evaluations(rd: RunDir) -> list[dict]:
    """The log as it is now (a run in progress may end with a truncated line: skipped silently)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recs = rd.evaluations()
    for i, r in enumerate(recs):
        if not isinstance(r.get("hash"), str) or not isinstance(r.get("fitness"), dict):
            raise UserError(f"{rd.child('evaluations.jsonl')}: damaged record {i + 1} (no hash or fitness)")
    return recs


def meta_validation(rd: RunDir) -> list[dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rd.meta_validation()


def rank_key(fitness: dict, stages: list[str]) -> tuple:
    """Deeper in the funnel first, then lower fitness at the deepest stage reached."""
    reached = [s for s in stages if s in fitness]
    if not reached:
        return (0, math.inf)
    return (-len(reached), none_to_inf(fitness[reached[-1]]))


def stages_of(records) -> list[str]:
    """Stage names in order of first appearance (A, B, C, ...)."""
    seen: dict[str, None] = {}
    for r in records:
        for s in r.get("fitness", {}):
            seen.setdefault(s, None)
    return list(seen)


def hall_of_fame(rd: RunDir) -> list[dict]:
    """``hall_of_fame.json`` (best first); for a run that has not written it yet, the best unique
    programs of the log so far (same keys)."""
    hof = rd.hall_of_fame()
    for i, e in enumerate(hof):
        if not isinstance(e, dict) or not isinstance(e.get("hash"), str) or "program" not in e:
            raise UserError(f"{rd.child('hall_of_fame.json')}: damaged entry {i + 1}")
    if hof:
        return hof
    recs = evaluations(rd)
    stages = stages_of(recs)
    best: dict[str, dict] = {}
    for r in recs:
        old = best.get(r["hash"])
        if old is None or rank_key(r["fitness"], stages) < rank_key(old["fitness"], stages):
            best[r["hash"]] = {k: r.get(k) for k in ("hash", "program", "fitness", "eval_id", "parent")}
    return sorted(best.values(), key=lambda e: (rank_key(e["fitness"], stages), e["eval_id"]))


def fitness_text(fitness: dict) -> str:
    return " ".join(f"{s}={none_to_inf(v):.4g}" for s, v in fitness.items())


def program_of(text: str, where: str) -> Program:
    """Parse logged program text; a bad one is a one-line error naming where it came from."""
    try:
        return parse(text, file=where)
    except InputError as exc:
        raise UserError(f"{where}: damaged program text ({exc})") from None


def find_hash(rd: RunDir, prefix: str) -> str:
    """The full functional hash in the run that starts with ``prefix`` (unique), else UserError."""
    hashes = {e["hash"] for e in hall_of_fame(rd)} | {r["hash"] for r in evaluations(rd)}
    found = sorted(h for h in hashes if h.startswith(prefix.lower()))
    if not found:
        raise UserError(f"{rd.path}: no program with hash {prefix!r} in this run")
    if len(found) > 1:
        raise UserError(f"{rd.path}: hash prefix {prefix!r} is ambiguous ({', '.join(found[:5])}, ...)")
    return found[0]

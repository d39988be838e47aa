"""Where a family of optimizers appeared in a run and what became of each of its programs.

The recogniser (:func:`symopt.recognise.recognise`) names every distinct program of the log (one
per functional hash); for the programs of one family this module reads, from the run's own files,
the candidate where each first appeared, its fitness per stage, how often evolution chose it as a
parent, and its fate: why it is not the program the run returned.

Fates, in the order a program meets them:

- ``returned``: the program the run returned (``result.json`` of ``symopt rediscover``; for a plain
  search, the first entry of the hall of fame);
- ``diverged on A``: no finite stage A fitness;
- ``not promoted from A``: scored on stage A only (the bar of the top fraction was not cleared);
- ``dropped from the hall of fame``: promoted, but the final hall of fame holds better programs;
- ``beaten in the hall of fame``: in the final hall of fame, outranked, never meta-validated;
- ``lost at meta-validation``: meta-validated, and another program scored better there.

>>> fate({"A": 0.3}, None, None, ("A", "B"), returned=False)
'not promoted from A'
>>> fate({"A": 0.3, "B": 0.5}, 4, None, ("A", "B"), returned=False)
'beaten in the hall of fame (rank 4)'
"""

from __future__ import annotations

import json
import math

from filekit.nonfinite import none_to_inf
from search_space.parser import parse
from symopt.errors import UserError
from symopt.inspect.rundata import evaluations, hall_of_fame, meta_validation, rank_key, stages_of
from symopt.recognise import FAMILIES, recognise
from symopt.rundir import RESULT, RunDir


def check_family(name: str) -> str:
    """The family name, lower-cased, if the recogniser knows it.

    Args:
        name: a family name as typed (``lion``, ``Adam``, ...).

    Returns:
        The name as :data:`symopt.recognise.FAMILIES` spells it.

    Raises:
        UserError: one line listing the known families.

    >>> check_family("Lion")
    'lion'
    """
    low = name.strip().lower()
    if low not in FAMILIES:
        raise UserError(f"unknown family {name!r}; the recogniser knows: {', '.join(FAMILIES)}")
    return low


def family_of_text(text: str) -> str | None:
    """The recognised family of a logged program text (None: a new program or unreadable text).

    Args:
        text: the program as the log holds it.

    Returns:
        A name of :data:`symopt.recognise.FAMILIES`, or None.
    """
    try:
        return recognise(parse(text)).family
    except Exception:  # noqa: BLE001 - a program the recogniser cannot read belongs to no family
        return None


def returned(rd: RunDir, hof: list[dict]) -> dict:
    """The program the run returned.

    Args:
        rd: the run directory.
        hof: its hall of fame, best first.

    Returns:
        ``result.json`` as ``symopt rediscover`` wrote it (``hash``, and ``family`` and
        ``meta_validation_vs_seed`` of the simplified program), else ``{"hash": }`` the hall of fame's
        first (a plain search, or a job still running); ``{}`` for an empty run.
    """
    try:
        res = json.loads(rd.child(RESULT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        res = None
    if isinstance(res, dict) and isinstance(res.get("hash"), str):
        return res
    return {"hash": hof[0]["hash"]} if hof else {}


def fate(fitness: dict, hof_rank: int | None, meta, stages: tuple[str, ...], returned: bool,
         best_meta: float | None = None) -> str:
    """Why a program is, or is not, the one the run returned.

    Args:
        fitness: its fitness per stage (``{stage: ratio or None}``).
        hof_rank: its 1-based rank in the final hall of fame, None if not there.
        meta: its meta-validation ratio (``inf``: diverged there); None if it was not meta-validated.
        stages: the stages the search used, in order.
        returned: whether it is the returned program.
        best_meta: the returned program's meta-validation ratio, when known.

    Returns:
        One of the fates of the module's docstring, with the figures that decided it.
    """
    if returned:
        return "returned"
    if not math.isfinite(none_to_inf(fitness.get(stages[0]))):
        return f"diverged on {stages[0]}"
    deepest = [s for s in stages if s in fitness][-1]
    if deepest != stages[-1]:
        return f"not promoted from {deepest}"
    if hof_rank is None:
        return "dropped from the hall of fame"
    if meta is None:
        return f"beaten in the hall of fame (rank {hof_rank})"
    than = "" if best_meta is None else f" vs {best_meta:.3f}"
    return f"lost at meta-validation ({meta:.3f}{than})"


def programs(rd: RunDir) -> dict:
    """Every distinct program of a run with its family, fitness, children and fate.

    Args:
        rd: the run directory (a run in progress is read as it is now).

    Returns:
        ``{"candidates", "returned", "rows"}``: ``candidates`` logged in all, ``returned`` the family of
        the returned program (None: a new program or no result yet), and one row per functional hash
        in order of first appearance: ``{"eval_id", "hash", "family", "fitness", "meta",
        "meta_validated", "children", "hof_rank", "fate", "program"}``.
    """
    records = sorted(evaluations(rd), key=lambda r: r.get("eval_id", 0))
    hof = hall_of_fame(rd)
    stages = tuple(stages_of(records)) or ("A",)
    ranks = {e["hash"]: i + 1 for i, e in enumerate(hof)}
    metas = {m["hash"]: m.get("meta") for m in meta_validation(rd) if "hash" in m}
    metas.update({e["hash"]: e["meta"] for e in hof if "meta" in e})
    result = returned(rd, hof)
    ret = result.get("hash")
    best_meta = none_to_inf(result.get("meta_validation_vs_seed", metas.get(ret)))
    best_meta = best_meta if math.isfinite(best_meta) else None
    children: dict[str, int] = {}
    first: dict[str, dict] = {}
    for r in records:
        if r.get("parent"):
            children[r["parent"]] = children.get(r["parent"], 0) + 1
        first.setdefault(r["hash"], r)
    rows = []
    for h, r in first.items():
        meta = none_to_inf(metas[h]) if h in metas else None
        rows.append({"eval_id": r.get("eval_id"), "hash": h, "family": family_of_text(r.get("program", "")),
                     "fitness": r["fitness"], "meta": metas.get(h), "meta_validated": h in metas,
                     "children": children.get(h, 0), "hof_rank": ranks.get(h),
                     "fate": fate(r["fitness"], ranks.get(h), meta, stages, h == ret, best_meta),
                     "program": r.get("program", "")})
    fam_ret = next((row["family"] for row in rows if row["hash"] == ret), None)
    return {"candidates": len(records), "returned": result.get("family", fam_ret) if ret else None,
            "rows": rows, "stages": stages}


def family_rows(rd: RunDir, name: str) -> dict:
    """The programs of one family in a run, each with its fitness, children and fate.

    Args:
        rd: the run directory (a run in progress is read as it is now).
        name: a family the recogniser knows (see :func:`check_family`).

    Returns:
        ``{"family", "candidates", "programs", "first", "returned", "rows"}``: ``programs`` of the family
        (distinct hashes), ``first`` the eval_id where the family first appeared (None: never), and
        the rows of :func:`programs` for the family.
    """
    name = check_family(name)
    every = programs(rd)
    rows = [r for r in every["rows"] if r["family"] == name]
    return {"family": name, "candidates": every["candidates"], "programs": len(rows),
            "first": rows[0]["eval_id"] if rows else None, "returned": every["returned"], "rows": rows}


def census(rd: RunDir) -> list[dict]:
    """Every family that appeared in a run, with its size and its best program.

    Args:
        rd: the run directory.

    Returns:
        One row per recognised family, in order of first appearance: ``{"family", "programs", "first",
        "promoted", "best"}``: ``promoted`` counts programs scored on the last search stage; ``best`` is
        the row of :func:`programs` deepest in the funnel with the lowest fitness there.
    """
    every = programs(rd)
    out: dict[str, dict] = {}
    for r in every["rows"]:
        if r["family"] is None:
            continue
        row = out.setdefault(r["family"], {"family": r["family"], "programs": 0, "first": r["eval_id"],
                                           "promoted": 0, "best": r})
        row["programs"] += 1
        row["promoted"] += every["stages"][-1] in r["fitness"]
        if rank_key(r["fitness"], every["stages"]) < rank_key(row["best"]["fitness"], every["stages"]):
            row["best"] = r
    return list(out.values())


def family_table(found: dict) -> str:
    """:func:`family_rows` as text: a summary line, then one line per program.

    Args:
        found: what :func:`family_rows` returned.

    Returns:
        The lines, joined.
    """
    fam, rows = found["family"], found["rows"]
    if not rows:
        return (f"no {fam} program among the {found['candidates']} candidates of this run "
                f"(returned: {found['returned'] or 'a new program'})")
    head = (f"{fam}: {found['programs']} distinct program(s) among {found['candidates']} candidates, the first "
            f"at candidate {found['first']}; the run returned {found['returned'] or 'a new program'}")
    lines = [head, f"{'eval_id':>7}  {'hash':<16}  {'fitness':<24}  {'meta':>6}  {'children':>8}  fate"]
    for r in rows:
        fit = " ".join(f"{s}={none_to_inf(v):.3f}" for s, v in r["fitness"].items())
        meta = f"{none_to_inf(r['meta']):.3f}" if r["meta_validated"] else "-"
        lines.append(f"{r['eval_id']:>7}  {r['hash'][:16]:<16}  {fit:<24}  {meta:>6}  {r['children']:>8}  {r['fate']}")
    return "\n".join(lines)

"""Evaluation funnels (``configs/funnels.toml``).

A funnel is stages A -> B -> C, a meta-validation stage, and held-out seeds for re-scoring winners.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any

from .config import CONFIG_DIR, TASKS_TOML, load_task_configs, read_toml

FUNNELS_TOML = os.path.join(CONFIG_DIR, "funnels.toml")
STAGE_NAMES = ("A", "B", "C")
_STAGE_FIELDS = {"task", "seeds", "promote_top"}
_FUNNEL_FIELDS = {"description", "heldout_seeds", *STAGE_NAMES, "meta"}
_ALIAS_FIELDS = {"alias", "description"}


@dataclasses.dataclass(frozen=True)
class Stage:
    """One funnel stage.

    The best ``promote_top`` fraction (0 < promote_top <= 1) of programs goes on to the next stage
    (ignored for the last stage and meta-validation).

    Attributes:
      name: ``"A"``, ``"B"``, ``"C"`` or ``"meta"``.
      task: the task trained on this stage.
      seeds: the training seeds.
      promote_top: the fraction promoted.
    """
    name: str
    task: str
    seeds: tuple[int, ...]
    promote_top: float


@dataclasses.dataclass(frozen=True)
class Funnel:
    """Stages A, B, C (in order), a meta-validation stage, and seeds held out from search.

    Attributes:
      name: the funnel's name (an alias's target).
      stages: stages A, B and C.
      meta: the meta-validation stage.
      heldout_seeds: seeds no stage trains on, for re-scoring winners.
      description: what the funnel is for.
    """
    name: str
    stages: tuple[Stage, ...]
    meta: Stage
    heldout_seeds: tuple[int, ...]
    description: str = ""


def _seeds(where: str, key: str, v: Any) -> tuple[int, ...]:
    if not (isinstance(v, list) and v and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in v)):
        raise ValueError(f"{where}: field {key!r} must be a non-empty list of non-negative integers, got {v!r}")
    if len(set(v)) != len(v):
        raise ValueError(f"{where}: field {key!r} has repeated seeds: {v!r}")
    return tuple(v)


def _stage(src: str, fname: str, sname: str, raw: Any, tasks: dict) -> Stage:
    where = f"{src}: funnel {fname!r} stage {sname!r}"
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a table")
    bad = sorted(set(raw) - _STAGE_FIELDS)
    if bad:
        raise ValueError(f"{where}: unknown field {bad[0]!r} (allowed: {', '.join(sorted(_STAGE_FIELDS))})")
    missing = sorted(_STAGE_FIELDS - set(raw))
    if missing:
        raise ValueError(f"{where}: missing required field {missing[0]!r}")
    if raw["task"] not in tasks:
        raise ValueError(f"{where}: unknown task {raw['task']!r} (known: {', '.join(tasks)})")
    p = raw["promote_top"]
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 < p <= 1.0:
        raise ValueError(f"{where}: field 'promote_top' must be a fraction in (0, 1], got {p!r}")
    return Stage(name=sname, task=raw["task"], seeds=_seeds(where, "seeds", raw["seeds"]), promote_top=float(p))


def funnel_names(path: str = FUNNELS_TOML) -> list[str]:
    """The funnels (and aliases) of a funnels file, in file order.

    Args:
      path: the funnels file (default: the shipped one).

    Returns:
      The names.

    >>> "test" in funnel_names()
    True
    """
    return list(read_toml(path))


def resolve_alias(name: str, path: str = FUNNELS_TOML) -> str:
    """The funnel a name stands for.

    ``[default] alias = "lion"`` makes ``default`` mean ``lion`` (one level; an alias table holds only
    ``alias`` and an optional ``description``).

    Args:
      name: a funnel or an alias.
      path: the funnels file.

    Returns:
      The funnel's name.

    Raises:
      ValueError: an unknown name or a bad alias (one line).

    >>> resolve_alias("test")
    'test'
    """
    src = os.path.basename(path)
    raw_all = read_toml(path)
    if name not in raw_all:
        raise ValueError(f"unknown funnel {name!r} (known: {', '.join(raw_all)})")
    raw = raw_all[name]
    if not isinstance(raw, dict) or "alias" not in raw:
        return name
    where = f"{src}: funnel {name!r}"
    bad = sorted(set(raw) - _ALIAS_FIELDS)
    if bad:
        raise ValueError(f"{where}: an alias takes only 'alias' and 'description', not {bad[0]!r}")
    target = raw["alias"]
    if not isinstance(target, str) or target not in raw_all:
        raise ValueError(f"{where}: field 'alias' must name a funnel (known: {', '.join(raw_all)}), got {target!r}")
    if isinstance(raw_all[target], dict) and "alias" in raw_all[target]:
        raise ValueError(f"{where}: alias {target!r} is itself an alias (one level only)")
    return target


def load_funnel(name: str = "default", path: str = FUNNELS_TOML, tasks_path: str = TASKS_TOML) -> Funnel:
    """Load and validate funnel ``name`` (an alias loads its target, whose name the result carries).

    Args:
      name: a funnel or an alias.
      path: the funnels file.
      tasks_path: the tasks file the stages' tasks must be in.

    Returns:
      The :class:`Funnel`.

    Raises:
      ValueError: one line naming the file, the funnel and what is wrong.

    >>> f = load_funnel("test")
    >>> [s.name for s in f.stages], f.meta.name
    (['A', 'B', 'C'], 'meta')
    """
    src = os.path.basename(path)
    name = resolve_alias(name, path)
    raw_all = read_toml(path)
    raw = raw_all[name]
    where = f"{src}: funnel {name!r}"
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a table")
    bad = sorted(set(raw) - _FUNNEL_FIELDS)
    if bad:
        raise ValueError(f"{where}: unknown field {bad[0]!r} (allowed: {', '.join(sorted(_FUNNEL_FIELDS))})")
    missing = [k for k in (*STAGE_NAMES, "meta", "heldout_seeds") if k not in raw]
    if missing:
        raise ValueError(f"{where}: missing required field {missing[0]!r}")
    tasks, _ = load_task_configs(tasks_path)
    stages = tuple(_stage(src, name, s, raw[s], tasks) for s in STAGE_NAMES)
    meta = _stage(src, name, "meta", raw["meta"], tasks)
    held = _seeds(where, "heldout_seeds", raw["heldout_seeds"])
    used = {s for st in (*stages, meta) for s in st.seeds}
    if used & set(held):
        raise ValueError(f"{where}: heldout_seeds overlap the stage seeds: {sorted(used & set(held))}")
    desc = raw.get("description", "")
    if not isinstance(desc, str):
        raise ValueError(f"{where}: field 'description' must be a string")
    return Funnel(name=name, stages=stages, meta=meta, heldout_seeds=held, description=desc)

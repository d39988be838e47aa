"""The whole search experiment, configured from one schema.

The defaults live in ``symopt/configs/search.toml``; a user file (``--config``)
overrides any subset of keys, and command-line flags override both.  Unknown
keys, wrong types and negative budgets raise a one-line :class:`UserError`
naming the file and the key.

>>> cfg = load_config()
>>> cfg["evolution"]["population"] > cfg["evolution"]["tournament"]
True
"""

from __future__ import annotations

import copy
import math
import os
from importlib import resources
from typing import Any

from search_space.toml_input import load_toml, parse_toml
from symopt.errors import UserError

DEFAULT_NAME = "search.toml"

# Keys that must be >= 0 / > 0 (section, key).
_NON_NEGATIVE = {
    ("search", "budget"), ("search", "time"), ("evolution", "niche_limit"), ("evolution", "restart_seed_every"),
    ("evolution", "restart_best_plateau"), ("funnel", "window"), ("funnel", "meta_every"), ("funnel", "meta_top"),
    ("ray", "workers"), ("ray", "gpus_per_worker"), ("ray", "max_restarts"), ("funnel", "promote_margin"),
    ("evolution", "migrate_every"), ("evolution", "tune_variants"), ("funnel", "search_stages"),
}
_POSITIVE = {
    ("evolution", "population"), ("evolution", "tournament"), ("ray", "batch_size"), ("ray", "in_flight"),
    ("ray", "batch_deadline"), ("run", "checkpoint_every"), ("run", "hall_of_fame"), ("evolution", "islands"),
    ("run", "checkpoint_seconds"),
}
_CHOICES = {("funnel", "rank"): ("ratio", "stage"), ("funnel", "heldout_stage"): ("highest", "A", "B", "C")}


def default_config() -> dict[str, dict[str, Any]]:
    """The shipped defaults (a fresh nested dict)."""
    res = resources.files("symopt") / "configs" / DEFAULT_NAME
    return parse_toml(res.read_bytes(), str(res), error=UserError)


def read_file(path: str | os.PathLike) -> dict:
    """The overrides in the TOML file at ``path``, unchecked (see :func:`merge`); one-line UserError
    for a missing, unreadable or malformed file."""
    return load_toml(path, what="config", error=UserError)


def _typed(where: str, key: str, default: Any, value: Any) -> Any:
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise UserError(f"{where}: key {key!r} must be {type(default).__name__}, got {value!r}")
    return value


def merge(base: dict, overrides: dict, where: str) -> dict:
    """``base`` with ``overrides`` applied; unknown sections/keys and wrong types raise UserError."""
    out = copy.deepcopy(base)
    for section, table in overrides.items():
        if section not in out:
            raise UserError(f"{where}: unknown section {section!r} (known: {', '.join(out)})")
        if not isinstance(table, dict):
            raise UserError(f"{where}: {section!r} must be a table")
        for key, value in table.items():
            if key not in out[section]:
                raise UserError(f"{where}: unknown key '{section}.{key}' (known: {', '.join(out[section])})")
            out[section][key] = _typed(where, f"{section}.{key}", out[section][key], value)
    validate(out, where)
    return out


def validate(cfg: dict, where: str) -> None:
    for section, key in _NON_NEGATIVE:
        if cfg[section][key] < 0:
            raise UserError(f"{where}: key '{section}.{key}' must be >= 0, got {cfg[section][key]!r}")
    for section, key in _POSITIVE:
        if cfg[section][key] <= 0:
            raise UserError(f"{where}: key '{section}.{key}' must be > 0, got {cfg[section][key]!r}")
    for (section, key), allowed in _CHOICES.items():
        if cfg[section][key] not in allowed:
            raise UserError(f"{where}: key '{section}.{key}' must be one of {', '.join(allowed)}, "
                            f"got {cfg[section][key]!r}")
    grid = cfg["funnel"]["lr_grid"]
    if not grid or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0
                            for x in grid):
        raise UserError(f"{where}: key 'funnel.lr_grid' must be a non-empty list of positive numbers, got {grid!r}")
    cfg["funnel"]["lr_grid"] = [float(x) for x in grid]
    ev = cfg["evolution"]
    if ev["islands"] > ev["population"]:
        raise UserError(f"{where}: key 'evolution.islands' exceeds 'evolution.population'")
    if ev["tournament"] > ev["population"] // ev["islands"]:
        raise UserError(f"{where}: key 'evolution.tournament' exceeds 'evolution.population'"
                        + (" / 'evolution.islands'" if ev["islands"] > 1 else ""))


def load_config(path: str | os.PathLike | None = None, overrides: dict | None = None) -> dict:
    """Defaults, then the TOML file at ``path``, then ``overrides`` ({section: {key: value}})."""
    cfg = default_config()
    if path is not None:
        cfg = merge(cfg, read_file(path), os.fspath(path))
    if overrides:
        cfg = merge(cfg, overrides, "command line")
    validate(cfg, os.fspath(path) if path else "config")
    return cfg


def dumps(cfg: dict) -> str:
    """The resolved config as TOML text (what ``config.toml`` of a run holds)."""
    import tomli_w

    return tomli_w.dumps(cfg)

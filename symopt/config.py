"""The whole search experiment, configured from one schema.

The defaults live in ``symopt/configs/search.toml``; a user file (``--config``)
overrides any subset of keys, and command-line flags override both.  Unknown
keys, wrong types and negative budgets raise a one-line :class:`UserError`
naming the file and the key.  A resolved config is a frozen :class:`Config`
of one frozen dataclass per section (field types from the annotations; the
values, defaults included, from the TOML), validated once when it is built.

>>> cfg = load_config()
>>> cfg.evolution.population > cfg.evolution.tournament
True
>>> small = cfg.override({"search": {"budget": 5}}, "example")
>>> small.search.budget, small == cfg, small.evolution == cfg.evolution
(5, False, True)
>>> load_config(overrides={"search": {"budget": -1}})
Traceback (most recent call last):
...
symopt.errors.UserError: command line: key 'search.budget' must be >= 0, got -1
>>> load_config(overrides={"search": {"time": float("nan")}})
Traceback (most recent call last):
...
symopt.errors.UserError: command line: key 'search.time' must be a finite number, got nan
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import typing
from importlib import resources
from typing import Any

import tomli_w

from filekit.toml import load_toml, parse_toml
from symopt.errors import UserError

DEFAULT_NAME = "search.toml"


@dataclasses.dataclass(frozen=True)
class SearchSection:
    """``[search]``: what is searched, from where, for how long, and where the run is written."""

    space: str
    seed_program: str
    budget: int
    time: float
    seed: int
    run_dir: str
    lr_linear: bool


@dataclasses.dataclass(frozen=True)
class EvolutionSection:
    """``[evolution]``: the regularized evolution (see :class:`symopt.search.options.EvolveOptions`)."""

    population: int
    tournament: int
    niche_limit: int
    islands: int
    migrate_every: int
    restart_seed_every: int
    restart_best_plateau: int
    tune_variants: int
    device_population: int


@dataclasses.dataclass(frozen=True)
class FunnelSection:
    """``[funnel]``: the evaluation funnel, promotion through it, and meta-validation."""

    name: str
    lr_grid: tuple[float, ...]
    search_stages: int
    rank: str
    window: int
    promote_margin: float
    meta_every: int
    meta_top: int
    heldout: bool
    heldout_stage: str


@dataclasses.dataclass(frozen=True)
class RaySection:
    """``[ray]``: the worker pool."""

    workers: int
    address: str
    gpus_per_worker: float
    batch_size: int
    in_flight: int
    batch_deadline: float
    max_restarts: int
    device_batch_size: int


@dataclasses.dataclass(frozen=True)
class EvaluationSection:
    """``[evaluation]``: how programs are trained (see :mod:`symopt.evaluation.strategies`)."""

    strategy: str


@dataclasses.dataclass(frozen=True)
class RunSection:
    """``[run]``: checkpoints and the hall of fame of the run directory."""

    checkpoint_every: int
    checkpoint_seconds: float
    hall_of_fame: int


@dataclasses.dataclass(frozen=True)
class Config:
    """A resolved, validated search config (build it with :func:`load_config`, :meth:`from_dict` or
    :meth:`override`; equal by value, picklable)."""

    search: SearchSection
    evolution: EvolutionSection
    funnel: FunnelSection
    ray: RaySection
    run: RunSection
    evaluation: EvaluationSection

    @classmethod
    def from_dict(cls, data: dict, where: str) -> Config:
        """The config of a complete ``{section: {key: value}}`` dict (every section and key, as
        :meth:`to_dict` gives); unknown or missing keys, wrong types and bad values raise UserError."""
        typed = _typed_tables(data, where)
        for section, section_cls in _SECTIONS.items():
            for key in _fields(section_cls):
                if key not in typed.get(section, {}):
                    raise UserError(f"{where}: missing key '{section}.{key}'")
        cfg = cls(**{section: section_cls(**typed[section]) for section, section_cls in _SECTIONS.items()})
        validate(cfg, where)
        grid = tuple(float(x) for x in cfg.funnel.lr_grid)
        return dataclasses.replace(cfg, funnel=dataclasses.replace(cfg.funnel, lr_grid=grid))

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """A plain nested dict (``lr_grid`` a list): what :func:`dumps` writes as TOML."""
        return {section: {key: list(value) if isinstance(value, tuple) else value
                          for key, value in dataclasses.asdict(getattr(self, section)).items()}
                for section in _SECTIONS}

    def override(self, overrides: dict, where: str) -> Config:
        """This config with ``overrides`` ({section: {key: value}}) applied and validated (see :func:`merge`)."""
        return merge(self, overrides, where)


_SECTIONS: dict[str, type] = {"search": SearchSection, "evolution": EvolutionSection, "funnel": FunnelSection,
                              "ray": RaySection, "run": RunSection, "evaluation": EvaluationSection}

# Keys that must be >= 0 / > 0 (section, key).
_NON_NEGATIVE = {
    ("search", "budget"), ("search", "time"), ("evolution", "niche_limit"), ("evolution", "restart_seed_every"),
    ("evolution", "restart_best_plateau"), ("funnel", "window"), ("funnel", "meta_every"), ("funnel", "meta_top"),
    ("ray", "workers"), ("ray", "gpus_per_worker"), ("ray", "max_restarts"), ("funnel", "promote_margin"),
    ("evolution", "migrate_every"), ("evolution", "tune_variants"), ("funnel", "search_stages"),
    ("search", "seed"),
}
_POSITIVE = {
    ("evolution", "population"), ("evolution", "tournament"), ("ray", "batch_size"), ("ray", "in_flight"),
    ("ray", "batch_deadline"), ("run", "checkpoint_every"), ("run", "hall_of_fame"), ("evolution", "islands"),
    ("run", "checkpoint_seconds"), ("ray", "device_batch_size"), ("evolution", "device_population"),
}
_CHOICES = {("funnel", "rank"): ("ratio", "stage"), ("funnel", "heldout_stage"): ("highest", "A", "B", "C"),
            ("evaluation", "strategy"): ("auto", "interpreted", "compiled", "population")}


@functools.cache
def _fields(section_cls: type) -> dict[str, Any]:
    """Field name -> annotated type of a section, in declaration order."""
    hints = typing.get_type_hints(section_cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(section_cls)}


def _typed(where: str, key: str, want: Any, value: Any) -> Any:
    """``value`` checked against the annotated type ``want`` (an int is a float; a list is a tuple,
    its items checked by :func:`validate`)."""
    if typing.get_origin(want) is tuple:
        ok, name = isinstance(value, (list, tuple)), "list"
        value = tuple(value) if ok else value
    else:
        name = want.__name__
        if want is bool:
            ok = isinstance(value, bool)
        elif want is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif want is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            value = float(value) if ok else value
        else:
            ok = isinstance(value, want)
    if not ok:
        raise UserError(f"{where}: key {key!r} must be {name}, got {value!r}")
    return value


def _typed_tables(tables: dict, where: str) -> dict[str, dict[str, Any]]:
    """``tables`` ({section: {key: value}}, any subset) with each value type-checked, in their order."""
    out: dict[str, dict[str, Any]] = {}
    for section, table in tables.items():
        if section not in _SECTIONS:
            raise UserError(f"{where}: unknown section {section!r} (known: {', '.join(_SECTIONS)})")
        if not isinstance(table, dict):
            raise UserError(f"{where}: {section!r} must be a table")
        fields = _fields(_SECTIONS[section])
        for key, value in table.items():
            if key not in fields:
                raise UserError(f"{where}: unknown key {f'{section}.{key}'!r} (known: {', '.join(fields)})")
            out.setdefault(section, {})[key] = _typed(where, f"{section}.{key}", fields[key], value)
    return out


def default_config() -> Config:
    """The shipped defaults (``symopt/configs/search.toml``)."""
    res = resources.files("symopt") / "configs" / DEFAULT_NAME
    return Config.from_dict(parse_toml(res.read_bytes(), str(res), error=UserError), str(res))


def read_file(path: str | os.PathLike) -> dict:
    """The overrides in the TOML file at ``path``, unchecked (see :func:`merge`); one-line UserError
    for a missing, unreadable or malformed file."""
    return load_toml(path, what="config", error=UserError)


def merge(base: Config, overrides: dict, where: str) -> Config:
    """``base`` with ``overrides`` ({section: {key: value}}) applied; unknown sections/keys, wrong types
    and bad values raise UserError naming ``where``."""
    data = base.to_dict()
    for section, table in _typed_tables(overrides, where).items():
        data[section].update(table)
    return Config.from_dict(data, where)


def validate(cfg: Config, where: str) -> None:
    """Raise UserError (naming ``where`` and the key) for a value out of its range."""
    def get(section: str, key: str) -> Any:
        return getattr(getattr(cfg, section), key)

    for section, section_cls in _SECTIONS.items():
        for key, want in _fields(section_cls).items():
            if want is float and not math.isfinite(get(section, key)):
                raise UserError(f"{where}: key '{section}.{key}' must be a finite number, got {get(section, key)!r}")
    for section, key in _NON_NEGATIVE:
        if get(section, key) < 0:
            raise UserError(f"{where}: key '{section}.{key}' must be >= 0, got {get(section, key)!r}")
    for section, key in _POSITIVE:
        if get(section, key) <= 0:
            raise UserError(f"{where}: key '{section}.{key}' must be > 0, got {get(section, key)!r}")
    for (section, key), allowed in _CHOICES.items():
        if get(section, key) not in allowed:
            raise UserError(f"{where}: key '{section}.{key}' must be one of {', '.join(allowed)}, "
                            f"got {get(section, key)!r}")
    grid = cfg.funnel.lr_grid
    if not grid or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0
                            for x in grid):
        raise UserError(f"{where}: key 'funnel.lr_grid' must be a non-empty list of positive numbers, "
                        f"got {list(grid)!r}")
    ev = cfg.evolution
    if ev.islands > ev.population:
        raise UserError(f"{where}: key 'evolution.islands' exceeds 'evolution.population'")
    if ev.tournament > ev.population // ev.islands:
        raise UserError(f"{where}: key 'evolution.tournament' exceeds 'evolution.population'"
                        + (" / 'evolution.islands'" if ev.islands > 1 else ""))


def load_config(path: str | os.PathLike | None = None, overrides: dict | None = None) -> Config:
    """Defaults, then the TOML file at ``path``, then ``overrides`` ({section: {key: value}})."""
    cfg = default_config()
    if path is not None:
        cfg = merge(cfg, read_file(path), os.fspath(path))
    if overrides:
        cfg = merge(cfg, overrides, "command line")
    return cfg


def dumps(cfg: Config) -> str:
    """The resolved config as TOML text (what ``config.toml`` of a run holds)."""

    return tomli_w.dumps(cfg.to_dict())

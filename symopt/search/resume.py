"""Resuming a run: everything that must hold is checked before any file of the run is touched.

:func:`plan` only reads: the run's configuration must still be the one its log was made with (the keys
of :func:`identity`, which ``identity.json`` holds since the run started, and the seed program the log
starts from); the checkpoint and every complete log line must be intact; an unfinished last line
must look like the start of a record (a killed writer's), not like foreign bytes.  Only then does
:func:`apply` write: the configuration with the allowed overrides, the log without its torn line.

When the log holds fewer candidates than the checkpoint counts (its last line was torn after the
final checkpoint), the run is rebuilt from the log (:func:`symopt.search.checkpoints.recover`), so
the torn candidate's ``eval_id`` is evaluated again: no gap.
"""

from __future__ import annotations

import dataclasses
import os
import warnings

from search_space.hashing import functional_hash
from search_space.seeds import load_seed
from symopt.config import Config, default_config, dumps, merge
from symopt.errors import UserError
from symopt.rundir import CONFIG, RunDir

IDENTITY_KEYS = {  # section -> keys (None: every key of the section)
    "search": ("space", "seed_program", "seed", "lr_linear"), "evolution": None, "funnel": None,
}


def identity(cfg: Config) -> dict:
    """The configuration keys that define a run's results, and the functional hash of its seed program.

    The hash is there because a seed file may change under its name.

    Args:
      cfg: the resolved configuration.

    Returns:
      ``{"section.key": value}`` for the keys of ``IDENTITY_KEYS``, plus ``"seed_program.hash"``.

    >>> from symopt.config import load_config
    >>> keys = identity(load_config())
    >>> keys["funnel.name"], keys["search.seed"], "search.budget" in keys
    ('default', 0, False)
    """
    data = cfg.to_dict()
    keys = {f"{section}.{key}": value for section, wanted in IDENTITY_KEYS.items()
            for key, value in data[section].items() if wanted is None or key in wanted}
    keys["seed_program.hash"] = functional_hash(load_seed(cfg.search.seed_program))
    return keys


def resume_config(path: str | os.PathLike, overrides: dict | None = None) -> Config:
    """The resolved config of the run at ``path`` with ``overrides`` applied (nothing is written).

    Args:
      path: the run directory.
      overrides: ``{section: {key: value}}`` from the command line.

    Returns:
      The configuration: the defaults, the run's ``config.toml``, then the overrides.
    """
    rundir = RunDir.open(path)
    cfg = merge(default_config(), rundir.config(), str(rundir.child(CONFIG)))
    return merge(cfg, overrides, "command line") if overrides else cfg


@dataclasses.dataclass
class Plan:
    """What a resume starts from.

    Attributes:
      state: the checkpoint's state (``None``: rebuild from the log).
      records: the log's records.
      torn: the log's unfinished last line (empty when none).
    """

    state: dict | None
    records: list[dict]
    torn: bytes


def _check_identity(rundir: RunDir, cfg: Config, records: list[dict]) -> None:
    where = rundir.child(CONFIG)
    now = identity(cfg)
    for key, was in (rundir.identity() or {}).items():
        if key in now and now[key] != was:
            raise UserError(f"{where}: key '{key}' is {now[key]!r} but the run was started with {was!r} (its log "
                            "holds that configuration's results); resume cannot change it")
    if records and records[0].get("eval_id") == 0 and records[0].get("hash") != now["seed_program.hash"]:
        raise UserError(f"{where}: key 'search.seed_program' ({cfg.search.seed_program}) is not the program the "
                        f"log starts from ({records[0].get('hash')}); resume cannot change it")


def plan(rundir: RunDir, cfg: Config) -> Plan:
    """Check that the run at ``rundir`` can be resumed with ``cfg``, reading only (see the module docstring).

    Args:
      rundir: the run directory.
      cfg: the configuration the run continues with.

    Returns:
      The :class:`Plan`.

    Raises:
      UserError: a key of :func:`identity` or the seed program differs from the run's, the log is
        damaged, or it holds fewer candidates than the checkpoint counts.
    """
    state = rundir.checkpoint()
    torn = rundir.torn_tail()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # the torn line is reported once, when it is cut
        records = rundir.evaluations()
    log = rundir.child("evaluations.jsonl")
    if torn and not torn.lstrip().startswith(b"{"):
        line = len(records) + 1
        raise UserError(f"{log}:{line}: damaged log line (not the start of a record); cannot resume from it")
    _check_identity(rundir, cfg, records)
    if state is None:
        return _rebuilt(log, records, torn)
    counted = state.get("counters", {}).get("candidates", 0) if isinstance(state.get("counters"), dict) else 0
    logged = sum(1 for r in records if isinstance(r.get("eval_id"), int) and r["eval_id"] < counted)
    if logged < counted:
        if not torn:
            raise UserError(f"{log}: holds {logged} of the {counted} candidates the checkpoint counts; "
                            "cannot resume from it")
        return _rebuilt(log, records, torn)     # the torn line was counted: rebuild from the log, re-run it
    return Plan(state, records, torn)


def _rebuilt(log, records: list[dict], torn: bytes) -> Plan:
    """A plan that rebuilds the search from the log alone, which must then hold eval_id 0, 1, ... in order."""
    ids = sorted(r.get("eval_id") if isinstance(r.get("eval_id"), int) else -1 for r in records)
    if ids != list(range(len(ids))):
        missing = next(k for k, i in enumerate(ids + [None]) if i != k)
        raise UserError(f"{log}: has no eval_id {missing} in order; it cannot be replayed")
    return Plan(None, records, torn)


def apply(rundir: RunDir, cfg: Config, p: Plan) -> None:
    """The writes of a resume that :func:`plan` accepted: the config (with its overrides), the torn line cut.

    Args:
      rundir: the run directory.
      cfg: the configuration the run continues with (written when it differs).
      p: the plan.
    """
    if dumps(cfg) != rundir.child(CONFIG).read_text(encoding="utf-8"):
        rundir.write_config(dumps(cfg))
    if p.torn:
        rundir.repair_log()

"""Reading and validating ``configs/tasks.toml``.

Every task entry is checked against a schema (field -> type, default) chosen by its
``family`` and ``model``; anything unknown, mistyped or out of range is a ``ValueError`` with a
one-line message naming the file, the task and the field.
"""
from __future__ import annotations

import functools
import os
from typing import Any

from filekit.toml import load_toml

from .schedules import SCHEDULES

CONFIG_DIR = os.path.join(os.path.dirname(__file__), "configs")
DATA_DIR = os.path.join(os.path.dirname(__file__), "data")
TASKS_TOML = os.path.join(CONFIG_DIR, "tasks.toml")

_REQ = object()  # marks a required field

COMMON: dict[str, tuple[type, Any]] = {
    "family": (str, _REQ),
    "model": (str, _REQ),
    "description": (str, ""),
    "steps": (int, _REQ),
    "batch_size": (int, _REQ),
    "lr_schedule": (str, "cosine"),
    "warmup": (float, 0.0),
    "final_lr": (float, 0.1),
    "peak_lr": (float, 1.0),
    "data_seed": (int, 0),
}

MODELS: dict[tuple[str, str], dict[str, tuple[type, Any]]] = {
    ("lm", "transformer"): {
        "corpus": (str, "pydoc_topics"), "context": (int, 32), "d_model": (int, 32),
        "n_layers": (int, 1), "n_heads": (int, 2), "mlp_ratio": (int, 4), "n_valid": (int, 256),
    },
    ("lm", "mlp"): {
        "corpus": (str, "pydoc_topics"), "context": (int, 8), "d_embed": (int, 16),
        "hidden": (list, [128]), "n_valid": (int, 4096),
    },
    ("vision", "mlp"): {"hidden": (list, [64]), "n_valid": (int, 360)},
    ("vision", "vit"): {
        "patch": (int, 2), "d_model": (int, 32), "n_layers": (int, 1), "n_heads": (int, 2),
        "mlp_ratio": (int, 2), "n_valid": (int, 360),
    },
    ("synthetic", "linear"): {
        "dim": (int, 64), "n_out": (int, 1), "condition": (float, 1e3), "rotate": (bool, False),
        "noise": (float, 0.1), "n_train": (int, 4096), "n_valid": (int, 1024),
    },
    ("synthetic", "teacher"): {
        "dim": (int, 16), "teacher_hidden": (int, 16), "hidden": (list, [64]), "noise": (float, 0.05),
        "condition": (float, 1.0), "rotate": (bool, False), "n_train": (int, 4096), "n_valid": (int, 1024),
    },
    ("synthetic", "lanes_linear"): {
        "lanes": (int, 16), "dim": (int, 8), "n_out": (int, 1), "condition": (float, 100.0), "rotate": (bool, True),
        "noise": (float, 0.1), "noise_df": (float, 0.0), "n_train": (int, 1024), "n_valid": (int, 256),
    },
    ("synthetic", "lanes_mlp"): {
        "lanes": (int, 16), "dim": (int, 8), "n_out": (int, 1), "teacher_hidden": (int, 8), "hidden": (list, [16]),
        "condition": (float, 100.0), "rotate": (bool, True), "noise": (float, 0.1), "noise_df": (float, 0.0),
        "n_train": (int, 1024), "n_valid": (int, 256),
    },
}

FAMILIES = tuple(sorted({f for f, _ in MODELS}))
_POSITIVE = {"steps", "batch_size", "context", "d_model", "n_layers", "n_heads", "mlp_ratio", "n_valid",
             "d_embed", "patch", "dim", "n_out", "n_train", "teacher_hidden", "lanes"}


def _type_name(t: type) -> str:
    return {int: "an integer", float: "a number", str: "a string", bool: "a boolean",
            list: "a list of positive integers"}[t]


def _check_value(where: str, key: str, t: type, v: Any) -> Any:
    ok = (isinstance(v, bool) if t is bool else
          isinstance(v, int) and not isinstance(v, bool) if t is int else
          isinstance(v, (int, float)) and not isinstance(v, bool) if t is float else
          isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in v)
          if t is list else isinstance(v, t))
    if not ok:
        raise ValueError(f"{where}: field {key!r} must be {_type_name(t)}, got {v!r}")
    if key in _POSITIVE and v <= 0:
        raise ValueError(f"{where}: field {key!r} must be > 0, got {v!r}")
    return float(v) if t is float else list(v) if t is list else v


def resolve(name: str, entry: dict[str, Any], source: str = "tasks.toml") -> dict[str, Any]:
    """Validate one task entry and fill in its defaults.

    Args:
      name: the task's name.
      entry: its table in the tasks file.
      source: names the file in errors.

    Returns:
      A new plain dict: every field of the task's family and model, ``name`` included.

    Raises:
      ValueError: one line naming the file, the task and the field at fault.

    >>> resolve("t", {"family": "synthetic", "model": "linear", "steps": 10, "batch_size": 4})["lr_schedule"]
    'cosine'
    """
    where = f"{source}: task {name!r}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a table, got {type(entry).__name__}")
    for key in ("family", "model"):
        if key not in entry:
            raise ValueError(f"{where}: missing required field {key!r}")
    fam, model = entry["family"], entry["model"]
    if fam not in FAMILIES:
        raise ValueError(f"{where}: unknown family {fam!r} (expected one of {', '.join(FAMILIES)})")
    models = sorted(m for f, m in MODELS if f == fam)
    if model not in models:
        raise ValueError(f"{where}: unknown model {model!r} for family {fam!r} (expected one of {', '.join(models)})")
    schema = {**COMMON, **MODELS[(fam, model)]}
    unknown = sorted(set(entry) - set(schema))
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r} for {fam}/{model} "
                         f"(allowed: {', '.join(sorted(schema))})")
    out: dict[str, Any] = {"name": name}
    for key, (t, default) in schema.items():
        if key in entry:
            out[key] = _check_value(where, key, t, entry[key])
        elif default is _REQ:
            raise ValueError(f"{where}: missing required field {key!r}")
        else:
            out[key] = list(default) if isinstance(default, list) else default
    if out["lr_schedule"] not in SCHEDULES:
        raise ValueError(f"{where}: field 'lr_schedule' must be one of {', '.join(SCHEDULES)}, "
                         f"got {out['lr_schedule']!r}")
    if not 0.0 <= out["warmup"] < 1.0:
        raise ValueError(f"{where}: field 'warmup' must be a fraction in [0, 1), got {out['warmup']!r}")
    if out.get("condition", 1.0) < 1.0:
        raise ValueError(f"{where}: field 'condition' must be >= 1, got {out['condition']!r}")
    if out.get("noise_df", 0.0) < 0.0:
        raise ValueError(f"{where}: field 'noise_df' must be >= 0 (0: Gaussian noise), got {out['noise_df']!r}")
    if out.get("noise", 0.0) < 0.0:
        raise ValueError(f"{where}: field 'noise' must be >= 0, got {out['noise']!r}")
    if "d_model" in out and out["d_model"] % out["n_heads"]:
        raise ValueError(f"{where}: d_model ({out['d_model']}) must be divisible by n_heads ({out['n_heads']})")
    if out.get("patch") is not None and 8 % out["patch"]:
        raise ValueError(f"{where}: field 'patch' must divide 8 (digits are 8x8), got {out['patch']}")
    return out


def read_toml(path: str) -> dict[str, Any]:
    """The TOML file at ``path``.

    Args:
      path: the file.

    Returns:
      The document as nested dicts.

    Raises:
      ValueError: one line, when the file is missing, unreadable or not valid TOML.
    """
    return load_toml(path, what="config file", error=ValueError)


@functools.lru_cache(maxsize=8)
def load_task_configs(path: str = TASKS_TOML) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Parse and validate a tasks file (cached per path).

    Args:
      path: the tasks file (default: the shipped ``configs/tasks.toml``).

    Returns:
      ``(tasks, corpora)``: every task resolved (:func:`resolve`), by name; the corpora tables, by name.

    Raises:
      ValueError: one line naming the file and what is wrong.
    """
    src = os.path.basename(path)
    raw = read_toml(path)
    extra = sorted(set(raw) - {"tasks", "corpora"})
    if extra:
        raise ValueError(f"{src}: unknown top-level table {extra[0]!r} (expected 'tasks' and 'corpora')")
    corpora = raw.get("corpora", {})
    for key in ("tasks", "corpora"):
        if not isinstance(raw.get(key, {}), dict):
            raise ValueError(f"{src}: {key!r} must be a table of tables")
    for cname, c in corpora.items():
        if not isinstance(c, dict):
            raise ValueError(f"{src}: corpus {cname!r} must be a table")
        bad = sorted(set(c) - {"file", "sha256", "source", "licence"})
        if bad or "file" not in c or "sha256" not in c:
            raise ValueError(f"{src}: corpus {cname!r} needs string fields 'file' and 'sha256' "
                             f"(optional 'source', 'licence'){'; unknown ' + repr(bad[0]) if bad else ''}")
    tasks = {n: resolve(n, e, src) for n, e in raw.get("tasks", {}).items()}
    for n, t in tasks.items():
        if "corpus" in t and t["corpus"] not in corpora:
            raise ValueError(f"{src}: task {n!r}: unknown corpus {t['corpus']!r} "
                             f"(defined: {', '.join(sorted(corpora)) or 'none'})")
    return tasks, corpora

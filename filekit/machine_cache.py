"""Per-machine cache files: small JSON stores in a private, user-owned directory.

What one process measures or trains once per machine (which evaluation strategy is faster for a
task, the tuned reference's losses) is kept in JSON files in :func:`cache_dir`, next to JAX's
persistent compilation cache, so that the next process on the machine reads it instead of doing
the work again.  A cache is never an error: a missing or damaged file reads as ``{}``, a write
that fails (a read-only directory) is skipped, and every write replaces the whole file atomically
(:func:`filekit.atomic.write_atomic`), so concurrent writers each leave a complete file.

>>> import os, tempfile
>>> from unittest import mock
>>> with mock.patch.dict(os.environ, SYMOPT_CACHE_DIR=tempfile.mkdtemp()):
...     write("notes.json", {"a": 1})
...     read("notes.json"), read("missing.json")
({'a': 1}, {})
"""

from __future__ import annotations

import json
import os

from filekit.atomic import write_atomic


def cache_dir() -> str:
    """The private per-machine cache directory (it may not exist yet).

    Returns:
      ``$SYMOPT_CACHE_DIR/jax``, or ``~/.cache/symopt/jax`` when the variable is unset or empty.

    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, SYMOPT_CACHE_DIR="/tmp/c"):
    ...     cache_dir()
    '/tmp/c/jax'
    """
    root = os.environ.get("SYMOPT_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "symopt")
    return os.path.join(root, "jax")


def path(name: str) -> str:
    """The path of the store ``name``.

    Args:
      name: the store's file name, e.g. ``"strategies.json"``.

    Returns:
      ``name`` in :func:`cache_dir`.
    """
    return os.path.join(cache_dir(), name)


def read(name: str) -> dict:
    """The contents of the store ``name``.

    Args:
      name: the store's file name.

    Returns:
      The JSON object stored, or ``{}`` when the file is missing, unreadable, damaged or not an object.
    """
    try:
        with open(path(name), encoding="utf-8") as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def write(name: str, data: dict) -> None:
    """Replace the store ``name`` with ``data`` (atomically; the directory is created private, mode 0700).

    A write that fails (a read-only directory, a full disk) is skipped: the cache costs the work
    again next time, nothing else.

    Args:
      name: the store's file name.
      data: a JSON-able dict.
    """
    target = path(name)
    try:
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        write_atomic(target, json.dumps(data, indent=1, sort_keys=True))
    except OSError:
        pass

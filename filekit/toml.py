r"""Reading TOML input files with errors that say where the problem is.

Every TOML file a user hands to the project (a search space, a search config, a run's ``config.toml``,
the proxies' task and funnel tables) is read here, so a bad one reads the same everywhere: one line
naming the file and, where the parser knows it, the line and column::

    spaces/bad.toml:3:9: invalid TOML: Invalid value
    spaces/bad.toml:1:7: not UTF-8 text
    spaces/missing.toml: cannot read search space (No such file or directory)

The error class is the caller's (``error=``, ``ValueError`` by default), so each package raises its
own error type (``search_space`` and ``symopt`` their ``InputError``, ``proxies`` ``ValueError``).

>>> parse_toml(b'[search]\nbudget = 5\n', "config.toml")
{'search': {'budget': 5}}
"""

from __future__ import annotations

import os
import re
import tomllib
from typing import Any

_AT = re.compile(r"^(?P<reason>.*?) \(at line (?P<line>\d+), column (?P<col>\d+)\)$", re.S)
_AT_END = re.compile(r"^(?P<reason>.*?) \(at end of document\)$", re.S)


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of byte ``offset`` in ``data``."""
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def _located(reason: str, data: bytes) -> tuple[str, tuple[int, int] | None]:
    """Split tomllib's ``"reason (at line L, column C)"`` into the reason and ``(L, C)``."""
    m = _AT.match(reason)
    if m:
        return m["reason"], (int(m["line"]), int(m["col"]))
    m = _AT_END.match(reason)
    if m:
        return m["reason"], _position(data, len(data))
    return reason, None


def parse_toml(data: bytes | str, where: str, *, error: type[Exception] = ValueError) -> dict[str, Any]:
    r"""Parse TOML ``data`` read from ``where`` (a file name, used in the error message).

    Args:
      data: the file's bytes (must be UTF-8) or its text.
      where: names the input in errors, e.g. the file's path.
      error: the exception class raised for bad input (one line: ``where:line:col: reason``).

    Returns:
      The TOML document as nested dicts.

    >>> parse_toml("a = [1, 2]", "x.toml")
    {'a': [1, 2]}
    >>> parse_toml(b"a = \xff", "x.toml", error=ValueError)
    Traceback (most recent call last):
    ...
    ValueError: x.toml:1:5: not UTF-8 text
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    try:
        text = data if isinstance(data, str) else data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _position(raw, exc.start)
        raise error(f"{where}:{line}:{col}: not UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason, at = _located(str(exc), raw)
        place = f"{where}:{at[0]}:{at[1]}" if at else where
        raise error(f"{place}: invalid TOML: {reason}") from None


def load_toml(path: str | os.PathLike, *, what: str = "TOML file",
              error: type[Exception] = ValueError) -> dict[str, Any]:
    """Read and parse the TOML file at ``path``.

    Args:
      path: the file.
      what: what the file is, for the error when it cannot be read (``"search space"``, ``"config"``).
      error: the exception class raised for a missing, unreadable or malformed file.

    Returns:
      The TOML document as nested dicts.

    Raises:
      error: one line: ``PATH: cannot read WHAT (reason)`` or ``PATH:line:col: invalid TOML: reason``.

    >>> load_toml("/no/such/file.toml", what="config", error=ValueError)
    Traceback (most recent call last):
    ...
    ValueError: /no/such/file.toml: cannot read config (No such file or directory)
    """
    where = os.fspath(path)
    try:
        with open(where, "rb") as fh:
            data = fh.read()
    except OSError as exc:      # missing, a directory, no permission, ...
        raise error(f"{where}: cannot read {what} ({exc.strerror or exc})") from None
    return parse_toml(data, where, error=error)

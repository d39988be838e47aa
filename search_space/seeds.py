"""Seed programs shipped with the package (``search_space/seeds/*.program``)."""

from __future__ import annotations

import os
from importlib import resources

from search_space.errors import ProgramError
from search_space.parser import parse, parse_file, read_text
from search_space.program import Program


def seed_names() -> list[str]:
    """Names of the shipped seed programs.

    Returns:
      The names, sorted (``adamw``, ``lion``, ``program2``, ...).

    >>> "adamw" in seed_names()
    True
    """
    root = resources.files("search_space") / "seeds"
    return sorted(p.name[: -len(".program")] for p in root.iterdir() if p.name.endswith(".program"))


def seed_text(name: str) -> str:
    """The text of the shipped seed program ``name``.

    Args:
      name: a name of :func:`seed_names`.

    Returns:
      The program's text.

    Raises:
      ProgramError: no seed has that name (the error lists the known ones).
    """
    path = resources.files("search_space") / "seeds" / f"{name}.program"
    if not path.is_file():
        raise ProgramError(f"no seed program named {name!r} (known: {', '.join(seed_names())})")
    return path.read_text(encoding="utf-8")


def load_seed(name_or_path: str | os.PathLike) -> Program:
    """A shipped seed program by name or any program file by path.

    Args:
      name_or_path: a name of :func:`seed_names` (``"adamw"``, ``"lion"``, ...) or a ``.program`` file.

    Returns:
      The parsed program; a bad file is a one-line :class:`ProgramError` naming it.

    >>> load_seed("signsgd").update
    'update'
    """
    text = os.fspath(name_or_path)
    if _is_path(text):
        return parse_file(text)
    return parse(seed_text(text), file=f"<seed {text}>")


def seed_source(name_or_path: str | os.PathLike) -> tuple[Program, str, str]:
    """``(program, text, where)`` of a seed name or program file, read as :func:`load_seed` reads it.

    Args:
      name_or_path: a seed name or a program file.

    Returns:
      The program, its text, and what names it in errors (the path, or ``<seed NAME>``).

    >>> seed_source("lion")[2]
    '<seed lion>'
    """
    name = os.fspath(name_or_path)
    if _is_path(name):
        text = read_text(name)
        return parse(text, file=name), text, name
    text = seed_text(name)
    return parse(text, file=f"<seed {name}>"), text, f"<seed {name}>"


def _is_path(text: str) -> bool:
    return os.sep in text or text.endswith(".program") or os.path.exists(text)

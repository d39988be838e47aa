"""TOML input for ``search_space``: :mod:`located_toml` raising :class:`~search_space.errors.InputError`.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "space.toml")
>>> _ = open(path, "w").write('name = "compact"\\nmax_statements = \\n')
>>> load_toml(path, what="search space")
Traceback (most recent call last):
...
search_space.errors.InputError: ...space.toml:2:18: invalid TOML: Invalid value
"""
from __future__ import annotations

import functools

import located_toml
from search_space.errors import InputError

parse_toml = functools.partial(located_toml.parse_toml, error=InputError)
load_toml = functools.partial(located_toml.load_toml, error=InputError)

__all__ = ["load_toml", "parse_toml"]

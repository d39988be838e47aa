"""File helpers shared by ``proxies``, ``search_space`` and ``symopt``; the standard library only.

* :mod:`filekit.toml`: TOML input whose errors name the file, line and column.
* :mod:`filekit.atomic`: replacing a file atomically (readers see the old file or the new one).
* :mod:`filekit.nonfinite`: ``inf`` written to JSON as ``null`` and read back as ``inf``.
* :mod:`filekit.machine_cache`: per-machine JSON stores in a private cache directory.

It imports nothing from the other packages, so every one of them may import it.

>>> from filekit import inf_to_none, parse_toml
>>> inf_to_none(parse_toml("loss = inf", "x.toml"))
{'loss': None}
"""

from __future__ import annotations

from filekit.atomic import write_atomic
from filekit.nonfinite import inf_to_none, none_to_inf
from filekit.toml import load_toml, parse_toml

__all__ = ["inf_to_none", "load_toml", "none_to_inf", "parse_toml", "write_atomic"]

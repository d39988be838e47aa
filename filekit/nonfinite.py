"""Non-finite numbers in JSON: ``inf`` is written as ``null`` and read back as ``inf``.

JSON has no infinity, and a fitness or loss of ``math.inf`` (an invalid or diverged program) is common.
Every JSON file and JSON output of symopt (run logs, checkpoints, hall of fame, provenance, ``--json``)
writes non-finite floats as ``null`` with :func:`inf_to_none` and reads ``null`` back as ``math.inf``
(the worst value: lower is better everywhere) with :func:`none_to_inf`.

>>> import json, math
>>> text = json.dumps(inf_to_none({"A": 0.5, "B": math.inf}), allow_nan=False)
>>> text
'{"A": 0.5, "B": null}'
>>> {k: none_to_inf(v) for k, v in json.loads(text).items()}
{'A': 0.5, 'B': inf}
"""

from __future__ import annotations

import math
import numbers
from typing import Any


def inf_to_none(value: Any) -> Any:
    """``value`` with every non-finite float replaced by ``None``, through dicts, lists and tuples.

    Args:
      value: a float, or a dict / list / tuple nesting them; other values pass unchanged.

    Returns:
      The same structure (tuples become lists, as JSON has no tuples; NumPy floats become floats).

    >>> inf_to_none([1.0, float("nan"), (2, -math.inf)]), inf_to_none(math.inf), inf_to_none("x")
    ([1.0, None, [2, None]], None, 'x')
    >>> import numpy as np
    >>> inf_to_none({"A": np.float32(0.5), "B": np.float32("inf")})
    {'A': 0.5, 'B': None}
    """
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: inf_to_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [inf_to_none(v) for v in value]
    return value


def none_to_inf(value: float | None) -> float:
    """A JSON number as a float: ``None`` (and any non-finite value) is ``math.inf``, the worst score.

    Args:
      value: a number or ``None``.

    Returns:
      ``float(value)``, or ``math.inf`` for ``None``, NaN and infinities.

    >>> none_to_inf(None), none_to_inf(2), none_to_inf(float("nan"))
    (inf, 2.0, inf)
    """
    if value is None:
        return math.inf
    value = float(value)
    return value if math.isfinite(value) else math.inf

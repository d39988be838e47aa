"""One dispatcher for the function table: how each *kind* of function is evaluated.

Every executor of the language (the NumPy row executor :mod:`search_space.rows`, the JAX
reference :mod:`search_space.execute`, a JAX interpreter over flat vectors) evaluates a function
of :data:`search_space.ops.OPS` the same way, given three things of its own:

``xp``         the array module the function's implementation is written against (``numpy``,
               ``jax.numpy``, or one that applies each function leaf by leaf);
``tree_sum``   ``t -> the sum of t over the whole parameter tree`` (a scalar);
``leaf_sum``   ``t -> the sum of t over each parameter tensor``, broadcast back over it
               (or kept one value per tensor, if the executor's values allow that).

The kinds (see :mod:`search_space.ops`):

``constant``     ``impl(xp)``
``elementwise``  ``impl(xp, *args)``
``reduce``       ``finish(xp, sums, *args)``, each of ``terms(xp, *args)`` summed by ``tree_sum``
``tree_scale``   the same (the result is a tensor: ``finish`` scales an argument)
``leaf_reduce``  the same with ``leaf_sum``

The result is returned as the implementation computes it: the caller broadcasts it over the
parameters and casts it to its dtype where its representation needs that.

>>> import numpy as np
>>> from search_space.ops import OPS
>>> x = np.array([3.0, 4.0], np.float32)
>>> apply(OPS["global_norm"], [x], np, np.sum, np.sum)
np.float32(5.0)
>>> apply(OPS["add"], [x, np.float32(1.0)], np, np.sum, np.sum)
array([4., 5.], dtype=float32)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from search_space.ops import Op

Sum = Callable[[Any], Any]


def bind(op: Op, xp: Any, tree_sum: Sum, leaf_sum: Sum) -> Callable[..., Any]:
    """The function ``f(*args)`` that evaluates ``op`` for an executor (the kind is resolved once).

    Args:
      op: a function of the table (:data:`search_space.ops.OPS`).
      xp: the array module its implementation is called with.
      tree_sum: sums one term over the whole parameter tree (``reduce`` and ``tree_scale``).
      leaf_sum: sums one term over each parameter tensor (``leaf_reduce``).

    Returns:
      ``f(*args)``, taking ``op.arity`` arguments (values of the executor: arrays of ``xp``, or
      scalars) and returning the raw result (not broadcast, not cast).

    >>> import numpy as np
    >>> from search_space.ops import OPS
    >>> norm = bind(OPS["norm"], np, np.sum, lambda t: np.sum(t, axis=-1, keepdims=True))
    >>> norm(np.array([[3.0, 4.0], [0.0, 1.0]])).tolist()
    [[5.0], [1.0]]
    """
    if op.kind in ("constant", "elementwise"):
        return functools.partial(op.impl, xp)
    if op.kind in ("reduce", "tree_scale"):
        summing = tree_sum
    elif op.kind == "leaf_reduce":
        summing = leaf_sum
    else:
        raise ValueError(f"unknown kind {op.kind!r} of function {op.name!r}")
    terms, finish = op.impl_terms, op.impl_finish

    def reduced(*args):
        return finish(xp, tuple(summing(t) for t in terms(xp, *args)), *args)

    return reduced


def apply(op: Op, args: Sequence[Any], xp: Any, tree_sum: Sum, leaf_sum: Sum) -> Any:
    """Evaluate ``op`` on ``args`` (:func:`bind`, called once).

    Args:
      op: a function of the table.
      args: its ``op.arity`` arguments.
      xp: the array module its implementation is called with.
      tree_sum: sums one term over the whole parameter tree.
      leaf_sum: sums one term over each parameter tensor.

    Returns:
      The raw result (the caller broadcasts and casts).

    >>> import numpy as np
    >>> from search_space.ops import OPS
    >>> float(apply(OPS["get_pi"], [], np, np.sum, np.sum))
    3.1415927410125732
    """
    return bind(op, xp, tree_sum, leaf_sum)(*args)

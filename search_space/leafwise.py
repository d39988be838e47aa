"""Tensors as lists of leaves, with arithmetic and array functions applied leaf by leaf.

The reference executor (:mod:`search_space.execute`) keeps a tensor as one array per parameter
leaf (the leaves differ in shape).  :class:`Leaves` wraps such a list so that the function
table's implementations, written against an array module ``xp``, run on it unchanged: the
operators ``+ - * /`` and unary ``-`` and every function of :class:`LeafwiseModule` apply to each
leaf in turn, a scalar operand (anything that is not :class:`Leaves`) taking part in each.

>>> import numpy as np
>>> x = Leaves([np.array([1.0, -2.0]), np.array(3.0)])
>>> y = 1.0 - LeafwiseModule(np).abs(x) * 2.0
>>> [a.tolist() for a in y.arrays]
[[-1.0, -3.0], -5.0]
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any


class Leaves:
    """One array per parameter leaf; arithmetic applies leaf by leaf.

    Args:
      arrays: the leaves' arrays, in the parameter tree's order.
    """

    __slots__ = ("arrays",)
    __array_ufunc__ = None      # NumPy operands defer to the reflected operators below

    def __init__(self, arrays: Iterable[Any]):
        self.arrays = list(arrays)

    def __neg__(self) -> Leaves:
        return leafwise(operator.neg, (self,))


def leafwise(fn: Callable[..., Any], args: Sequence[Any]) -> Any:
    """``fn`` applied to each leaf of the :class:`Leaves` among ``args``.

    Args:
      fn: a function of arrays.
      args: its arguments; each is :class:`Leaves` (all of one length) or a value every leaf shares.

    Returns:
      ``fn(*args)`` when no argument is :class:`Leaves`, else :class:`Leaves` of ``fn`` on each leaf.

    >>> leafwise(max, (Leaves([1, 5]), 3)).arrays
    [3, 5]
    """
    n = next((len(a.arrays) for a in args if isinstance(a, Leaves)), None)
    if n is None:
        return fn(*args)
    return Leaves([fn(*(a.arrays[i] if isinstance(a, Leaves) else a for a in args)) for i in range(n)])


def _operators(op: Callable[[Any, Any], Any]) -> tuple[Callable, Callable]:
    def forward(self, other):
        return leafwise(op, (self, other))

    def reflected(self, other):
        return leafwise(op, (other, self))

    return forward, reflected


Leaves.__add__, Leaves.__radd__ = _operators(operator.add)
Leaves.__sub__, Leaves.__rsub__ = _operators(operator.sub)
Leaves.__mul__, Leaves.__rmul__ = _operators(operator.mul)
Leaves.__truediv__, Leaves.__rtruediv__ = _operators(operator.truediv)


class LeafwiseModule:
    """An array module whose every function applies leaf by leaf (:func:`leafwise`).

    Args:
      xp: the array module of the leaves (``jax.numpy``, ``numpy``).
    """

    def __init__(self, xp: Any):
        self._xp = xp
        self._functions: dict[str, Callable[..., Any]] = {}

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        fn = self._functions.get(name)
        if fn is None:
            array_fn = getattr(self._xp, name)
            fn = self._functions[name] = lambda *args: leafwise(array_fn, args)
        return fn

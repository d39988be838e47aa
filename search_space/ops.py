"""The function table: every function a program may call, in one place.

Each :class:`Op` carries its arity, its *kind* (how it treats the parameter
tree), one implementation written against an array module (JAX for the
reference semantics and the evaluator, NumPy for the cheap checks of the
search loop; JAX is imported on first use), how it prints, and the
algebraic facts a simplifier may rely on.  Nothing else in the project defines per-function
behaviour: the parser, type checker, interpreter, executor, simplifier and
exporters all read this table.

Kinds
-----
``constant``     0-ary, returns a scalar (``get_pi()``).
``elementwise``  applied per element; scalars broadcast.  The result is a
                 tensor when any argument is a tensor, else a scalar.
``reduce``       reduces over the *whole parameter tree* to one scalar
                 (``global_norm``, ``dot``, ``cosine_sim``).
``leaf_reduce``  reduces each parameter tensor separately and broadcasts the
                 result back over that tensor (``norm``): a tensor.
``tree_scale``   scales a tensor by a factor computed from a tree-wide
                 reduction (``clip_by_global_norm``): a tensor.

Non-elementwise ops are given as ``terms`` (elementwise arrays to be summed
over the tree or the leaf) and ``finish(sums, *args)``.  :mod:`search_space.dispatch`
evaluates every kind for every executor; each executor says how to sum.

Protected forms (as in the paper): ``log``/``log2``/``log10`` and ``sqrt``
take ``|x|`` first; division and ``reciprocal`` add ``EPS`` to the
denominator; ``clip(x, c)`` clips to ``[-|c|, |c|]``.

Facts (strings in ``Op.facts``)
-------------------------------
``commutative``    f(x, y) = f(y, x)
``odd``            f(-x) = -f(x)
``even``           f(-x) = f(x)
``idempotent``     f(f(x)) = f(x)
``involution``     f(f(x)) = x
``homogeneous``    f(c*x) = c*f(x) for c > 0 (positively homogeneous, degree 1)
``scale_invariant`` f(c*x) = f(x) for c > 0
``sign_preserving`` sign(f(x)) = sign(x) wherever f is defined
``nonnegative``    f(x) >= 0
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable

import numpy as np

EPS = 1e-8

KINDS = ("constant", "elementwise", "reduce", "leaf_reduce", "tree_scale")


def _jnp():
    import jax.numpy as jnp  # lazy: the language itself needs no JAX (the CLI and the search loop run on NumPy)

    return jnp


def _bind(f: Callable | None, xp) -> Callable | None:
    return None if f is None else functools.partial(f, xp)


@dataclasses.dataclass(frozen=True)
class Op:
    """One function of the language.

    ``impl``, ``impl_terms`` and ``impl_finish`` take the array module first
    (``numpy`` or ``jax.numpy``), so one definition serves both back ends:
    ``fn`` / ``terms`` / ``finish`` are the JAX functions (reference
    semantics), ``np_fn`` / ``np_terms`` / ``np_finish`` the NumPy ones used by
    the cheap checks of the search loop (lr probe, planted fitness).
    """

    name: str
    arity: int
    kind: str
    impl: Callable | None = None         # elementwise / constant: impl(xp, *args)
    impl_terms: Callable | None = None   # non-elementwise: impl_terms(xp, *args) -> arrays to sum
    impl_finish: Callable | None = None  # non-elementwise: impl_finish(xp, sums, *args) -> result
    infix: str | None = None             # "+", "-", "*", "/" print infix
    facts: frozenset = frozenset()
    doc: str = ""

    def has(self, fact: str) -> bool:
        """Whether the function has ``fact`` (``"commutative"``, ``"idempotent"``, ``"scale_invariant"``, ...).

        Args:
          fact: one of the facts of the module docstring.

        Returns:
          True when the fact holds.

        >>> OPS["add"].has("commutative"), OPS["sub"].has("commutative")
        (True, False)
        """
        return fact in self.facts

    @functools.cached_property
    def fn(self) -> Callable | None:
        """The JAX implementation ``fn(*args)`` (elementwise and constant functions; else None)."""
        return _bind(self.impl, _jnp())

    @functools.cached_property
    def terms(self) -> Callable | None:
        """JAX: the arrays a non-elementwise function sums over the tree, ``terms(*args)``."""
        return _bind(self.impl_terms, _jnp())

    @functools.cached_property
    def finish(self) -> Callable | None:
        """JAX: a non-elementwise function's result from the sums, ``finish(sums, *args)``."""
        return _bind(self.impl_finish, _jnp())

    @functools.cached_property
    def np_fn(self) -> Callable | None:
        """:attr:`fn` on NumPy."""
        return _bind(self.impl, np)

    @functools.cached_property
    def np_terms(self) -> Callable | None:
        """:attr:`terms` on NumPy."""
        return _bind(self.impl_terms, np)

    @functools.cached_property
    def np_finish(self) -> Callable | None:
        """:attr:`finish` on NumPy."""
        return _bind(self.impl_finish, np)


def _f(*names: str) -> frozenset:
    return frozenset(names)


def _ew(name: str, arity: int, impl: Callable, **kw) -> Op:
    return Op(name, arity, "elementwise", impl=impl, **kw)


def _div(xp, x, y):
    return x / (y + EPS)


def _clip(xp, x, c):
    c = xp.abs(c)
    return xp.clip(x, -c, c)


def _interp(xp, x, y, a):
    return (1.0 - a) * x + a * y


def _sq(xp, x):
    return (x * x,)


def _sqrt_sum(xp, s, x):
    return xp.sqrt(s[0])


def _unary(name: str, facts: frozenset = frozenset(), doc: str = "") -> Op:
    """A unary function the array modules share by name (``xp.<name>``)."""
    return _ew(name, 1, lambda xp, x: getattr(xp, name)(x), facts=facts, doc=doc)


_TABLE: list[Op] = [
    # constants
    Op("get_pi", 0, "constant", impl=lambda xp: xp.float32(math.pi), doc="pi"),
    Op("get_e", 0, "constant", impl=lambda xp: xp.float32(math.e), doc="e"),
    Op("get_eps", 0, "constant", impl=lambda xp: xp.float32(EPS), doc="1e-8"),
    # unary elementwise
    _unary("abs", _f("even", "idempotent", "homogeneous", "nonnegative")),
    _unary("cos", _f("even")),
    _unary("sin", _f("odd")),
    _unary("tan", _f("odd")),
    _unary("arcsin", _f("odd", "sign_preserving")),
    _unary("arccos"),
    _unary("arctan", _f("odd", "sign_preserving")),
    _unary("sinh", _f("odd", "sign_preserving")),
    _unary("cosh", _f("even", "nonnegative")),
    _unary("tanh", _f("odd", "sign_preserving")),
    _unary("arcsinh", _f("odd", "sign_preserving")),
    _unary("arccosh", _f("nonnegative")),
    _unary("arctanh", _f("odd", "sign_preserving")),
    _unary("exp", _f("nonnegative")),
    _unary("exp2", _f("nonnegative")),
    _ew("exp10", 1, lambda xp, x: xp.power(10.0, x), facts=_f("nonnegative")),
    _unary("expm1", _f("sign_preserving")),
    _ew("log", 1, lambda xp, x: xp.log(xp.abs(x)), facts=_f("even"), doc="log(|x|)"),
    _ew("log10", 1, lambda xp, x: xp.log10(xp.abs(x)), facts=_f("even"), doc="log10(|x|)"),
    _ew("log2", 1, lambda xp, x: xp.log2(xp.abs(x)), facts=_f("even"), doc="log2(|x|)"),
    _unary("log1p", _f("sign_preserving")),
    _ew("square", 1, lambda xp, x: x * x, facts=_f("even", "nonnegative")),
    _ew("sqrt", 1, lambda xp, x: xp.sqrt(xp.abs(x)), facts=_f("even", "nonnegative"), doc="sqrt(|x|)"),
    _ew("cube", 1, lambda xp, x: x * x * x, facts=_f("odd", "sign_preserving")),
    _unary("cbrt", _f("odd", "sign_preserving")),
    _unary("sign", _f("odd", "idempotent", "scale_invariant", "sign_preserving")),
    _ew("reciprocal", 1, lambda xp, x: 1.0 / (x + EPS), facts=_f("sign_preserving"), doc="1/(x+eps)"),
    _ew("invert", 1, lambda xp, x: 1.0 - x, facts=_f("involution"), doc="1 - x"),
    _unary("negative", _f("odd", "involution", "homogeneous")),
    # reductions and tree-wide ops
    Op("norm", 1, "leaf_reduce", impl_terms=_sq, impl_finish=_sqrt_sum,
       facts=_f("even", "homogeneous", "nonnegative"), doc="L2 norm of each parameter tensor, broadcast over it"),
    Op("global_norm", 1, "reduce", impl_terms=_sq, impl_finish=_sqrt_sum,
       facts=_f("even", "homogeneous", "nonnegative"), doc="L2 norm over the whole parameter tree"),
    Op("dot", 2, "reduce", impl_terms=lambda xp, x, y: (x * y,), impl_finish=lambda xp, s, x, y: s[0],
       facts=_f("commutative"), doc="sum of x*y over the whole tree"),
    Op("cosine_sim", 2, "reduce", impl_terms=lambda xp, x, y: (x * y, x * x, y * y),
       impl_finish=lambda xp, s, x, y: s[0] / (xp.sqrt(s[1] * s[2]) + EPS),
       facts=_f("commutative"), doc="dot(x, y) / (|x| |y| + eps) over the whole tree"),
    Op("clip_by_global_norm", 2, "tree_scale", impl_terms=lambda xp, x, c: (x * x,),
       impl_finish=lambda xp, s, x, c: x * xp.minimum(1.0, xp.abs(c) / (xp.sqrt(s[0]) + EPS)),
       doc="x scaled so that its global norm is at most |c|"),
    # binary / ternary elementwise
    _ew("interp", 3, _interp, doc="(1 - a) * x + a * y"),
    _ew("power", 2, lambda xp, x, y: xp.power(x, y)),
    _ew("clip", 2, _clip, facts=_f("sign_preserving"), doc="clip x to [-|c|, |c|]"),
    _ew("max", 2, lambda xp, x, y: xp.maximum(x, y), facts=_f("commutative", "idempotent")),
    _ew("min", 2, lambda xp, x, y: xp.minimum(x, y), facts=_f("commutative", "idempotent")),
    _ew("add", 2, lambda xp, x, y: xp.add(x, y), infix="+", facts=_f("commutative")),
    _ew("sub", 2, lambda xp, x, y: xp.subtract(x, y), infix="-"),
    _ew("mul", 2, lambda xp, x, y: xp.multiply(x, y), infix="*", facts=_f("commutative")),
    _ew("div", 2, _div, infix="/", doc="x / (y + eps)"),
]

OPS: dict[str, Op] = {op.name: op for op in _TABLE}
INFIX: dict[str, str] = {op.infix: op.name for op in _TABLE if op.infix}

# A stable numbering, used to encode programs as arrays.
OPCODES: dict[str, int] = {op.name: i for i, op in enumerate(_TABLE)}


def get_op(name: str) -> Op:
    """The function called ``name``; ``KeyError`` naming it when there is none.

    Args:
      name: a function's name.

    Returns:
      Its :class:`Op`.

    >>> get_op("interp").arity
    3
    """
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"unknown function {name!r}") from None

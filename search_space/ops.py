"""The function table: every function a program may call, in one place.

Each :class:`Op` carries its arity, its *kind* (how it treats the parameter
tree), a JAX implementation, how it prints, and the algebraic facts a
simplifier may rely on.  Nothing else in the project defines per-function
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
over the tree or the leaf) and ``finish(sums, *args)``; the executor and the
interpreter decide how to sum.

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
from typing import Callable

import jax.numpy as jnp

EPS = 1e-8

KINDS = ("constant", "elementwise", "reduce", "leaf_reduce", "tree_scale")


@dataclasses.dataclass(frozen=True)
class Op:
    name: str
    arity: int
    kind: str
    fn: Callable | None = None          # elementwise / constant implementation
    terms: Callable | None = None       # non-elementwise: args -> tuple of arrays to sum
    finish: Callable | None = None      # non-elementwise: (sums, *args) -> result
    infix: str | None = None            # "+", "-", "*", "/" print infix
    facts: frozenset = frozenset()
    doc: str = ""

    def has(self, fact: str) -> bool:
        return fact in self.facts


def _f(*names: str) -> frozenset:
    return frozenset(names)


def _div(x, y):
    return x / (y + EPS)


def _clip(x, c):
    c = jnp.abs(c)
    return jnp.clip(x, -c, c)


def _interp(x, y, a):
    return (1.0 - a) * x + a * y


def _sq(x):
    return (x * x,)


_TABLE: list[Op] = [
    # constants
    Op("get_pi", 0, "constant", fn=lambda: jnp.float32(jnp.pi), doc="pi"),
    Op("get_e", 0, "constant", fn=lambda: jnp.float32(jnp.e), doc="e"),
    Op("get_eps", 0, "constant", fn=lambda: jnp.float32(EPS), doc="1e-8"),
    # unary elementwise
    Op("abs", 1, "elementwise", fn=jnp.abs, facts=_f("even", "idempotent", "homogeneous", "nonnegative")),
    Op("cos", 1, "elementwise", fn=jnp.cos, facts=_f("even")),
    Op("sin", 1, "elementwise", fn=jnp.sin, facts=_f("odd")),
    Op("tan", 1, "elementwise", fn=jnp.tan, facts=_f("odd")),
    Op("arcsin", 1, "elementwise", fn=jnp.arcsin, facts=_f("odd", "sign_preserving")),
    Op("arccos", 1, "elementwise", fn=jnp.arccos),
    Op("arctan", 1, "elementwise", fn=jnp.arctan, facts=_f("odd", "sign_preserving")),
    Op("sinh", 1, "elementwise", fn=jnp.sinh, facts=_f("odd", "sign_preserving")),
    Op("cosh", 1, "elementwise", fn=jnp.cosh, facts=_f("even", "nonnegative")),
    Op("tanh", 1, "elementwise", fn=jnp.tanh, facts=_f("odd", "sign_preserving")),
    Op("arcsinh", 1, "elementwise", fn=jnp.arcsinh, facts=_f("odd", "sign_preserving")),
    Op("arccosh", 1, "elementwise", fn=jnp.arccosh, facts=_f("nonnegative")),
    Op("arctanh", 1, "elementwise", fn=jnp.arctanh, facts=_f("odd", "sign_preserving")),
    Op("exp", 1, "elementwise", fn=jnp.exp, facts=_f("nonnegative")),
    Op("exp2", 1, "elementwise", fn=jnp.exp2, facts=_f("nonnegative")),
    Op("exp10", 1, "elementwise", fn=lambda x: jnp.power(10.0, x), facts=_f("nonnegative")),
    Op("expm1", 1, "elementwise", fn=jnp.expm1, facts=_f("sign_preserving")),
    Op("log", 1, "elementwise", fn=lambda x: jnp.log(jnp.abs(x)), facts=_f("even"), doc="log(|x|)"),
    Op("log10", 1, "elementwise", fn=lambda x: jnp.log10(jnp.abs(x)), facts=_f("even"), doc="log10(|x|)"),
    Op("log2", 1, "elementwise", fn=lambda x: jnp.log2(jnp.abs(x)), facts=_f("even"), doc="log2(|x|)"),
    Op("log1p", 1, "elementwise", fn=jnp.log1p, facts=_f("sign_preserving")),
    Op("square", 1, "elementwise", fn=lambda x: x * x, facts=_f("even", "nonnegative")),
    Op("sqrt", 1, "elementwise", fn=lambda x: jnp.sqrt(jnp.abs(x)), facts=_f("even", "nonnegative"), doc="sqrt(|x|)"),
    Op("cube", 1, "elementwise", fn=lambda x: x * x * x, facts=_f("odd", "sign_preserving")),
    Op("cbrt", 1, "elementwise", fn=jnp.cbrt, facts=_f("odd", "sign_preserving")),
    Op("sign", 1, "elementwise", fn=jnp.sign, facts=_f("odd", "idempotent", "scale_invariant", "sign_preserving")),
    Op("reciprocal", 1, "elementwise", fn=lambda x: 1.0 / (x + EPS), facts=_f("sign_preserving"), doc="1/(x+eps)"),
    Op("invert", 1, "elementwise", fn=lambda x: 1.0 - x, facts=_f("involution"), doc="1 - x"),
    Op("negative", 1, "elementwise", fn=jnp.negative, facts=_f("odd", "involution", "homogeneous")),
    # reductions and tree-wide ops
    Op("norm", 1, "leaf_reduce", terms=_sq, finish=lambda s, x: jnp.sqrt(s[0]),
       facts=_f("even", "homogeneous", "nonnegative"), doc="L2 norm of each parameter tensor, broadcast over it"),
    Op("global_norm", 1, "reduce", terms=_sq, finish=lambda s, x: jnp.sqrt(s[0]),
       facts=_f("even", "homogeneous", "nonnegative"), doc="L2 norm over the whole parameter tree"),
    Op("dot", 2, "reduce", terms=lambda x, y: (x * y,), finish=lambda s, x, y: s[0],
       facts=_f("commutative"), doc="sum of x*y over the whole tree"),
    Op("cosine_sim", 2, "reduce", terms=lambda x, y: (x * y, x * x, y * y),
       finish=lambda s, x, y: s[0] / (jnp.sqrt(s[1] * s[2]) + EPS),
       facts=_f("commutative"), doc="dot(x, y) / (|x| |y| + eps) over the whole tree"),
    Op("clip_by_global_norm", 2, "tree_scale", terms=lambda x, c: (x * x,),
       finish=lambda s, x, c: x * jnp.minimum(1.0, jnp.abs(c) / (jnp.sqrt(s[0]) + EPS)),
       doc="x scaled so that its global norm is at most |c|"),
    # binary / ternary elementwise
    Op("interp", 3, "elementwise", fn=_interp, doc="(1 - a) * x + a * y"),
    Op("power", 2, "elementwise", fn=jnp.power),
    Op("clip", 2, "elementwise", fn=_clip, facts=_f("sign_preserving"), doc="clip x to [-|c|, |c|]"),
    Op("max", 2, "elementwise", fn=jnp.maximum, facts=_f("commutative", "idempotent")),
    Op("min", 2, "elementwise", fn=jnp.minimum, facts=_f("commutative", "idempotent")),
    Op("add", 2, "elementwise", fn=jnp.add, infix="+", facts=_f("commutative")),
    Op("sub", 2, "elementwise", fn=jnp.subtract, infix="-"),
    Op("mul", 2, "elementwise", fn=jnp.multiply, infix="*", facts=_f("commutative")),
    Op("div", 2, "elementwise", fn=_div, infix="/", doc="x / (y + eps)"),
]

OPS: dict[str, Op] = {op.name: op for op in _TABLE}
INFIX: dict[str, str] = {op.infix: op.name for op in _TABLE if op.infix}

# A stable numbering, used to encode programs as arrays.
OPCODES: dict[str, int] = {op.name: i for i, op in enumerate(_TABLE)}


def get_op(name: str) -> Op:
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"unknown function {name!r}") from None

"""Exact algebraic rewrites, driven by the facts of :mod:`search_space.ops`.

Each rule is ``rule(graph) -> (why, graph') | None``: it applies ONE rewrite
(the first match) to a copy of the graph.  Every rule preserves the update
and the live states at every step, exactly in real arithmetic; in float32 up
to rounding, with one documented exception: ``x / sqrt(x*x) -> sign(x)``
holds up to the protected division, ``x / (|x| + 1e-8)`` differs from
``sign(x)`` by a relative ``1e-8 / |x|`` (and both are 0 at ``x == 0``).
"""

from __future__ import annotations

import math

import numpy as np

from search_space.ops import OPS
from symopt.simplify import affine, signs
from symopt.simplify.graph import Graph

RULES: list = []


def rule(name: str):
    """Register the decorated function in :data:`RULES` under the step name ``name``.

    Args:
      name: the step's name in derivations.

    Returns:
      The decorator (it returns the function, with ``rule_name`` set).
    """

    def deco(fn):
        fn.rule_name = name
        RULES.append(fn)
        return fn
    return deco


def _node(g: Graph, a):
    return g.nodes.get(a) if isinstance(a, int) else None


def _is_const(a, value=None) -> bool:
    return isinstance(a, float) and (value is None or a == value)


def _fmt(g: Graph, a) -> str:
    if isinstance(a, float):
        return repr(a)
    n = g.nodes[a]
    return n.name


def _describe(g: Graph, nid: int) -> str:
    n = g.nodes[nid]
    return f"{n.name} = {n.op}({', '.join(_fmt(g, a) for a in n.args)})"


def _replaceable(g: Graph, nid: int, new, types) -> bool:
    """``new`` may stand for ``nid``: same type, and a constant never becomes a returned value."""
    if isinstance(new, float):
        return nid not in g.outputs and types[nid] == "scalar"
    return types[new] == types[nid]


def _each(g: Graph):
    types = g.types()
    for nid in g.statements():
        yield nid, g.nodes[nid], types


@rule("constant_folding")
def fold(g: Graph):
    """A statement whose arguments are all constants becomes its value (computed in float32).

    Args:
      g: the value graph of the program.

    Returns:
      ``(why, rewritten copy of g)`` for the first place the rule applies, or None.
    """
    for nid, n, _types in _each(g):
        op = OPS[n.op]
        if op.kind not in ("constant", "elementwise") or not all(isinstance(a, float) for a in n.args):
            continue
        if nid in g.outputs:
            continue
        with np.errstate(all="ignore"):
            value = float(op.np_fn(*(np.float32(a) for a in n.args)))
        if not math.isfinite(value):
            continue
        why = f"{_describe(g, nid)} has constant arguments: its value is {value!r} (computed in float32)"
        h = g.copy()
        h.replace(nid, value)
        return why, h
    return None


_IDENTITIES = {
    # op: [(constant position, constant value, result position)]
    "mul": [(1, 1.0, 0), (0, 1.0, 1)],
    "add": [(1, 0.0, 0), (0, 0.0, 1)],
    "sub": [(1, 0.0, 0)],
    "interp": [(2, 0.0, 0), (2, 1.0, 1)],
}


@rule("identity")
def identity(g: Graph):
    """``x * 1``, ``x + 0``, ``x - 0``, ``interp(x, y, 0)``, ``interp(x, y, 1)``: uses read the argument.

    Args:
      g: the value graph of the program.

    Returns:
      ``(why, rewritten copy of g)`` for the first place the rule applies, or None.
    """
    for nid, n, types in _each(g):
        for pos, value, keep in _IDENTITIES.get(n.op, ()):
            if _is_const(n.args[pos], value) and _replaceable(g, nid, n.args[keep], types):
                why = (f"{_describe(g, nid)} is its argument {_fmt(g, n.args[keep])} (x*1 = x, x+0 = x, "
                       "interp(x, y, 0) = x, interp(x, y, 1) = y); uses are renamed (copy propagation)")
                h = g.copy()
                h.replace(nid, n.args[keep])
                return why, h
    return None


@rule("square")
def square(g: Graph):
    """``x * x`` -> ``square(x)``.

    Args:
      g: the value graph of the program.

    Returns:
      ``(why, rewritten copy of g)`` for the first place the rule applies, or None.
    """
    for nid, n, _types in _each(g):
        if n.op == "mul" and isinstance(n.args[0], int) and n.args[0] == n.args[1]:
            why = f"{_describe(g, nid)}: x * x is square(x)"
            h = g.copy()
            h.nodes[nid].op, h.nodes[nid].args = "square", (n.args[0],)
            return why, h
    return None


@rule("sign_of_normalised")
def sign_of_normalised(g: Graph):
    """The sign of a value divided by its magnitude is its sign.

    ``x / sqrt(square(x))`` and ``x / abs(x)`` -> ``sign(x)`` (exact up to the protected division's eps).

    Args:
      g: the value graph of the program.

    Returns:
      ``(why, rewritten copy of g)`` for the first place the rule applies, or None.
    """
    for nid, n, _types in _each(g):
        if n.op != "div" or not isinstance(n.args[0], int):
            continue
        x, d = n.args[0], _node(g, n.args[1])
        ok = d is not None and (
            (d.op == "abs" and d.args[0] == x)
            or (d.op == "sqrt" and (_node(g, d.args[0]) is not None)
                and _node(g, d.args[0]).op == "square" and _node(g, d.args[0]).args[0] == x)
        )
        if ok and isinstance(d.args[0], int):
            why = (f"{_describe(g, nid)} divides x by |x|: x / (|x| + 1e-8) = sign(x) exactly at x == 0 and up to "
                   f"a relative 1e-8/|x| elsewhere (the protected division's eps)")
            h = g.copy()
            h.nodes[nid].op, h.nodes[nid].args = "sign", (x,)
            return why, h
    return None


@rule("scale_invariance")
def scale_invariance(g: Graph):
    """f(c * x) -> f(x) for c > 0 when f is scale_invariant (sign).

    Args:
      g: the value graph of the program.

    Returns:
      ``(why, rewritten copy of g)`` for the first place the rule applies, or None.
    """
    for nid, n, types in _each(g):
        if not OPS[n.op].has("scale_invariant"):
            continue
        inner = _node(g, n.args[0])
        if inner is None or inner.op != "mul":
            continue
        for cpos in (0, 1):
            c, x = inner.args[cpos], inner.args[1 - cpos]
            if _is_const(c) and c > 0 and isinstance(x, int) and types[x] == types[n.args[0]]:
                why = (f"{_describe(g, nid)}: {n.op}(c * x) = {n.op}(x) for the constant c = {c!r} > 0 "
                       f"({n.op} is scale invariant)")
                h = g.copy()
                h.nodes[nid].args = (x,)
                return why, h
    return None


@rule("idempotence")
def idempotence(g: Graph):
    """f(f(x)) -> f(x) for unary idempotent f (abs, sign); max(x, x), min(x, x) -> x.

    Args:
      g: the value graph of the program.

    Returns:
      ``(why, rewritten copy of g)`` for the first place the rule applies, or None.
    """
    for nid, n, _types in _each(g):
        op = OPS[n.op]
        if not op.has("idempotent"):
            continue
        if op.arity == 1:
            inner = _node(g, n.args[0])
            if inner is not None and inner.op == n.op:
                why = f"{_describe(g, nid)}: {n.op}({n.op}(x)) = {n.op}(x)"
                h = g.copy()
                h.replace(nid, n.args[0])
                return why, h
        elif op.arity == 2 and n.args[0] == n.args[1] and isinstance(n.args[0], int):
            why = f"{_describe(g, nid)}: {n.op}(x, x) = x"
            h = g.copy()
            h.replace(nid, n.args[0])
            return why, h
    return None


@rule("double_negation")
def double_negation(g: Graph):
    """f(f(x)) -> x for involutions (negative, invert).

    Args:
      g: the value graph of the program.

    Returns:
      ``(why, rewritten copy of g)`` for the first place the rule applies, or None.
    """
    for nid, n, types in _each(g):
        if not OPS[n.op].has("involution"):
            continue
        inner = _node(g, n.args[0])
        if inner is not None and inner.op == n.op and _replaceable(g, nid, inner.args[0], types):
            why = f"{_describe(g, nid)}: {n.op}({n.op}(x)) = x ({n.op} is an involution)"
            h = g.copy()
            h.replace(nid, inner.args[0])
            return why, h
    return None


def _compose(outer_args, inner_args, inner_pos):
    """interp(.., interp(x, y, a), ..) on the same operands -> (x, y, coefficient) or None."""
    x, y, a = inner_args
    if not (_is_const(a) and _is_const(outer_args[2])):
        return None
    b = outer_args[2]
    other = outer_args[1 - inner_pos]
    if inner_pos == 1 and other == x:       # (1-b) x + b((1-a) x + a y)
        return x, y, a * b
    if inner_pos == 1 and other == y:       # (1-b) y + b((1-a) x + a y)
        return x, y, 1.0 - b * (1.0 - a)
    if inner_pos == 0 and other == y:       # (1-b)((1-a) x + a y) + b y
        return x, y, 1.0 - (1.0 - a) * (1.0 - b)
    if inner_pos == 0 and other == x:       # (1-b)((1-a) x + a y) + b x
        return x, y, a * (1.0 - b)
    return None


@rule("interp_composition")
def interp_composition(g: Graph):
    """interp(x, interp(x, y, a), b) = interp(x, y, a*b), and the three other arrangements.

    Args:
      g: the value graph of the program.

    Returns:
      ``(why, rewritten copy of g)`` for the first place the rule applies, or None.
    """
    for nid, n, _types in _each(g):
        if n.op != "interp":
            continue
        for pos in (0, 1):
            inner = _node(g, n.args[pos])
            if inner is None or inner.op != "interp":
                continue
            got = _compose(n.args, inner.args, pos)
            if got is None:
                continue
            x, y, c = got
            if not math.isfinite(c):
                continue
            why = (f"{_describe(g, nid)} interpolates the same operands as {_describe(g, n.args[pos])}: "
                   f"the two interpolations compose to interp({_fmt(g, x)}, {_fmt(g, y)}, {c!r}) "
                   f"= {1.0 - c!r} * {_fmt(g, x)} + {c!r} * {_fmt(g, y)}")
            h = g.copy()
            h.nodes[nid].args = (x, y, c)
            return why, h
    return None


def _key(n) -> tuple:
    args = tuple(("n", a) if isinstance(a, int) else ("c", a) for a in n.args)
    if OPS[n.op].has("commutative"):
        args = tuple(sorted(args, key=repr))
    return n.op, args


@rule("common_subexpression")
def common_subexpression(g: Graph):
    """Two statements computing the same function of the same values are one value.

    Args:
      g: the value graph of the program.

    Returns:
      ``(why, rewritten copy of g)`` for the first place the rule applies, or None.
    """
    seen: dict = {}
    for nid, n, _types in _each(g):
        k = _key(n)
        if k in seen:
            first = seen[k]
            why = f"{_describe(g, nid)} recomputes {_describe(g, first)}: uses read the first value"
            h = g.copy()
            h.replace(nid, first)
            return why, h
        seen[k] = nid
    return None


def _register(name: str, fn) -> None:
    fn.rule_name = name
    RULES.append(fn)


for _name, _fn in affine.RULES + signs.RULES:      # the linear-dataflow and sign rules, after the ones above
    _register(_name, _fn)

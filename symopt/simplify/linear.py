r"""Linear (affine) forms of a value graph: a value as ``sum_k c_k * atom_k``.

A node is *linear* when it is ``interp``, ``+``, ``-``, ``negative``, or ``*`` / ``/`` by a
constant; expanding linear nodes gives the value as a combination of *atoms* (inputs and
non-linear nodes) with a constant term under the key :data:`ONE`.  The rules of
:mod:`symopt.simplify.affine` and :mod:`symopt.simplify.signs` rewrite programs through these forms.

>>> from search_space.parser import parse
>>> from symopt.simplify.graph import Graph
>>> g = Graph(parse("def train(w, g, m, v, lr):\n    u = interp(g, m, 0.9)\n    u = u * 2.0\n"
...                 "    update = u * lr\n    return update, m, v\n"))
>>> u = g.nodes[g.outputs[0]].args[0]
>>> sorted((g.nodes[a].name, round(k, 6)) for a, k in expand(g, u).items())
[('g', 0.2), ('m', 1.8)]
"""

from __future__ import annotations

import math

from search_space.ops import EPS
from symopt.simplify.graph import Graph

LINEAR = ("interp", "add", "sub", "mul", "div", "negative")
ONE = "1"            # the key of a form's constant term
DIGITS = 12          # significant digits of a folded coefficient


def rounded(x: float) -> float:
    """``x`` to :data:`DIGITS` significant digits (a folded coefficient prints short).

    Args:
      x: a coefficient.

    Returns:
      The rounded value.

    >>> rounded(0.1 + 0.2)
    0.3
    """
    return float(f"{x:.{DIGITS}g}")


def linear_terms(g: Graph, nid: int) -> list | None:
    """The terms of a linear node.

    Args:
      g: the value graph.
      nid: a node id (or a constant).

    Returns:
      ``[(arg, coefficient)]`` (args may repeat), or None when the node is not linear.
    """
    n = g.nodes.get(nid) if isinstance(nid, int) else None
    if n is None or n.op not in LINEAR:
        return None
    a = n.args
    if all(isinstance(x, float) for x in a):
        return None                    # constant folding's job
    if n.op == "interp":
        return None if not isinstance(a[2], float) else [(a[0], 1.0 - a[2]), (a[1], a[2])]
    if n.op in ("add", "sub"):
        return [(a[0], 1.0), (a[1], 1.0 if n.op == "add" else -1.0)]
    if n.op == "negative":
        return [(a[0], -1.0)]
    if n.op == "mul":
        for k in (0, 1):
            if isinstance(a[k], float) and not isinstance(a[1 - k], float):
                return [(a[1 - k], a[k])]
        return None
    if isinstance(a[1], float) and not isinstance(a[0], float):        # div by a constant
        return [(a[0], 1.0 / (a[1] + EPS))]
    return None


def expand(g: Graph, nid, stop=frozenset()) -> dict:
    """The linear form of node ``nid``: linear nodes expanded, ``stop`` nodes kept as atoms.

    Args:
      g: the value graph.
      nid: a node id or a constant.
      stop: node ids not expanded.

    Returns:
      ``{atom: coefficient}``; a constant term has the key :data:`ONE`.
    """
    if isinstance(nid, float):
        return {ONE: nid}
    terms = linear_terms(g, nid) if nid not in stop else None
    if terms is None:
        return {nid: 1.0}
    out: dict = {}
    for arg, c in terms:
        for atom, k in expand(g, arg, stop).items():
            out[atom] = out.get(atom, 0.0) + c * k
    return {a: k for a, k in out.items() if k != 0.0}


def is_state(g: Graph, a) -> bool:
    """Is ``a`` the node of a state input?

    Args:
      g: the value graph.
      a: a node id or a constant.

    Returns:
      True for a state input's node.
    """
    return isinstance(a, int) and g.nodes[a].op is None and g.nodes[a].name in g.states


def interp_args(g: Graph, form: dict) -> tuple | None:
    """``(x, y, a)`` with ``interp(x, y, a)`` equal to a two-atom form whose coefficients sum to 1.

    Args:
      g: the value graph.
      form: a linear form (:func:`expand`).

    Returns:
      The arguments (a state, if any, second: the recurrent operand goes last), or None.
    """
    if len(form) != 2:
        return None
    (x, p), (y, q) = form.items()
    if not math.isclose(p + q, 1.0, rel_tol=1e-12, abs_tol=1e-12):
        return None
    if is_state(g, x) and not is_state(g, y):
        (x, p), (y, q) = (y, q), (x, p)
    return x, y, rounded(q)

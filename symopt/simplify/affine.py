"""Exact rewrites of linear (affine) dataflow: moving averages in their simplest form.

The rules read values as linear forms ``sum_k c_k * atom_k`` (:mod:`symopt.simplify.linear`):

``zero_state``        a state never written stays 0 (states start at 0): its
                      reads become the constant ``0``.
``divide_by_constant`` ``x / c`` is ``x * (1 / (c + 1e-8))`` (the protected division).
``interp_orientation`` ``interp(s, x, a)`` with a state ``s`` in front is
                      ``interp(x, s, 1 - a)``: the recurrent operand goes last.
``linear_folding``    a node that reads linear nodes and whose expansion is one
                      atom (``c * x``) or two atoms with coefficients summing to 1
                      (``interp(x, y, a)``) is rewritten as that one node; chains of
                      interpolations (extrapolating coefficients included) collapse.
``rescaled_state``    a state updated as ``s' = p * x + q * s`` with ``p + q != 1`` is
                      ``k`` times the moving average ``interp(x, s, q)``
                      (``k = p / (1 - q)``): the state keeps the average, its readers
                      read ``k * s``.

All are exact in real arithmetic (float32 results differ by rounding).
"""

from __future__ import annotations

import math

from search_space.ops import EPS
from symopt.simplify.graph import Graph
from symopt.simplify.linear import ONE, expand, interp_args, is_state, linear_terms, rounded


def _orient(g: Graph):
    for nid in g.statements():
        n = g.nodes[nid]
        if n.op == "interp" and isinstance(n.args[2], float) and is_state(g, n.args[0]) \
                and not is_state(g, n.args[1]) and not isinstance(n.args[1], float):
            h = g.copy()
            h.nodes[nid].args = (n.args[1], n.args[0], rounded(1.0 - n.args[2]))
            why = (f"{g.nodes[nid].name} = interp({g.nodes[n.args[0]].name}, ..., {n.args[2]!r}) puts the state "
                   f"first: interp(x, s, a) = interp(s, x, 1 - a), so the recurrent operand goes last")
            return why, h
    return None


def _zero_state(g: Graph):
    for j, s in enumerate(g.states):
        sid = g.inputs[s]
        if g.outputs[1 + j] != sid or not g.users(sid):
            continue
        h = g.copy()
        for n in h.nodes.values():
            n.args = tuple(0.0 if (isinstance(a, int) and a == sid) else a for a in n.args)
        h.outputs = [0.0 if o == sid and k == 0 else o for k, o in enumerate(h.outputs)]
        if any(isinstance(o, float) for o in h.outputs) or h.types().get(h.outputs[0]) != "tensor":
            continue
        return f"state {s} is never written, so it stays 0 (states start at 0): its reads are the constant 0", h
    return None


def _div_constant(g: Graph):
    for nid in g.statements():
        n = g.nodes[nid]
        if n.op == "div" and isinstance(n.args[1], float) and not isinstance(n.args[0], float):
            k = rounded(1.0 / (n.args[1] + EPS))
            if not math.isfinite(k):
                continue
            h = g.copy()
            h.nodes[nid].op, h.nodes[nid].args = "mul", (n.args[0], k)
            return f"{n.name} divides by the constant {n.args[1]!r}: x / (c + 1e-8) = x * {k!r}", h
    return None


def _fold(g: Graph):
    types = g.types()
    for nid in g.statements():
        terms = linear_terms(g, nid)
        if terms is None:
            continue
        args = [a for a, _ in terms]
        if not any(linear_terms(g, a) is not None or isinstance(a, float) for a in args) \
                and len(set(args)) == len(args):
            continue
        form = expand(g, nid)
        if ONE in form:
            continue
        if not form:                         # x - x
            continue
        h = g.copy()
        if len(form) == 1:
            (x, k), = form.items()
            if types.get(x) != types[nid]:
                continue
            if k == 1.0:
                h.replace(nid, x)
            else:
                h.nodes[nid].op, h.nodes[nid].args = "mul", (x, rounded(k))
        else:
            args = interp_args(g, form)
            if args is None:
                continue
            h.nodes[nid].op, h.nodes[nid].args = "interp", args
        terms_text = " + ".join(f"{k:.6g} * {g.nodes[a].name}" for a, k in form.items())
        return f"{g.nodes[nid].name} is a linear combination of {terms_text}: folded into one statement", h
    return None


def _rescaled_state(g: Graph):
    for j, s in enumerate(g.states):
        sid, out = g.inputs[s], g.outputs[1 + j]
        if not isinstance(out, int) or out == sid or g.nodes[out].op is None:
            continue
        form = expand(g, out)
        if len(form) != 2 or sid not in form or ONE in form:
            continue
        q = form[sid]
        (x, p), = ((a, k) for a, k in form.items() if a != sid)
        if q == 1.0 or math.isclose(p + q, 1.0, rel_tol=1e-12, abs_tol=1e-12):
            continue
        k = p / (1.0 - q)
        if not math.isfinite(k) or k == 0.0:
            continue
        h = g.copy()
        order = h.nodes[out].order
        avg = h.add("interp", (x, sid, rounded(q)), s, order)
        readers = [i for i in h.statements() if i != avg]
        scaled_in = h.add("mul", (sid, rounded(k)), f"{s}_scaled", -0.5)
        for i in readers:
            h.nodes[i].args = tuple(scaled_in if a == sid else a for a in h.nodes[i].args)
        scaled_out = h.add("mul", (avg, rounded(k)), f"{s}_new", order + 0.5)
        h.replace(out, scaled_out)
        h.outputs[1 + j] = avg
        why = (f"state {s} is updated as {p:.6g} * x + {q:.6g} * {s} (coefficients not summing to 1): it is "
               f"{k:.6g} times the moving average interp(x, {s}, {q:.6g}); the state keeps the average and its "
               f"readers read {k:.6g} * {s}")
        return why, h
    return None


RULES = [("zero_state", _zero_state), ("divide_by_constant", _div_constant), ("interp_orientation", _orient),
         ("linear_folding", _fold), ("rescaled_state", _rescaled_state)]

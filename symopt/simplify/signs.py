"""Exact rewrites under ``sign``: what a sign cannot see is removed.

Sign analysis of the value graph: a node is *non-negative* when its function
says so (``sqrt``, ``abs``, ``square``, ``exp``, ...), when it combines
non-negative values monotonically (``+``, ``*``, ``/``, ``max``, ``clip``,
``interp`` with a coefficient in [0, 1]), or when it is a state whose every
update is non-negative (states start at 0; found as the greatest fixpoint
over the states).  It is *positive* when it is a positive constant, ``lr``
(learning rates are positive), ``exp``/``exp2``/``exp10``/``cosh`` of
anything, or a sum / product of positives.

``sign_of_nonnegative_division``  ``sign(x / p) = sign(x)`` for non-negative ``p``
                                  (the protected division adds 1e-8 > 0).
``sign_of_positive_product``      ``sign(x * p) = sign(x)`` for positive ``p``.
``sign_of_sign_preserving``       ``sign(f(x)) = sign(x)`` for ``f`` in ``tanh``,
                                  ``arctan``, ``arcsinh``, ``sinh``, ``cbrt``, ``expm1``.
``abs_of_nonnegative``            ``abs(x) = x`` for non-negative ``x``.
``sign_of_linear``                ``sign(p x + q y) = sign(interp(x, y, q / (p + q)))``
                                  for ``p + q > 0``: the sign of a rescaled moving
                                  average is the sign of the average.
"""

from __future__ import annotations

from search_space.ops import OPS
from symopt.simplify.graph import Graph, node_ids
from symopt.simplify.linear import ONE, expand, interp_args, rounded

SIGN_EXACT = ("tanh", "arctan", "arcsinh", "sinh", "cbrt", "expm1")
_ALWAYS_POSITIVE = ("exp", "exp2", "exp10", "cosh")


def _ordered(g: Graph) -> list[int]:
    """Statements with every argument before them (rewrites may leave ``order`` stale)."""
    done, out, pending = set(g.inputs.values()), [], g.statements()
    while pending:
        rest = [i for i in pending if not all(a in done for a in node_ids(g.nodes[i].args))]
        ready = [i for i in pending if i not in rest]
        if not ready:
            break
        out += ready
        done.update(ready)
        pending = rest
    return out


def _signs(g: Graph, states: set) -> tuple[set, set]:
    """(non-negative nodes, positive nodes), assuming the state inputs in ``states`` are non-negative."""
    nonneg, pos = set(), set()
    lr = g.inputs.get("lr")
    if lr is not None:
        nonneg.add(lr)
        pos.add(lr)
    nonneg.update(g.inputs[s] for s in g.states if g.inputs[s] in states)

    def nn(a):
        return a >= 0.0 if isinstance(a, float) else a in nonneg

    def ps(a):
        return a > 0.0 if isinstance(a, float) else a in pos

    for nid in _ordered(g):
        n = g.nodes[nid]
        a = n.args
        op = OPS[n.op]
        if n.op in _ALWAYS_POSITIVE or (n.op in ("add", "mul") and all(ps(x) for x in a)) \
                or (n.op == "add" and any(ps(x) for x in a) and all(nn(x) for x in a)):
            pos.add(nid)
        if nid in pos or op.has("nonnegative") \
                or (n.op in ("add", "mul", "div", "min") and all(nn(x) for x in a)) \
                or (n.op == "max" and any(nn(x) for x in a)) \
                or (n.op == "clip" and nn(a[0])) \
                or (n.op == "interp" and isinstance(a[2], float) and 0.0 <= a[2] <= 1.0 and nn(a[0]) and nn(a[1])):
            nonneg.add(nid)
    return nonneg, pos


def sign_analysis(g: Graph) -> tuple[set, set]:
    """The nodes of ``g`` that are never negative and those always positive (see the module docstring).

    Args:
      g: the value graph of the program.

    Returns:
      ``(non-negative node ids, positive node ids)``.
    """
    states = {g.inputs[s] for s in g.states}
    while True:
        nonneg, pos = _signs(g, states)
        bad = {g.inputs[s] for j, s in enumerate(g.states)
               if g.inputs[s] in states and g.outputs[1 + j] not in nonneg and g.outputs[1 + j] != g.inputs[s]}
        if not bad:
            return nonneg, pos
        states -= bad


def _sign_nodes(g: Graph):
    for nid in g.statements():
        n = g.nodes[nid]
        if n.op == "sign" and isinstance(n.args[0], int) and g.nodes[n.args[0]].op is not None:
            yield nid, n, g.nodes[n.args[0]]


def _under_sign(g: Graph):
    nonneg = pos = None
    for nid, n, inner in _sign_nodes(g):
        x = None
        if inner.op in SIGN_EXACT:
            x, why = inner.args[0], f"sign({inner.op}(x)) = sign(x): {inner.op} keeps the sign of its argument"
        elif inner.op in ("div", "mul"):
            if nonneg is None:
                nonneg, pos = sign_analysis(g)
            keep, other = inner.args
            if inner.op == "div" and (other in nonneg or (isinstance(other, float) and other >= 0)):
                x, why = keep, "sign(x / p) = sign(x): p is never negative, so p + 1e-8 > 0"
            elif inner.op == "mul":
                for k in (0, 1):
                    o = inner.args[1 - k]
                    if (o in pos or (isinstance(o, float) and o > 0)) and not isinstance(inner.args[k], float):
                        x, why = inner.args[k], "sign(x * p) = sign(x): p is always positive"
                        break
        if x is None or isinstance(x, float):
            continue
        h = g.copy()
        h.nodes[nid].args = (x,)
        return f"{n.name} = sign({inner.name}): {why}", h
    return None


def _sign_of_linear(g: Graph):
    for nid, n, _inner in _sign_nodes(g):
        form = expand(g, n.args[0])
        if len(form) != 2 or ONE in form:
            continue
        total = sum(form.values())
        if total <= 0 or abs(total - 1.0) < 1e-12:
            continue
        args = interp_args(g, {a: k / total for a, k in form.items()})
        if args is None:
            continue
        h = g.copy()
        avg = h.add("interp", args, f"{n.name}_avg", n.order - 0.5)
        h.nodes[nid].args = (avg,)
        why = (f"{n.name} = sign of {total:.6g} * interp(...): a positive factor does not change a sign, so it is "
               f"the sign of the moving average interp(..., {rounded(args[2])!r})")
        return why, h
    return None


def _abs_of_nonnegative(g: Graph):
    nonneg = None
    for nid in g.statements():
        n = g.nodes[nid]
        if n.op != "abs" or not isinstance(n.args[0], int):
            continue
        if nonneg is None:
            nonneg, _ = sign_analysis(g)
        if n.args[0] in nonneg:
            h = g.copy()
            h.replace(nid, n.args[0])
            return f"{n.name} = abs(x) of a value that is never negative: it is x", h
    return None


RULES = [("sign_of_nonnegative_or_positive", _under_sign), ("abs_of_nonnegative", _abs_of_nonnegative),
         ("sign_of_linear", _sign_of_linear)]

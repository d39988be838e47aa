"""Name a program's family (Lion, Signum, Adam, ...) and fit its constants.

The program is first simplified exactly (:func:`symopt.simplify.simplify_exact`);
then the update is read as ``lr * lr_scale * core [+ weight_decay * w inside]``
and ``core`` and the live states are matched against each family's structure
(commutative functions in either argument order).  Constants come straight
from the matched positions, so ``constants`` are the program's own values.

Families: ``lion(b1, b2)``, ``signum(b)`` (Lion with b1 == b2 is Signum),
``adam(b1, b2, eps)`` (eps includes the protected division's 1e-8),
``sgd_momentum(b)``, ``signsgd``, ``rmsprop(b, eps)``, ``addsign(b, alpha)``,
``powersign(b, base)``, ``sgd``; every family also has ``weight_decay``
(decoupled, 0 when absent) and ``lr_scale``.  ``family is None``: a new program.

One family is named by its shape rather than a pattern: ``lion_like``, a program no exact family
matches whose update is ``lr * lr_scale * sign(x)`` (plus weight decay), with ``x`` reading the
gradient and a moving average of it ``m = interp(g, m, b2)`` (``b2`` any expression, a constant or
not), and reading the gradient itself, not only through the states' new values (``sign`` of an
average, or of a ratio of averages, is Signum's shape).  Lion with a state-dependent ``b2``, or a
sign of a mix of the momentum and a function of the gradient, are ``lion_like``; ``b1`` and ``b2``
are in its constants where those positions hold constants.
"""

from __future__ import annotations

import dataclasses
import math

from search_space.analysis import analyze
from search_space.ops import EPS, OPS
from search_space.program import Program
from symopt.simplify import simplify_exact
from symopt.simplify.graph import Graph

FAMILIES = ("lion", "signum", "adam", "sgd_momentum", "signsgd", "rmsprop", "addsign", "powersign", "sgd",
            "lion_like")


@dataclasses.dataclass(frozen=True)
class Recognition:
    """What :func:`recognise` found: the family and its constants, with where they sit (for the exporter).

    Attributes:
      family: one of :data:`FAMILIES`, or ``None`` for a new program.
      constants: the family's constants, ``weight_decay`` and ``lr_scale`` (empty when the program is
        invalid or its update is not ``lr`` times a core).
      program: the exact canonical form that was matched.
      positions: constant name -> ``[(node id, arg index)]`` in the graph of ``program``.
      core: the node of the update before weight decay and lr.
      parts: ``"lr"``, ``"wd"``: the ``[(node id, arg index)]`` of the shell around the core.
    """

    family: str | None
    constants: dict
    program: Program | None = None            # the exact canonical form that was matched
    positions: dict = dataclasses.field(default_factory=dict)  # constant name -> [(node id, arg index)]
    core: int | None = None                   # node of the update before weight decay and lr
    parts: dict = dataclasses.field(default_factory=dict)      # "lr", "wd": [(node id, arg index)] of the shell


def _expr(g: Graph, a):
    if isinstance(a, float):
        return ("c", a)
    n = g.nodes[a]
    if n.op is None:
        return ("in", n.name, a)
    return ("op", n.op, a, tuple(_expr(g, x) for x in n.args))


# ---- matching ---------------------------------------------------------------
_M = ("interp", "g", "@m", "$b")


def _match(p, e, b: dict, where) -> bool:
    """Match pattern ``p`` against expression ``e``; ``where`` = (node, arg) of a constant.

    Patterns: ``"g"``, ``"w"``, ``"lr"`` the inputs; ``"@name"`` a state (the same one wherever the name
    recurs); ``"$name"`` a constant (the same value wherever it recurs); ``"*"`` any expression; a tuple
    ``(function, pattern, ...)`` a call (commutative functions in either argument order).  ``b`` collects
    the bindings; it changes only when the match succeeds.
    """
    if p == "*":
        return True
    if isinstance(p, str):
        if p in ("g", "w", "lr"):
            return e[0] == "in" and e[1] == p
        if p.startswith("@"):
            if e[0] != "in" or e[1] in ("g", "w", "lr"):
                return False
            return b.setdefault(p, e[1]) == e[1]
        if p.startswith("$"):
            if e[0] != "c":
                return False
            if p in b and b[p][0] != e[1]:
                return False
            b.setdefault(p, (e[1], []))[1].append(where)
            return True
        raise ValueError(p)
    if e[0] != "op" or e[1] != p[0] or len(p) - 1 != len(e[3]):
        return False
    orders = [tuple(range(len(e[3])))]
    if OPS[e[1]].has("commutative"):
        orders.append(tuple(reversed(orders[0])))
    for order in orders:
        trial = {k: (v[0], list(v[1])) if isinstance(v, tuple) else v for k, v in b.items()}
        if all(_match(p[1 + i], e[3][j], trial, (e[2], j)) for i, j in enumerate(order)):
            b.clear()
            b.update(trial)
            return True
    return False


def _v(x):
    return ("interp", ("square", "g"), "@v", x)


_CORE = [
    ("lion", [("sign", ("interp", "g", "@m", "$b1"))], {"@m": ("interp", "g", "@m", "$b2")}),
    ("adam", [("div", ("interp", "g", "@m", "$b1"), ("add", ("sqrt", _v("$b2")), "$eps"))],
     {"@m": ("interp", "g", "@m", "$b1"), "@v": _v("$b2")}),
    ("adam", [("div", ("interp", "g", "@m", "$b1"), ("sqrt", _v("$b2")))],
     {"@m": ("interp", "g", "@m", "$b1"), "@v": _v("$b2")}),
    ("rmsprop", [("div", "g", ("add", ("sqrt", _v("$b")), "$eps"))], {"@v": _v("$b")}),
    ("rmsprop", [("div", "g", ("sqrt", _v("$b")))], {"@v": _v("$b")}),
    ("sgd_momentum", [_M], {"@m": _M}),
    ("addsign", [("add", ("mul", ("sign", "g"), ("sign", _M)), "$alpha"), "g"], {"@m": _M}),
    ("powersign", [("exp", ("mul", ("mul", ("sign", "g"), ("sign", _M)), "$k")), "g"], {"@m": _M}),
    ("powersign", [("exp", ("mul", ("sign", "g"), ("sign", _M))), "g"], {"@m": _M}),
    ("signsgd", [("sign", "g")], {}),
    ("sgd", ["g"], {}),
]


def _factors(e) -> list:
    if e[0] == "op" and e[1] == "mul":
        return [f for x in e[3] for f in _factors(x)]
    return [e]


def _mul_positions(g: Graph, e, out: list) -> None:
    """(node, arg) of every constant factor and the lr factor of a mul tree."""
    if e[0] == "op" and e[1] == "mul":
        for j, x in enumerate(e[3]):
            if x[0] == "c" or (x[0] == "in" and x[1] == "lr"):
                out.append((e[2], j))
            else:
                _mul_positions(g, x, out)


def _fit_core(factors, g: Graph, program: Program, live: dict):
    for family, pats, state_pats in _CORE:
        if len(pats) != len(factors):
            continue
        for perm in ([0] if len(factors) == 1 else [0, 1]):
            fs = factors if perm == 0 else factors[::-1]
            b: dict = {}
            if not all(_match(p, f, b, None) for p, f in zip(pats, fs)):
                continue
            states = {b[k]: pat for k, pat in state_pats.items() if k in b}
            if set(states) != {s for s, is_live in live.items() if is_live}:
                continue
            ok = True
            for s, pat in states.items():
                j = program.states.index(s)
                if not _match(pat, _expr(g, g.outputs[1 + j]), b, None):
                    ok = False
            if ok:
                return family, {k[1:]: v for k, v in b.items() if k.startswith("$")}
    return None


def _reads(e, name: str, skip: frozenset = frozenset()) -> bool:
    """Whether expression ``e`` reads input ``name`` (not counting the subexpressions at the nodes ``skip``)."""
    if e[0] == "in":
        return e[1] == name
    if e[0] != "op" or e[2] in skip:
        return False
    return any(_reads(x, name, skip) for x in e[3])


def _lion_like(factors: list, g: Graph, program: Program, live: dict) -> dict | None:
    """The constants of a ``lion_like`` update (see the module docstring), or None."""
    if len(factors) != 1 or factors[0][0] != "op" or factors[0][1] != "sign":
        return None
    x = factors[0][3][0]
    nodes = {s: g.outputs[1 + program.states.index(s)] for s, is_live in live.items() if is_live}
    for s, node in nodes.items():
        b: dict = {}
        if not any(_match(("interp", "g", "@m", b2), _expr(g, node), b, None) for b2 in ("$b2", "*")) \
                or b["@m"] != s:
            continue                            # not a moving average of the gradient
        if not (_reads(x, s) and _reads(x, "g", skip=frozenset(nodes.values()))):
            continue                            # the gradient only through averages: Signum's shape
        out = {"b2": b["$b2"][0]} if "$b2" in b else {}
        b1: dict = {}
        if _match(("interp", "g", "@m", "$b1"), x, b1, None) and b1["@m"] == s:
            out["b1"] = b1["$b1"][0]
        return out
    return None


def _weight_decay(rest: list) -> tuple[float, list, list]:
    """``(weight_decay, its position, the factors without it)``; ``(0.0, [], rest)`` when there is none.

    Weight decay is found when the update's non-lr factors are ``core + wd * w`` or ``core + w``.
    """
    if len(rest) == 1 and rest[0][0] == "op" and rest[0][1] == "add":
        x, y = rest[0][3]
        for core, other, j in ((x, y, 1), (y, x, 0)):
            b: dict = {}
            if _match(("mul", "w", "$wd"), other, b, None):
                return b["$wd"][0], [(rest[0][2], j)], [core]
            if other[0] == "in" and other[1] == "w":
                return 1.0, [(rest[0][2], j)], [core]
    return 0.0, [], rest


def recognise(program: Program) -> Recognition:
    """The family of ``program`` and its constants.

    Args:
      program: any program; it is simplified exactly first.

    Returns:
      A :class:`Recognition`: ``family`` (one of :data:`FAMILIES`, or None for a new program) and ``constants``
      (the family's constants, ``weight_decay`` and ``lr_scale``).

    >>> from search_space.seeds import load_seed
    >>> r = recognise(load_seed("lion"))
    >>> r.family, r.constants["b1"], r.constants["b2"]
    ('lion', 0.9, 0.99)
    """
    p = simplify_exact(program).program
    a = analyze(p)
    if not a.valid:
        return Recognition(None, {}, p)
    g = Graph(p)
    live = {s: a.live_states[j] for j, s in enumerate(p.states)}
    upd = _expr(g, g.outputs[0])
    factors = _factors(upd)
    lr = [f for f in factors if f[0] == "in" and f[1] == "lr"]
    consts = [f for f in factors if f[0] == "c"]
    rest = [f for f in factors if f not in lr and f not in consts]
    if len(lr) != 1 or not rest:
        return Recognition(None, {}, p)
    lr_scale = float(math.prod(c[1] for c in consts))
    shell: list = []
    _mul_positions(g, upd, shell)
    wd, wd_pos, rest = _weight_decay(rest)
    got = _fit_core(rest, g, p, live)
    core = rest[0][2] if len(rest) == 1 and rest[0][0] == "op" else None
    parts = {"lr": shell, "wd": wd_pos}
    if got is None:
        like = _lion_like(rest, g, p, live)
        family = None if like is None else "lion_like"
        return Recognition(family, {**(like or {}), "weight_decay": wd, "lr_scale": lr_scale}, p, {}, core, parts)
    family, bound = got
    constants = {k: v[0] for k, v in bound.items()}
    positions = {k: list(dict.fromkeys(v[1])) for k, v in bound.items()}
    if family == "lion" and constants["b1"] == constants["b2"]:
        family, constants = "signum", {"b": constants["b1"]}
        positions = {"b": positions["b1"] + positions["b2"]}
    if family in ("adam", "rmsprop"):
        constants["eps"] = constants.get("eps", 0.0) + EPS
    if family == "powersign":
        constants = {"b": constants["b"], "base": math.exp(constants.get("k", 1.0))}
    constants.update(weight_decay=wd, lr_scale=lr_scale)
    return Recognition(family, constants, p, positions, core, parts)

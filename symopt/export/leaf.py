"""From a recognised program to one per-parameter ("leaf") function, as code lines.

The update is read as ``lr * lr_scale * (core + weight_decay * w)``: the lr
factors become 1.0 and the weight-decay term is dropped (the optimizer
wrappers apply them exactly like optax.lion / lion-pytorch), then the value
graph of the core and the live states is printed with one template per
function from a fixed table (``steps`` keeps the same statements as data, for the torch
step of :mod:`symopt.export.torch_step`).  Identifiers come from a fixed set: inputs
``g w``, states ``m v s2 ...``, temporaries ``t1 t2 ...``, results ``update``
and ``new_<state>``, hyperparameters of the family; constants are
``repr(float)``.  Only elementwise programs export (tree-wide reductions
have no per-leaf form): anything else raises :class:`UserError`.
"""

from __future__ import annotations

import dataclasses
import keyword

from search_space.analysis import analyze
from search_space.ops import OPS
from symopt.errors import UserError
from symopt.recognise import Recognition
from symopt.simplify.graph import Graph, node_ids
from symopt.simplify.rules import identity

STATE_NAMES = ("m", "v")

JAX = {
    "abs": "jnp.abs({0})", "cos": "jnp.cos({0})", "sin": "jnp.sin({0})", "tan": "jnp.tan({0})",
    "arcsin": "jnp.arcsin({0})", "arccos": "jnp.arccos({0})", "arctan": "jnp.arctan({0})",
    "sinh": "jnp.sinh({0})", "cosh": "jnp.cosh({0})", "tanh": "jnp.tanh({0})", "arcsinh": "jnp.arcsinh({0})",
    "arccosh": "jnp.arccosh({0})", "arctanh": "jnp.arctanh({0})", "exp": "jnp.exp({0})", "exp2": "jnp.exp2({0})",
    "exp10": "jnp.power(10.0, {0})", "expm1": "jnp.expm1({0})", "log": "jnp.log(jnp.abs({0}))",
    "log10": "jnp.log10(jnp.abs({0}))", "log2": "jnp.log2(jnp.abs({0}))", "log1p": "jnp.log1p({0})",
    "square": "{0} * {0}", "sqrt": "jnp.sqrt(jnp.abs({0}))", "cube": "{0} * {0} * {0}", "cbrt": "jnp.cbrt({0})",
    "sign": "jnp.sign({0})", "reciprocal": "1.0 / ({0} + EPS)", "invert": "1.0 - {0}", "negative": "-{0}",
    "interp": "(1.0 - {2}) * {0} + {2} * {1}", "power": "jnp.power({0}, {1})",
    "clip": "jnp.clip({0}, -jnp.abs({1}), jnp.abs({1}))", "max": "jnp.maximum({0}, {1})",
    "min": "jnp.minimum({0}, {1})", "add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0} * {1}",
    "div": "{0} / ({1} + EPS)", "get_pi": "jnp.pi", "get_e": "jnp.e", "get_eps": "EPS",
}

TORCH = dict(JAX)
TORCH.update({k: v.replace("jnp.", "torch.") for k, v in JAX.items()})
TORCH.update({
    "cbrt": "torch.sign({0}) * torch.abs({0}) ** (1.0 / 3.0)", "clip": "_clip({0}, {1})",
    "max": "_max({0}, {1})", "min": "_min({0}, {1})", "power": "torch.pow({0}, {1})",
    "exp10": "torch.pow(10.0, {0})", "get_pi": "math.pi", "get_e": "math.e",
})


@dataclasses.dataclass(frozen=True)
class Leaf:
    """The direction of a recognised program for one parameter tensor, as code for each back end."""

    args: tuple[str, ...]            # g, w?, live states..., hyperparameters...
    states: tuple[str, ...]          # live states, in order (names from STATE_NAMES / s<j>)
    body: dict                       # backend -> list of code lines (no indentation)
    steps: tuple                     # (result, op, argument expressions) per statement, in order
    returns: tuple[str, ...]         # update, new_<state>...
    hyper: dict                      # hyperparameter -> default (raw program constant)
    uses_w: bool


def _state_name(j: int) -> str:
    return STATE_NAMES[j] if j < len(STATE_NAMES) else f"s{j}"


def const(value: float) -> str:
    """``value`` as a Python literal that can follow an operator (negative ones in parentheses).

    Args:
      value: a constant.

    Returns:
      The literal.

    >>> const(0.9), const(-2)
    ('0.9', '(-2.0)')
    """
    text = repr(float(value))
    return f"({text})" if text.startswith("-") else text


def _core(rec: Recognition) -> Graph:
    """The graph of the recognised program without its weight-decay term and with its lr factors set to 1."""
    g = Graph(rec.program)
    for nid, j in rec.parts.get("wd", []):
        g.replace(nid, g.nodes[nid].args[1 - j])
    for nid, j in rec.parts.get("lr", []):
        if nid in g.nodes:
            args = list(g.nodes[nid].args)
            args[j] = 1.0
            g.nodes[nid].args = tuple(args)
    while (step := identity(g)) is not None:
        g = step[1]
    return g


def _upstream(g: Graph, outputs: list[int]) -> set[int]:
    """The nodes ``outputs`` depend on, themselves included."""
    needed, stack = set(), list(outputs)
    while stack:
        n = stack.pop()
        if n in needed:
            continue
        needed.add(n)
        stack += node_ids(g.nodes[n].args)
    return needed


def leaf_of(rec: Recognition) -> Leaf:
    """The per-tensor direction of a recognised program.

    Its lr factors become 1 and its weight-decay term goes (the optimizer wrappers apply both);
    constants of the family become hyperparameters.

    Args:
      rec: :func:`symopt.recognise.recognise` of the program.

    Returns:
      The :class:`Leaf`; a program that cannot export (invalid, or not elementwise) is a :class:`UserError`.

    >>> from search_space.seeds import load_seed
    >>> from symopt.recognise import recognise
    >>> leaf = leaf_of(recognise(load_seed("lion")))
    >>> leaf.states, leaf.hyper
    (('m',), {'b1': 0.9, 'b2': 0.99})
    """
    p = rec.program
    if p is None or not analyze(p).valid:
        raise UserError("cannot export: the program is not valid")
    g = _core(rec)
    a_live = analyze(p).live_states
    live = [j for j in range(len(p.states)) if a_live[j]]
    outputs = [g.outputs[0]] + [g.outputs[1 + j] for j in live]
    needed = _upstream(g, outputs)
    hyper_at = {tuple(pos): name for name, poss in rec.positions.items() for pos in poss}
    hyper = {name: float(g.nodes[poss[0][0]].args[poss[0][1]]) for name, poss in rec.positions.items()
             if poss and poss[0][0] in g.nodes}
    names: dict[int, str] = {}
    for inp, nid in g.inputs.items():
        if inp in ("g", "w"):
            names[nid] = inp
        elif inp in p.states:
            names[nid] = _state_name(p.states.index(inp))
        elif nid in needed:
            raise UserError("cannot export: the update reads the lr input other than as a factor "
                            "(it must be lr * scale * f(g, w, states))")
    body: dict = {"jax": []}
    steps = []
    k = 0
    for nid in g.statements():
        if nid not in needed:
            continue
        n = g.nodes[nid]
        if OPS[n.op].kind not in ("elementwise", "constant"):
            raise UserError(f"cannot export: {n.op} reduces over the parameter tree; only elementwise programs export")
        k += 1
        names[nid] = f"t{k}"
        args = [names[x] if isinstance(x, int) else hyper_at.get((nid, j), const(x)) for j, x in enumerate(n.args)]
        body["jax"].append(f"{names[nid]} = {JAX[n.op].format(*args)}")
        steps.append((names[nid], n.op, tuple(args)))
    returns = tuple(names[o] for o in outputs)
    states = tuple(_state_name(j) for j in live)
    uses_w = g.inputs["w"] in needed
    args = ("g",) + (("w",) if uses_w else ()) + states + tuple(hyper)
    for name in args:
        assert name.isidentifier() and not keyword.iskeyword(name), name
    return Leaf(args, states, body, tuple(steps), returns, hyper, uses_w)

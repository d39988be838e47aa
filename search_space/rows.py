"""NumPy execution of a program over rows of independent runs (the search loop's cheap path).

Every value is a float32 array whose first axis is the *row*: one
independent run per row (a scale of the lr probe, a gradient stream of the
planted benchmark).  A tensor is ``(rows, n)`` (one parameter tensor of ``n``
elements per run), a scalar ``(rows, 1)`` or a plain float32 scalar (a
constant).  Functions come from :data:`search_space.ops.OPS` (their NumPy
form), so the semantics are those of the JAX reference
:mod:`search_space.execute` on a one-leaf parameter tree: ``reduce``,
``leaf_reduce`` and ``tree_scale`` sum over the last axis of each row.

:func:`compile_rows` turns a program into a step function once (statements
resolved to slot numbers, dead statements dropped), so a step costs one
NumPy call per live statement.

>>> import numpy as np
>>> from search_space.seeds import load_seed
>>> step = compile_rows(load_seed("signum"))
>>> g = np.array([[1.0, -2.0]], np.float32); zero = np.zeros_like(g)
>>> update, states = step(zero, g, (zero, zero), np.ones((1, 1), np.float32))
>>> update.tolist()
[[0.0003000000142492354, -0.0003000000142492354]]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from search_space import dispatch
from search_space.analysis import prune
from search_space.ops import OPS
from search_space.program import Program

Step = Callable[..., tuple]


def _row_sum(t):
    """A term summed over each row's parameter tensor (its last axis): the tree is one leaf."""
    return np.sum(t, axis=-1, keepdims=True, dtype=np.float32)


def _op(name: str) -> Callable:
    """The NumPy function of ``name`` on row arrays (:func:`search_space.dispatch.bind`)."""
    op = OPS[name]
    fn = dispatch.bind(op, np, tree_sum=_row_sum, leaf_sum=_row_sum)
    if op.kind == "constant":
        value = np.float32(fn())
        return lambda: value
    return fn


def _bound(name: str, refs: tuple) -> Callable:
    """``vals -> result`` of function ``name``, each argument a slot of ``vals`` (an int) or a constant.

    The common shapes are spelled out: one Python call per statement.
    """
    fn = _op(name)
    slot = [isinstance(r, int) for r in refs]
    if name == "interp" and slot[:2] == [True, True] and not slot[2]:
        i, j, a = refs
        b = np.float32(1.0) - a
        return lambda v: b * v[i] + a * v[j]
    if len(refs) == 0:
        return lambda v: fn()
    if len(refs) == 1:
        (i,) = refs
        return (lambda v: fn(v[i])) if slot[0] else (lambda v: fn(i))
    if len(refs) == 2:
        i, j = refs
        if slot == [True, True]:
            return lambda v: fn(v[i], v[j])
        if slot == [True, False]:
            return lambda v: fn(v[i], j)
        if slot == [False, True]:
            return lambda v: fn(i, v[j])
        return lambda v: fn(i, j)
    get = [(lambda v, i=r: v[i]) if isinstance(r, int) else (lambda v, c=r: c) for r in refs]
    return lambda v: fn(*[x(v) for x in get])


def _full(name: str, args_full: list[bool]) -> bool:
    """Is the result shaped like the parameters (``(rows, n)``), given which arguments are?"""
    kind = OPS[name].kind
    if kind == "elementwise":
        return any(args_full)
    return kind == "tree_scale" and bool(args_full) and args_full[0]


def compile_rows(program: Program) -> Step:
    """``step(w, g, states, lr) -> (update, new_states)`` on row arrays (see the module docstring).

    Dead statements are dropped first (:func:`search_space.analysis.prune`), so a
    dead state comes back as it went in.

    Args:
      program: the program.

    Returns:
      The step function: ``w``, ``g`` and each state ``(rows, n)`` float32 arrays, ``lr`` ``(rows, 1)``;
      it returns the update and the new states, each ``(rows, n)``.
    """
    p = prune(program)
    slots = {name: i for i, name in enumerate(p.inputs)}
    full = [name != "lr" for name in p.inputs]
    code = []
    for st in p.statements:
        refs = tuple(slots[a] if isinstance(a, str) else np.float32(a) for a in st.args)
        code.append(_bound(st.op, refs))
        full.append(_full(st.op, [isinstance(r, int) and full[r] for r in refs]))
        slots[st.target] = len(p.inputs) + len(code) - 1
    outs = tuple(slots[r] for r in p.returns)
    # a result typed as a tensor may still be one value per row (``norm(lr)``): it covers the tensor
    spread = tuple(k for k, o in enumerate(outs) if not full[o])
    n_states = len(p.states)

    def step(w, g, states, lr):
        vals = [w, g, *states, lr]
        for run in code:
            vals.append(run(vals))
        out = [vals[o] for o in outs]
        for k in spread:
            out[k] = np.broadcast_to(out[k], w.shape).astype(np.float32)
        return out[0], tuple(out[1:1 + n_states])

    return step

"""Abstract execution of a program: types, liveness across steps, validity.

The dataflow graph (a :class:`networkx.DiGraph`) has one node per input, per
statement and per returned value:

``("input", name)``   w, g, each state, lr
``("stmt", i)``       statement ``i`` (0-based)
``("return", j)``     returned value ``j`` (0 = the update, 1.. = the states)

An edge ``u -> v`` means ``v`` reads the value ``u`` produced (attribute
``arg`` = argument position).  Each returned state is also joined to the
state's input with a *cross-step* edge (``("return", 1+j) -> ("input", s)``,
``step=True``): the next step reads what this step returned.  A value is
*live* when the update depends on it, in this step or in a later one, i.e.
when it is an ancestor of ``("return", 0)`` in that cyclic graph: backward
reachability over the cross-step edges is the fixpoint of "a state output
is live only if a later step reads it, through a live path, before
overwriting it".

Types: ``w``, ``g`` and the states are tensors, ``lr`` and constants scalars;
the op kind decides the rest (see :mod:`search_space.ops`).  A program is
*invalid* when a live state output is a scalar, when the update is not a
tensor or does not depend on ``g`` (across steps too), or when a live
``reduce`` reads scalars only.  Errors in dead code are not errors: dead
statements never influence an update and :func:`prune` removes them.

:func:`search_space.validity.check` raises on an invalid program and, with ``lr_linear``, also
on one whose update does not scale linearly with the ``lr`` input.
"""

from __future__ import annotations

import dataclasses
import functools
from functools import lru_cache

import networkx as nx

from search_space.ops import OPS
from search_space.program import Program, Statement

SCALAR = "scalar"
TENSOR = "tensor"


def statement_line(index: int) -> int:
    """Line of statement ``index`` in the printed form (the signature is line 1).

    Args:
      index: the statement's 0-based index.

    Returns:
      Its 1-based line in :func:`search_space.program.format_program`'s text.

    >>> statement_line(0)
    2
    """
    return index + 2


@dataclasses.dataclass(frozen=True)
class Analysis:
    """The result of :func:`analyze` (see the module docstring).

    Attributes:
      program: the program analysed.
      valid: whether it is valid; ``reason`` says why not.
      reason: the one-line reason it is invalid, or None.
      error_statement: the index of the statement at fault (None: the return line).
      types: ``"scalar"`` or ``"tensor"``, per statement.
      live: per statement, whether the update depends on it (in this step or a later one).
      live_states: per state, whether a later step reads it on a live path.
      input_types: the type of each input (``w``, ``g``, the states: tensors; ``lr``: a scalar).
      defs: per statement, the nodes its arguments read (None for a constant).
      returns: the node of each returned value.
      live_nodes: every node the update depends on (this step or later ones).

    >>> from search_space.seeds import load_seed
    >>> a = analyze(load_seed("sgd"))
    >>> a.valid, a.types, a.depends_on("lr")
    (True, ('scalar', 'tensor'), True)
    """

    program: Program
    valid: bool
    reason: str | None
    error_statement: int | None          # statement index of the error (None: the return line)
    types: tuple[str, ...]               # per statement
    live: tuple[bool, ...]               # per statement, within and across steps
    live_states: tuple[bool, ...]        # per state: does a later step read it on a live path?
    input_types: dict
    defs: tuple                          # per statement: the nodes its arguments read (None for constants)
    returns: tuple                       # node of each returned value
    live_nodes: frozenset                # every node the update depends on (this step or later ones)

    @property
    def live_statements(self) -> tuple[Statement, ...]:
        """The statements the update depends on, in program order."""
        return tuple(s for s, alive in zip(self.program.statements, self.live) if alive)

    @property
    def dead_statements(self) -> tuple[Statement, ...]:
        """The statements the update never depends on (what :func:`prune` removes)."""
        return tuple(s for s, alive in zip(self.program.statements, self.live) if not alive)

    @property
    def line(self) -> int | None:
        """Printed-form line of the error (statement, or the return line)."""
        if self.valid:
            return None
        if self.error_statement is None:
            return statement_line(len(self.program.statements))
        return statement_line(self.error_statement)

    @functools.cached_property
    def graph(self) -> nx.DiGraph:
        """The dataflow graph (see the module docstring), built on first use."""
        g = nx.DiGraph()
        for name in self.program.inputs:
            g.add_node(("input", name))
        for i, (st, reads) in enumerate(zip(self.program.statements, self.defs)):
            g.add_node(("stmt", i), statement=st)
            for pos, src in enumerate(reads):
                if src is not None:
                    g.add_edge(src, ("stmt", i), arg=pos, step=False)
        for j, src in enumerate(self.returns):
            g.add_edge(src, ("return", j), arg=0, step=False)
        for j, state in enumerate(self.program.states):
            g.add_edge(("return", 1 + j), ("input", state), step=True)
        return g

    def depends_on(self, name: str) -> bool:
        """Does the update depend on input ``name`` (through any number of steps)?

        Args:
          name: an input: ``"w"``, ``"g"``, a state or ``"lr"``.

        Returns:
          True when the input is live.
        """
        return ("input", name) in self.live_nodes


def _build(program: Program):
    """Per statement the nodes its arguments read, the node of each returned value, the input types."""
    current = {name: ("input", name) for name in program.inputs}
    input_types = {name: SCALAR if name == "lr" else TENSOR for name in program.inputs}
    defs = []
    for i, st in enumerate(program.statements):
        defs.append(tuple(current[a] if isinstance(a, str) else None for a in st.args))
        current[st.target] = ("stmt", i)
    returns = tuple(current[name] for name in program.returns)
    return tuple(defs), returns, input_types


def _upstream(start, defs, returns, states, *, across_steps: bool) -> set:
    """Nodes ``start`` reads, transitively.

    With ``across_steps``, a state input also leads to the value the previous step returned for it.
    """
    state_return = {("input", s): returns[1 + j] for j, s in enumerate(states)}
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node[0] == "stmt":
            stack.extend(r for r in defs[node[1]] if r is not None)
        elif across_steps and node in state_return:
            stack.append(state_return[node])
    return seen


def _infer_types(program: Program, defs, input_types) -> tuple[str, ...]:
    types: list[str] = []

    def t(node):
        if node is None:
            return SCALAR
        return input_types[node[1]] if node[0] == "input" else types[node[1]]

    for st, reads in zip(program.statements, defs):
        kind = OPS[st.op].kind
        if kind == "constant":
            types.append(SCALAR)
        elif kind == "reduce":
            types.append(SCALAR)
        elif kind in ("leaf_reduce", "tree_scale"):
            types.append(TENSOR)
        else:
            types.append(TENSOR if any(t(r) == TENSOR for r in reads) else SCALAR)
    return tuple(types)


def analyze(program: Program) -> Analysis:
    r"""Type, liveness and validity of ``program`` (never raises for a well-formed Program).

    Args:
      program: the program.

    Returns:
      Its :class:`Analysis` (cached: analysing an equal program again is a lookup).

    >>> from search_space.parser import parse
    >>> a = analyze(parse("def train(w, g, m, v, lr):\n    t = exp(w)\n    u = g * lr\n    return u, m, v\n"))
    >>> a.live, a.valid
    ((False, True), True)
    """
    a = _analyze_cached(program)
    # equal programs may differ in how they print (0.0 == -0.0): report on the one asked about
    return a if a.program is program else dataclasses.replace(a, program=program)


@lru_cache(maxsize=4096)
def _analyze_cached(program: Program) -> Analysis:
    defs, returns, input_types = _build(program)
    types = _infer_types(program, defs, input_types)
    live_nodes = frozenset(_upstream(returns[0], defs, returns, program.states, across_steps=True))
    live = tuple(("stmt", i) in live_nodes for i in range(len(program.statements)))
    live_states = tuple(("input", s) in live_nodes for s in program.states)

    def typ(node):
        return input_types[node[1]] if node[0] == "input" else types[node[1]]

    def stmt_of(node):
        return node[1] if node[0] == "stmt" else None

    reason = None
    where = None
    # live reductions of scalars only
    for i, (st, reads) in enumerate(zip(program.statements, defs)):
        if live[i] and OPS[st.op].kind == "reduce" and not any(r is not None and typ(r) == TENSOR for r in reads):
            reason, where = f"{st.op} reduces over the parameter tree but all its arguments are scalars", i
            break
    upd = returns[0]
    if reason is None and typ(upd) != TENSOR:
        reason = f"the update {program.update!r} is a scalar, not a tensor"
        where = stmt_of(upd)
    if reason is None:
        for j, state in enumerate(program.states):
            node = returns[1 + j]
            if live_states[j] and typ(node) != TENSOR:
                reason = f"state {state!r} is returned as a scalar ({program.returns[1 + j]!r})"
                where = stmt_of(node)
                break
    if reason is None and ("input", "g") not in live_nodes:
        reason = f"the update {program.update!r} does not depend on the gradient g"
        where = stmt_of(upd)
    return Analysis(
        program=program,
        valid=reason is None,
        reason=reason,
        error_statement=where,
        types=types,
        live=live,
        live_states=live_states,
        input_types=input_types,
        defs=defs,
        returns=returns,
        live_nodes=live_nodes,
    )


def _state_inputs_of_step(a: Analysis, node) -> set:
    """Nodes that ``node`` (a returned value) reads within one step (cross-step edges not followed)."""
    return _upstream(node, a.defs, a.returns, a.program.states, across_steps=False)


def lr_structure_problem(a: Analysis) -> tuple[str, int | None] | None:
    """The cheap structural part of the lr-linearity check (:func:`search_space.validity.check`).

    Args:
      a: the analysis of a valid program.

    Returns:
      ``(reason, statement index or None)`` when the update does not depend on ``lr`` or ``lr`` flows
      into a live state; None when the structure allows an update linear in ``lr``.
    """
    p = a.program
    if not a.depends_on("lr"):
        upd = a.returns[0]
        return f"the update {p.update!r} does not depend on the learning rate lr", upd[1] if upd[0] == "stmt" else None
    for j, state in enumerate(p.states):
        if a.live_states[j] and ("input", "lr") in _state_inputs_of_step(a, a.returns[1 + j]):
            node = a.returns[1 + j]
            return f"the learning rate lr flows into state {state!r}", node[1] if node[0] == "stmt" else None
    return None


def prune(program: Program) -> Program:
    r"""``program`` without its dead statements (same updates at every step).

    A dead state whose returned value was computed by a dead statement is
    returned unchanged (its input name) instead.

    Args:
      program: the program.

    Returns:
      The pruned program.

    >>> from search_space.parser import parse
    >>> from search_space.program import one_line
    >>> one_line(prune(parse("def train(w, g, m, v, lr):\n    m = exp(w)\n    u = g * lr\n    return u, m, v\n")))
    'u = g * lr; return u, m, v'
    """
    a = analyze(program)
    kept = tuple(s for s, alive in zip(program.statements, a.live) if alive)
    returns = list(program.returns)
    for j, state in enumerate(program.states):
        node = a.returns[1 + j]
        if node[0] == "stmt" and not a.live[node[1]]:
            returns[1 + j] = state
    return Program(kept, tuple(returns), program.states)

"""Canonical names: live states first, the update chain named ``update``, other values ``t1, t2, ...``."""

from __future__ import annotations

from search_space.analysis import analyze
from search_space.ops import OPS
from search_space.program import Program, Statement
from symopt.simplify.graph import Graph, node_ids


def _swap_states(program: Program) -> Program:
    """Rename states so that live states come first (m, v order kept among them)."""
    a = analyze(program)
    order = sorted(range(len(program.states)), key=lambda j: (not a.live_states[j], j))
    if order == list(range(len(program.states))):
        return program
    mapping = {program.states[old]: program.states[new] for new, old in enumerate(order)}
    # a state name also used as a temporary is renamed consistently (a permutation of names)

    def ren(a):
        return mapping.get(a, a) if isinstance(a, str) else a

    stmts = tuple(Statement(ren(s.target), s.op, tuple(ren(x) for x in s.args)) for s in program.statements)
    rets = [ren(program.returns[0])] + [None] * len(program.states)
    for j, s in enumerate(program.states):
        rets[1 + program.states.index(mapping[s])] = ren(program.returns[1 + j])
    return Program(stmts, tuple(rets), program.states)


def canonical_names(program: Program) -> Program:
    r"""``program`` renamed canonically (names only: the dataflow is unchanged).

    Live states come first, the update's chain is named ``update``, other values ``t1, t2, ...`` in
    statement order.

    Args:
      program: the program.

    Returns:
      The renamed program.

    >>> from search_space.parser import parse
    >>> from search_space.program import one_line
    >>> one_line(canonical_names(parse("def train(w, g, m, v, lr):\n    x = g * lr\n    return x, m, v\n")))
    'update = g * lr; return update, m, v'
    """
    program = _swap_states(program)
    g = Graph(program)
    names: dict[int, str] = {}
    taken = set(program.inputs)
    for j, s in enumerate(program.states):
        o = g.outputs[1 + j]
        if g.nodes[o].op is not None:
            names[o] = s
    types = g.types()
    cur = g.outputs[0]
    while cur in g.nodes and g.nodes[cur].op is not None and cur not in names:
        names[cur] = "update"
        nxt = None
        for a in node_ids(g.nodes[cur].args):
            n = g.nodes[a]
            if n.op is not None and types[a] == "tensor" and len(g.users(a)) == 1 and a not in g.outputs \
                    and OPS[n.op].arity > 0:
                nxt = a
                break
        if nxt is None:
            break
        cur = nxt
    k = 0
    for nid in g.statements():
        if nid not in names:
            k += 1
            while f"t{k}" in taken:
                k += 1
            names[nid] = f"t{k}"
    return g.to_program(names)

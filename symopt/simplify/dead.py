"""Dead code within and across steps, removed with :func:`search_space.analysis.prune`.

A state that no later step reads (on a path to the update) is also returned
unchanged, so the statements that only computed its returned value die too.
"""

from __future__ import annotations

from search_space.analysis import analyze, prune
from search_space.program import Program, format_statement
from symopt.simplify.graph import Graph


def remove_dead(program: Program) -> tuple[Program, str] | None:
    r"""``program`` without dead code.

    Args:
      program: the program.

    Returns:
      ``(pruned, why)``; None when every statement is live and every dead state is returned unchanged.

    >>> from search_space.parser import parse
    >>> remove_dead(parse("def train(w, g, m, v, lr):\n    t = exp(w)\n    u = g * lr\n    return u, m, v\n"))[1]
    't = exp(w): the update never depends on it, in this step or a later one'
    """
    a = analyze(program)
    unread = [s for j, s in enumerate(program.states)
              if not a.live_states[j] and a.returns[1 + j] != ("input", s)]
    dead = [format_statement(s) for s in a.dead_statements]
    if not dead and not unread:
        return None
    returns = list(program.returns)
    for j, s in enumerate(program.states):
        if s in unread:
            returns[1 + j] = s
    pruned = prune(program)
    if unread:
        g = Graph(pruned)
        for j, s in enumerate(program.states):
            if s in unread:
                g.outputs[1 + j] = g.inputs[s]
        pruned = prune(g.to_program())
    return pruned, _why(dead, unread)


def _why(dead: list[str], unread: list[str]) -> str:
    parts = []
    if dead:
        parts.append(f"{'; '.join(dead)}: the update never depends on it, in this step or a later one")
    if unread:
        parts.append(f"state {', '.join(unread)} is overwritten before any later step reads it, "
                     f"so it is returned unchanged")
    return "; ".join(parts)

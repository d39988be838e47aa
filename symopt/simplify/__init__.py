"""Simplify an optimizer program, logging every step (exact rewrites, then measured ones).

>>> from search_space.seeds import load_seed
>>> d = simplify(load_seed("program2"))
>>> [s.rule for s in d.steps][:2]
['dead_code', 'square']
"""

from __future__ import annotations

from search_space.program import Program
from symopt.simplify.canonical import canonical_names
from symopt.simplify.dead import remove_dead
from symopt.simplify.derivation import Derivation, Log, Step
from symopt.simplify.graph import Graph
from symopt.simplify.measured import measured_pass
from symopt.simplify.rules import RULES

MAX_STEPS = 500

__all__ = ["Derivation", "Step", "simplify", "simplify_exact"]


def exact_pass(log: Log) -> None:
    """Apply dead-code removal and the exact rules to a fixpoint, recording each step in ``log``.

    Names are made canonical last (:func:`~symopt.simplify.canonical.canonical_names`).

    Args:
      log: the log of the rewrite so far; its ``program`` is the one simplified.
    """
    for _ in range(MAX_STEPS):
        dead = remove_dead(log.program)
        if dead is not None:
            log.record("dead_code", "exact", dead[0], dead[1])
            continue
        graph = Graph(log.program).freeze()     # the rules read it and rewrite copies
        for rule in RULES:
            got = rule(graph)
            if got is not None:
                why, new = got
                before = log.program
                log.record(rule.rule_name, "exact", new.to_program(), why)
                if log.program is not before:
                    break
        else:
            break
    renamed = canonical_names(log.program)
    log.record("canonical_names", "exact", renamed,
               "names only: live states first, the update's chain is 'update', other values t1, t2, ...")


def simplify_exact(program: Program) -> Derivation:
    r"""``program`` simplified by exact rewrites only; the same as ``simplify(program)``.

    The rewrites: dead code, the rules of :mod:`symopt.simplify.rules`, canonical names.

    Args:
      program: the program.

    Returns:
      The :class:`Derivation`: the simplified program and every step.

    >>> from search_space.program import one_line
    >>> from search_space.parser import parse
    >>> p = parse("def train(w, g, m, v, lr):\n    u = g * 1.0\n    t = exp(w)\n    u = u * lr\n"
    ...           "    return u, m, v\n")
    >>> one_line(simplify_exact(p).program)
    'update = g * lr; return update, m, v'
    """
    log = Log(program)
    exact_pass(log)
    return log.derivation()


def simplify(program: Program, *, measure: bool = False, evaluator=None, **measure_options) -> Derivation:
    """Simplify ``program`` exactly; with ``measure=True`` also prune and round by measurement.

    Args:
      program: the program.
      measure: also unwrap functions, turn clips into signs and round constants where the loss on the
        proxies does not change beyond noise (steps of kind "measured"; see :mod:`symopt.simplify.measured`).
      evaluator: the evaluator for measured steps (``symopt.evaluation.make_evaluator(...)``); one for the
        default funnel is made when none is given.
      **measure_options: ``stage``, ``seeds``, ``max_rounds`` of :func:`~symopt.simplify.measured.measured_pass`.

    Returns:
      The :class:`Derivation`: ``program`` (the result), ``steps`` (every step, with its reason).
    """
    log = Log(program)
    exact_pass(log)
    if measure:
        if evaluator is None:
            # lazy: the default evaluator trains on the proxies (JAX); exact simplification needs none
            from symopt.evaluation import make_evaluator

            evaluator = make_evaluator("default", lr_grid=True)
        measured_pass(log, evaluator, exact_pass, **measure_options)
    return log.derivation()

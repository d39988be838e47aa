"""Measured simplification: ablation of wrappers and rounding of constants, judged on the proxies.

A candidate change is *kept* when the program does not get worse beyond seed
noise, by a paired comparison over ``seeds`` on one funnel ``stage``: with
``d_s = loss_candidate(s) / loss_current(s) - 1`` per seed (same data, same
initialisation), keep when every loss is finite and

    mean(d) <= max(REL_TOL, min(2 * std(d) / sqrt(n), MAX_TOL))   (0.5 %, 5 %)

i.e. within two standard errors of the paired difference, or within half a
percent, and never beyond 5 % however noisy the seeds; unwrapping and clip to sign must also not
*improve* the program beyond that (``|mean(d)|``): a simplification keeps the program's behaviour, and a
better program is a different program.  Among the changes that pass, the one
that changes the loss least (roundings: the best) is applied, the exact pass
runs again, and the search repeats until nothing passes.

Changes tried, in this order (``kinds``):
- unwrapping: ``x = f(y)`` -> uses of x read y, for unary elementwise f
  (``arcsin``, ``tanh``, ...) and for the bounds ``clip(y, c)`` and
  ``clip_by_global_norm(y, c)``.  Arithmetic (+ - * /, interp) is structure
  and is left to the exact rules, so weight decay and the lr scale stay.
- clip to sign: ``x = clip(y, c)`` -> ``x = |c| * sign(y)``: a clip whose bound is far
  below ``|y|`` acts as a sign (a clip by ``lr * k`` of a normalised update is the
  cheap way evolution finds a sign).
- dropping a negligible term: ``x = interp(a, b, c)`` with ``|c| <= 1 %`` -> ``x`` is ``a``
  (a sliver of another state that couples two moving averages, say).
- rounding: each constant to 1, 2 or 3 significant digits (0.899 -> 0.9),
  shortest first; the shortest rounding that passes is kept.
Every measured step is labelled ``measured`` with its figures in ``why``.
"""

from __future__ import annotations

import math

import numpy as np

from search_space.analysis import analyze
from search_space.ops import OPS
from search_space.printer import format_statement
from search_space.program import Program
from symopt.simplify.graph import Graph

REL_TOL = 0.005
MAX_TOL = 0.05      # however noisy the seeds, a change of more than 5 % is never "no change"
SEEDS = (0, 1, 2, 3)
STAGE = "A"
UNWRAP = ("clip", "clip_by_global_norm")


def unwrap_candidates(program: Program) -> list[tuple[str, Program]]:
    """``(description, program)`` for each unary elementwise function, clip or clip_by_global_norm whose uses
    could read its argument instead (one at a time; only valid programs)."""
    out = []
    g = Graph(program)
    types = g.types()
    for nid in g.statements():
        n = g.nodes[nid]
        op = OPS[n.op]
        if not ((op.kind == "elementwise" and op.arity == 1) or n.op in UNWRAP):
            continue
        x = n.args[0]
        if not isinstance(x, int) or types[x] != types[nid]:
            continue
        h = g.copy()
        h.replace(nid, x)
        p = _valid_program(h)
        if p is not None:
            out.append((f"remove {n.op}: {n.name} = {n.op}(...) reads its argument directly", p))
    return out


def _valid_program(g: Graph) -> Program | None:
    """The program of a rewritten graph, or None when it is not valid (such a candidate is not tried)."""
    try:
        p = g.to_program()
    except Exception:  # noqa: BLE001 - an invalid candidate is simply not tried
        return None
    return p if analyze(p).valid else None


def clip_sign_candidates(program: Program) -> list[tuple[str, Program]]:
    """``(description, program)`` for each clip of ``program``: ``x = clip(y, c)`` -> ``x = sign(y) * |c|``, one
    clip at a time."""
    out = []
    g = Graph(program)
    for nid in g.statements():
        n = g.nodes[nid]
        if n.op != "clip" or not isinstance(n.args[0], int):
            continue
        y, c = n.args
        h = g.copy()
        s = h.add("sign", (y,), f"{n.name}_sign", n.order - 0.5)
        if isinstance(c, float):
            h.nodes[nid].op, h.nodes[nid].args = "mul", (s, abs(c))
        else:
            bound = h.add("abs", (c,), f"{n.name}_bound", n.order - 0.25)
            h.nodes[nid].op, h.nodes[nid].args = "mul", (s, bound)
        p = _valid_program(h)
        if p is not None:
            out.append((f"clip to sign: {n.name} = clip(...) acts as |bound| * sign(...)", p))
    return out


def drop_small_candidates(program: Program) -> list[tuple[str, Program]]:
    """``x = interp(a, b, c)`` with ``|c| <= SMALL`` -> ``x`` reads ``a``: ``b``'s share is negligible."""
    out = []
    g = Graph(program)
    types = g.types()
    for nid in g.statements():
        n = g.nodes[nid]
        if n.op != "interp" or not isinstance(n.args[2], float) or abs(n.args[2]) > SMALL:
            continue
        a = n.args[0]
        if not isinstance(a, int) or types[a] != types[nid]:
            continue
        h = g.copy()
        h.replace(nid, a)
        p = _valid_program(h)
        if p is not None:
            out.append((f"drop a negligible term: {n.name} = interp(x, y, {n.args[2]!r}) reads x alone", p))
    return out


def _roundings(value: float) -> list[float]:
    """Shorter values, shortest first: the distance to the nearest integer is rounded to 1, 2, 3
    significant digits (0.899 -> 0.9, 0.996991 -> 0.997), never to 0 (that would change structure:
    interp(x, y, 1.0) is y)."""
    base = float(round(value))
    d = value - base
    out = []
    for digits in (1, 2, 3):
        rd = float(f"{d:.{digits}g}")
        r = float(f"{base + rd:.12g}")
        if rd != 0.0 and r != value and r not in out:
            out.append(r)
    return out


def paired(base: list[float], cand: list[float], two_sided: bool = False) -> tuple[bool, float, float]:
    """The paired comparison of the module docstring.

    Args:
      base: the current program's loss per seed.
      cand: the candidate's loss on the same seeds.
      two_sided: keep only when the change is within the threshold either way (the program must not change,
        not only not get worse).

    Returns:
      ``(keep, mean relative difference, threshold)``.

    >>> paired([1.0, 1.0, 1.0], [1.001, 0.999, 1.002])[0], paired([1.0, 1.0], [1.2, 1.3])[0]
    (True, False)
    """
    b, c = np.asarray(base, float), np.asarray(cand, float)
    if not (np.all(np.isfinite(c)) and np.all(b > 0)):
        return False, math.inf, 0.0
    if not np.all(np.isfinite(b)):
        return True, -math.inf, 0.0
    d = c / b - 1.0
    noise = 2.0 * float(np.std(d, ddof=1)) / math.sqrt(len(d)) if len(d) > 1 else REL_TOL
    thr = max(REL_TOL, min(noise, MAX_TOL))
    mean = float(np.mean(d))
    return bool((abs(mean) if two_sided else mean) <= thr), mean, thr


def _round_more(program: Program, tried: set) -> list[tuple[str, Program]]:
    """Rounding candidates, skipping roundings already rejected (then the next longer one is tried)."""
    out = []
    for i, st in enumerate(program.statements):
        for j, a in enumerate(st.args):
            if not isinstance(a, float):
                continue
            for r in _roundings(a):
                if (a, r) in tried:
                    continue
                args = list(st.args)
                args[j] = r
                stmts = list(program.statements)
                stmts[i] = st.replace(args=tuple(args))
                out.append(((a, r), f"round {a!r} -> {r!r} in {format_statement(st)}",
                            program.with_statements(stmts)))
                break
    return out


KINDS = ("unwrap", "clip_sign", "drop_small", "round")
SMALL = 0.01          # an interpolation giving its second operand at most this share may drop it


def measured_pass(log, evaluator, exact_pass, *, stage: str = STAGE, seeds=SEEDS, max_rounds: int = 50,
                  kinds: tuple[str, ...] = KINDS) -> None:
    """Apply the measured changes of ``kinds`` in order to ``log.program``, keeping only those that pass
    :func:`paired`, with the exact pass after each.

    Args:
      log: the :class:`~symopt.simplify.derivation.Log` that records each kept step.
      evaluator: measures, with ``evaluator.evaluate_losses(programs, stage, seeds=...)``.
      exact_pass: ``exact_pass(log)``, run after every kept change.
      stage: the funnel stage measured on.
      seeds: the training seeds of the paired comparison.
      max_rounds: the most changes tried per kind.
      kinds: ``"unwrap"``, ``"clip_sign"``, ``"round"`` (in the order given).
    """
    seeds = tuple(seeds)
    funnel = getattr(getattr(evaluator, "funnel", None), "name", None)
    where = f"stage {stage} of funnel {funnel}, seeds {list(seeds)}" if funnel else getattr(
        evaluator, "description", f"seeds {list(seeds)}")
    for kind in kinds:
        rejected: set = set()
        for _ in range(max_rounds):
            if kind == "clip_sign":
                cands = [(None, d, p) for d, p in clip_sign_candidates(log.program)]
            elif kind == "unwrap":
                cands = [(None, d, p) for d, p in unwrap_candidates(log.program)]
            elif kind == "drop_small":
                cands = [(None, d, p) for d, p in drop_small_candidates(log.program)]
            else:
                cands = [c for c in _round_more(log.program, rejected)]
            if not cands:
                break
            losses = evaluator.evaluate_losses([log.program] + [p for _, _, p in cands], stage, seeds=seeds)
            base = losses[0]
            results = [(paired(base, cand_losses, two_sided=kind != "round"), c)
                       for cand_losses, c in zip(losses[1:], cands)]
            ok = [r for r in results if r[0][0]]
            if kind == "round":
                rejected |= {c[0] for r, c in results if not r[0]}
            if not ok:
                if kind == "round" and any(_round_more(log.program, rejected)):
                    continue
                break
            (keep, mean, thr), (_, desc, prog) = min(ok, key=lambda r: r[0][1] if kind == "round" else abs(r[0][1]))
            why = (f"{desc}; measured on {where}: loss changes by {mean:+.3%} on average "
                   f"(paired over seeds; kept because <= {thr:.3%}, the noise threshold)")
            log.record("measured_" + kind, "measured", prog, why)
            exact_pass(log)

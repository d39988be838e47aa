"""Measured simplification: ablation of wrappers and rounding of constants, judged on the proxies.

A candidate change is *kept* when the program does not get worse beyond seed
noise, by a paired comparison over ``seeds`` on one funnel ``stage``: with
``d_s = loss_candidate(s) / loss_current(s) - 1`` per seed (same data, same
initialisation), keep when every loss is finite and

    mean(d) <= max(REL_TOL, min(2 * std(d) / sqrt(n), MAX_TOL))   (0.5 %, 5 %)

over the funnel's held-out seeds (:func:`default_seeds`),
i.e. within two standard errors of the paired difference, or within half a
percent, and never beyond 5 % however noisy the seeds; the structural changes (all but rounding) must
also not *improve* the program beyond that (``|mean(d)|``): a simplification keeps the program's behaviour, and a
better program is a different program.  Among the changes that pass, the one
that changes the loss least (roundings: the best) is applied, the exact pass
runs again, and the search repeats until nothing passes.

Changes tried, in this order (``kinds``; the first three again whenever one of them kept a change):
- unwrapping: ``x = f(y)`` -> uses of x read y, for unary elementwise f
  (``arcsin``, ``tanh``, ...) and for the bounds ``clip(y, c)`` and
  ``clip_by_global_norm(y, c)``.  Arithmetic (+ - * /, interp) is structure
  and is left to the exact rules and to dropping a term, so weight decay and the lr scale stay.
- clip to sign: ``x = clip(y, c)`` -> ``x = |c| * sign(y)``: a clip whose bound is far
  below ``|y|`` acts as a sign (a clip by ``lr * k`` of a normalised update is the
  cheap way evolution finds a sign).
- dropping a term: ``x = interp(a, b, c)`` -> uses of ``x`` read ``a`` alone, or ``b`` alone (a
  sliver of another state that couples two moving averages, a correction that only matters for
  gradients far larger than the task's).
- rounding: each constant to 1, 2 or 3 significant digits (0.899 -> 0.9),
  shortest first; the shortest rounding that passes is kept.
Every measured step is labelled ``measured`` with its figures in ``why``.

A candidate must also keep what the search required of the program: where the program's update is
linear in ``lr`` (:func:`search_space.validity.is_valid` with ``lr_linear``), so is the candidate's.
One stage's losses can miss what ``lr`` does (a clip by ``lr * k`` removed leaves an update that
ignores ``lr``, and a task at one lr scale may barely tell), so this is checked, not measured.
"""

from __future__ import annotations

import math

import numpy as np

from search_space.analysis import analyze
from search_space.ops import OPS
from search_space.program import Program, format_statement
from search_space.validity import is_valid
from symopt.simplify.graph import Graph

REL_TOL = 0.005
MAX_TOL = 0.05      # however noisy the seeds, a change of more than 5 % is never "no change"
SEEDS = (0, 1, 2, 3)  # when the evaluator's funnel has no held-out seeds
STAGE = "A"
UNWRAP = ("clip", "clip_by_global_norm")


def unwrap_candidates(program: Program) -> list[tuple[str, Program]]:
    """Programs in which one function's uses read its argument instead.

    The functions: every unary elementwise function, clip and clip_by_global_norm (one at a time;
    only valid programs).

    Args:
      program: the program.

    Returns:
      ``(description, program)`` per candidate.
    """
    out = []
    g = Graph(program)
    types = g.types()
    for nid in g.statements():
        n = g.nodes[nid]
        op = OPS[n.op]
        if not ((op.kind == "elementwise" and op.arity == 1) or n.op in UNWRAP):
            continue
        p = _read_instead(g, types, nid, n.args[0])
        if p is not None:
            out.append((f"remove {n.op}: {n.name} = {n.op}(...) reads its argument directly", p))
    return out


def _read_instead(g: Graph, types: dict, nid: int, x) -> Program | None:
    """The program in which the uses of node ``nid`` read node ``x`` instead.

    None when ``x`` is a constant, of another type, or the result is not valid.
    """
    if not isinstance(x, int) or types[x] != types[nid]:
        return None
    h = g.copy()
    h.replace(nid, x)
    return _valid_program(h)


def _valid_program(g: Graph) -> Program | None:
    """The program of a rewritten graph, or None when it is not valid (such a candidate is not tried)."""
    try:
        p = g.to_program()
    except Exception:  # noqa: BLE001 - an invalid candidate is simply not tried
        return None
    return p if analyze(p).valid else None


def clip_sign_candidates(program: Program) -> list[tuple[str, Program]]:
    """Programs in which one clip becomes a sign: ``x = clip(y, c)`` -> ``x = sign(y) * |c|``.

    Args:
      program: the program.

    Returns:
      ``(description, program)`` per clip (one at a time; only valid programs).
    """
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


def drop_term_candidates(program: Program) -> list[tuple[str, Program]]:
    """Programs in which the uses of one ``x = interp(a, b, c)`` read ``a`` alone, or ``b`` alone.

    Args:
      program: the program.

    Returns:
      ``(description, program)`` per interp and operand (``c`` a constant or a value; one change at a time).
    """
    out = []
    g = Graph(program)
    types = g.types()
    for nid in g.statements():
        n = g.nodes[nid]
        if n.op != "interp":
            continue
        for keep in n.args[:2]:
            p = _read_instead(g, types, nid, keep)
            if p is not None:
                out.append((f"drop a term: {n.name} = interp(...) reads {g.nodes[keep].name} alone", p))
    return out


def _roundings(value: float) -> list[float]:
    """Shorter values, shortest first.

    The distance to the nearest integer is rounded to 1, 2, 3 significant digits (0.899 -> 0.9,
    0.996991 -> 0.997), never to 0 (that would change structure: interp(x, y, 1.0) is y).
    """
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


KINDS = ("unwrap", "clip_sign", "drop_term", "round")
_CANDIDATES = {"unwrap": unwrap_candidates, "clip_sign": clip_sign_candidates, "drop_term": drop_term_candidates}


def default_seeds(evaluator) -> tuple[int, ...]:
    """The seeds measured steps are judged on.

    They are the funnel's held-out seeds, which the search never trained on (a program selected on the
    search's seeds is biased towards them, so its quirks would look useful there), else :data:`SEEDS`.

    Args:
      evaluator: the evaluator (its ``funnel.heldout_seeds``, when it has two or more).

    Returns:
      The seeds.

    >>> default_seeds(object())
    (0, 1, 2, 3)
    """
    held = getattr(getattr(evaluator, "funnel", None), "heldout_seeds", None)
    return tuple(held) if held and len(held) > 1 else SEEDS


def measured_pass(log, evaluator, exact_pass, *, stage: str = STAGE, seeds=None, max_rounds: int = 50,
                  kinds: tuple[str, ...] = KINDS) -> None:
    """Apply the measured changes of ``kinds`` to ``log.program``, keeping only those that pass :func:`paired`.

    The exact pass runs after each kept change.

    The structural kinds (unwrap, clip to sign, drop a term) are tried in the order given, and again
    from the first whenever one of them kept a change (a sign can make a wrapper removable, say), until
    none keeps anything; rounding comes last.

    Args:
      log: the :class:`~symopt.simplify.derivation.Log` that records each kept step.
      evaluator: measures, with ``evaluator.evaluate_losses(programs, stage, seeds=...)``.
      exact_pass: ``exact_pass(log)``, run after every kept change.
      stage: the funnel stage measured on.
      seeds: the training seeds of the paired comparison (default: :func:`default_seeds`).
      max_rounds: the most changes kept per kind and pass.
      kinds: any of ``"unwrap"``, ``"clip_sign"``, ``"drop_term"``, ``"round"``.
    """
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown measured kinds {unknown} (known: {', '.join(KINDS)})")
    seeds = default_seeds(evaluator) if seeds is None else tuple(seeds)
    funnel = getattr(getattr(evaluator, "funnel", None), "name", None)
    where = f"stage {stage} of funnel {funnel}, seeds {list(seeds)}" if funnel else getattr(
        evaluator, "description", f"seeds {list(seeds)}")
    step = _Step(log, evaluator, exact_pass, stage, seeds, where)
    structural = [k for k in kinds if k != "round"]
    settled: dict[str, Program] = {}     # kind -> the program on which it last found nothing to keep
    for _ in range(max_rounds):
        for kind in structural:
            if settled.get(kind) != log.program:     # judging the same program again would only repeat it
                step.structural(kind, max_rounds)
                settled[kind] = log.program
        if all(settled[kind] == log.program for kind in structural):
            break
    if "round" in kinds:
        step.rounding(max_rounds)


class _Step:
    """One measured comparison at a time.

    Scores ``log.program`` and its candidates together and keeps the passing candidate that changes
    the loss least (roundings: the one that helps most).
    """

    def __init__(self, log, evaluator, exact_pass, stage, seeds, where):
        self.log, self.evaluator, self.exact_pass = log, evaluator, exact_pass
        self.stage, self.seeds, self.where = stage, seeds, where

    def _judge(self, cands, two_sided):
        losses = self.evaluator.evaluate_losses([self.log.program] + [c[-1] for c in cands], self.stage,
                                                seeds=self.seeds)
        return [(paired(losses[0], cl, two_sided=two_sided), c) for cl, c in zip(losses[1:], cands)]

    def _keep(self, kind, results, *, by_gain=False):
        ok = [r for r in results if r[0][0]]
        if not ok:
            return False
        (_, mean, thr), cand = min(ok, key=lambda r: r[0][1] if by_gain else abs(r[0][1]))
        why = (f"{cand[-2]}; measured on {self.where}: loss changes by {mean:+.3%} on average "
               f"(paired over seeds; kept because <= {thr:.3%}, the noise threshold)")
        self.log.record("measured_" + kind, "measured", cand[-1], why)
        self.exact_pass(self.log)
        return True

    def _allowed(self, cands: list) -> list:
        """The candidates that keep an update linear in lr where the program's is (see the module docstring)."""
        if not is_valid(self.log.program, lr_linear=True):
            return cands
        return [c for c in cands if is_valid(c[-1], lr_linear=True)]

    def structural(self, kind: str, max_rounds: int) -> None:
        """Keep changes of ``kind`` while one passes (two-sided: behaviour must not change)."""
        for _ in range(max_rounds):
            cands = self._allowed(_CANDIDATES[kind](self.log.program))
            if not cands or not self._keep(kind, self._judge(cands, two_sided=True)):
                return

    def rounding(self, max_rounds: int) -> None:
        """Round constants, shortest first, skipping roundings already rejected."""
        rejected: set = set()
        for _ in range(max_rounds):
            cands = self._allowed(_round_more(self.log.program, rejected))
            if not cands:
                return
            results = self._judge(cands, two_sided=False)
            rejected |= {c[0] for r, c in results if not r[0]}
            if not self._keep("round", results, by_gain=True) and not _round_more(self.log.program, rejected):
                return

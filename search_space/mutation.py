"""Mutation of programs: insert, delete, modify, duplicate.

``Mutator(space).mutate(program, rng)`` returns ``(child, mutation)``.  One
*step* is drawn with the space's weights:

``insert``     a random statement (a function of the space; arguments are
               variables defined before that point or the new constant,
               1.0) at a random position; the target is a fresh temporary
               or an existing variable.
``delete``     one statement (the return is never a statement, so it is
               never deleted); a deletion that leaves a read of an
               undefined variable is discarded.
``modify``     one statement: its function (another of the same arity), one
               argument (another variable or the new constant), or one
               constant (drawn from N(0, 1) with probability
               ``space.normal_probability``, else multiplied by 2^N(0, 1)).
``duplicate``  copy a statement right after itself, then modify the copy.
``wrap``       ``x = f(x)`` for a unary ``f`` of the space, inserted right after
               ``x`` is defined (or first, for an input): every later read of
               ``x`` now reads ``f(x)``.  (A deletion unwraps it again.)
``moving_average``  a whole moving-average statement ``t = interp(x, y, c)``
               with ``c`` near 1 (``1 - 10^U(-3, -0.5)``): in place (``t``
               is ``y``, so ``y`` becomes an EMA of ``x``) or into a fresh
               ``t`` that one later read then reads instead of its variable.

Constants (a ``modify`` of a constant) mutate on the scale that suits them:
with probability ``space.normal_probability`` a fresh N(0, 1) draw; else a
log-scale step ``c * 2^N(0, s)`` with ``s = 0.1`` (probability
``space.small_step_probability``) or ``s = 1``, taken on ``1 - c`` instead
of ``c`` when ``0.5 < c < 1`` (probability ``space.one_minus_probability``),
so coefficients near 1 (0.9, 0.99, 0.999) are as easy to reach as those near
0.  :meth:`Mutator.constant_variants` perturbs every constant of a program
by small steps at once (constant tuning of a promising structure).

Steps are drawn until the child's functional hash differs from the parent's
(as in the paper).  A step whose result is too long, or changes the hash but
is invalid (:func:`validity.check`, optionally with ``lr_linear``), is
discarded; a step that leaves the hash unchanged (e.g. in dead code: the
same live dataflow, so just as valid) is kept and the next step builds on
it, so neutral changes accumulate (at most ``MAX_NEUTRAL_STEPS``, then the
mutator starts again from the parent).  After ``max_tries`` steps without a
valid, hash-changing child it raises :class:`ProgramError` (rare: a parent
whose live part admits almost no valid change).  Everything is drawn from
the ``numpy.random.Generator`` passed in: same seed, same mutations.

>>> import numpy as np
>>> from search_space.spaces import load_space
>>> m = Mutator(load_space("compact"))
>>> child, mutation = m.mutate(m.space.seed_program(), np.random.default_rng(0))
>>> mutation.kind in ("insert", "delete", "modify", "duplicate")
True
"""

from __future__ import annotations

import dataclasses

import numpy as np

from search_space.errors import ProgramError
from search_space.hashing import functional_hash
from search_space.ops import OPS
from search_space.program import Program, Statement, format_statement
from search_space.sampling import (
    defined_before,
    fresh_name,
    random_arg,
    random_statement,
    random_target,
    round_constant,
)
from search_space.spaces import MUTATION_KINDS, Space
from search_space.validity import is_valid

MAX_NEUTRAL_STEPS = 8   # neutral steps accumulated before the mutator starts again from the parent
EMA_LOG10_RANGE = (-3.0, -0.5)   # 1 - c of an inserted moving average, log10-uniform


@dataclasses.dataclass(frozen=True)
class Step:
    """One edit of a mutation.

    Attributes:
      kind: a mutation kind of :data:`~search_space.spaces.MUTATION_KINDS`.
      index: the 0-based index of the statement edited.
      before: the statement before the edit (None for an insertion; the reader of a wrapped value).
      after: the statement after it (None for a deletion).
    """
    kind: str
    index: int                       # 0-based statement index
    before: Statement | None
    after: Statement | None

    def __str__(self) -> str:
        n = self.index + 1
        if self.kind == "insert":
            return f"insert {n}: {format_statement(self.after)}"
        if self.kind == "delete":
            return f"delete {n}: {format_statement(self.before)}"
        if self.kind == "duplicate":
            return f"duplicate {n}: {format_statement(self.before)} -> {n + 1}: {format_statement(self.after)}"
        if self.kind in ("wrap", "moving_average"):
            text = f"{self.kind} {n}: {format_statement(self.after)}"
            return text + (f" (read by {format_statement(self.before)})" if self.before is not None else "")
        return f"modify {n}: {format_statement(self.before)} -> {format_statement(self.after)}"


@dataclasses.dataclass(frozen=True)
class Mutation:
    """The steps that turned the parent into the child (neutral steps first, the hash-changing one last)."""

    steps: tuple[Step, ...]

    @property
    def kind(self) -> str:
        """The kind of the last (hash-changing) step."""
        return self.steps[-1].kind

    def __str__(self) -> str:
        return "; ".join(str(s) for s in self.steps)


class Mutator:
    """Mutates programs within a :class:`~search_space.spaces.Space`.

    Args:
      space: the space (its functions, maximum length, mutation weights and constant parameters).
      max_tries: steps tried before a mutation gives up with a :class:`ProgramError`.
      lr_linear: keep only children whose update is linear in ``lr``.

    >>> from search_space.seeds import load_seed
    >>> from search_space.spaces import load_space
    >>> child, how = Mutator(load_space("compact")).mutate(load_seed("adamw"), np.random.default_rng(0))
    >>> how.kind in MUTATION_KINDS
    True
    """

    def __init__(self, space: Space, max_tries: int = 1000, *, lr_linear: bool = False):
        self.space = space
        self.max_tries = max_tries
        self.lr_linear = lr_linear
        kinds = [k for k in MUTATION_KINDS if space.mutation_weights.get(k, 0) > 0]
        w = np.array([space.mutation_weights[k] for k in kinds], float)
        self._kinds, self._p = kinds, w / w.sum()

    # -- public ------------------------------------------------------------
    def mutate(self, program: Program, rng: np.random.Generator) -> tuple[Program, Mutation]:
        """A valid child whose functional hash differs from ``program``'s, and how it was made.

        Args:
          program: the parent.
          rng: the source of randomness.

        Returns:
          ``(child, mutation)``.

        Raises:
          ProgramError: no such child within ``max_tries`` steps.
        """
        parent_hash = functional_hash(program)
        current, steps = program, []
        for _ in range(self.max_tries):
            proposal = self._step(current, rng)
            if proposal is None:
                continue
            child, step = proposal
            if functional_hash(child) != parent_hash:
                if is_valid(child, lr_linear=self.lr_linear):
                    return child, Mutation(tuple(steps) + (step,))
                continue
            # neutral: the same live dataflow as the parent, so just as valid (checked once it changes)
            steps.append(step)
            current = child
            if len(steps) >= MAX_NEUTRAL_STEPS:  # drifted far (e.g. bloated with dead code): start again
                current, steps = program, []
        raise ProgramError(f"no valid mutation changed the program's hash in {self.max_tries} tries")

    # -- one step ----------------------------------------------------------
    def _step(self, p: Program, rng: np.random.Generator):
        kind = self._kinds[int(rng.choice(len(self._kinds), p=self._p))]
        try:
            return getattr(self, f"_{kind}")(p, rng)
        except ProgramError:  # e.g. a deletion that leaves an undefined variable
            return None

    def _insert(self, p: Program, rng):
        if len(p) >= self.space.max_statements:
            return None
        i = int(rng.integers(len(p) + 1))
        st = random_statement(self.space.functions, defined_before(p, i), [random_target(p, i, rng)], rng,
                              self.space.new_constant)
        return _with(p, p.statements[:i] + (st,) + p.statements[i:]), Step("insert", i, None, st)

    def _delete(self, p: Program, rng):
        if not p.statements:
            return None
        i = int(rng.integers(len(p)))
        return _with(p, p.statements[:i] + p.statements[i + 1:]), Step("delete", i, p.statements[i], None)

    def _modify(self, p: Program, rng):
        if not p.statements:
            return None
        i = int(rng.integers(len(p)))
        new = self._modified(p, i, rng)
        if new is None:
            return None
        return _with(p, p.statements[:i] + (new,) + p.statements[i + 1:]), Step("modify", i, p.statements[i], new)

    def _duplicate(self, p: Program, rng):
        if not p.statements or len(p) >= self.space.max_statements:
            return None
        i = int(rng.integers(len(p)))
        copied = _with(p, p.statements[: i + 1] + p.statements[i:])
        new = self._modified(copied, i + 1, rng)
        if new is None:
            return None
        child = _with(p, p.statements[: i + 1] + (new,) + p.statements[i + 1:])
        return child, Step("duplicate", i, p.statements[i], new)

    def _wrap(self, p: Program, rng):
        unary = [f for f in self.space.functions if OPS[f].arity == 1 and OPS[f].kind == "elementwise"]
        if not unary or len(p) >= self.space.max_statements:
            return None
        i = int(rng.integers(len(p) + 1))        # insert before statement i: wrap what i can read
        names = [n for n in defined_before(p, i) if n != "lr"]
        x = names[int(rng.integers(len(names)))]
        st = Statement(x, unary[int(rng.integers(len(unary)))], (x,))
        return _with(p, p.statements[:i] + (st,) + p.statements[i:]), Step("wrap", i, None, st)

    def _moving_average(self, p: Program, rng):
        if "interp" not in self.space.functions or len(p) >= self.space.max_statements:
            return None
        i = int(rng.integers(len(p) + 1))
        names = [n for n in defined_before(p, i) if n != "lr"]
        if len(names) < 2:
            return None
        x, y = (names[int(k)] for k in rng.choice(len(names), size=2, replace=False))
        c = round_constant(1.0 - 10.0 ** rng.uniform(*EMA_LOG10_RANGE))
        if rng.random() < 0.5:                  # in place: y becomes a moving average of x
            st = Statement(y, "interp", (x, y, c))
            return _with(p, p.statements[:i] + (st,) + p.statements[i:]), Step("moving_average", i, None, st)
        t = fresh_name(p)
        st = Statement(t, "interp", (x, y, c))
        readers = [j for j in range(i, len(p)) if p.statements[j].variables]
        if not readers:
            return None
        j = readers[int(rng.integers(len(readers)))]
        reader = p.statements[j]
        ks = [k for k, a in enumerate(reader.args) if isinstance(a, str)]
        args = list(reader.args)
        args[ks[int(rng.integers(len(ks)))]] = t
        new_reader = reader.replace(args=tuple(args))
        stmts = p.statements[:i] + (st,) + p.statements[i:j] + (new_reader,) + p.statements[j + 1:]
        return _with(p, stmts), Step("moving_average", i, new_reader, st)

    def _modified(self, p: Program, i: int, rng) -> Statement | None:
        """Statement ``i`` with its function, one argument or one constant changed."""
        st = p.statements[i]
        arity = OPS[st.op].arity
        choices = ["function"] + (["argument"] if arity else [])
        if any(isinstance(a, float) for a in st.args):
            choices.append("constant")
        what = choices[int(rng.integers(len(choices)))]
        if what == "function":
            same = [f for f in self.space.functions if OPS[f].arity == arity and f != st.op]
            if not same:
                return None
            return st.replace(op=same[int(rng.integers(len(same)))])
        args = list(st.args)
        if what == "argument":
            k = int(rng.integers(arity))
            args[k] = random_arg(defined_before(p, i), rng, self.space.new_constant)
        else:
            ks = [k for k, a in enumerate(args) if isinstance(a, float)]
            k = ks[int(rng.integers(len(ks)))]
            args[k] = self.mutate_constant(args[k], rng)
        return st.replace(args=tuple(args))

    def mutate_constant(self, value: float, rng: np.random.Generator) -> float:
        """A new value for a constant (see the module docstring); 4 significant digits.

        Args:
          value: the constant's value.
          rng: the source of randomness.

        Returns:
          The new value.
        """
        if rng.random() < self.space.normal_probability:
            return round_constant(float(rng.standard_normal()))
        scale = 0.1 if rng.random() < self.space.small_step_probability else 1.0
        return self._log_step(value, scale, rng, self.space.one_minus_probability)

    @staticmethod
    def _log_step(value: float, scale: float, rng: np.random.Generator, one_minus: float) -> float:
        factor = 2.0 ** (scale * float(rng.standard_normal()))
        if 0.5 < value < 1.0 and rng.random() < one_minus:
            return round_constant(1.0 - (1.0 - value) * factor)
        return round_constant(value * factor)

    def constant_variants(self, program: Program, n: int, rng: np.random.Generator) -> list[Program]:
        """Valid programs with ``program``'s structure and every constant moved a little.

        Each constant takes a small log-scale step (on ``1 - c`` for ``0.5 < c < 1``); every variant has a
        different functional hash.

        Args:
          program: the program.
          n: how many variants at most.
          rng: the source of randomness.

        Returns:
          Up to ``n`` programs (none when ``program`` has no constant).
        """
        where = [(i, k) for i, st in enumerate(program.statements) for k, a in enumerate(st.args)
                 if isinstance(a, float)]
        if not where:
            return []
        seen, out = {functional_hash(program)}, []
        for _ in range(4 * n):
            stmts = list(program.statements)
            for i, k in where:
                args = list(stmts[i].args)
                args[k] = self._log_step(args[k], 0.15, rng, 1.0)
                stmts[i] = stmts[i].replace(args=tuple(args))
            child = _with(program, stmts)
            h = functional_hash(child)
            if h not in seen and is_valid(child, lr_linear=self.lr_linear):
                seen.add(h)
                out.append(child)
                if len(out) == n:
                    break
        return out


def _with(p: Program, statements) -> Program:
    return Program(tuple(statements), p.returns, p.states)


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

Steps are drawn until the child's functional hash differs from the parent's
(as in the paper).  A step whose result is too long, or changes the hash but
is invalid (:func:`analysis.check`, optionally with ``lr_linear``), is
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

from search_space.analysis import is_valid
from search_space.errors import ProgramError
from search_space.hashing import functional_hash
from search_space.ops import OPS
from search_space.printer import format_statement
from search_space.program import Program, Statement
from search_space.random import defined_before, random_arg, random_statement, random_target, round_constant
from search_space.spaces import MUTATION_KINDS, Space

MAX_NEUTRAL_STEPS = 8   # neutral steps accumulated before the mutator starts again from the parent


@dataclasses.dataclass(frozen=True)
class Step:
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
        return f"modify {n}: {format_statement(self.before)} -> {format_statement(self.after)}"


@dataclasses.dataclass(frozen=True)
class Mutation:
    """The steps that turned the parent into the child (neutral steps first, the hash-changing one last)."""

    steps: tuple[Step, ...]

    @property
    def kind(self) -> str:
        return self.steps[-1].kind

    def __str__(self) -> str:
        return "; ".join(str(s) for s in self.steps)


class Mutator:
    """Mutates programs within a :class:`~search_space.spaces.Space`."""

    def __init__(self, space: Space, max_tries: int = 1000, *, lr_linear: bool = False):
        self.space = space
        self.max_tries = max_tries
        self.lr_linear = lr_linear
        kinds = [k for k in MUTATION_KINDS if space.mutation_weights.get(k, 0) > 0]
        w = np.array([space.mutation_weights[k] for k in kinds], float)
        self._kinds, self._p = kinds, w / w.sum()

    # -- public ------------------------------------------------------------
    def mutate(self, program: Program, rng: np.random.Generator) -> tuple[Program, Mutation]:
        """A valid child whose functional hash differs from ``program``'s, and how it was made."""
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
        """N(0, 1) with probability ``normal_probability``, else ``value * 2^N(0, 1)``; 4 significant digits."""
        if rng.random() < self.space.normal_probability:
            return round_constant(float(rng.standard_normal()))
        return round_constant(value * 2.0 ** float(rng.standard_normal()))


def _with(p: Program, statements) -> Program:
    return Program(tuple(statements), p.returns, p.states)


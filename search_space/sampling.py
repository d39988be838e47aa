"""Random statements and programs drawn from a search space.

Used by the mutator (inserted statements, changed arguments) and by the
property tests (random programs).  Every draw comes from the
:class:`numpy.random.Generator` passed in, so results are reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from search_space.analysis import analyze
from search_space.errors import ProgramError
from search_space.ops import OPS
from search_space.program import Arg, Program, Statement

CONSTANT_PROBABILITY = 0.2    # an argument of a new statement is a constant with this probability
FRESH_TARGET_PROBABILITY = 0.5
CONSTANT_DIGITS = 4           # mutated constants keep this many significant digits


def round_constant(value: float) -> float:
    """``value`` to ``CONSTANT_DIGITS`` significant digits (readable programs, stable hashes).

    Args:
      value: a constant.

    Returns:
      The rounded value.

    >>> round_constant(0.987654321)
    0.9877
    """
    return float(f"{value:.{CONSTANT_DIGITS}g}")


def defined_before(program: Program, index: int) -> list[str]:
    """Variables readable by a statement inserted at position ``index`` of ``program``.

    Args:
      program: the program.
      index: the insertion position (0 = before the first statement).

    Returns:
      The inputs, then the targets of the statements before ``index``, without repeats.

    >>> from search_space.seeds import load_seed
    >>> defined_before(load_seed("sgd"), 1)
    ['w', 'g', 'm', 'v', 'lr']
    """
    names = list(program.inputs)
    for st in program.statements[:index]:
        if st.target not in names:
            names.append(st.target)
    return names


def fresh_name(program: Program, prefix: str = "t") -> str:
    """The first name ``prefix0``, ``prefix1``, ... that ``program`` does not use.

    Args:
      program: the program.
      prefix: the name's prefix.

    Returns:
      The name.

    >>> from search_space.seeds import load_seed
    >>> fresh_name(load_seed("lion"))
    't0'
    """
    used = set(program.inputs) | {s.target for s in program.statements} | set(program.returns)
    k = 0
    while f"{prefix}{k}" in used:
        k += 1
    return f"{prefix}{k}"


def random_arg(variables: Sequence[str], rng: np.random.Generator, new_constant: float = 1.0) -> Arg:
    """One of ``variables`` at random, or ``new_constant`` with probability ``CONSTANT_PROBABILITY``.

    Args:
      variables: the variables to draw from (a constant when empty).
      rng: the source of randomness.
      new_constant: the value of a constant argument.

    Returns:
      A variable name or the constant.
    """
    if not variables or rng.random() < CONSTANT_PROBABILITY:
        return float(new_constant)
    return variables[int(rng.integers(len(variables)))]


def random_statement(
    functions: Sequence[str], variables: Sequence[str], targets: Sequence[str], rng: np.random.Generator,
    new_constant: float = 1.0,
) -> Statement:
    """A random statement.

    Args:
      functions: the function names to draw from.
      variables: the variables an argument may read (see :func:`defined_before`).
      targets: the names the result may be assigned to.
      rng: the source of randomness.
      new_constant: the value of a constant argument.

    Returns:
      ``target = f(args)``.
    """
    op = functions[int(rng.integers(len(functions)))]
    args = tuple(random_arg(variables, rng, new_constant) for _ in range(OPS[op].arity))
    target = targets[int(rng.integers(len(targets)))]
    return Statement(target, op, args)


def random_target(program: Program, index: int, rng: np.random.Generator) -> str:
    """A target for a statement at ``index`` of ``program``.

    Args:
      program: the program.
      index: the statement's position.
      rng: the source of randomness.

    Returns:
      A fresh temporary (half the time), else a variable defined before ``index`` (never ``w``) or ``update``.
    """
    if rng.random() < FRESH_TARGET_PROBABILITY:
        return fresh_name(program)
    choices = [n for n in defined_before(program, index) if n != "w"] + ["update"]
    return choices[int(rng.integers(len(choices)))]


def random_program(space, rng: np.random.Generator, n_statements: int, *, max_tries: int = 1000,
                   states: tuple[str, ...] = ("m", "v")) -> Program:
    """A random valid program (valid by :func:`search_space.analysis.analyze`).

    Args:
      space: a :class:`~search_space.spaces.Space` (its ``functions`` and ``new_constant``).
      rng: the source of randomness.
      n_statements: how many statements; the last assigns ``update``.
      max_tries: draws before giving up with a :class:`ProgramError`.
      states: the state names.

    Returns:
      The program.

    >>> from search_space.spaces import load_space
    >>> p = random_program(load_space("compact"), np.random.default_rng(0), 4)
    >>> len(p), p.statements[-1].target
    (4, 'update')
    """
    if n_statements == 0:
        return Program((), ("g", *states), states)
    for _ in range(max_tries):
        program = Program((), ("g", *states), states)
        for i in range(n_statements):
            target = "update" if i == n_statements - 1 else random_target(program, i, rng)
            st = random_statement(space.functions, defined_before(program, i), [target], rng, space.new_constant)
            program = program.with_statements(program.statements + (st,))
        program = Program(program.statements, ("update", *states), states)
        if analyze(program).valid:
            return program
    raise ProgramError(f"no valid random program of {n_statements} statements in {max_tries} tries")

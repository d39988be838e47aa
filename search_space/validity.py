"""Is a program valid: well-typed with a live update, and, where asked, linear in its ``lr`` input.

Types and liveness come from :mod:`search_space.analysis`; linearity in ``lr`` is checked on the
structure first, then by the numeric probe of :mod:`search_space.lr_probe`.

>>> from search_space.seeds import load_seed
>>> is_valid(load_seed("lion"), lr_linear=True)
True
"""

from __future__ import annotations

from search_space.analysis import analyze, lr_structure_problem, prune, statement_line
from search_space.errors import ProgramError
from search_space.lr_probe import lr_nonlinearity
from search_space.program import Program


def check(program: Program, *, lr_linear: bool = False) -> None:
    """Raise :class:`ProgramError` (with the statement's printed line) if ``program`` is invalid.

    Args:
      program: the program.
      lr_linear: also require that the update scales linearly with ``lr`` (checked structurally,
        then numerically on the pruned program).

    Raises:
      ProgramError: the reason, located at the statement's printed line (``statement`` holds its index,
        None for the return line).

    >>> from search_space.seeds import load_seed
    >>> check(load_seed("lion"), lr_linear=True)
    """
    a = analyze(program)
    if not a.valid:
        err = ProgramError(a.reason, line=a.line)
        err.statement = a.error_statement
        raise err
    if lr_linear:
        problem = lr_structure_problem(a)
        if problem is None:
            msg = lr_nonlinearity(prune(program))
            problem = None if msg is None else (msg, a.returns[0][1] if a.returns[0][0] == "stmt" else None)
        if problem is not None:
            reason, where = problem
            line = statement_line(len(program.statements)) if where is None else statement_line(where)
            err = ProgramError(reason, line=line)
            err.statement = where
            raise err


def is_valid(program: Program, *, lr_linear: bool = False) -> bool:
    """Whether :func:`check` accepts ``program``.

    Args:
      program: the program.
      lr_linear: also require an update linear in ``lr``.

    Returns:
      True when the program is valid.
    """
    try:
        check(program, lr_linear=lr_linear)
    except ProgramError:
        return False
    return True

r"""Program checks whose errors point at the line and column of the program's source text.

The analysis and the search spaces name a statement by its index; these helpers turn that into
``FILE:line:col: reason`` for the file the program came from.

>>> text = "def train(w, g, m, v, lr):\n    # a comment\n    u = arcsin(g)\n    u = u * lr\n    return u, m, v\n"
>>> from search_space.parser import parse
>>> print(check_located(parse(text), text, "x.program", space="compact"))
x.program:3:5: function 'arcsin' is not in space 'compact'
"""

from __future__ import annotations

import ast

from search_space.errors import ProgramError
from search_space.program import Program
from search_space.spaces import load_space
from search_space.validity import check


def _positions(text: str) -> list[tuple[int, int]]:
    """(line, col) of each statement of an already parsed program text, then of its return."""
    fn = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef))
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]
    return [(n.lineno, n.col_offset + 1) for n in body]


def located(exc: ProgramError, file: str, text: str) -> ProgramError:
    """``exc`` placed at its statement's line and column in ``file``.

    ``exc`` is an analysis error whose ``statement`` attribute is an index, or None for the return.
    """
    positions = _positions(text)
    index = getattr(exc, "statement", None)
    line, col = positions[-1] if index is None else positions[index]
    return ProgramError(exc.reason, file=file, line=line, col=col)


def check_located(program: Program, text: str, file: str, *, space=None,
                  lr_linear: bool = False) -> ProgramError | None:
    """The first problem of ``program`` (parsed from ``text``), located; None when it has none.

    A problem is: invalid (with ``lr_linear``, also not linear in lr), or outside the search space
    ``space`` (a :class:`~search_space.spaces.Space` or a name).
    """
    try:
        check(program, lr_linear=lr_linear)
    except ProgramError as exc:
        return located(exc, file, text)
    if space:
        problem = (load_space(space) if isinstance(space, str) else space).problem(program)
        if problem is not None:
            exc = ProgramError(problem[0])
            exc.statement = problem[1]
            return located(exc, file, text)
    return None

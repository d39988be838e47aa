"""The program IR: an immutable, validated sequence of statements, and its printed form.

A program is ``def train(w, g, <states...>, lr): ... return update, <states...>``.
Each statement assigns the result of one function of :mod:`search_space.ops`
(or one of ``+ - * /``) applied to variables and float constants.

Arguments are plain Python values: a ``str`` is a variable name, a ``float``
is a constant.  ``Program`` validates itself on construction, so every
``Program`` object that exists is well-formed (names defined before use,
known functions, right arity, finite constants); whether it is *well-typed*
(scalars vs tensors) is the analysis module's job.

``str(program)`` is its text (:func:`format_program`); ``parse(format_program(p)) == p`` for every
program (:func:`search_space.parser.parse`).

>>> from search_space.seeds import load_seed
>>> print(format_program(load_seed("sgd")), end="")
def train(w, g, m, v, lr):
    lr = lr * 0.01
    update = g * lr
    return update, m, v
>>> one_line(load_seed("sgd"))
'lr = lr * 0.01; update = g * lr; return update, m, v'
"""

from __future__ import annotations

import dataclasses
import keyword
import math
from collections.abc import Iterable

from search_space.errors import ProgramError
from search_space.ops import OPS

Arg = str | float

DEFAULT_STATES = ("m", "v")
JSON_FORMAT = "symopt.program/1"


def _check_name(name: object, what: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ProgramError(f"{what} {name!r} is not a valid variable name")
    if name in OPS:
        raise ProgramError(f"{what} {name!r} shadows the function of the same name")


@dataclasses.dataclass(frozen=True)
class Statement:
    """``target = op(*args)``: one function of :data:`search_space.ops.OPS`, checked on construction.

    Attributes:
      target: the variable assigned.
      op: the function's name.
      args: its arguments: variables (``str``) and finite float constants.

    >>> Statement("u", "interp", ("g", "m", 0.9)).variables
    ('g', 'm')
    """

    target: str
    op: str
    args: tuple[Arg, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", tuple(_normalise_arg(a) for a in self.args))
        _check_name(self.target, "assignment target")
        op = OPS.get(self.op)
        if op is None:
            raise ProgramError(f"unknown function {self.op!r}")
        if len(self.args) != op.arity:
            raise ProgramError(f"{self.op} takes {op.arity} argument(s), got {len(self.args)}")

    @property
    def variables(self) -> tuple[str, ...]:
        """Variables read by this statement, in argument order."""
        return tuple(a for a in self.args if isinstance(a, str))

    def replace(self, **changes) -> Statement:
        """A copy with ``changes`` applied and checked.

        Args:
          **changes: new values of ``target``, ``op`` or ``args``.

        Returns:
          The new statement.

        >>> format_statement(Statement("u", "sign", ("g",)).replace(op="abs"))
        'u = abs(g)'
        """
        return dataclasses.replace(self, **changes)


def _normalise_arg(arg: object) -> Arg:
    if isinstance(arg, bool):
        raise ProgramError(f"constant {arg!r} is not a number")
    if isinstance(arg, str):
        _check_name(arg, "variable")
        return arg
    if isinstance(arg, (int, float)):
        value = float(arg)
        if not math.isfinite(value):
            raise ProgramError(f"constant {arg!r} is not finite")
        return value
    # numpy / jax scalars
    try:
        value = float(arg)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ProgramError(f"argument {arg!r} is neither a variable name nor a number") from None
    if not math.isfinite(value):
        raise ProgramError(f"constant {arg!r} is not finite")
    return value


@dataclasses.dataclass(frozen=True)
class Program:
    """An optimizer program.

    ``returns[0]`` is the update (the caller applies ``w = w - update``);
    ``returns[1:]`` are the new values of ``states`` in order.

    Attributes:
      statements: the statements, in order.
      returns: the update's name, then the new value of each state.
      states: the state names (``("m", "v")`` by default).
    """

    statements: tuple[Statement, ...]
    returns: tuple[str, ...] = ("update",) + DEFAULT_STATES
    states: tuple[str, ...] = DEFAULT_STATES

    def __post_init__(self) -> None:
        object.__setattr__(self, "statements", tuple(self.statements))
        object.__setattr__(self, "returns", tuple(self.returns))
        object.__setattr__(self, "states", tuple(self.states))
        for s in self.statements:
            if not isinstance(s, Statement):
                raise ProgramError(f"statement {s!r} is not a Statement")
        names = ("w", "g", *self.states, "lr")
        for n in self.states:
            _check_name(n, "state")
        if len(set(names)) != len(names):
            raise ProgramError(f"duplicate parameter names in {names}")
        defined = set(names)
        for i, s in enumerate(self.statements):
            for a in s.variables:
                if a not in defined:
                    raise ProgramError(f"variable {a!r} is used before it is assigned", line=i + 2)
            defined.add(s.target)
        if len(self.returns) != 1 + len(self.states):
            raise ProgramError(
                f"return must give the update and {len(self.states)} state(s), got {len(self.returns)} value(s)"
            )
        for r in self.returns:
            _check_name(r, "returned value")
            if r not in defined:
                raise ProgramError(f"returned variable {r!r} is never assigned", line=len(self.statements) + 2)

    # -- views -------------------------------------------------------------
    @property
    def inputs(self) -> tuple[str, ...]:
        """The parameters of ``train``: ``("w", "g", *states, "lr")``."""
        return ("w", "g", *self.states, "lr")

    @property
    def update(self) -> str:
        """The name of the returned update."""
        return self.returns[0]

    def __len__(self) -> int:
        return len(self.statements)

    def constants(self) -> list[float]:
        """Every constant argument, in statement order.

        Returns:
          The constants.
        """
        return [a for s in self.statements for a in s.args if isinstance(a, float)]

    def with_statements(self, statements: Iterable[Statement]) -> Program:
        """The same signature and returns with ``statements`` (checked again).

        Args:
          statements: the new statements.

        Returns:
          The new program.
        """
        return Program(tuple(statements), self.returns, self.states)

    # -- text and JSON -----------------------------------------------------
    def __str__(self) -> str:
        return format_program(self)

    def to_json(self) -> dict:
        """A JSON-able dict (format ``symopt.program/1``); :meth:`from_json` reads it back.

        Returns:
          ``{"format", "states", "statements", "returns"}``.

        >>> from search_space.seeds import load_seed
        >>> p = load_seed("lion")
        >>> Program.from_json(p.to_json()) == p
        True
        """
        return {
            "format": JSON_FORMAT,
            "states": list(self.states),
            "statements": [[s.target, s.op, list(s.args)] for s in self.statements],
            "returns": list(self.returns),
        }

    @classmethod
    def from_json(cls, data: object) -> Program:
        """The program of a :meth:`to_json` dict.

        Args:
          data: the decoded JSON.

        Returns:
          The program.

        Raises:
          ProgramError: ``data`` is not a ``symopt.program/1`` object or its program is not well-formed.
        """
        if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
            raise ProgramError(f"not a {JSON_FORMAT} object")
        try:
            statements = tuple(
                Statement(str(t), str(op), tuple(args)) for t, op, args in data["statements"]
            )
            return cls(statements, tuple(data["returns"]), tuple(data["states"]))
        except ProgramError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ProgramError(f"malformed program JSON ({exc})") from None


# -- the printed form ---------------------------------------------------------------------------------

def format_arg(arg: Arg) -> str:
    """Variables print as their name; constants as the shortest float repr that round-trips.

    Args:
      arg: a statement's argument.

    Returns:
      Its text.

    >>> format_arg("m"), format_arg(0.1), format_arg(2.0)
    ('m', '0.1', '2.0')
    """
    return arg if isinstance(arg, str) else repr(float(arg))


def format_expr(st: Statement) -> str:
    """The right-hand side of a statement: ``a + b`` or ``f(a, b)``.

    Args:
      st: the statement.

    Returns:
      Its expression as text.

    >>> format_expr(Statement("u", "add", ("g", 1.0))), format_expr(Statement("u", "sign", ("g",)))
    ('g + 1.0', 'sign(g)')
    """
    op = OPS[st.op]
    args = [format_arg(a) for a in st.args]
    if op.infix:
        return f"{args[0]} {op.infix} {args[1]}"
    return f"{st.op}({', '.join(args)})"


def format_statement(st: Statement) -> str:
    """One statement as a line of text (no indentation): ``target = expression``.

    Args:
      st: the statement.

    Returns:
      Its line.
    """
    return f"{st.target} = {format_expr(st)}"


def format_signature(program: Program) -> str:
    """The program's ``def train(...):`` line.

    Args:
      program: the program.

    Returns:
      Its first line.
    """
    return f"def train({', '.join(program.inputs)}):"


def format_return(program: Program) -> str:
    """The program's ``return update, m, v`` line (no indentation).

    Args:
      program: the program.

    Returns:
      Its last line.
    """
    return f"return {', '.join(program.returns)}"


def format_program(program: Program) -> str:
    """The whole program as text, one statement a line, ending with a newline.

    Args:
      program: the program.

    Returns:
      Its text, which :func:`search_space.parser.parse` reads back as an equal program.
    """
    lines = [format_signature(program)]
    lines += [f"    {format_statement(s)}" for s in program.statements]
    lines.append(f"    {format_return(program)}")
    return "\n".join(lines) + "\n"


def one_line(program: Program) -> str:
    """``program`` on one line (statements joined by ``; ``), for tables and progress displays.

    Args:
      program: the program.

    Returns:
      The line.
    """
    body = "; ".join(format_statement(s) for s in program.statements)
    return f"{body}; {format_return(program)}" if body else format_return(program)

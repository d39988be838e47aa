"""Print a program as text; ``parse(format_program(p)) == p`` for every program."""

from __future__ import annotations

from search_space.ops import OPS
from search_space.program import Arg, Program, Statement


def format_arg(arg: Arg) -> str:
    """Variables print as their name; constants as the shortest float repr that round-trips."""
    return arg if isinstance(arg, str) else repr(float(arg))


def format_expr(st: Statement) -> str:
    """The right-hand side of a statement: ``a + b`` or ``f(a, b)``."""
    op = OPS[st.op]
    args = [format_arg(a) for a in st.args]
    if op.infix:
        return f"{args[0]} {op.infix} {args[1]}"
    return f"{st.op}({', '.join(args)})"


def format_statement(st: Statement) -> str:
    return f"{st.target} = {format_expr(st)}"


def format_signature(program: Program) -> str:
    return f"def train({', '.join(program.inputs)}):"


def format_return(program: Program) -> str:
    return f"return {', '.join(program.returns)}"


def format_program(program: Program) -> str:
    lines = [format_signature(program)]
    lines += [f"    {format_statement(s)}" for s in program.statements]
    lines.append(f"    {format_return(program)}")
    return "\n".join(lines) + "\n"


def one_line(program: Program) -> str:
    """A compact single-line form for tables and progress displays."""
    body = "; ".join(format_statement(s) for s in program.statements)
    return f"{body}; {format_return(program)}" if body else format_return(program)

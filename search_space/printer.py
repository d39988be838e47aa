"""Print a program as text; ``parse(format_program(p)) == p`` for every program.

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
    """One statement as a line of text (no indentation): ``target = expression``."""
    return f"{st.target} = {format_expr(st)}"


def format_signature(program: Program) -> str:
    """The program's ``def train(...):`` line."""
    return f"def train({', '.join(program.inputs)}):"


def format_return(program: Program) -> str:
    """The program's ``return update, m, v`` line (no indentation)."""
    return f"return {', '.join(program.returns)}"


def format_program(program: Program) -> str:
    """The whole program as text, one statement a line, ending with a newline."""
    lines = [format_signature(program)]
    lines += [f"    {format_statement(s)}" for s in program.statements]
    lines.append(f"    {format_return(program)}")
    return "\n".join(lines) + "\n"


def one_line(program: Program) -> str:
    """``program`` on one line (statements joined by ``; ``), for tables and progress displays."""
    body = "; ".join(format_statement(s) for s in program.statements)
    return f"{body}; {format_return(program)}" if body else format_return(program)

"""Parse program text into a :class:`~search_space.program.Program`.

The text is Python syntax, read with :mod:`ast` and never executed.  Only a
tiny subset is accepted; everything else is a :class:`ProgramError` that
names the line and column::

    def train(w, g, m, v, lr):
        update = interp(g, m, 0.9)
        update = sign(update)
        m = interp(g, m, 0.99)
        return update, m, v
"""

from __future__ import annotations

import ast
import os

from search_space.analysis import analyze
from search_space.errors import ProgramError
from search_space.ops import INFIX, OPS
from search_space.program import Program, Statement

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
MAX_TEXT_BYTES = 1_000_000
MAX_LIVE_STATEMENTS = 128     # the most live statements a program may have (what the interpreter encodes)


def _err(node: ast.AST | None, reason: str) -> ProgramError:
    line = getattr(node, "lineno", None)
    col = getattr(node, "col_offset", None)
    if line is None:  # no node (e.g. a file of comments only): point at the start
        return ProgramError(reason, line=1, col=1)
    return ProgramError(reason, line=line, col=None if col is None else col + 1)


def parse(text: str, file: str | None = None) -> Program:
    r"""Parse and validate program text.

    Args:
      text: the program (``def train(w, g, m, v, lr): ... return update, m, v``).
      file: names the text in errors.

    Returns:
      The :class:`~search_space.program.Program`.

    Raises:
      ProgramError: one line ``FILE:line:col: reason`` for anything that is not a valid program.

    >>> p = parse("def train(w, g, m, v, lr):\n    update = sign(g) * lr\n    return update, m, v\n")
    Traceback (most recent call last):
    ...
    search_space.errors.ProgramError: <program>:2:14: arguments must be variable names or numbers (no nested ...
    >>> p = parse("def train(w, g, m, v, lr):\n    u = sign(g)\n    u = u * lr\n    return u, m, v\n")
    >>> len(p), p.update
    (2, 'u')
    >>> parse("def train(w, g, m, v, lr):\n    update = eval(g)\n    return update, m, v\n", file="x.program")
    Traceback (most recent call last):
    ...
    search_space.errors.ProgramError: x.program:2:14: unknown function 'eval'
    """
    try:
        return _parse(text)
    except ProgramError as exc:
        if not file:
            raise
        raise exc.with_file(file) from None


def parse_file(path: str | os.PathLike) -> Program:
    """Read and parse the program file at ``path``; errors name the file.

    Args:
      path: the file (UTF-8, at most ``MAX_TEXT_BYTES``).

    Returns:
      The program.

    Raises:
      ProgramError: the file cannot be read, is not text, or is not a valid program (one line naming
        the file, and the line and column where known).

    >>> parse_file("/no/such.program")
    Traceback (most recent call last):
    ...
    search_space.errors.ProgramError: /no/such.program: cannot read file (No such file or directory)
    """
    name = os.fspath(path)
    return parse(read_text(name), file=name)


def read_text(path: str | os.PathLike) -> str:
    """The text of the program file at ``path`` (see :func:`decode`).

    Args:
      path: the program file.

    Returns:
      Its text.

    Raises:
      ProgramError: naming the file, when it cannot be read or decoded.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            data = fh.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        raise ProgramError(f"cannot read file ({exc.strerror or exc})", file=name) from None
    return decode(data, name)


def decode(data: bytes, file: str | None = None) -> str:
    r"""``data`` as UTF-8 text (a leading byte-order mark dropped).

    Args:
      data: the bytes of a program file.
      file: names the file in errors.

    Returns:
      The text.

    Raises:
      ProgramError: ``data`` is larger than ``MAX_TEXT_BYTES`` or not UTF-8 (with the line and column of the
        first bad byte).

    >>> decode(b"\xef\xbb\xbfdef")
    'def'
    """
    if len(data) > MAX_TEXT_BYTES:
        raise ProgramError(f"file is larger than {MAX_TEXT_BYTES} bytes", file=file)
    try:
        if data.startswith(b"\xef\xbb\xbf"):  # a leading UTF-8 byte-order mark is not an error
            data = data[3:]
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ProgramError("not UTF-8 text (binary file?)", file=file, line=line, col=col) from None


def _parse(text: str) -> Program:
    if not isinstance(text, str):
        raise ProgramError("program text must be a string")
    if "\x00" in text:
        pos = text.index("\x00")
        line = text[:pos].count("\n") + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        raise ProgramError("program text contains a NUL byte (binary file?)", line=line, col=col)
    if not text.strip():
        raise ProgramError("empty program: expected 'def train(w, g, m, v, lr): ...'", line=1, col=1)
    try:
        module = ast.parse(text, mode="exec")
    except SyntaxError as exc:
        msg = exc.msg or "invalid syntax"
        raise ProgramError(f"syntax error: {msg}", line=exc.lineno, col=exc.offset) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ProgramError(f"cannot parse program text ({type(exc).__name__})", line=1, col=1) from None

    body = list(module.body)
    if body and _is_docstring(body[0]):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.FunctionDef):
        others = [n for n in body if not isinstance(n, ast.FunctionDef)]
        node = others[0] if others else (body[1] if len(body) > 1 else None)
        raise _err(node, "expected exactly one function definition 'def train(w, g, <states>, lr):'")
    fn = body[0]
    states = _parse_signature(fn)

    stmts = list(fn.body)
    if stmts and _is_docstring(stmts[0]):
        stmts = stmts[1:]
    if not stmts or not isinstance(stmts[-1], ast.Return):
        raise _err(stmts[-1] if stmts else fn, "the function must end with 'return update, <states>'")
    statements = []
    defined = {"w", "g", "lr", *states}
    for node in stmts[:-1]:
        st = _parse_statement(node)
        for a in st.variables:
            if a not in defined:
                raise _err(node, f"variable {a!r} is used before it is assigned")
        defined.add(st.target)
        statements.append(st)
    returns = _parse_return(stmts[-1], len(states))
    for name, node in returns:
        if name not in defined:
            raise _err(node, f"returned variable {name!r} is never assigned")
    try:
        program = Program(tuple(statements), tuple(n for n, _ in returns), states)
    except ProgramError as exc:  # any remaining structural problem
        raise _err(stmts[-1], exc.reason) from None
    _check_size(program, stmts)
    return program


def _check_size(program: Program, nodes: list[ast.stmt]) -> None:
    """Raise at the first live statement beyond :data:`MAX_LIVE_STATEMENTS` (dead ones never run: not counted)."""
    if len(program.statements) <= MAX_LIVE_STATEMENTS:
        return

    live = [i for i, alive in enumerate(analyze(program).live) if alive]
    if len(live) > MAX_LIVE_STATEMENTS:
        raise _err(nodes[live[MAX_LIVE_STATEMENTS]], f"the program has {len(live)} live statements; a program may "
                   f"have at most {MAX_LIVE_STATEMENTS}")


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _parse_signature(fn: ast.FunctionDef) -> tuple[str, ...]:
    a = fn.args
    if fn.decorator_list:
        raise _err(fn.decorator_list[0], "decorators are not allowed")
    if fn.returns is not None:
        raise _err(fn.returns, "return annotations are not allowed")
    if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or a.defaults or a.kw_defaults:
        raise _err(fn, "the signature must be plain names: def train(w, g, <states>, lr)")
    names = []
    for arg in a.args:
        if arg.annotation is not None:
            raise _err(arg, "annotations are not allowed")
        names.append(arg.arg)
    if len(names) < 3 or names[0] != "w" or names[1] != "g" or names[-1] != "lr":
        raise _err(fn, "the signature must be def train(w, g, <states>, lr)")
    states = tuple(names[2:-1])
    if len(set(names)) != len(names):
        raise _err(fn, "duplicate parameter names")
    for s in states:
        if s in OPS:
            raise _err(fn, f"state {s!r} shadows the function of the same name")
    return states


def _parse_statement(node: ast.stmt) -> Statement:
    if isinstance(node, ast.AugAssign):
        raise _err(node, "augmented assignment is not supported; write 'x = x + y'")
    if not isinstance(node, ast.Assign):
        kind = type(node).__name__.lower()
        raise _err(node, f"unsupported statement ({kind}); only 'x = f(...)', 'x = a OP b' and a final return")
    if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
        raise _err(node, "assign to exactly one plain variable name")
    target = node.targets[0].id
    if target in OPS:
        raise _err(node.targets[0], f"variable {target!r} shadows the function of the same name")
    value = node.value
    if isinstance(value, ast.BinOp):
        sym = _BINOPS.get(type(value.op))
        if sym is None:
            raise _err(value, f"operator {type(value.op).__name__} is not supported; use + - * / or a function")
        op, args = INFIX[sym], (_parse_arg(value.left), _parse_arg(value.right))
    elif isinstance(value, ast.Call):
        if not isinstance(value.func, ast.Name):
            raise _err(value.func, "only functions of the table may be called (no attributes or expressions)")
        op = value.func.id
        if op not in OPS or OPS[op].infix:
            raise _err(value.func, f"unknown function {op!r}")
        if value.keywords:
            raise _err(value.keywords[0], "keyword arguments are not supported")
        arity = OPS[op].arity
        if len(value.args) != arity:
            raise _err(value, f"{op} takes {arity} argument(s), got {len(value.args)}")
        args = tuple(_parse_arg(a) for a in value.args)
    else:
        raise _err(value, "a statement must call one function or apply one of + - * / to variables and constants")
    try:
        return Statement(target, op, args)
    except ProgramError as exc:
        raise _err(node, exc.reason) from None


def _parse_arg(node: ast.expr):
    if isinstance(node, ast.Name):
        if node.id in OPS:
            raise _err(node, f"{node.id!r} is a function, not a variable")
        return node.id
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        inner = node.operand
        if not isinstance(inner, ast.Constant):
            raise _err(node, "unary minus applies only to numbers; use negative(x)")
        node = inner
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _err(node, f"constant {value!r} is not a number")
        try:
            result = sign * float(value)
        except OverflowError:
            raise _err(node, "constant is too large") from None
        if result != result or result in (float("inf"), float("-inf")):
            raise _err(node, f"constant {value!r} is not finite")
        return result
    raise _err(node, "arguments must be variable names or numbers (no nested calls or expressions)")


def _parse_return(node: ast.Return, n_states: int) -> list[tuple[str, ast.AST]]:
    value = node.value
    if value is None:
        raise _err(node, "return must give the update and the states")
    elts = value.elts if isinstance(value, ast.Tuple) else [value]
    if len(elts) != 1 + n_states:
        raise _err(node, f"return must give the update and {n_states} state(s), got {len(elts)} value(s)")
    out = []
    for e in elts:
        if not isinstance(e, ast.Name):
            raise _err(e, "return values must be variable names")
        out.append((e.id, e))
    return out

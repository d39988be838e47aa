"""Canonical functional hash of a program's live dataflow.

Each live value gets a *value number*: an input is named by its role (``w``,
``g``, ``lr``, ``state<j>``), a constant by its value rounded to
``SIGNIFICANT`` significant digits, a statement by its function and the value
numbers of its arguments (sorted for commutative functions).  The program's
key is the value number of the update and of each state output that a later
step reads (dead state outputs count as ``dead``); the states are tried in
every order and the smallest key wins, so swapping the roles of ``m`` and
``v`` does not split a program either.

So the hash ignores variable names, the order of independent statements,
dead code (within and across steps) and the argument order of commutative
functions; programs with the same dataflow hash the same.

>>> from search_space.seeds import load_seed
>>> functional_hash(load_seed("adamw")) != functional_hash(load_seed("lion"))
True
"""

from __future__ import annotations

import hashlib
import itertools
from functools import lru_cache

from search_space.analysis import analyze, prune
from search_space.ops import OPS
from search_space.program import Program, one_line

SIGNIFICANT = 6
HASH_CHARS = 16


def canonical_constant(value: float) -> str:
    """``value`` rounded to ``SIGNIFICANT`` significant digits, as text (``-0.0`` is ``0``).

    Args:
      value: a constant of a program.

    Returns:
      The rounded value as text.

    >>> canonical_constant(0.123456789), canonical_constant(-0.0)
    ('0.123457', '0')
    """
    text = f"{float(value):.{SIGNIFICANT}g}"
    return "0" if float(text) == 0.0 else text


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=HASH_CHARS // 2).hexdigest()


def _value_numbers(program: Program, order: tuple[int, ...]) -> list[str]:
    """Per-return value numbers with state ``order[j]`` renamed ``state<j>``."""
    a = analyze(program)
    role = {"w": "w", "g": "g", "lr": "lr"}
    for j, s in enumerate(order):
        role[program.states[s]] = f"state{j}"
    numbers: dict[int, str] = {}

    def number(node) -> str:
        if node is None:
            raise AssertionError("constants are numbered in place")
        if node[0] == "input":
            return role[node[1]]
        return numbers[node[1]]

    for i, st in enumerate(program.statements):
        if not a.live[i]:
            continue
        args = [
            f"c{canonical_constant(arg)}" if src is None else number(src)
            for arg, src in zip(st.args, a.defs[i])
        ]
        if OPS[st.op].has("commutative"):
            args.sort()
        numbers[i] = _digest(f"{st.op}({','.join(args)})")
    out = [number(a.returns[0])]
    for j in order:
        out.append(number(a.returns[1 + j]) if a.live_states[j] else "dead")
    return out


@lru_cache(maxsize=65536)
def functional_hash(program: Program) -> str:
    r"""16 hex characters identifying ``program``'s live dataflow (see the module docstring).

    Args:
      program: the program.

    Returns:
      The hash: equal for programs that differ only in names, dead code, statement order, the order
      of commutative arguments, the order of the states or constants beyond ``SIGNIFICANT`` digits.

    >>> from search_space.parser import parse
    >>> a = parse("def train(w, g, m, v, lr):\n    u = g * lr\n    return u, m, v\n")
    >>> b = parse("def train(w, g, m, v, lr):\n    x = lr * g\n    return x, m, v\n")
    >>> functional_hash(a) == functional_hash(b)             # names and argument order do not count
    True
    """
    keys = (
        "|".join(_value_numbers(program, order))
        for order in itertools.permutations(range(len(program.states)))
    )
    return _digest(min(keys))


def structural_key(program: Program) -> str:
    """``program`` pruned of dead code, on one line: names and statement order still count (cheap, readable).

    Args:
      program: the program.

    Returns:
      The pruned program's :func:`~search_space.program.one_line` text.

    >>> from search_space.seeds import load_seed
    >>> structural_key(load_seed("sgd"))
    'lr = lr * 0.01; update = g * lr; return update, m, v'
    """
    return one_line(prune(program))

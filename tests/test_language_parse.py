"""Program text and JSON: round trips (property-tested) and every kind of bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search_space import parse
from search_space.errors import ProgramError
from search_space.ops import OPS
from search_space.parser import decode
from search_space.program import Program, Statement, format_program
from search_space.sampling import random_program
from search_space.seeds import load_seed, seed_names
from search_space.spaces import load_space

NAMES = ["x", "y", "tmp", "update", "m", "v", "lr", "g", "a_1"]
FLOATS = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def programs(draw):
    """Any well-formed program: random functions, names, reassignments and floats (not necessarily valid)."""
    states = draw(st.sampled_from([("m", "v"), ("m",), ("s", "t", "u")]))
    defined = ["w", "g", *states, "lr"]
    statements = []
    for _ in range(draw(st.integers(0, 12))):
        op = draw(st.sampled_from(sorted(OPS)))
        args = tuple(draw(st.one_of(st.sampled_from(defined), FLOATS)) for _ in range(OPS[op].arity))
        target = draw(st.sampled_from([n for n in NAMES if n not in ("m", "v") or n in states]))
        statements.append(Statement(target, op, args))
        if target not in defined:
            defined.append(target)
    returns = tuple(draw(st.sampled_from(defined)) for _ in range(1 + len(states)))
    return Program(tuple(statements), returns, states)


@settings(max_examples=300, deadline=None)
@given(programs())
def test_text_round_trip(p):
    assert parse(format_program(p)) == p


@settings(max_examples=200, deadline=None)
@given(programs())
def test_json_round_trip(p):
    assert Program.from_json(json.loads(json.dumps(p.to_json()))) == p


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 10))
def test_random_programs_round_trip_and_are_valid(seed, n):
    from search_space.analysis import analyze

    p = random_program(load_space("hero"), np.random.default_rng(seed), n)
    assert len(p) == n and analyze(p).valid
    assert parse(format_program(p)) == p


def test_seeds_round_trip():
    for name in seed_names():
        p = load_seed(name)
        assert parse(str(p)) == p


H = "def train(w, g, m, v, lr):\n"
BAD = {
    "malformed": (H + "    x = = g\n", 2, "syntax error"),
    "unknown function": (H + "    x = foo(g)\n    return x, m, v\n", 2, "unknown function 'foo'"),
    "wrong arity": (H + "    x = sign(g, g)\n    return x, m, v\n", 2, "takes 1 argument"),
    "string constant": (H + "    x = interp(g, m, '0.9')\n    return x, m, v\n", 2, "is not a number"),
    "bool constant": (H + "    x = g * True\n    return x, m, v\n", 2, "is not a number"),
    "complex constant": (H + "    x = g * 1j\n    return x, m, v\n", 2, "is not a number"),
    "infinite constant": (H + "    x = g * 1e999\n    return x, m, v\n", 2, "not finite"),
    "for loop": (H + "    for i in g:\n        pass\n    return g, m, v\n", 2, "unsupported statement"),
    "while loop": (H + "    while g:\n        pass\n    return g, m, v\n", 2, "unsupported statement"),
    "if": (H + "    if g:\n        x = g\n    return g, m, v\n", 2, "unsupported statement"),
    "attribute call": (H + "    x = np.sign(g)\n    return x, m, v\n", 2, "only functions of the table"),
    "attribute access": (H + "    x = g.T\n    return x, m, v\n", 2, "must call one function"),
    "call of a variable": (H + "    x = g(1.0)\n    return x, m, v\n", 2, "unknown function 'g'"),
    "call of a lambda": (H + "    x = (lambda: 1)()\n    return x, m, v\n", 2, "only functions of the table"),
    "builtin call": (H + "    x = print(g)\n    return x, m, v\n", 2, "unknown function 'print'"),
    "nested call": (H + "    x = sign(sign(g))\n    return x, m, v\n", 2, "no nested calls"),
    "power operator": (H + "    x = g ** 2\n    return x, m, v\n", 2, "not supported"),
    "import": ("import os\n" + H + "    return g, m, v\n", 1, "exactly one function"),
    "undefined variable": (H + "    x = sign(q)\n    return x, m, v\n", 2, "used before it is assigned"),
    "no return": (H + "    x = sign(g)\n", 2, "must end with 'return"),
    "bad signature": ("def train(w, g):\n    return g\n", 1, "signature"),
    "empty": ("", 1, "empty program"),
    "blank": ("   \n\n", 1, "empty program"),
    "comments only": ("# nothing\n", 1, "exactly one function"),
    "NUL byte": (H + "    x = g\x00\n    return x, m, v\n", 2, "NUL byte"),
    "binary garbage as text": ("\x7fELF\x02\x01\x01" + "\x00" * 8, 1, "NUL byte"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_text_gives_line_and_col(name):
    text, line, reason = BAD[name]
    with pytest.raises(ProgramError, match=reason) as exc:
        parse(text, file="bad.program")
    e = exc.value
    assert (e.file, e.line) == ("bad.program", line) and e.col >= 1
    assert str(e).startswith(f"bad.program:{line}:{e.col}: ") and "\n" not in str(e)


@pytest.mark.parametrize("data", [b"\xff\xfe\x00\x01garbage", b"def train(w, g, m, v, lr):\n    x = \xe9\n"])
def test_binary_bytes_give_line_and_col(data):
    with pytest.raises(ProgramError, match="not UTF-8") as exc:
        decode(data, "bin.program")
    assert exc.value.line >= 1 and exc.value.col >= 1


def test_byte_order_mark_is_accepted():
    assert decode(b"\xef\xbb\xbf" + str(load_seed("lion")).encode()) == str(load_seed("lion"))


@pytest.mark.parametrize("data", [{"format": "nope"}, {"format": "symopt.program/1", "statements": 3}, [1, 2]])
def test_bad_json_is_program_error(data):
    with pytest.raises(ProgramError):
        Program.from_json(data)

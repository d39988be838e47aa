"""A program as fixed-size arrays: the input of the compiled-once interpreter.

Only the *live* statements are encoded (``search_space.analysis.prune``), in
static single assignment: statement ``i`` writes register ``FIRST_STMT + i``.
Registers ``0..4`` hold ``w, g, state0, state1, lr``.  Each argument is a
register index, or (``is_const``) a float constant.  Padding slots carry
opcode ``NOP`` and are never dispatched (the interpreter loops over ``n``).

>>> from search_space.seeds import load_seed
>>> e = encode(load_seed("adamw"), 16)
>>> int(e.n), e.opcode.shape
(9, (16,))
"""

from __future__ import annotations

import dataclasses

import numpy as np

from search_space.analysis import prune
from search_space.ops import OPCODES
from search_space.program import Program

MAX_STATES = 2
REG_W, REG_G, REG_S0, REG_LR = 0, 1, 2, 2 + MAX_STATES
FIRST_STMT = REG_LR + 1
MAX_ARITY = 3
NOP = len(OPCODES)          # one past the last real opcode (never dispatched)
LENGTH_BUCKETS = (16, 32, 64, 128)


@dataclasses.dataclass(frozen=True)
class Encoded:
    """Arrays of one program (numpy; ``jax.tree_util`` registers it as a pytree)."""

    opcode: np.ndarray     # int32 [L]
    arg_reg: np.ndarray    # int32 [L, 3]
    arg_const: np.ndarray  # float32 [L, 3]
    is_const: np.ndarray   # bool [L, 3]
    out: np.ndarray        # int32 [1 + MAX_STATES]: registers of the update and of the new states
    n: np.ndarray          # int32 []: live statements

    @property
    def length(self) -> int:
        return int(self.opcode.shape[0])

    def fields(self) -> tuple:
        return (self.opcode, self.arg_reg, self.arg_const, self.is_const, self.out, self.n)


class NotEncodable(ValueError):
    """The program does not fit the interpreter (too many states or statements)."""


def bucket_length(n: int) -> int:
    """The smallest padded length that holds ``n`` statements."""
    for b in LENGTH_BUCKETS:
        if n <= b:
            return b
    raise NotEncodable(f"{n} live statements exceed the interpreter's maximum {LENGTH_BUCKETS[-1]}")


def live_length(program: Program) -> int:
    return len(prune(program).statements)


def encode(program: Program, length: int | None = None) -> Encoded:
    """Encode the live part of ``program`` over ``length`` slots (default: its bucket)."""
    if len(program.states) > MAX_STATES:
        raise NotEncodable(f"program has {len(program.states)} states; the interpreter holds {MAX_STATES}")
    p = prune(program)
    n = len(p.statements)
    if length is None:
        length = bucket_length(n)
    if n > length:
        raise NotEncodable(f"{n} live statements exceed {length} slots")
    where = {"w": REG_W, "g": REG_G, "lr": REG_LR}
    for j, s in enumerate(p.states):
        where[s] = REG_S0 + j
    opcode = np.full(length, NOP, np.int32)
    arg_reg = np.zeros((length, MAX_ARITY), np.int32)
    arg_const = np.zeros((length, MAX_ARITY), np.float32)
    is_const = np.zeros((length, MAX_ARITY), bool)
    for i, st in enumerate(p.statements):
        opcode[i] = OPCODES[st.op]
        for k, a in enumerate(st.args):
            if isinstance(a, str):
                arg_reg[i, k] = where[a]
            else:
                with np.errstate(over="ignore"):   # beyond float32: inf, as in direct execution
                    arg_const[i, k] = np.float32(a)
                is_const[i, k] = True
        where[st.target] = FIRST_STMT + i
    out = np.array([where[p.returns[0]]] + [where[r] for r in p.returns[1:]]
                   + [REG_S0 + j for j in range(len(p.states), MAX_STATES)], np.int32)
    return Encoded(opcode, arg_reg, arg_const, is_const, out, np.int32(n))


def stack(encoded: list[Encoded]) -> Encoded:
    """Stack encodings of the same length along a new leading axis."""
    return Encoded(*(np.stack(f) for f in zip(*(e.fields() for e in encoded))))


def opcode_signature(e: Encoded) -> bytes:
    """Programs with equal signatures differ only in their constants (they can share one vmapped run)."""
    return e.opcode.tobytes() + e.arg_reg.tobytes() + e.is_const.tobytes() + e.out.tobytes()

"""A program as fixed-size arrays: the input of the compiled-once interpreters.

Only the *live* statements are encoded (``search_space.analysis.prune``), in
static single assignment: statement ``i`` writes register ``FIRST_STMT + i``.
Registers ``0..4`` hold ``w, g, state0, state1, lr``.  Each argument is a
register index, or (``is_const``) a float constant.  Padding slots carry
opcode ``NOP``: the interpreters either skip them or compute a value no
output reads.

>>> from search_space.seeds import load_seed
>>> e = encode(load_seed("adamw"), 16)
>>> int(e.n), e.opcode.shape
(9, (16,))
>>> stack([e, e]).opcode.shape
(2, 16)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from search_space.analysis import prune
from search_space.ops import OPCODES
from search_space.program import Program

MAX_STATES = 2
REG_W, REG_G, REG_S0, REG_LR = 0, 1, 2, 2 + MAX_STATES
FIRST_STMT = REG_LR + 1
MAX_ARITY = 3
NOP = len(OPCODES)          # one past the last real opcode
LENGTH_BUCKETS = (16, 32, 64, 128)
MAX_LENGTH = LENGTH_BUCKETS[-1]


class Encoded(NamedTuple):
    """The arrays of one program (or, stacked, of several along a leading axis): a pytree, passed whole.

    Attributes:
      opcode: int32 ``[L]``, the function of each slot (``NOP`` in padding).
      arg_reg: int32 ``[L, 3]``, the register each argument reads.
      arg_const: float32 ``[L, 3]``, the constant of each constant argument.
      is_const: bool ``[L, 3]``, which arguments are constants.
      out: int32 ``[1 + MAX_STATES]``, the registers of the update and of the new states.
      n: int32 ``[]``, the number of live statements.
    """

    opcode: np.ndarray
    arg_reg: np.ndarray
    arg_const: np.ndarray
    is_const: np.ndarray
    out: np.ndarray
    n: np.ndarray


class NotEncodable(ValueError):
    """The program does not fit the interpreter (too many states or statements)."""


def bucket_length(n: int) -> int:
    """The smallest padded length that holds ``n`` statements.

    Args:
      n: live statements.

    Returns:
      The first of ``LENGTH_BUCKETS`` that is at least ``n``.

    Raises:
      NotEncodable: ``n`` exceeds the longest bucket.

    >>> bucket_length(9), bucket_length(17)
    (16, 32)
    """
    for b in LENGTH_BUCKETS:
        if n <= b:
            return b
    raise NotEncodable(f"{n} live statements exceed the interpreter's maximum {MAX_LENGTH}")


def encode(program: Program, length: int | None = None) -> Encoded:
    """Encode the live part of ``program``.

    Args:
      program: the program.
      length: the number of slots (default: the bucket of its live length).

    Returns:
      Its :class:`Encoded` arrays.

    Raises:
      NotEncodable: more states than ``MAX_STATES`` or more live statements than ``length``.
    """
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


def pad(e: Encoded, length: int) -> Encoded:
    """``e`` over ``length >= len(e.opcode)`` slots (the extra slots are ``NOP``).

    Args:
      e: one program's arrays.
      length: the new number of slots.

    Returns:
      The padded arrays (``e`` itself when already that long).
    """
    extra = length - e.opcode.shape[0]
    if extra == 0:
        return e
    return e._replace(opcode=np.concatenate([e.opcode, np.full(extra, NOP, np.int32)]),
                      arg_reg=np.concatenate([e.arg_reg, np.zeros((extra, MAX_ARITY), np.int32)]),
                      arg_const=np.concatenate([e.arg_const, np.zeros((extra, MAX_ARITY), np.float32)]),
                      is_const=np.concatenate([e.is_const, np.zeros((extra, MAX_ARITY), bool)]))


def stack(encoded: list[Encoded]) -> Encoded:
    """Stack encodings of the same length along a new leading axis.

    Args:
      encoded: one :class:`Encoded` per program, all of one length.

    Returns:
      One :class:`Encoded` whose arrays have a leading axis of ``len(encoded)``.
    """
    return Encoded(*(np.stack(f) for f in zip(*encoded)))


def opcode_signature(e: Encoded) -> bytes:
    """Programs with equal signatures differ only in their constants (they can share one vmapped run).

    Args:
      e: one program's arrays.

    Returns:
      The bytes of everything but the constants.
    """
    return e.opcode.tobytes() + e.arg_reg.tobytes() + e.is_const.tobytes() + e.out.tobytes()


def functions_of(e: Encoded) -> frozenset[int]:
    """The opcodes ``e`` dispatches (padding excluded).

    Args:
      e: one program's arrays.

    Returns:
      The set of its real opcodes.
    """
    return frozenset(int(c) for c in e.opcode[: int(e.n)])

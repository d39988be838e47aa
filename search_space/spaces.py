"""Named search spaces (``search_space/spaces/*.toml``).

A space names the functions a mutation may use, the maximum program length,
the seed program, the relative weights of the mutation kinds and the
constant-mutation parameters::

    name = "compact"
    description = "..."
    seed = "adamw"                 # a seed name or a program file (relative to the TOML file)
    max_statements = 12
    functions = ["interp", "sign", "add", ...]

    [mutation]                     # relative weights; missing kinds weigh 0
    insert = 1.0
    delete = 1.0
    modify = 1.0
    duplicate = 1.0
    wrap = 1.0                     # x = f(x) right after x is defined (f unary)
    moving_average = 1.0           # t = interp(x, y, c), c near 1, read by a later statement

    [constants]                    # how a constant mutates (see search_space.mutation)
    normal_probability = 0.5       # draw N(0, 1) with this probability, else step on a log scale
    one_minus_probability = 0.5    # a constant in (0, 1) steps 1 - c instead of c on that scale
    small_step_probability = 0.3   # the log-scale step is 2^N(0, 0.1) instead of 2^N(0, 1)
    new_constant = 1.0             # value of a newly inserted constant

>>> load_space("compact").max_statements
12
"""

from __future__ import annotations

import dataclasses
import math
import os
from importlib import resources

from filekit.toml import load_toml, parse_toml
from search_space.errors import InputError, ProgramError
from search_space.ops import OPS
from search_space.program import Program
from search_space.seeds import load_seed

MUTATION_KINDS = ("insert", "delete", "modify", "duplicate", "wrap", "moving_average")
_TOP_KEYS = {"name", "description", "seed", "max_statements", "functions", "mutation", "constants"}
_CONSTANT_KEYS = {"normal_probability": 0.5, "new_constant": 1.0, "one_minus_probability": 0.0,
                  "small_step_probability": 0.0}


@dataclasses.dataclass(frozen=True)
class Space:
    """A validated search space (see the module docstring for the fields' meaning); built by :func:`load_space`."""

    name: str
    functions: tuple[str, ...]
    max_statements: int
    seed: str
    mutation_weights: dict
    normal_probability: float = 0.5
    new_constant: float = 1.0
    description: str = ""
    path: str | None = None
    one_minus_probability: float = 0.0
    small_step_probability: float = 0.0

    def __hash__(self) -> int:
        return hash((self.name, self.functions, self.max_statements, self.seed))

    def seed_program(self) -> Program:
        """The space's seed program (a shipped seed by name, or a program file).

        Returns:
          The parsed seed program.
        """
        return load_seed(self.seed)

    def problem(self, program: Program) -> tuple[str, int | None] | None:
        """Why ``program`` does not fit this space, or None.

        Args:
          program: the program.

        Returns:
          ``(reason, statement index or None)``: a function outside the space, or too many statements.

        >>> from search_space.seeds import load_seed
        >>> load_space("compact").problem(load_seed("program2"))
        ("function 'arcsin' is not in space 'compact'", 1)
        """
        allowed = set(self.functions)
        for i, st in enumerate(program.statements):
            if st.op not in allowed:
                return f"function {st.op!r} is not in space {self.name!r}", i
        if len(program.statements) > self.max_statements:
            return (
                f"{len(program.statements)} statements exceed the {self.max_statements} of space {self.name!r}",
                None,
            )
        return None


def space_names() -> list[str]:
    """The names of the shipped spaces (``search_space/spaces/*.toml``).

    Returns:
      The names, sorted.

    >>> space_names()
    ['compact', 'hero']
    """
    root = resources.files("search_space") / "spaces"
    return sorted(p.name[: -len(".toml")] for p in root.iterdir() if p.name.endswith(".toml"))


def load_space(name_or_path: str | os.PathLike) -> Space:
    """A shipped space by name or a space TOML file by path, validated.

    Args:
      name_or_path: ``"hero"``, ``"compact"`` (see :func:`space_names`) or the path of a TOML file.

    Returns:
      The :class:`Space`; a bad name or file raises a one-line :class:`InputError` naming the file and key.

    >>> space = load_space("hero")
    >>> space.name, "sign" in space.functions
    ('hero', True)
    """
    text = os.fspath(name_or_path)
    if os.sep in text or text.endswith(".toml") or os.path.exists(text):
        return _from_dict(load_toml(text, what="search space", error=InputError), text)
    res = resources.files("search_space") / "spaces" / f"{text}.toml"
    if not res.is_file():
        raise InputError(f"no search space named {text!r} (known: {', '.join(space_names())})")
    return _from_dict(parse_toml(res.read_bytes(), str(res), error=InputError), str(res))


def _fail(path: str, key: str, msg: str) -> InputError:
    return InputError(f"{path}: key {key!r}: {msg}")


def _number(path, key, value, *, lo=None, hi=None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(path, key, f"expected a number, got {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise _fail(path, key, f"{value!r} is outside [{lo}, {hi}]")
    return float(value)


def _table(path, key, value, allowed) -> dict:
    if not isinstance(value, dict):
        raise _fail(path, key, f"expected a table, got {type(value).__name__}")
    for k in value:
        if k not in allowed:
            raise _fail(path, f"{key}.{k}", f"unknown key (known: {', '.join(sorted(allowed))})")
    return value


def _from_dict(raw: dict, path: str) -> Space:
    for key in raw:
        if key not in _TOP_KEYS:
            raise _fail(path, key, f"unknown key (known: {', '.join(sorted(_TOP_KEYS))})")
    for key in ("name", "functions", "max_statements", "seed"):
        if key not in raw:
            raise _fail(path, key, "missing")
    name, seed, desc = raw["name"], raw["seed"], raw.get("description", "")
    for key, value in (("name", name), ("seed", seed), ("description", desc)):
        if not isinstance(value, str) or (key != "description" and not value):
            raise _fail(path, key, f"expected a non-empty string, got {value!r}")
    mx = raw["max_statements"]
    if isinstance(mx, bool) or not isinstance(mx, int) or mx < 1:
        raise _fail(path, "max_statements", f"expected a positive integer, got {mx!r}")
    fns = raw["functions"]
    if not isinstance(fns, list) or not fns or not all(isinstance(f, str) for f in fns):
        raise _fail(path, "functions", "expected a non-empty list of function names")
    for f in fns:
        if f not in OPS:
            raise _fail(path, "functions", f"unknown function {f!r}")
    if len(set(fns)) != len(fns):
        raise _fail(path, "functions", "a function is listed twice")
    weights = _table(path, "mutation", raw.get("mutation", {"insert": 1, "delete": 1, "modify": 1}), MUTATION_KINDS)
    weights = {k: _number(path, f"mutation.{k}", weights.get(k, 0.0), lo=0.0) for k in MUTATION_KINDS}
    if sum(weights.values()) <= 0:
        raise _fail(path, "mutation", "all mutation weights are zero")
    consts = _table(path, "constants", raw.get("constants", {}), _CONSTANT_KEYS)
    normal_p = _number(path, "constants.normal_probability", consts.get("normal_probability", 0.5), lo=0.0, hi=1.0)
    new_c = _number(path, "constants.new_constant", consts.get("new_constant", 1.0))
    one_minus = _number(path, "constants.one_minus_probability", consts.get("one_minus_probability", 0.0),
                        lo=0.0, hi=1.0)
    small = _number(path, "constants.small_step_probability", consts.get("small_step_probability", 0.0),
                    lo=0.0, hi=1.0)
    base = os.path.dirname(path)
    if seed.endswith(".program") and not os.path.isabs(seed):
        seed = os.path.join(base, seed)
    space = Space(name, tuple(fns), mx, seed, weights, normal_p, new_c, desc, path, one_minus, small)
    try:
        seed_program = space.seed_program()
    except ProgramError as exc:
        raise _fail(path, "seed", str(exc)) from None
    problem = space.problem(seed_program)
    if problem is not None:
        raise _fail(path, "seed", f"the seed program does not fit: {problem[0]}")
    return space

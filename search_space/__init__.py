r"""The program language of symopt: IR, function table, parsing and printing, analysis, hashing, mutation.

The names below resolve to their modules' on first use (a module ``__getattr__``, PEP 562), so
that importing one light module (``search_space.errors``, which the command line's ``--help``
needs) loads no NumPy, networkx or function table.  No exported name is also the name of a
submodule, so ``search_space.parse`` is always the function (the module is
:mod:`search_space.parser`).

>>> from search_space import parse, functional_hash
>>> live = "def train(w, g, m, v, lr):\n    u = g * lr\n    return u, m, v\n"
>>> dead = live.replace("    return", "    t = exp(w)\n    return")     # t is never used
>>> functional_hash(parse(live)) == functional_hash(parse(dead))
True
"""

from __future__ import annotations

import importlib

_WHERE = {
    "analysis": ("Analysis", "analyze", "prune"),
    "errors": ("InputError", "ProgramError"),
    "hashing": ("functional_hash",),
    "mutation": ("Mutation", "Mutator"),
    "ops": ("EPS", "OPS", "Op", "get_op"),
    "parser": ("parse", "parse_file"),
    "program": ("Program", "Statement", "format_program", "one_line"),
    "seeds": ("load_seed", "seed_names"),
    "spaces": ("Space", "load_space"),
    "validity": ("check", "is_valid"),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    """The exported ``name``, imported from its module on first use."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'search_space' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"search_space.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The package's attributes and every exported name."""
    return sorted(set(globals()) | set(__all__))

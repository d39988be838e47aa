"""The program language of symopt: IR, function table, parsing and printing, analysis, hashing, mutation.

The names below are imported from their modules on first use, so that importing one light
module (``search_space.errors``) does not load NumPy, networkx or the function table.

>>> from search_space import parse, functional_hash
>>> live = "def train(w, g, m, v, lr):\\n    u = g * lr\\n    return u, m, v\\n"
>>> dead = live.replace("    return", "    t = exp(w)\\n    return")     # t is never used
>>> functional_hash(parse(live)) == functional_hash(parse(dead))
True
"""

from __future__ import annotations

import importlib
import sys
import types

_WHERE = {
    "analysis": ("Analysis", "analyze", "check", "prune"),
    "errors": ("InputError", "ProgramError"),
    "hashing": ("functional_hash",),
    "mutation": ("Mutation", "Mutator"),
    "ops": ("EPS", "OPS", "Op", "get_op"),
    "parse": ("parse", "parse_file"),
    "printer": ("format_program", "one_line"),
    "program": ("Program", "Statement"),
    "seeds": ("load_seed", "seed_names"),
    "spaces": ("Space", "load_space"),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'search_space' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"search_space.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Keeps ``search_space.parse`` the function: importing the submodule of the same name binds the
    module to the package attribute, which must not replace the function the package exports."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and _MODULE_OF.get(name) == name:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

"""Export a program as an optax module, a torch module, its canonical text and its provenance.

``export_program(program, "lion", "discovered/", provenance)`` writes into ``out_dir``:

- ``lion_optax.py``   ``scale_by_lion`` + ``lion(learning_rate, b1, b2, weight_decay, mask=None)``
- ``lion_torch.py``   ``Lion(params, lr, betas, weight_decay)`` (torch imported lazily)
- ``lion.program``    the exact canonical program that was exported
- ``lion.provenance.json``
- ``__init__.py`` and ``torch.py``: the package index over every export in ``out_dir``, so that
  ``from discovered import lion`` and ``from discovered.torch import Lion`` work.

Code comes from the validated IR only (see :mod:`symopt.export.leaf`).  Files are
written to temporary names and renamed, so a failed export never damages an old one.
"""

from __future__ import annotations

import ast
import keyword
import re
from pathlib import Path

from filekit.atomic import write_atomic
from search_space.program import Program, format_program
from symopt.errors import UserError
from symopt.export.leaf import leaf_of
from symopt.export.optax_codegen import class_name, optax_module
from symopt.export.provenance import provenance, provenance_json
from symopt.export.torch_codegen import torch_module
from symopt.recognise import recognise

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
RESERVED = {"jax", "jnp", "optax", "torch", "math", "np", "numpy", "typing", "any", "namedtuple", "eps"}

__all__ = ["export_program", "provenance"]


def check_name(name: str) -> str:
    """``name`` if it can name an export (a lowercase identifier, not reserved).

    Args:
      name: the proposed name.

    Returns:
      ``name``.

    Raises:
      UserError: one line saying what a name must be.

    >>> check_name("lion")
    'lion'
    >>> check_name("../evil")
    Traceback (most recent call last):
    ...
    symopt.errors.UserError: export name '../evil' must be a lowercase identifier (a-z, 0-9, _; not [...])
    """
    if not NAME.match(name or "") or keyword.iskeyword(name) or name in RESERVED or name.endswith(("_optax", "_torch")):
        raise UserError(f"export name {name!r} must be a lowercase identifier (a-z, 0-9, _; not {sorted(RESERVED)})")
    return name


def _write(path: Path, text: str) -> Path:
    write_atomic(path, text, error=UserError)
    return path


def _index(out: Path) -> list[Path]:
    names = sorted(n for n in (p.name[: -len("_optax.py")] for p in out.glob("*_optax.py")) if NAME.match(n))
    init = ['"""Optimizers exported by symopt (generated; see the *.provenance.json files)."""', ""]
    init += [f"from .{n}_optax import {n}, scale_by_{n}" for n in names]
    init += ["", f"__all__ = {[x for n in names for x in (n, f'scale_by_{n}')]!r}", ""]
    classes = {class_name(n): n for n in names}
    torch_index = [
        '"""torch optimizers exported by symopt (generated); torch is imported on first use."""',
        "",
        "import importlib",
        "",
        f"_MODULES = {classes!r}",
        "",
        "",
        "def __getattr__(attr):",
        "    if attr in _MODULES:",
        "        return getattr(importlib.import_module(f\"{__package__}.{_MODULES[attr]}_torch\"), attr)",
        "    raise AttributeError(f\"module {__name__!r} has no attribute {attr!r}\")",
        "",
    ]
    return [_write(out / "__init__.py", "\n".join(init)), _write(out / "torch.py", "\n".join(torch_index))]


def export_program(program: Program, name: str, out_dir, provenance: dict | None = None,
                   recognition=None) -> list[Path]:
    """Export ``program`` as a package folder (see the module docstring); each file replaced atomically.

    Args:
      program: the program; it is recognised (and so simplified exactly) first.
      name: the export's name (:func:`check_name`), e.g. ``"lion"``.
      out_dir: the package folder (made if missing).
      provenance: the provenance record (:func:`symopt.export.provenance.provenance`); family, constants,
        program and command are filled in.
      recognition: ``recognise(program)`` when the caller already has it.

    Returns:
      The paths written: the optax and torch modules, the program, the provenance, ``__init__.py``, ``torch.py``.

    >>> import tempfile
    >>> from search_space.seeds import load_seed
    >>> [p.name for p in export_program(load_seed("lion"), "lion", tempfile.mkdtemp())][:4]
    ['lion_optax.py', 'lion_torch.py', 'lion.program', 'lion.provenance.json']
    """
    check_name(name)
    rec = recognition or recognise(program)
    leaf = leaf_of(rec)
    lr = float(rec.constants.get("lr_scale", 1.0))
    wd = float(rec.constants.get("weight_decay", 0.0))
    text = format_program(rec.program)
    prov = dict(provenance or {})
    command = prov.get("command") or f"symopt export {name}.program --name {name} --out <dir>"
    kw = dict(learning_rate=lr, weight_decay=wd, family=rec.family, program_text=text, command=command)
    out = Path(out_dir)
    optax_src = optax_module(name, leaf, **kw)
    torch_src = torch_module(name, leaf, **kw, package=out.resolve().name)
    for src in (optax_src, torch_src):
        ast.parse(src, filename=f"<{name} export>")  # syntax check only; never executed here
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{out}: cannot create the export folder ({exc.strerror})") from None
    prov.setdefault("source", "derivation")
    prov.update(family=rec.family, constants=rec.constants, program=text, command=command,
                learning_rate=f"learning_rate = lr input x lr_scale; default {lr!r} (the found lr_scale)")
    paths = [
        _write(out / f"{name}_optax.py", optax_src),
        _write(out / f"{name}_torch.py", torch_src),
        _write(out / f"{name}.program", text),
        _write(out / f"{name}.provenance.json", provenance_json(prov)),
    ]
    return paths + _index(out)

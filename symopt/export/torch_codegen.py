"""Write a torch module from a :class:`~symopt.export.leaf.Leaf`: a ``torch.optim.Optimizer`` subclass.

torch is imported lazily: the class is built on first access
(``from <package>.torch import <Class>``).  Weight decay is decoupled and
applied like lion-pytorch and torch.optim.AdamW (``p *= 1 - lr * weight_decay``
before ``p -= lr * direction``).  Lion and Adam take ``betas=(b1, b2)``.

The step (:mod:`symopt.export.torch_step`) runs in place, with multi-tensor
``torch._foreach_*`` kernels over the parameters of each device and dtype
(``foreach=True``) or one parameter at a time (``foreach=False``), with
bit-identical results; ``foreach=None`` (the default) takes the multi-tensor path
whenever every parameter and gradient is a dense floating-point tensor.
"""

from __future__ import annotations

import re

from symopt.export.leaf import Leaf, const
from symopt.export.optax_codegen import class_name, doc_block
from symopt.export.torch_step import render, schedule

# helper functions a step may call; a module defines only those its step uses
_HELPERS = {
    "_s": "def _s(x):\n    return torch.as_tensor(x, dtype=torch.float64)\n",
    "_clip": "def _clip(x, c):\n    return torch.clamp(x, -abs(c), abs(c))\n",
    "_max": "def _max(a, b):\n    return torch.maximum(torch.as_tensor(a), torch.as_tensor(b))\n",
    "_min": "def _min(a, b):\n    return torch.minimum(torch.as_tensor(a), torch.as_tensor(b))\n",
}

# the constructor's checks of its hyperparameters (as lion-pytorch and torch.optim check theirs)
_REAL = '''def _real(what, x, low=None, high=None):
    """``x`` as a float: a finite number (or one-element tensor) within [low, high]; else ValueError."""
    if isinstance(x, (bool, str)):
        raise ValueError(f"invalid {what}: {x!r} is not a number")
    try:
        value = float(x)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"invalid {what}: {x!r} is not a number") from None
    if value != value or abs(value) == float("inf") or (low is not None and value < low) or (
            high is not None and value > high):
        raise ValueError(f"invalid {what}: {x!r}")
    return value
'''
_BETAS = '''def _betas(betas):
    """Check ``betas``: two numbers in [0, 1]."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"invalid betas: {betas!r} (expected two numbers in [0, 1])")
    for i, beta in enumerate(betas):
        _real(f"beta parameter at index {i}", beta, 0.0, 1.0)
'''


def _checks(betas: bool, others: list[str]) -> tuple[str, list[str]]:
    """The module-level check helpers and the constructor's lines that call them."""
    lines = ['if not _real("learning rate", lr) > 0.0:', '    raise ValueError(f"invalid learning rate: {lr!r}")']
    lines += ["_betas(betas)"] if betas else []
    lines += ['_real("weight_decay", weight_decay, 0.0)'] + [f'_real("{h}", {h})' for h in others]
    return _REAL + (f"\n\n{_BETAS}" if betas else ""), lines


def _indent(lines: list[str], depth: int) -> str:
    pad = " " * (4 * depth)
    return "".join(f"{pad}{part}\n" for line in lines for part in line.split("\n"))


def _preamble(code: str) -> str:
    """The module-level names the step ``code`` uses: ``import math``, ``EPS``, ``torch`` and helpers."""
    head = "import math\n\n" if re.search(r"\bmath\.", code) else ""
    head += "EPS = 1e-08\n" if re.search(r"\bEPS\b", code) else ""
    head += "torch = None\n"
    helpers = [text for name, text in _HELPERS.items() if re.search(rf"\b{name}\(", code)]
    return head + "".join(f"\n\n{h}" for h in helpers)


def torch_module(name: str, leaf: Leaf, *, learning_rate: float, weight_decay: float, family: str | None,
                 program_text: str, command: str, package: str = "<package>") -> str:
    """The source of the torch module of export ``name``: a ``torch.optim.Optimizer`` subclass built on first use.

    Args:
      name: the export's name (a checked identifier).
      leaf: the program's per-tensor direction.
      learning_rate: the default learning rate (the program's lr scale).
      weight_decay: the default decoupled weight decay.
      family: the recognised family, for the docstring.
      program_text: the program, for the docstring.
      command: the command that made the export, for the docstring.
      package: the package the module lives in (for the example in its docstring).

    Returns:
      Python source text.
    """
    cls = class_name(name)
    hyper = dict(leaf.hyper)
    betas = all(h in hyper for h in ("b1", "b2"))
    sig, defaults, read = [], [], []
    if betas:
        sig.append(f"betas=({const(hyper['b1'])}, {const(hyper['b2'])})")
        defaults.append("betas=betas")
        read.append('b1, b2 = group["betas"]')
    for h, v in hyper.items():
        if betas and h in ("b1", "b2"):
            continue
        sig.append(f"{h}={const(v)}")
        defaults.append(f"{h}={h}")
        read.append(f'{h} = group["{h}"]')
    sig_text = "".join(f"{s}, " for s in sig)
    defaults_text = "".join(f"{d}, " for d in defaults)
    states = leaf.states
    plan = schedule(leaf)
    step_args = ", ".join(["w", "g", *states, "lr", "wd", *hyper])
    loop_args = ", ".join(["w_", "g_", *(f"{s}_" for s in states), "lr", "wd", *hyper])
    loop_vars = ", ".join(["w", "g", *states])
    loop_lists = ", ".join(["w_", "g_", *(f"{s}_" for s in states)])
    state_init = "".join(f'                        state["{s}"] = torch.zeros_like(p)\n' for s in states)
    state_lists = "".join(f', [self.state[p]["{s}"] for p in ps]' for s in states)
    hyper_args = "".join(f", {h}" for h in hyper)
    foreach_code, single_code = _indent(render(plan, "foreach"), 1), _indent(render(plan, "single"), 2)
    fam = f"a {family} optimizer" if family else "a new optimizer"
    names = (["betas"] if betas else []) + [h for h in hyper if not (betas and h in ("b1", "b2"))]
    helpers, checks = _checks(betas, names[1:] if betas else names)
    init_body = _indent(checks + [f"super().__init__(params, dict(lr=lr, {defaults_text}weight_decay=weight_decay, "
                                  "foreach=foreach))"], 3)
    hyper_doc = "".join(f"          {h}: {'(b1, b2), constants' if h == 'betas' else 'a constant'} of the program "
                        f"(default: the found value{'s' if h == 'betas' else ''}).\n" for h in names)
    return f'''"""{cls}: {fam} for torch, generated by symopt from a validated program. Do not edit.

Regenerate with:
    {command}

The program (search_space language; the caller applies w = w - update)::

{doc_block(program_text)}

``lr`` is the program's lr input times its lr scale; the default {learning_rate!r} is the
found lr scale.  torch is imported when the class is first used.  The step runs in place,
with torch's multi-tensor (``torch._foreach_*``) kernels over the parameters of each device
and dtype (``foreach=True``) or one parameter at a time (``foreach=False``), with the same
results; ``foreach=None`` takes the multi-tensor path for dense floating-point tensors.

Example::

    >>> import torch
    >>> from {package}.torch import {cls}
    >>> model = torch.nn.Linear(3, 1)
    >>> opt = {cls}(model.parameters(), lr={learning_rate!r})
    >>> model(torch.ones(2, 3)).sum().backward()
    >>> opt.step()
"""

{_preamble(foreach_code + single_code)}

{helpers}

def _{name}_foreach({step_args}):
    """The step of the parameters ``w`` of one device and dtype, with multi-tensor kernels."""
{foreach_code}

def _{name}_single({loop_args}):
    """The same step, one parameter at a time."""
    for {loop_vars} in zip({loop_lists}):
{single_code}

def _dense(params):
    for p in params:
        if p.is_sparse or p.grad.is_sparse or not torch.is_floating_point(p):
            return False
    return True


def _by_device_and_dtype(params):
    groups = {{}}
    for p in params:
        groups.setdefault((p.device, p.dtype), []).append(p)
    return groups.values()


def _build():
    global torch
    import torch as _torch  # lazy: torch is optional; the optax module and the package import without it

    torch = _torch

    class {cls}(torch.optim.Optimizer):
        """{cls} (see the module docstring); decoupled weight decay like lion-pytorch.

        Args:
          params: the parameters (or parameter groups) to optimize.
          lr: the program's lr input times its lr scale.
{hyper_doc}          weight_decay: decoupled weight decay (p *= 1 - lr * weight_decay before the step).
          foreach: True: multi-tensor kernels; False: one tensor at a time; None: multi-tensor when every
            parameter is a dense floating-point tensor.
        """

        def __init__(self, params, lr={learning_rate!r}, {sig_text}weight_decay={const(weight_decay)}, *,
                     foreach=None):
{init_body}
        @torch.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with torch.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                lr, wd = group["lr"], group["weight_decay"]
{_indent(read, 4)}                params = [p for p in group["params"] if p.grad is not None]
                for p in params:
                    state = self.state[p]
                    if len(state) == 0:
{state_init or "                        pass" + chr(10)}                foreach = group.get("foreach")
                if foreach is None:
                    foreach = _dense(params)
                for ps in _by_device_and_dtype(params) if foreach else [params]:
                    step = _{name}_foreach if foreach else _{name}_single
                    step(ps, [p.grad for p in ps]{state_lists}, lr, wd{hyper_args})
            return loss

    return {cls}


_CLASSES = {{}}


def __getattr__(attr):
    if attr == "{cls}":
        if attr not in _CLASSES:
            _CLASSES[attr] = _build()
        return _CLASSES[attr]
    raise AttributeError(f"module {{__name__!r}} has no attribute {{attr!r}}")
'''

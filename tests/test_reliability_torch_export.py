"""The exported torch optimizers check their hyperparameters as lion-pytorch and torch.optim do: a bad
value is a ``ValueError`` naming it when the optimizer is made, never an error deep inside a step."""

from __future__ import annotations

import importlib
import math
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
lion_pytorch = pytest.importorskip("lion_pytorch")


def _params():
    return [torch.nn.Parameter(torch.ones(3))]


def _shipped_lion():
    sys.modules.pop("discovered.lion_torch", None)
    return importlib.import_module("discovered.lion_torch").Lion


def _exported_adam(tmp_path):
    from search_space.seeds import load_seed
    from symopt.export import export_program

    export_program(load_seed("adam"), "adamx", tmp_path / "pkg", {"source": "test"})
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module("pkg.adamx_torch").Adamx
    finally:
        sys.path.remove(str(tmp_path))


BAD_BETAS = [(1.5, 0.99), (-1.0, 0.99), (0.9, 1.01), (0.9, math.nan), ("a", 0.99), (0.9, None), (0.9,),
             (0.9, 0.99, 0.5), "ab", 0.9, (True, 0.99)]


@pytest.mark.parametrize("betas", BAD_BETAS, ids=[repr(b) for b in BAD_BETAS])
def test_bad_betas_are_refused_when_the_optimizer_is_made(betas):
    Lion = _shipped_lion()
    with pytest.raises(ValueError, match="beta") as err:
        Lion(_params(), lr=1e-3, betas=betas)
    assert "\n" not in str(err.value)
    if isinstance(betas, tuple) and len(betas) == 2 and all(isinstance(b, float) for b in betas):
        with pytest.raises(AssertionError):          # lion-pytorch refuses the same values (by assert)
            lion_pytorch.Lion(_params(), lr=1e-3, betas=betas)


@pytest.mark.parametrize("kw, needle", [
    ({"lr": 0.0}, "learning rate"), ({"lr": -1e-3}, "learning rate"), ({"lr": math.inf}, "learning rate"),
    ({"lr": "0.1"}, "learning rate"), ({"lr": None}, "learning rate"),
    ({"weight_decay": -0.1}, "weight_decay"), ({"weight_decay": math.nan}, "weight_decay"),
    ({"weight_decay": "x"}, "weight_decay"),
])
def test_bad_lr_and_weight_decay_are_refused(kw, needle):
    with pytest.raises(ValueError, match=needle):
        _shipped_lion()(_params(), **kw)


def test_good_values_of_every_accepted_kind_still_train():
    """Edges and other number types are accepted and give the step lion-pytorch gives."""
    Lion = _shipped_lion()
    for betas in [(0.0, 1.0), [0.9, 0.99], (np.float32(0.9), np.float64(0.99)), (torch.tensor(0.9), 0.99)]:
        ours, ref = _params(), _params()
        opt = Lion(ours, lr=np.float64(1e-2), betas=betas, weight_decay=0)
        theirs = lion_pytorch.Lion(ref, lr=1e-2, betas=tuple(float(b) for b in betas))
        for p in (ours[0], ref[0]):
            p.grad = torch.arange(3.0) - 1.0
        opt.step()
        theirs.step()
        assert torch.allclose(ours[0], ref[0]), betas


def test_every_exported_optimizer_checks_its_constants(tmp_path):
    """Another family (Adam, with more constants than betas): the same checks, generated."""
    Adamx = _exported_adam(tmp_path)
    Adamx(_params(), lr=1e-3)
    with pytest.raises(ValueError, match="beta parameter at index 0"):
        Adamx(_params(), betas=(2.0, 0.999))
    others = [k for k in Adamx.__init__.__code__.co_varnames[:Adamx.__init__.__code__.co_argcount]
              if k not in ("self", "params", "lr", "betas", "weight_decay")]
    for name in others:
        with pytest.raises(ValueError, match=name):
            Adamx(_params(), **{name: "not a number"})

"""Export: generated optax / torch code == the program, == optax.lion, == lion-pytorch; safe codegen."""

from __future__ import annotations

import importlib
import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from search_space.execute import init_states, step
from search_space.parser import parse
from search_space.seeds import load_seed
from symopt.cli import main
from symopt.errors import UserError
from symopt.export import export_program

STEPS = 100
RTOL = 1e-6


def _import(tmp_path, pkg):
    sys.path.insert(0, str(tmp_path))
    try:
        for k in [k for k in sys.modules if k == pkg or k.startswith(pkg + ".")]:
            del sys.modules[k]
        return importlib.import_module(pkg)
    finally:
        sys.path.remove(str(tmp_path))


def _tree(rng, scale=1.0):
    return {"a": (scale * rng.standard_normal((4, 3))).astype(np.float32),
            "b": [(scale * rng.standard_normal(5)).astype(np.float32),
                  (scale * rng.standard_normal((2, 2, 2))).astype(np.float32)]}


def _rel(a, b):
    la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
    num = max(float(np.max(np.abs(np.asarray(x, np.float64) - np.asarray(y, np.float64)))) for x, y in zip(la, lb))
    den = max(float(np.max(np.abs(np.asarray(y, np.float64)))) for y in lb)
    return num / den


def _run_optax(tx, params, grads, jit=True):
    state = tx.init(params)
    upd = jax.jit(tx.update) if jit else tx.update
    for g in grads:
        u, state = upd(g, state, params)
        params = optax.apply_updates(params, u)
    return params


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("exp") / "expkg"
    export_program(load_seed("lion"), "lion", out, {"source": "derivation", "command": "test"})
    export_program(load_seed("adamw"), "adamw", out, {"source": "derivation", "command": "test"})
    return _import(out.parent, "expkg"), out


@pytest.mark.parametrize("seed_name", ["lion", "adamw"])
def test_optax_export_matches_direct_execution(exported, seed_name):
    pkg, _ = exported
    program = load_seed(seed_name)
    rng = np.random.default_rng(1)
    w = _tree(rng)
    grads = [_tree(rng) for _ in range(STEPS)]
    lrs = [float(x) for x in rng.uniform(0.5, 1.0, STEPS)]
    from symopt.recognise import recognise

    scale = recognise(program).constants["lr_scale"]
    tx = getattr(pkg, seed_name)(learning_rate=lambda c: jnp.asarray(lrs)[c] * scale)
    got = _run_optax(tx, w, grads)
    fstep = jax.jit(lambda w, g, s, lr: step(program, w, g, s, lr))
    ww, states = w, init_states(program, w)
    for g, lr in zip(grads, lrs):
        u, states = fstep(ww, g, states, lr)
        ww = jax.tree.map(lambda a, b: a - b, ww, u)
    assert _rel(got, ww) <= 1e-5


@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_exported_lion_equals_optax_lion(exported, wd):
    pkg, _ = exported
    rng = np.random.default_rng(2)
    w = _tree(rng)
    grads = [_tree(rng) for _ in range(STEPS)]
    sched = optax.linear_schedule(1e-3, 1e-4, STEPS)
    ours = _run_optax(pkg.lion(sched, b1=0.9, b2=0.99, weight_decay=wd), w, grads)
    ref = _run_optax(optax.lion(sched, b1=0.9, b2=0.99, weight_decay=wd), w, grads)
    assert _rel(ours, ref) <= RTOL
    # state: one tensor per parameter, like optax.lion
    st = pkg.lion(1e-3).init(w)
    assert len(jax.tree.leaves(st)) == 1 + len(jax.tree.leaves(w))


def test_exported_lion_mask_and_chain(exported):
    pkg, _ = exported
    rng = np.random.default_rng(3)
    w = _tree(rng)
    grads = [_tree(rng) for _ in range(10)]
    mask = {"a": True, "b": [False, True]}
    tx = optax.chain(optax.clip_by_global_norm(1.0), pkg.lion(1e-3, weight_decay=0.5, mask=mask))
    ref = optax.chain(optax.clip_by_global_norm(1.0), optax.lion(1e-3, b1=0.9, b2=0.99, weight_decay=0.5, mask=mask))
    assert _rel(_run_optax(tx, w, grads), _run_optax(ref, w, grads)) <= RTOL


@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_torch_export_equals_lion_pytorch(exported, wd):
    torch = pytest.importorskip("torch")
    lion_pytorch = pytest.importorskip("lion_pytorch")
    pkg, _ = exported
    from expkg.torch import Lion

    torch.manual_seed(0)
    shapes = [(4, 3), (5,), (2, 2, 2)]
    p1 = [torch.nn.Parameter(torch.randn(s)) for s in shapes]
    p2 = [torch.nn.Parameter(x.detach().clone()) for x in p1]
    o1 = Lion(p1, lr=1e-3, betas=(0.9, 0.99), weight_decay=wd)
    o2 = lion_pytorch.Lion(p2, lr=1e-3, betas=(0.9, 0.99), weight_decay=wd)
    s1 = torch.optim.lr_scheduler.StepLR(o1, 30, 0.5)
    s2 = torch.optim.lr_scheduler.StepLR(o2, 30, 0.5)
    for _ in range(STEPS):
        grads = [torch.randn(s) for s in shapes]
        for a, b, g in zip(p1, p2, grads):
            a.grad, b.grad = g.clone(), g.clone()
        o1.step()
        o2.step()
        s1.step()
        s2.step()
    num = max(float((a - b).detach().abs().max()) for a, b in zip(p1, p2))
    den = max(float(b.detach().abs().max()) for b in p2)
    assert num / den <= RTOL
    # state_dict round trip and closure
    o3 = Lion([torch.nn.Parameter(x.detach().clone()) for x in p1], lr=1e-3)
    o3.load_state_dict(o1.state_dict())
    assert torch.equal(o3.state_dict()["state"][0]["m"], o1.state_dict()["state"][0]["m"])
    assert o1.step(lambda: torch.tensor(3.0)) == 3.0


def test_exported_files_and_provenance(exported):
    _, out = exported
    for f in ("lion_optax.py", "lion_torch.py", "lion.program", "lion.provenance.json", "__init__.py", "torch.py"):
        assert (out / f).is_file()
    prov = json.loads((out / "lion.provenance.json").read_text())
    assert prov["source"] == "derivation" and prov["family"] == "lion"
    assert prov["constants"]["b1"] == 0.9
    src = (out / "lion_optax.py").read_text()
    assert "def lion(learning_rate=0.0003, b1=0.9, b2=0.99, weight_decay=0.01, mask=None)" in src
    assert "import torch" not in src


def test_weird_constants_produce_valid_code(tmp_path):
    p = parse("def train(w, g, m, v, lr):\n    m = interp(g, m, -1.5e-300)\n    t = m * 1e+300\n"
              "    update = t - -0.0\n    update = update * lr\n    return update, m, v\n")
    paths = export_program(p, "weird", tmp_path / "wpkg", {"source": "derivation", "command": "test"})
    for path in paths:
        if path.suffix == ".py":
            compile(path.read_text(), str(path), "exec")
    pkg = _import(tmp_path, "wpkg")
    tx = pkg.weird()
    params = {"x": jnp.ones(3)}
    u, _ = tx.update({"x": jnp.ones(3)}, tx.init(params), params)
    assert np.asarray(u["x"]).shape == (3,)   # 1e300 is inf in float32: the code still runs


def test_bad_name_and_unexportable_program(tmp_path):
    with pytest.raises(UserError):
        export_program(load_seed("lion"), "import", tmp_path)
    with pytest.raises(UserError):
        export_program(load_seed("lion"), "Lion-2", tmp_path)
    with pytest.raises(UserError, match="lr"):
        export_program(load_seed("program2"), "p2", tmp_path)   # clip(g, lr): not lr * f(...)
    assert not (tmp_path / "p2_optax.py").exists()


def test_cli_export(tmp_path):
    assert main(["export", "signum", "--name", "signum", "--out", str(tmp_path / "spkg")]) == 0
    pkg = _import(tmp_path, "spkg")
    tx = pkg.signum()
    assert "def signum(learning_rate=0.0003, b=0.9" in (tmp_path / "spkg" / "signum_optax.py").read_text()
    assert "sys" not in (tmp_path / "spkg" / "signum_optax.py").read_text()
    params = {"x": jnp.ones(2)}
    tx.update(params, tx.init(params), params)

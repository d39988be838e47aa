"""The exported torch optimizer: multi-tensor (``foreach``) and per-tensor steps give the same bits, match the
program and lion-pytorch, handle param groups, devices/dtypes and a state_dict round trip."""

from __future__ import annotations

import importlib
import io
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
lion_pytorch = pytest.importorskip("lion_pytorch")

from search_space.execute import init_states, step  # noqa: E402
from search_space.parser import parse  # noqa: E402
from search_space.seeds import load_seed  # noqa: E402
from symopt.errors import UserError  # noqa: E402
from symopt.export import export_program  # noqa: E402
from symopt.export.optax_codegen import class_name  # noqa: E402

SHAPES = [(4, 3), (5,), (2, 2, 2)]
HEADER = "def train(w, g, m, v, lr):\n"
# programs that take every path of the schedule: in-place recipes, a state written from another
# state's old value, the update held in a state, scalar statements, functions without a foreach kernel
PROGRAMS = {
    "recipes": """
    m = interp(g, m, 0.9)
    g2 = square(g)
    v = interp(v, g2, 0.01)
    s = sqrt(v)
    d = m / s
    c = clip(d, 3.0)
    e = 1.0 - c
    k = cube(e)
    x = max(k, -2.0)
    y = min(x, g)
    z = power(y, 2.0)
    r = reciprocal(z)
    q = invert(r)
    n = negative(q)
    update = n * lr
    return update, m, v
""",
    "fallbacks": """
    m = interp(g, m, 0.8)
    a = cbrt(m)
    b = arcsinh(a)
    c = 2.0 / g
    d = clip(b, c)
    e = exp2(d)
    f = power(2.0, m)
    h = e - f
    update = h * lr
    return update, m, v
""",
    "scalars": """
    c = 0.5 * 0.2
    s = sqrt(c)
    b = interp(0.9, 0.95, c)
    m = interp(g, m, b)
    t = m * s
    u = tanh(t)
    update = u * lr
    return update, m, v
""",
    "swap": """
    n = v + g
    v = m * 1.0
    m = n * 1.0
    update = v * lr
    return update, m, v
""",
}
SEEDS = ["lion", "adamw", "adam", "signum", "rmsprop", "sgd_momentum", "addsign", "powersign", "signsgd", "sgd"]


def _import(root, pkg):
    sys.path.insert(0, str(root))
    try:
        for k in [k for k in sys.modules if k == pkg or k.startswith(pkg + ".")]:
            del sys.modules[k]
        return importlib.import_module(f"{pkg}.torch")
    finally:
        sys.path.remove(str(root))


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """name -> (optimizer class, program) for every seed and program above, exported into one package."""
    out = tmp_path_factory.mktemp("torchexp") / "tpkg"
    programs = {name: load_seed(name) for name in SEEDS}
    programs.update({name: parse(HEADER + text.lstrip("\n")) for name, text in PROGRAMS.items()})
    for name, program in programs.items():
        export_program(program, name, out, {"source": "test", "command": "test"})
    index = _import(out.parent, "tpkg")
    return {name: (getattr(index, class_name(name)), program) for name, program in programs.items()}


def _params(dtypes=(torch.float32,), seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.nn.Parameter(torch.randn(s, generator=gen, dtype=dtypes[i % len(dtypes)]))
            for i, s in enumerate(SHAPES)]


def _clone(params):
    return [torch.nn.Parameter(p.detach().clone()) for p in params]


def _train(opt, params, steps, seed=1):
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        for p in params:
            p.grad = torch.randn(p.shape, generator=gen, dtype=p.dtype)
        opt.step()


def _rel(a, b) -> float:
    num = max(float((x.detach().double() - y.detach().double()).abs().max()) for x, y in zip(a, b))
    return num / max(float(y.detach().double().abs().max()) for y in b)


@pytest.mark.parametrize("name", SEEDS + list(PROGRAMS))
def test_foreach_and_per_tensor_steps_give_the_same_bits_and_follow_the_program(exports, name):
    cls, program = exports[name]
    runs = {}
    for foreach in (True, False, None):
        params = _params()
        _train(cls(params, foreach=foreach), params, 20)
        runs[foreach] = params
    for a, b, c in zip(runs[True], runs[False], runs[None]):
        torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True)
        torch.testing.assert_close(a, c, rtol=0, atol=0, equal_nan=True)
    # the program itself (reference semantics, JAX), lr input 1.0: the optimizer's defaults are the found constants
    w = [p.detach().numpy() for p in _params()]
    states = init_states(program, w)
    gen = torch.Generator().manual_seed(1)
    for _ in range(20):
        g = [torch.randn(s, generator=gen).numpy() for s in SHAPES]
        u, states = step(program, w, g, states, 1.0)
        w = [np.asarray(a) - np.asarray(b) for a, b in zip(w, u)]
    assert _rel(runs[True], [torch.from_numpy(np.asarray(x)) for x in w]) <= 1e-5


@pytest.mark.parametrize("foreach", [True, False, None])
@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_lion_equals_lion_pytorch_with_param_groups_and_a_schedule(exports, foreach, wd):
    Lion = exports["lion"][0]
    p1 = _params((torch.float32, torch.float64))
    p2 = _clone(p1)

    def groups(ps):
        return [{"params": ps[:2]}, {"params": ps[2:], "lr": 3e-3, "betas": (0.8, 0.95), "weight_decay": 2 * wd}]

    o1 = Lion(groups(p1), lr=1e-3, betas=(0.9, 0.99), weight_decay=wd, foreach=foreach)
    o2 = lion_pytorch.Lion(groups(p2), lr=1e-3, betas=(0.9, 0.99), weight_decay=wd)
    s1, s2 = (torch.optim.lr_scheduler.StepLR(o, 30, 0.5) for o in (o1, o2))
    gen = torch.Generator().manual_seed(5)
    for _ in range(100):
        for a, b in zip(p1, p2):
            a.grad = torch.randn(a.shape, generator=gen, dtype=a.dtype)
            b.grad = a.grad.clone()
        o1.step()
        o2.step()
        s1.step()
        s2.step()
    assert _rel(p1, p2) <= 1e-6
    assert [p.dtype for p in p1] == [torch.float32, torch.float64, torch.float32]
    assert o1.step(lambda: torch.tensor(3.0)) == 3.0


def test_state_dict_round_trip_continues_the_same_run(exports):
    Lion = exports["lion"][0]
    params = _params()
    opt = Lion(params, lr=1e-3, weight_decay=0.1)
    _train(opt, params, 30)
    buf = io.BytesIO()
    torch.save({"params": [p.detach() for p in params], "opt": opt.state_dict()}, buf)
    buf.seek(0)
    saved = torch.load(buf, weights_only=True)
    resumed = [torch.nn.Parameter(p.clone()) for p in saved["params"]]
    opt2 = Lion(resumed, lr=0.5, foreach=False)
    opt2.load_state_dict(saved["opt"])
    assert opt2.param_groups[0]["lr"] == 1e-3 and opt2.param_groups[0]["foreach"] is None
    _train(opt, params, 30, seed=7)
    _train(opt2, resumed, 30, seed=7)
    for a, b in zip(params, resumed):
        assert torch.equal(a, b)
    assert torch.equal(opt.state_dict()["state"][0]["m"], opt2.state_dict()["state"][0]["m"])
    state = opt.state_dict()                     # a state_dict without "foreach" (an older export) loads too
    del state["param_groups"][0]["foreach"]
    opt2.load_state_dict(state)
    _train(opt2, resumed, 1)


def test_foreach_none_uses_multi_tensor_kernels_per_device_and_dtype(exports, monkeypatch):
    Lion = exports["lion"][0]
    calls = []
    real = torch._foreach_lerp

    def counting(*args, **kw):
        calls.append(len(args[0]))
        return real(*args, **kw)

    monkeypatch.setattr(torch, "_foreach_lerp", counting)
    params = _params((torch.float32, torch.float64))
    _train(Lion(params), params, 1)
    assert sorted(calls) == [1, 2]               # one call for the two float32 tensors, one for the float64 one
    calls.clear()
    _train(Lion(params, foreach=False), params, 1)
    assert calls == []
    frozen = _params()
    frozen[1].requires_grad_(False)              # a parameter without a gradient is skipped
    before = frozen[1].detach().clone()
    _train(Lion(frozen), [frozen[0], frozen[2]], 2)
    assert torch.equal(frozen[1], before)


def test_bad_learning_rate_is_a_value_error(exports):
    with pytest.raises(ValueError, match="learning rate"):
        exports["lion"][0](_params(), lr=0.0)
    with pytest.raises(UserError):
        export_program(parse(HEADER + "    u = global_norm(g)\n    update = g * u\n    update = update * lr\n"
                             "    return update, m, v\n"), "gn", "/nonexistent-dir-never-made")


def test_statements_over_scalars_run_in_python(tmp_path):
    """A statement over hyperparameters and constants only is a Python float, in both steps."""
    from symopt.export.leaf import Leaf
    from symopt.export.torch_codegen import torch_module

    leaf = Leaf(("g", "m", "b1"), ("m",), {}, (("t1", "mul", ("b1", "0.5")), ("t2", "interp", ("g", "m", "t1")),
                                               ("t3", "sign", ("t2",))), ("t3", "t2"), {"b1": 0.9}, False)
    src = torch_module("hand", leaf, learning_rate=0.1, weight_decay=0.0, family=None, program_text="-",
                       command="test")
    assert "t1 = float(_s(b1) * _s(0.5))" in src
    (tmp_path / "hpkg").mkdir()
    (tmp_path / "hpkg" / "__init__.py").write_text("")
    (tmp_path / "hpkg" / "hand_torch.py").write_text(src)
    sys.path.insert(0, str(tmp_path))
    try:
        Hand = importlib.import_module("hpkg.hand_torch").Hand
    finally:
        sys.path.remove(str(tmp_path))
    for foreach in (True, False):
        p = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))
        p.grad = torch.tensor([0.5, 0.25, -1.0])
        opt = Hand([p], foreach=foreach)
        opt.step()
        m = 0.55 * p.grad                          # interp(g, 0, 0.45)
        assert torch.allclose(opt.state[p]["m"], m)
        assert torch.equal(p.detach(), torch.tensor([1.0, -2.0, 3.0]) - 0.1 * torch.sign(m))

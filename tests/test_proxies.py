"""Tests for proxies/: interface, determinism, learning, failure modes. Fast (tiny tasks)."""
from __future__ import annotations

import ast
import gzip
import hashlib
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import proxies
from proxies import (
    Funnel,
    Stage,
    Task,
    get_task,
    load_funnel,
    make_optax_trainer,
    task_names,
    train_optax,
    train_optax_curve,
)
from proxies.config import TASKS_TOML, load_task_configs
from proxies.corpus import VOCAB_SIZE, decode, encode, load_corpus
from proxies.schedules import make_schedule

from needs import need

PKG = os.path.dirname(proxies.__file__)


def _init_valid(task: Task, seed: int = 0) -> float:
    init_key, _ = jax.random.split(jax.random.PRNGKey(seed))
    return float(task.valid_loss(task.init(init_key)))


# ----------------------------------------------------------------------------- registry & interface

def test_task_names_cover_families():
    names = task_names()
    fams = {get_task(n).family for n in ("lm_tiny", "digits_mlp", "digits_vit", "synth_linear", "synth_teacher")}
    assert fams == {"lm", "vision", "synthetic"}
    assert len(names) == len(set(names)) and "synth_linear_tiny" in names


def test_task_fields_and_info_json():
    import json

    t = get_task("synth_linear_tiny")
    assert isinstance(t, Task) and t.name == "synth_linear_tiny" and t.family == "synthetic"
    assert t.steps == 100 and t.batch_size == 16
    json.dumps(dict(t.info))
    params = t.init(jax.random.PRNGKey(0))
    assert all(p.dtype == jnp.float32 for p in jax.tree_util.tree_leaves(params))
    assert t.info["param_count"] == sum(p.size for p in jax.tree_util.tree_leaves(params))
    b = t.batch(jax.random.PRNGKey(1), jnp.int32(3))
    b2 = jax.jit(t.batch)(jax.random.PRNGKey(1), jnp.int32(3))
    assert all(np.array_equal(x, y) for x, y in zip(jax.tree_util.tree_leaves(b), jax.tree_util.tree_leaves(b2)))
    assert t.loss(params, b).shape == () and t.valid_loss(params).dtype == jnp.float32
    assert float(t.lr(jnp.int32(0))) == pytest.approx(1.0)


def test_overrides_apply_and_are_validated():
    t = get_task("synth_linear_tiny", steps=7, batch_size=4)
    assert t.steps == 7 and t.batch_size == 4 and t.info["config"]["steps"] == 7
    with pytest.raises(ValueError, match="unknown override 'stepz'"):
        get_task("synth_linear_tiny", stepz=3)
    with pytest.raises(ValueError, match="'steps' must be an integer"):
        get_task("synth_linear_tiny", steps=3.5)
    with pytest.raises(ValueError, match="'steps' must be > 0"):
        get_task("synth_linear_tiny", steps=0)


def test_unknown_task_is_value_error():
    with pytest.raises(ValueError, match="unknown task 'nope'") as e:
        get_task("nope")
    assert "\n" not in str(e.value)


def test_no_symopt_or_search_space_imports():
    for root, _, files in os.walk(PKG):
        for f in files:
            if f.endswith(".py"):
                tree = ast.parse(open(os.path.join(root, f)).read())
                for node in ast.walk(tree):
                    names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                             [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                    for n in names:
                        assert n.split(".")[0] not in ("symopt", "search_space"), (f, n)


# ----------------------------------------------------------------------------- config errors

def _write(tmp_path, text, name="tasks.toml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


GOOD = """
[tasks.a]
family = "synthetic"
model = "linear"
steps = 10
batch_size = 4
"""


@pytest.mark.parametrize("snippet, msg", [
    ("bogus = 1\n", "unknown field 'bogus'"),
    ("dim = \"eight\"\n", "field 'dim' must be an integer"),
    ("lr_schedule = \"cosin\"\n", "'lr_schedule' must be one of"),
    ("warmup = 1.5\n", "'warmup' must be a fraction"),
    ("hidden = [8]\n", "unknown field 'hidden'"),
])
def test_bad_task_field_is_one_line_value_error(tmp_path, snippet, msg):
    load_task_configs(_write(tmp_path, GOOD, "good.toml"))  # the base is valid
    path = _write(tmp_path, GOOD + snippet)
    with pytest.raises(ValueError) as e:
        load_task_configs(path)
    assert msg in str(e.value)
    assert "tasks.toml: task 'a'" in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("text, msg", [
    ("[tasks.a]\nfamily = \"audio\"\nmodel = \"x\"\nsteps = 1\nbatch_size = 1\n", "unknown family 'audio'"),
    ("[tasks.a]\nfamily = \"lm\"\nmodel = \"rnn\"\nsteps = 1\nbatch_size = 1\n", "unknown model 'rnn'"),
    ("[tasks.a]\nfamily = \"vision\"\nmodel = \"mlp\"\nsteps = 1\n", "missing required field 'batch_size'"),
    ("[tasks.a\nfamily = 1\n", "invalid TOML"),
    ("[task.a]\n", "unknown top-level table 'task'"),
])
def test_bad_task_tables(tmp_path, text, msg):
    with pytest.raises(ValueError, match=msg) as e:
        load_task_configs(_write(tmp_path, text))
    assert "\n" not in str(e.value)


# ----------------------------------------------------------------------------- corpus

def test_corpus_checksum_verified(tmp_path):
    _, corpora = load_task_configs(TASKS_TOML)
    c = corpora["pydoc_topics"]
    ids = load_corpus(c["file"], c["sha256"])
    assert ids.dtype == np.uint8 and ids.max() < VOCAB_SIZE and len(ids) > 400_000
    raw = gzip.decompress(open(os.path.join(PKG, "data", c["file"]), "rb").read())
    assert hashlib.sha256(raw).hexdigest() == c["sha256"]
    assert os.path.getsize(os.path.join(PKG, "data", c["file"])) < 1_000_000
    assert get_task("lm_tiny").info["corpus_sha256"] == c["sha256"]
    with pytest.raises(ValueError, match="checksum mismatch"):
        load_corpus(c["file"], "0" * 64)
    tampered = tmp_path / "t.txt.gz"
    tampered.write_bytes(gzip.compress(raw[:-1] + b"X"))
    with pytest.raises(ValueError, match="checksum mismatch"):
        load_corpus(str(tampered), c["sha256"])
    with pytest.raises(ValueError, match="not found"):
        load_corpus(str(tmp_path / "missing.gz"), c["sha256"])


def test_encode_decode_roundtrip():
    s = "def f(x):\n    return x ~ 1\n"
    assert decode(encode(s.encode())) == s
    with pytest.raises(ValueError):
        encode("caf\xe9".encode("latin-1"))


def test_build_corpus_reproduces_shipped_file():
    sys.path.insert(0, os.path.join(PKG, "data"))
    try:
        import build_corpus
    finally:
        sys.path.pop(0)
    _, corpora = load_task_configs(TASKS_TOML)
    assert "3.11.7" in corpora["pydoc_topics"]["source"]
    need("cpython-3.11.7", sys.version.split()[0] == "3.11.7",
         "the shipped corpus is rebuilt from CPython 3.11.7's pydoc_data; run this test under that interpreter")
    assert hashlib.sha256(build_corpus.build().encode("ascii")).hexdigest() == corpora["pydoc_topics"]["sha256"]


# ----------------------------------------------------------------------------- training

def test_determinism_and_seed_dependence():
    t = get_task("synth_teacher_tiny")
    tx = optax.adam(1e-2)
    a, b, c = train_optax(t, tx, 0), train_optax(t, tx, 0), train_optax(t, tx, 1)
    assert a == b and a != c
    f = make_optax_trainer(t, tx)
    assert float(f(jnp.int32(0), 1.0)) == pytest.approx(a, rel=1e-6)
    t2 = get_task("synth_teacher_tiny")  # a rebuilt task gives the same numbers
    assert float(make_optax_trainer(t2, tx)(0, 1.0)) == pytest.approx(a, rel=1e-6)


def test_trainer_compiles_once():
    t = get_task("synth_linear_tiny")
    f = make_optax_trainer(t, optax.sgd(1e-2, momentum=0.9))
    vals = [float(f(s, sc)) for s in (0, 1, 2) for sc in (0.5, 1, jnp.float32(2.0))]
    assert f.jitted._cache_size() == 1 and len(set(vals)) == 9


def test_lr_scale_zero_leaves_params_at_init():
    t = get_task("synth_linear_tiny")
    assert train_optax(t, optax.adam(1e-2), 3, lr_scale=0.0) == pytest.approx(_init_valid(t, 3), rel=1e-6)


@pytest.mark.parametrize("name, overrides, lr, factor", [
    ("synth_linear_tiny", {}, 3e-2, 0.1),
    ("synth_teacher_tiny", {}, 1e-2, 0.5),
    ("synth_linear", {"steps": 200}, 3e-2, 0.1),
    ("digits_mlp", {"steps": 100}, 3e-3, 0.25),
    ("digits_vit", {"steps": 100, "batch_size": 32, "patch": 4, "d_model": 16}, 1e-2, 0.5),
    ("lm_tiny", {"steps": 60, "batch_size": 16, "context": 8, "d_model": 16, "n_valid": 64}, 1e-2, 0.8),
])
def test_adam_learns_on_each_family(name, overrides, lr, factor):
    t = get_task(name, **overrides)
    init = _init_valid(t)
    final = train_optax(t, optax.adam(lr), seed=0)
    assert np.isfinite(final) and final < factor * init, (init, final)


def test_ill_conditioned_teacher_option():
    base = get_task("synth_teacher_tiny")
    rot = get_task("synth_teacher_tiny", condition=100.0, rotate=True)
    xb, _ = base.batch(jax.random.PRNGKey(0), jnp.int32(0))
    xr, _ = rot.batch(jax.random.PRNGKey(0), jnp.int32(0))
    assert not np.allclose(xb, xr) and np.isfinite(train_optax(rot, optax.adam(1e-2), 0))
    with pytest.raises(ValueError, match="condition"):
        get_task("synth_teacher_tiny", condition=0.5)


def test_nan_optimizer_gives_inf_not_exception():
    def nan_update(updates, state, params=None):
        return jax.tree_util.tree_map(lambda u: u * jnp.nan, updates), state

    tx = optax.GradientTransformation(lambda p: optax.EmptyState(), nan_update)
    t = get_task("synth_linear_tiny")
    assert train_optax(t, tx, 0) == float("inf")
    steps, curve, v = train_optax_curve(t, tx, 0, every=25)
    assert v == float("inf") and list(steps) == [0, 25, 50, 75]
    assert np.isfinite(curve[0]) and np.all(curve[1:] == np.inf)
    f = make_optax_trainer(t, optax.sgd(1e30))  # divergence also gives inf
    assert float(f(jnp.int32(0), 1.0)) == float("inf")


def test_curve_decreases():
    t = get_task("synth_linear_tiny")
    steps, curve, v = train_optax_curve(t, optax.adam(3e-2), 0, every=10)
    assert len(steps) == len(curve) == 10 and curve[-1] < 0.2 * curve[0]
    assert v == pytest.approx(train_optax(t, optax.adam(3e-2), 0))
    with pytest.raises(ValueError):
        train_optax_curve(t, optax.adam(3e-2), 0, every=0)


def test_schedules():
    f = make_schedule("cosine", 100, warmup=0.1, final=0.1)
    v = np.array([float(f(jnp.int32(s))) for s in range(100)])
    assert v[0] == pytest.approx(0.1) and v[9] == pytest.approx(1.0) and v[-1] == pytest.approx(0.1, abs=1e-6)
    assert np.all(np.diff(v[9:]) <= 1e-7)
    g = make_schedule("constant", 50)
    assert float(g(jnp.int32(49))) == 1.0
    h = make_schedule("linear", 11, final=0.0)
    assert float(h(jnp.int32(10))) == pytest.approx(0.0, abs=1e-7) and float(h(jnp.int32(5))) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="unknown lr schedule"):
        make_schedule("step", 10)


# ----------------------------------------------------------------------------- funnels

def test_funnels_load():
    from proxies import funnel_names

    assert {"default", "lion", "lm", "lm_paper", "test", "lion_synth", "illcond"} <= set(funnel_names())
    for name in funnel_names():
        f = load_funnel(name)
        assert isinstance(f, Funnel) and [s.name for s in f.stages] == ["A", "B", "C"]
        assert isinstance(f.meta, Stage) and f.meta.name == "meta" and f.heldout_seeds
        for s in (*f.stages, f.meta):
            assert s.task in task_names() and s.seeds and 0 < s.promote_top <= 1
            assert not set(s.seeds) & set(f.heldout_seeds)
    assert load_funnel("lm").stages[0].task.startswith("lm")
    assert load_funnel() == load_funnel("default") == load_funnel("lion")   # default is an alias
    assert load_funnel().name == "lion" and load_funnel().stages[0].task == "lion_lanes_a"
    assert all(get_task(s.task).family == "synthetic" for s in (*load_funnel("test").stages, load_funnel("test").meta))


def test_test_funnel_trains_fast():
    import time

    f = load_funnel("test")
    for s in (*f.stages, f.meta):
        tr = make_optax_trainer(get_task(s.task), optax.adam(1e-2))
        tr(jnp.int32(0), 1.0).block_until_ready()
        t0 = time.perf_counter()
        assert np.isfinite(float(tr(jnp.int32(s.seeds[0]), 1.0)))
        assert time.perf_counter() - t0 < 0.5


@pytest.mark.parametrize("text, msg", [
    ("[f]\nheldout_seeds=[9]\n[f.A]\ntask='synth_linear_tiny'\nseeds=[0]\npromote_top=0.5\n",
     "missing required field 'B'"),
    ("[f]\nheldout_seeds=[9]\nD=1\n", "unknown field 'D'"),
])
def test_bad_funnel(tmp_path, text, msg):
    with pytest.raises(ValueError, match=msg) as e:
        load_funnel("f", path=_write(tmp_path, text, "funnels.toml"))
    assert "\n" not in str(e.value)


def test_bad_funnel_stage(tmp_path):
    stage = "task='synth_linear_tiny'\nseeds=[0]\npromote_top=0.5\n"
    base = "[f]\nheldout_seeds=[9]\n" + "".join(f"[f.{s}]\n{stage}" for s in ("A", "B", "C", "meta"))
    assert load_funnel("f", path=_write(tmp_path, base, "ok.toml")).stages[2].task == "synth_linear_tiny"
    for old, new, msg in [("promote_top=0.5", "promote_top=1.5", "promote_top"),
                          ("task='synth_linear_tiny'", "task='zzz'", "unknown task 'zzz'"),
                          ("seeds=[0]", "seeds=[]", "non-empty list"),
                          ("heldout_seeds=[9]", "heldout_seeds=[0]", "overlap")]:
        with pytest.raises(ValueError, match=msg):
            load_funnel("f", path=_write(tmp_path, base.replace(old, new, 1), "bad.toml"))
    with pytest.raises(ValueError, match="unknown funnel 'nope'"):
        load_funnel("nope")

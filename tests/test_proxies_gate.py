"""The Lion gate (proxies/gate.py), the `lion` funnel and its lanes tasks. Fast: the gate's statistics
on known numbers, a fake backend, and the new tasks at reduced step counts (no absolute times)."""
from __future__ import annotations

import math
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from proxies import get_task, load_funnel, make_optax_trainer
from proxies.gate import (
    LR_GRID,
    GateResult,
    GateRow,
    gate_seeds,
    measure_gate,
    optax_backend,
    seed_transforms,
    spearman,
    tune,
    z_score,
)

LION_TASKS = ("lion_lanes_a", "lion_lanes_b", "lion_lanes_c", "lion_lanes_meta")


# ----------------------------------------------------------------------------- statistics

def test_z_score_on_known_numbers():
    # means 2 and 5, sample variances 1 and 1, n = 3: z = 3 / sqrt(1/3 + 1/3)
    assert z_score([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]) == pytest.approx(3.0 / math.sqrt(2.0 / 3.0))
    assert z_score([4.0, 5.0, 6.0], [1.0, 2.0, 3.0]) == pytest.approx(-3.0 / math.sqrt(2.0 / 3.0))
    # unequal spreads and sizes: sd 0.1 (n 5) vs sd 0.3 (n 4)
    a = np.array([1.0, 1.1, 0.9, 1.05, 0.95])
    b = np.array([1.5, 1.9, 1.3, 1.7])
    want = (b.mean() - a.mean()) / math.sqrt(a.var(ddof=1) / 5 + b.var(ddof=1) / 4)
    assert z_score(a, b) == pytest.approx(want)
    assert z_score([1.0, 1.0], [2.0, math.inf]) == math.inf
    assert z_score([1.0, math.nan], [2.0, 3.0]) == -math.inf
    assert z_score([1.0, 1.0], [2.0, 2.0]) == math.inf
    assert math.isnan(z_score([1.0, 1.0], [1.0, 1.0]))
    with pytest.raises(ValueError, match=">= 2"):
        z_score([1.0], [2.0, 3.0])


def test_tune_matches_the_evaluator_rule():
    from symopt.evaluation.fitness import LR_GRID as EVAL_GRID
    from symopt.evaluation.fitness import tuned

    assert LR_GRID == EVAL_GRID
    t = np.array([[3.0, 3.0], [1.0, math.inf], [2.0, 2.5]])
    k, row = tune(t)
    assert k == 2 and list(row) == [2.0, 2.5]
    assert k == tuned(t)[0]
    assert tune([0.5, 0.6])[0] is None
    assert tune(np.full((3, 2), math.inf))[0] == 0


def test_spearman():
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert spearman([1, 1, 2], [1, 2, 3]) == pytest.approx(math.sqrt(3) / 2)
    assert spearman([1, math.inf, 2], [1, 3, 2]) == pytest.approx(1.0)     # inf ranks last


# ----------------------------------------------------------------------------- gate logic (fake backend)

def _row(stage, lion, signum, adamw, split="search"):
    losses = {"lion": tuple(lion), "signum": tuple(signum), "adamw": tuple(adamw)}
    z = {o: z_score(lion, losses[o]) for o in ("signum", "adamw")}
    return GateRow(stage=stage, split=split, task="t", seeds=tuple(range(len(lion))), losses=losses,
                   scales={o: 1.0 for o in losses}, z=z, z_min=3.0)


def test_failure_lines_name_the_funnel_key():
    good = [1.0, 1.1, 0.9, 1.0, 1.0]
    far = [2.0, 2.1, 1.9, 2.0, 2.0]
    near = [1.05, 1.2, 0.95, 1.1, 1.0]
    res = GateResult(funnel="lion", rows=(
        _row("A", good, far, far),
        _row("B", good, near, far),
        _row("C", good, far, far, split="heldout"),
        _row("meta", good, [0.5] * 4 + [0.6], far),
    ))
    assert not res.passed
    lines = res.failures()
    z = z_score(good, near)
    assert 0 < z < 3
    assert lines[0] == f"funnels.toml: [lion.B]: tuned Lion does not beat tuned Signum beyond 3 sigma (z = {z:.1f})"
    assert lines[1].startswith("funnels.toml: [lion.meta]: tuned Lion is not best on meta-validation (Signum")
    assert len(lines) == 2 and all("\n" not in x for x in lines)
    assert res.stage_z()[("A", "search")]["adamw"] > 3
    table = res.table()
    assert "| B | t |" in table and "**no**" in table and "C held-out" in table


def test_measure_gate_with_fake_backend():
    f = load_funnel("test")
    calls = []
    base = {"lion": 1.0, "signum": 2.0, "adamw": 3.0}

    def backend(opt, stage, seeds):
        calls.append((opt, stage.name, tuple(seeds)))
        seeds = np.asarray(seeds, np.float64)
        row = base[opt] + 0.01 * np.sin(seeds)                  # deterministic spread
        return np.stack([row * 1.5, row, row * 2.0])             # best scale: the middle one

    res = measure_gate(f, backend)
    assert res.passed and res.funnel == "test"
    assert [(r.stage, r.split) for r in res.rows] == [(s, sp) for s in ("A", "B", "C", "meta")
                                                      for sp in ("search", "heldout")]
    for r in res.rows:
        assert r.scales["lion"] == 1.0 and len(r.seeds) >= 2
        assert r.split == "heldout" or len(r.seeds) >= 5
        assert r.mean("lion") == pytest.approx(1.0, abs=0.02)
    assert gate_seeds(f, f.stages[0]) == (0, 1, 2, 3, 4)
    assert not set(gate_seeds(f, f.meta)) & set(f.heldout_seeds)
    assert ("lion", "meta", tuple(f.heldout_seeds)) in calls
    with pytest.raises(ValueError, match="unknown stage 'D'"):
        measure_gate(f, backend, stages=["D"])


def test_gate_seeds_skip_heldout():
    from proxies.funnel import Funnel, Stage

    st = Stage("A", "synth_linear_tiny", (3,), 0.5)
    f = Funnel("f", (st, st, st), st, heldout_seeds=(0, 1))
    assert gate_seeds(f, st) == (2, 3, 4, 5, 6)


# ----------------------------------------------------------------------------- the lion funnel and tasks

def test_lion_funnel_is_default_and_lm_kept():
    f = load_funnel()
    assert f.name == "lion" and f == load_funnel("lion")
    assert [s.task for s in f.stages] == list(LION_TASKS[:3]) and f.meta.task == LION_TASKS[3]
    assert len(f.heldout_seeds) >= 5
    assert load_funnel("lm").stages[0].task == "lm_tiny"
    for name in ("lm_paper", "test", "lion_synth", "illcond"):
        load_funnel(name)


def test_bad_alias(tmp_path):
    stage = "task='synth_linear_tiny'\nseeds=[0]\npromote_top=0.5\n"
    real = "[f]\nheldout_seeds=[9]\n" + "".join(f"[f.{s}]\n{stage}" for s in ("A", "B", "C", "meta"))
    for text, msg in [("[d]\nalias='nope'\n", "field 'alias' must name a funnel"),
                      ("[d]\nalias='f'\nheldout_seeds=[1]\n", "only 'alias' and 'description'"),
                      ("[d]\nalias='e'\n[e]\nalias='f'\n", "itself an alias")]:
        p = tmp_path / "funnels.toml"
        p.write_text(real + text)
        with pytest.raises(ValueError, match=msg) as e:
            load_funnel("d", path=str(p))
        assert "\n" not in str(e.value)
    p.write_text(real + "[d]\nalias='f'\ndescription='x'\n")
    assert load_funnel("d", path=str(p)).name == "f"


@pytest.mark.parametrize("name", LION_TASKS)
def test_lanes_tasks_deterministic(name):
    task = get_task(name, steps=20)
    tr = make_optax_trainer(task, seed_transforms()["lion"])
    a, b, c = float(tr(0, 1.0)), float(tr(0, 1.0)), float(tr(1, 1.0))
    assert a == b and a != c and math.isfinite(a)
    # the data are fixed by data_seed: a fresh build gives the same losses
    assert float(make_optax_trainer(get_task(name, steps=20), seed_transforms()["lion"])(0, 1.0)) == a


def test_lanes_loss_is_sum_of_lane_losses():
    t = get_task("lion_lanes_a", lanes=3)
    p = t.init(jax.random.PRNGKey(0))
    xb, yb = t.batch(jax.random.PRNGKey(1), jnp.int32(0))
    assert xb.shape == (3, t.batch_size, 16) and yb.shape == (3, t.batch_size, 1)
    per_lane = [0.5 * jnp.mean((xb[i] @ p[0]["w"][i] + p[0]["b"][i] - yb[i]) ** 2) for i in range(3)]
    assert float(t.loss(p, (xb, yb))) == pytest.approx(float(sum(per_lane)), rel=1e-5)
    g = jax.grad(t.loss)(p, (xb, yb))
    g0 = jax.grad(lambda w: 0.5 * jnp.mean((xb[0] @ w + p[0]["b"][0] - yb[0]) ** 2))(p[0]["w"][0])
    np.testing.assert_allclose(g[0]["w"][0], g0, rtol=1e-5, atol=1e-7)     # each lane: its own gradient
    with pytest.raises(ValueError, match="noise_df"):
        get_task("lion_lanes_a", noise_df=-1.0)


def test_lion_stages_grow_in_cost():
    """Work per program evaluation (params x steps x seeds) grows stage to stage, and measured: A's
    training run is cheaper than C's (ratio only, no absolute times)."""
    f = load_funnel("lion")
    work = []
    for st in (*f.stages, f.meta):
        t = get_task(st.task)
        work.append(t.info["param_count"] * t.steps * len(st.seeds))
    assert all(3 <= b / a <= 30 for a, b in zip(work, work[1:])), work

    def run_time(name):
        tr = make_optax_trainer(get_task(name), seed_transforms()["lion"])
        tr(0, 1.0).block_until_ready()
        best = math.inf
        for _ in range(3):
            t0 = time.perf_counter()
            tr(0, 1.0).block_until_ready()
            best = min(best, time.perf_counter() - t0)
        return best

    assert run_time("lion_lanes_a") < run_time("lion_lanes_c")


def test_optax_backend_matches_the_evaluator():
    """The gate's optax versions of lion/signum/adamw give the interpreter's losses (test funnel A)."""
    from proxies.gate import evaluator_backend
    from search_space.seeds import load_seed
    from symopt.evaluation import make_evaluator

    f = load_funnel("test")
    ob = optax_backend()
    eb = evaluator_backend(make_evaluator("test", lr_grid=True), {o: load_seed(o) for o in ("lion", "signum", "adamw")})
    for o in ("lion", "signum", "adamw"):
        _, want = tune(eb(o, f.stages[0], (0, 1)))
        _, got = tune(ob(o, f.stages[0], (0, 1)))
        np.testing.assert_allclose(got, want, rtol=2e-3)

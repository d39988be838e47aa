"""The auto strategy's measurement is remembered per task and machine, and a damaged store is ignored."""

import json

import pytest

from search_space.seeds import load_seed
from symopt.evaluation import make_evaluator, strategy_cache


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMOPT_CACHE_DIR", str(tmp_path))
    return tmp_path / "jax" / strategy_cache.FILE


def test_second_evaluator_recalls_the_measured_strategy(cache):
    first = make_evaluator("test")
    a = first.evaluate([load_seed("adamw")], "A")
    task = first.task(first.stage("A").task)
    measured = first.costs[task.name]
    assert "recalled" not in measured and measured["strategy"] in ("interpreted", "compiled")
    assert {"compile_s", "compiled_run_s"} <= set(measured)
    stored = json.loads(cache.read_text())
    assert stored[strategy_cache.key(task, 2)]["strategy"] == measured["strategy"]

    second = make_evaluator("test")
    assert second.evaluate([load_seed("adamw")], "A") == a == [1.0]
    assert second.costs[task.name]["recalled"] is True
    assert second.costs[task.name]["strategy"] == measured["strategy"]
    # another seed count is another measurement (run time scales with it)
    assert strategy_cache.recall(task, 5) is None


def test_damaged_store_is_ignored_and_rewritten(cache):
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"\x00{not json")
    ev = make_evaluator("test")
    assert ev.evaluate([load_seed("adamw")], "A") == [1.0]
    task = ev.task(ev.stage("A").task)
    assert "recalled" not in ev.costs[task.name]
    assert strategy_cache.recall(task, 2)["strategy"] == ev.costs[task.name]["strategy"]


def test_key_names_task_config_lanes_and_device():
    ev = make_evaluator("test")
    task = ev.task(ev.stage("A").task)
    k = strategy_cache.key(task, 2)
    assert k.startswith(task.name + "|") and "lanes=2" in k and "jax-" in k
    assert strategy_cache.key(task, 3) != k

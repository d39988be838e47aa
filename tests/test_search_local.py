"""The search loop in one process (workers = 0) on the "test" funnel: log format, funnel, determinism."""

import json
import math

import pytest

from search_space.spaces import MUTATION_KINDS
from symopt.config import load_config
from symopt.rundir import RunDir
from symopt.search import run_search

KEYS = {"eval_id", "hash", "parent", "mutation", "program", "fitness", "seconds", "worker", "cached", "time"}


def config(run_dir, seed=0, **extra):
    over = {"search": {"budget": 14, "run_dir": str(run_dir), "seed": seed},
            "funnel": {"name": "test", "meta_every": 9, "meta_top": 1},
            "evolution": {"population": 6, "tournament": 2, "islands": 1},
            "ray": {"workers": 0, "batch_size": 4}, "run": {"checkpoint_every": 4}}
    for section, values in extra.items():
        over.setdefault(section, {}).update(values)
    return load_config(overrides=over)


def sequence(run_dir):
    return [(r["eval_id"], r["hash"], r["parent"], r["fitness"]) for r in RunDir.open(run_dir).evaluations()]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("s") / "run"
    return d, run_search(config(d))


def test_log_has_every_candidate_once_with_the_interface_keys(first_run):
    d, result = first_run
    recs = RunDir.open(d).evaluations()
    assert [r["eval_id"] for r in recs] == list(range(14))
    assert all(KEYS <= set(r) for r in recs)
    seed = recs[0]
    assert seed["parent"] is None and seed["mutation"] == "seed" and set(seed["fitness"]) == {"A", "B", "C"}
    for r in recs[1:]:
        assert r["parent"] is not None and r["mutation"].split()[0] in MUTATION_KINDS + ("tune",)
        stages = list(r["fitness"])
        assert stages == ["A", "B", "C"][: len(stages)] and stages      # the funnel starts on A, in order
        if r["cached"]:
            assert r["worker"] == "cache" and r["seconds"] == 0.0
    assert result.counters["candidates"] == 14
    assert result.counters["cached"] + result.counters["evaluated"] == 14


def test_promotion_follows_the_bars(first_run):
    d, _ = first_run
    recs = RunDir.open(d).evaluations()
    seed_a = recs[0]["fitness"]["A"]
    for r in recs[1:]:
        a = r["fitness"]["A"]
        if "B" in r["fitness"]:
            assert a is not None and a < seed_a, "only a candidate beating the seed on A is promoted"
        if a is None:
            assert list(r["fitness"]) == ["A"], "an invalid candidate is never promoted"


def test_run_directory_files(first_run):
    d, result = first_run
    rd = RunDir.open(d)
    assert rd.config()["funnel"]["name"] == "test"
    hof = rd.hall_of_fame()
    assert hof and {"hash", "program", "fitness", "eval_id", "parent"} <= set(hof[0])
    assert len({e["hash"] for e in hof}) == len(hof)
    assert result.hall_of_fame[0]["hash"] == hof[0]["hash"] and result.best is not None
    meta = rd.meta_validation()
    assert {m["evaluations"] for m in meta} == {9, 14}  # at the interval and at the end
    assert all(set(m) == {"time", "evaluations", "hash", "meta", "heldout", "heldout_stage"} for m in meta)
    assert all(m["heldout_stage"] in ("A", "B", "C") for m in meta)
    assert all(m["heldout"] is None or math.isfinite(m["heldout"]) for m in meta)
    assert "meta" in hof[0] and "heldout" in hof[0]
    assert rd.checkpoint()["counters"]["candidates"] == 14


def test_same_seed_same_sequence_other_seed_differs(first_run, tmp_path):
    d, _ = first_run
    run_search(config(tmp_path / "again"))
    assert sequence(tmp_path / "again") == sequence(d)
    run_search(config(tmp_path / "other", seed=1, search={"budget": 6}))
    assert [h for _, h, _, _ in sequence(tmp_path / "other")] != [h for _, h, _, _ in sequence(d)[:6]]


def test_existing_run_dir_is_refused(first_run):
    from symopt.errors import UserError

    d, _ = first_run
    with pytest.raises(UserError, match="--resume"):
        run_search(config(d))
    json.loads(json.dumps(sequence(d)))  # the log is plain JSON

"""The planted-target benchmark: its fitness, its reach criterion and its command."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from search_space.parser import parse
from search_space.seeds import load_seed
from symopt.bench.planted import ROWS, Reach, bar, tuned_distance
from symopt.bench.planted_fitness import PlantedFitness
from symopt.search.result import Record


@pytest.fixture(scope="module")
def lion():
    return PlantedFitness("lion")


def test_the_target_scores_zero_and_lion_beats_signum_beats_adamw(lion):
    d = {n: lion.distance(load_seed(n)) for n in ("lion", "signum", "adamw", "sgd")}
    assert d["lion"] == pytest.approx(0.0, abs=1e-6)
    assert d["lion"] < d["signum"] < d["adamw"] < d["sgd"]
    # a positive rescaling of the target is the target (scale-invariant distance)
    scaled = parse(str(load_seed("lion")).replace("update = update * lr", "update = update * lr\n"
                                                  "    update = update * 7.0"))
    assert lion.distance(scaled) == pytest.approx(0.0, abs=1e-6)


def test_every_target_scores_zero_on_its_own_streams_and_the_streams_are_deterministic():
    for target in ("adam", "signum"):
        f = PlantedFitness(target)
        assert f.distance(load_seed(target)) == pytest.approx(0.0, abs=1e-6)
        assert np.array_equal(f.gs, PlantedFitness(target).gs)
    assert not np.array_equal(PlantedFitness("lion", seed=1).gs, PlantedFitness("lion").gs)


def test_diverging_and_zero_updates_score_inf_and_one(lion):
    blow = parse("def train(w, g, m, v, lr):\n    m = exp(m)\n    m = m + g\n    update = m * lr\n"
                 "    return update, m, v\n")
    assert lion.distance(blow) == float("inf")
    zero = parse("def train(w, g, m, v, lr):\n    t = g * 0.0\n    update = t * lr\n    return update, m, v\n")
    assert lion.distance(zero) == pytest.approx(1.0)


def test_the_bar_is_the_best_tuned_rival(lion):
    row = ROWS[0]
    b = bar(row, lion)
    assert b == pytest.approx(tuned_distance(lion, load_seed("signum")))
    assert 0.0 < b < lion.distance(load_seed("signum")) + 1e-12


def test_reach_names_the_family_and_waits_for_the_bar(lion):
    reach = Reach(("lion",), {}, lion, bar=0.1)
    seed = load_seed("adamw")
    assert not reach(Record(0, seed, lion.distance(seed), "s", None, "seed", False))
    weak = parse(str(load_seed("lion")).replace("0.9)", "0.3)").replace("0.99)", "0.5)"))
    d = lion.distance(weak)
    assert 0.1 < d < reach.gate
    assert not reach(Record(1, weak, d, "w", seed, "x", False))      # named, but not beyond the bar
    assert reach.first == 1 and reach.first_beyond is None
    assert reach(Record(2, load_seed("lion"), 0.0, "l", seed, "x", False))
    assert reach.first_beyond == 2


def test_command_prints_one_json_object_per_row():
    out = subprocess.run([sys.executable, "-m", "symopt", "bench", "planted", "--rows", "signum->lion",
                          "--spaces", "compact", "--seeds", "0", "--budget", "400", "--json"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 1
    keys = {"row", "space", "seeds", "budget", "reached", "median_candidates", "random_reached",
            "random_median_candidates", "candidates_per_s"}
    assert keys <= set(rows[0]) and rows[0]["row"] == "signum->lion" and rows[0]["budget"] == 400
    bad = subprocess.run([sys.executable, "-m", "symopt", "bench", "planted", "--rows", "nope"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "unknown row 'nope'" in bad.stderr

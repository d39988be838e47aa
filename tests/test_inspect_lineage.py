"""``symopt lineage``: the path from the seed, its diffs and fitness changes, and the dot file."""

from __future__ import annotations

import json
import re

import networkx as nx
import pytest

from search_space.parser import parse
from symopt.cli import main
from symopt.inspect.lineage import build_graph, fitness_change, statement_diff

from inspect_helpers import make_run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("lineage") / "run", n=80, truncate=True)


def _deepest(run):
    first = {}
    for r in run["records"]:
        first.setdefault(r["hash"], r)

    def depth(h):
        d = 0
        while first[h]["parent"]:
            h, d = first[h]["parent"], d + 1
        return d

    return max(first, key=depth), first, depth


def test_json_path_goes_from_the_seed_along_first_parents(run, capsys):
    target, first, depth = _deepest(run)
    assert depth(target) >= 3
    assert main(["lineage", str(run["rundir"].path), target[:8], "--json"]) == 0
    path = json.loads(capsys.readouterr().out)
    assert all(set(n) == {"hash", "mutation", "fitness", "program"} for n in path)
    assert path[0]["hash"] == run["records"][0]["hash"] and path[0]["mutation"] == "seed"
    assert path[-1]["hash"] == target and len(path) == depth(target) + 1
    for a, b in zip(path, path[1:]):
        assert first[b["hash"]]["parent"] == a["hash"]
        assert b["mutation"] == first[b["hash"]]["mutation"]
        assert b["program"] == first[b["hash"]]["program"]


def test_text_shows_each_mutation_with_diff_and_fitness(run, capsys):
    target, first, depth = _deepest(run)
    assert main(["lineage", str(run["rundir"].path), target]) == 0
    out = capsys.readouterr().out
    steps = re.findall(r"^\[(\d+)\] ([0-9a-f]{16})", out, re.M)
    assert [int(i) for i, _ in steps] == list(range(depth(target) + 1))
    assert out.count("    fitness: ") == depth(target)
    assert first[target]["mutation"] in out
    assert any(line.startswith(("    +", "    -")) for line in out.splitlines())


def test_statement_diff_and_fitness_change():
    a = "def train(w, g, m, v, lr):\n    u = g * lr\n    return u, m, v\n"
    b = "def train(w, g, m, v, lr):\n    s = sign(g)\n    u = s * lr\n    return u, m, v\n"
    assert statement_diff(a, b) == ["-u = g * lr", "+s = sign(g)", "+u = s * lr"]
    assert fitness_change({"A": 1.0}, {"A": 0.75, "B": None}) == "A 1 -> 0.75 (-0.25), B inf (new stage)"


def test_dot_file_is_the_path(run, tmp_path, capsys):
    target, first, depth = _deepest(run)
    dot = tmp_path / "l.dot"
    assert main(["lineage", str(run["rundir"].path), target, "--dot", str(dot), "--json"]) == 0
    path = json.loads(capsys.readouterr().out)
    text = dot.read_text()
    assert text.startswith("digraph lineage {") and text.rstrip().endswith("}")
    edges = re.findall(r'^  "([0-9a-f]+)" -> "([0-9a-f]+)"', text, re.M)
    assert edges == [(a["hash"], b["hash"]) for a, b in zip(path, path[1:])]


def test_graph_has_every_logged_mutation_as_an_edge(run):
    g = build_graph(run["records"])
    assert isinstance(g, nx.DiGraph)
    assert set(g.nodes) == {r["hash"] for r in run["records"]}
    for r in run["records"][1:]:
        assert g.has_edge(r["parent"], r["hash"])
    parse(g.nodes[run["records"][0]["hash"]]["program"])


def test_lineage_of_the_seed_is_the_seed(run, capsys):
    seed = run["records"][0]["hash"]
    assert main(["lineage", str(run["rundir"].path), seed, "--json"]) == 0
    assert [n["hash"] for n in json.loads(capsys.readouterr().out)] == [seed]

"""``symopt show RUN --family NAME`` and the report's family section: where a family appeared and its fate.

The run directory is written by hand (symopt.rundir's real writer, real programs and functional
hashes): each fate needs a program placed on purpose (not promoted, dropped, beaten, lost at
meta-validation, returned), which a real search does not do on demand.  ``test_inspect_real_run.py``
reads a run of the real search.
"""

from __future__ import annotations

import json

import pytest

from search_space.hashing import functional_hash
from search_space.parser import parse
from search_space.program import format_program
from search_space.seeds import load_seed
from symopt.cli import main
from symopt.inspect.families import census, family_rows
from symopt.inspect.report import write_report
from symopt.rundir import RESULT, RunDir

LION = load_seed("lion")


def _lion(b1: float) -> str:
    return format_program(LION).replace("interp(g, m, 0.9)", f"interp(g, m, {b1})")


@pytest.fixture()
def run(tmp_path):
    """Seed AdamW, then six Lion variants (β1 0.5-0.95) with one fate each, and a Signum."""
    rd = RunDir.create(tmp_path / "run", '[search]\nbudget = 8\n[funnel]\nname = "test"\n')
    texts = [format_program(load_seed("adamw")), _lion(0.5), _lion(0.6), _lion(0.7), _lion(0.8), _lion(0.85),
             _lion(0.95), format_program(load_seed("signum"))]
    fits = [{"A": 1.0, "B": 1.0}, {"A": 0.3}, {"A": 0.2, "B": 0.9}, {"A": 0.25, "B": 0.5},
            {"A": 0.26, "B": 0.45}, {"A": 0.27, "B": 0.44}, {"A": None}, {"A": 0.5, "B": 0.7}]
    hashes = [functional_hash(parse(t)) for t in texts]
    recs = [{"eval_id": i, "hash": h, "parent": hashes[0] if i else None, "mutation": "m" if i else "seed",
             "program": t, "fitness": f, "cached": False, "seconds": 0.1, "worker": "w", "time": float(i)}
            for i, (t, h, f) in enumerate(zip(texts, hashes, fits))]
    recs[5]["parent"] = hashes[3]                        # Lion 0.7 had one child
    rd.append_evaluations(recs)
    hof = [recs[i] for i in (5, 4, 3, 7, 0)]             # Lion 0.6 (B 0.9) was pushed out
    rd.write_hall_of_fame([{k: r[k] for k in ("hash", "program", "fitness", "eval_id", "parent")} for r in hof])
    rd.append_meta([{"evaluations": 8, "hash": hashes[5], "meta": 0.6}, {"evaluations": 8, "hash": hashes[4],
                                                                          "meta": 0.7}])
    (rd.path / RESULT).write_text(json.dumps({"hash": hashes[5], "family": "lion", "meta_validation_vs_seed": 0.58}))
    return rd, hashes


def test_every_program_of_the_family_gets_its_fate(run):
    rd, hashes = run
    found = family_rows(rd, "Lion")
    assert (found["family"], found["programs"], found["first"], found["returned"]) == ("lion", 6, 1, "lion")
    fates = {r["eval_id"]: r["fate"] for r in found["rows"]}
    assert fates == {1: "not promoted from A", 2: "dropped from the hall of fame",
                     3: "beaten in the hall of fame (rank 3)", 4: "lost at meta-validation (0.700 vs 0.580)",
                     5: "returned", 6: "diverged on A"}
    children = {r["eval_id"]: r["children"] for r in found["rows"]}
    assert children[3] == 1 and children[5] == 0


def test_without_a_result_the_search_best_is_the_returned_program(run):
    rd, _ = run
    (rd.path / RESULT).unlink()
    fates = {r["eval_id"]: r["fate"] for r in family_rows(rd, "lion")["rows"]}
    assert fates[5] == "returned" and fates[4] == "lost at meta-validation (0.700 vs 0.600)"


def test_cli_table_json_and_unknown_family(run, capsys):
    rd, _ = run
    assert main(["show", str(rd.path), "--family", "lion"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("lion: 6 distinct program(s) among 8 candidates, the first at candidate 1")
    assert len(out) == 2 + 6 and out[-1].endswith("diverged on A")
    assert main(["show", str(rd.path), "--family", "signum", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["fate"] for r in rows] == ["beaten in the hall of fame (rank 4)"]
    assert main(["show", str(rd.path), "--family", "powersign"]) == 0
    assert capsys.readouterr().out.startswith("no powersign program among the 8 candidates")
    assert main(["show", str(rd.path), "--family", "adamish"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unknown family 'adamish'" in err and "lion, signum, adam" in err


def test_report_lists_the_families_of_the_run(run, tmp_path):
    rd, hashes = run
    assert [(c["family"], c["programs"], c["first"], c["promoted"]) for c in census(rd)] == \
        [("adam", 1, 0, 1), ("lion", 6, 1, 4), ("signum", 1, 7, 1)]
    page = write_report(rd, tmp_path / "rep").read_text()
    assert "Families found" in page and "<td>returned</td>" in page and "beaten in the hall of fame (rank 4)" in page

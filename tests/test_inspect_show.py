"""``symopt show``: the hall-of-fame table, one program with its live part, errors on bad runs."""

from __future__ import annotations

import json

import pytest

from search_space.analysis import analyze
from search_space.parser import parse
from search_space.program import one_line
from symopt.cli import main

from inspect_helpers import make_run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("show") / "run", n=60)


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_rows_follow_the_hall_of_fame(run, capsys):
    code, out, _ = cli(capsys, "show", str(run["rundir"].path), "--json")
    rows = json.loads(out)
    assert code == 0
    assert [r["hash"] for r in rows] == [e["hash"] for e in run["hof"]]
    for i, (r, e) in enumerate(zip(rows, run["hof"])):
        assert set(r) == {"rank", "hash", "fitness", "family", "program"}
        assert r["rank"] == i + 1
        assert r["fitness"] == e["fitness"]
        assert r["program"] == one_line(parse(e["program"]))


def test_top_limits_the_table(run, capsys):
    code, out, _ = cli(capsys, "show", str(run["rundir"].path), "--top", "3")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 4          # header + 3
    assert lines[0].split()[:3] == ["rank", "hash", "fitness"]
    for k, line in enumerate(lines[1:]):
        assert line.split()[:2] == [str(k + 1), run["hof"][k]["hash"]]


def test_program_by_prefix_marks_dead_statements(run, capsys):
    # choose a hall-of-fame program that has dead code, so the marking is really tested
    entry = next(e for e in run["hof"] if not all(analyze(parse(e["program"])).live))
    code, out, _ = cli(capsys, "show", str(run["rundir"].path), "--program", entry["hash"][:6])
    assert code == 0
    body = out.splitlines()[2:-1]                  # header, signature ... return
    live = analyze(parse(entry["program"])).live
    assert len(body) == len(live)
    assert [not line.endswith("# dead") for line in body] == list(live)
    assert "\x1b[" not in out                      # not a terminal: no ANSI codes


def test_listing_uses_ansi_on_a_terminal():
    from symopt.inspect.show import BOLD, DIM, listing

    text = listing(parse("def train(w, g, m, v, lr):\n    t = exp(w)\n    u = g * lr\n    return u, m, v\n"), True)
    assert DIM + "    t = exp(w)" in text and BOLD + "    u = g * lr" in text


def test_run_in_progress_without_hall_of_fame(tmp_path, capsys):
    r = make_run(tmp_path / "live", n=30, hof=False, truncate=True)
    code, out, err = cli(capsys, "show", str(r["rundir"].path), "--json")
    rows = json.loads(out)
    assert code == 0 and rows
    hashes = {x["hash"] for x in r["records"]}
    assert {x["hash"] for x in rows} <= hashes and len({x["hash"] for x in rows}) == len(rows)


@pytest.mark.parametrize("damage", ["missing", "no_config", "bad_hof", "bad_middle_line"])
def test_missing_or_damaged_run_is_one_line_error(tmp_path, capsys, damage):
    path = tmp_path / "run"
    if damage != "missing":
        make_run(path, n=10)
        if damage == "no_config":
            (path / "config.toml").unlink()
        elif damage == "bad_hof":
            (path / "hall_of_fame.json").write_text("[{")
        else:
            lines = (path / "evaluations.jsonl").read_text().splitlines()
            lines[3] = lines[3][:20]
            (path / "evaluations.jsonl").write_text("\n".join(lines) + "\n")
    for cmd in (["show", str(path)], ["lineage", str(path), "0"], ["report", str(path)]):
        code, out, err = cli(capsys, *cmd)
        assert code == 1, cmd
        assert len(err.strip().splitlines()) == 1 and str(path) in err and "Traceback" not in err


def test_unknown_hash_is_an_error(run, capsys):
    code, _, err = cli(capsys, "show", str(run["rundir"].path), "--program", "zzzz")
    assert code == 1 and "no program with hash 'zzzz'" in err

"""show / lineage / report on a run directory written by the real ``symopt search`` (tiny test funnel)."""

from __future__ import annotations

import json

import pytest

from symopt.cli import main


@pytest.fixture(scope="module")
def real_run(tmp_path_factory, symopt_search):
    return symopt_search(tmp_path_factory.mktemp("real") / "run", budget=40, workers=1)


def test_show_lineage_report_on_a_real_run(real_run, capsys, tmp_path):
    assert main(["show", str(real_run), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    hof = json.loads((real_run / "hall_of_fame.json").read_text())
    assert [r["hash"] for r in rows] == [e["hash"] for e in hof]
    logged = [json.loads(line) for line in (real_run / "evaluations.jsonl").read_text().splitlines()]
    assert main(["lineage", str(real_run), rows[0]["hash"], "--json"]) == 0
    path = json.loads(capsys.readouterr().out)
    assert path[0]["hash"] == logged[0]["hash"] and path[-1]["hash"] == rows[0]["hash"]
    assert main(["report", str(real_run), "--out", str(tmp_path / "rep")]) == 0
    page = (tmp_path / "rep" / "index.html").read_text()
    assert rows[0]["hash"] in page and f"<td>{len(logged)}</td>" in page


def test_a_run_being_written_is_readable(real_run, capsys):
    with open(real_run / "evaluations.jsonl", "a") as fh:     # a writer killed mid-line
        fh.write('{"eval_id": 9999, "hash": "0123')
    assert main(["show", str(real_run), "--top", "2"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) <= 3
    assert main(["report", str(real_run)]) == 0

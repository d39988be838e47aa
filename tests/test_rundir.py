"""Run directory: config first, append-only log, atomic checksummed checkpoints, damage detection."""

import math
import os

import pytest

from symopt.errors import UserError
from symopt.rundir import RunDir


@pytest.fixture
def rd(tmp_path):
    return RunDir.create(tmp_path / "run", "[search]\nseed = 1\n")


def test_create_writes_config_first_and_refuses_a_used_directory(rd):
    assert sorted(os.listdir(rd.path)) == ["config.toml"]
    assert RunDir.open(rd.path).config() == {"search": {"seed": 1}}
    with pytest.raises(UserError, match="not empty"):
        RunDir.create(rd.path, "")


def test_open_missing_or_foreign_directory(tmp_path):
    with pytest.raises(UserError, match="no such run directory"):
        RunDir.open(tmp_path / "nope")
    with pytest.raises(UserError, match="not a run directory"):
        RunDir.open(tmp_path)


def test_paths_cannot_escape(rd):
    with pytest.raises(UserError, match="escapes"):
        rd.child("../elsewhere.json")
    with pytest.raises(UserError, match="escapes"):
        rd.child("/etc/passwd")
    assert rd.child("report/index.html").parent.name == "report"


def test_log_roundtrip_writes_null_for_inf(rd):
    rd.append_evaluations([{"eval_id": 0, "fitness": {"A": math.inf, "B": 0.5}}, {"eval_id": 1, "fitness": {}}])
    text = rd.child("evaluations.jsonl").read_text()
    assert "null" in text and "Infinity" not in text
    assert [r["eval_id"] for r in RunDir.open(rd.path).evaluations()] == [0, 1]


def test_truncated_last_line_is_skipped_with_warning_and_repaired(rd):
    rd.append_evaluations([{"eval_id": 0}, {"eval_id": 1}])
    with open(rd.child("evaluations.jsonl"), "a") as fh:
        fh.write('{"eval_id": 2, "fit')
    with pytest.warns(UserWarning, match="truncated"):
        assert [r["eval_id"] for r in rd.evaluations()] == [0, 1]
    with pytest.warns(UserWarning, match="truncated"):
        assert rd.repair_log() > 0
    rd.append_evaluations([{"eval_id": 2}])
    assert [r["eval_id"] for r in rd.evaluations()] == [0, 1, 2]


def test_damaged_middle_line_is_an_error_naming_the_line(rd):
    rd.append_evaluations([{"eval_id": 0}])
    with open(rd.child("evaluations.jsonl"), "a") as fh:
        fh.write("garbage\n")
    rd.append_evaluations([{"eval_id": 2}])
    with pytest.raises(UserError, match=r"evaluations.jsonl:2: damaged log line"):
        rd.evaluations()


def test_checkpoint_is_atomic_and_checksummed(rd):
    assert rd.checkpoint() is None
    rd.write_checkpoint({"population": [1, 2], "x": math.inf})
    assert rd.checkpoint() == {"population": [1, 2], "x": None}
    assert not [n for n in os.listdir(rd.path) if n.endswith(".tmp")]


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_damaged_checkpoint_is_a_clear_error(rd, damage):
    rd.write_checkpoint({"population": [1, 2, 3]})
    f = rd.child("checkpoint.json")
    text = f.read_text()
    if damage == "truncate":
        f.write_text(text[: len(text) // 2])
    elif damage == "flip":
        f.write_text(text.replace("[1, 2, 3]", "[1, 2, 4]"))
    else:
        f.write_text("\x00\x01")
    with pytest.raises(UserError, match="damaged checkpoint"):
        rd.checkpoint()


def test_hall_of_fame_and_meta(rd):
    rd.write_hall_of_fame([{"hash": "a", "fitness": {"A": math.inf}}])
    rd.append_meta([{"time": 1.0, "evaluations": 3, "hash": "a", "meta": None, "heldout": 0.5}])
    assert rd.hall_of_fame() == [{"hash": "a", "fitness": {"A": None}}]
    assert rd.meta_validation()[0]["heldout"] == 0.5
    rd.child("hall_of_fame.json").write_text("{")
    with pytest.raises(UserError, match="damaged hall of fame"):
        rd.hall_of_fame()

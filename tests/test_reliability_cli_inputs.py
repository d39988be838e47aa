"""Every command that reads a user file, fed bad files: exit 1 with one stderr line, never a traceback.

Program commands (``program``, ``export``, ``simplify``, ``equiv``) get fuzzed program files; run-directory
commands (``show``, ``lineage``, ``report``) get missing, foreign and damaged run directories.  Runs
``symopt.cli.main`` in this process (the console script's code path, without start-up cost); an exception
escaping ``main`` fails the test.
"""

from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_space.seeds import seed_text
from symopt.cli import main
from symopt.rundir import RunDir

FAST = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:          # argparse usage errors: exit 2, one line
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def assert_one_line_failure(code, err, *needles):
    assert code == 1, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for n in needles:
        assert n in lines[0], (n, err)


BAD_PROGRAMS = [
    b"",
    b"\x89PNG\r\n\x1a\n\x00\x00",
    b"def train(w, g, m, v, lr):\n    update = g ** 2\n    return update, m, v\n",
    b"def train(w, g, m, v, lr):\n    update = lr * 1.0\n    return update, m, v\n",   # update ignores g
    b"import os\nos.system('true')\n",
    "def train(w, g, m, v, lr):\n    update = g\n    return update, m, v\n".encode("utf-16"),
]


def _commands(path: str, tmp) -> dict:
    return {
        "program": ["program", path],
        "export": ["export", path, "--name", "fuzz", "--out", str(tmp / "out")],
        "simplify": ["simplify", path],
        "equiv": ["equiv", path, path],
    }


INVALID = 3   # BAD_PROGRAMS[3] parses but is not a valid optimizer (its update ignores g)


@pytest.mark.parametrize("command", ["program", "export", "simplify", "equiv"])
def test_program_commands_reject_bad_files_in_one_line(tmp_path, command):
    """Unparsable files: one line naming the file.  An invalid program: the same for ``program`` and
    ``export``; ``simplify`` and ``equiv`` may work on it (they reason about any parsed program)."""
    for k, data in enumerate(BAD_PROGRAMS):
        path = tmp_path / f"bad{k}.program"
        path.write_bytes(data)
        code, _, err = cli(*_commands(str(path), tmp_path)[command])
        if k == INVALID and command in ("simplify", "equiv"):
            assert code in (0, 1) and "Traceback" not in err
            continue
        assert_one_line_failure(code, err, str(path))
    code, _, err = cli(*_commands(str(tmp_path / "missing.program"), tmp_path)[command])
    assert_one_line_failure(code, err, "missing.program")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@settings(max_examples=25, **FAST)
@given(st.binary(max_size=120))
def test_export_and_equiv_on_random_bytes(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("cli")
    path = tmp / "fuzz.program"
    path.write_bytes(data)
    good = tmp / "lion.program"
    good.write_text(seed_text("lion"))
    for args in (["export", str(path), "--name", "fuzz", "--out", str(tmp / "out")],
                 ["equiv", str(good), str(path)]):
        code, _, err = cli(*args)
        if code != 0:
            assert_one_line_failure(code, err)


def test_export_refuses_bad_names_in_one_line(tmp_path):
    path = tmp_path / "lion.program"
    path.write_text(seed_text("lion"))
    for name in ("../evil", "os.system", "a b", "", "import", "__init__"):
        code, _, err = cli("export", str(path), "--name", name, "--out", str(tmp_path / "out"))
        assert code == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (name, err)
    assert not (tmp_path / "evil.py").exists() and not (tmp_path / "evil_optax.py").exists()


# -- run directories -----------------------------------------------------------------------------

def damaged_runs(tmp_path) -> dict:
    runs = {}
    runs["missing"] = tmp_path / "missing"
    f = tmp_path / "a_file"
    f.write_text("x")
    runs["a_file"] = f
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("hello")
    runs["foreign"] = foreign
    for name, damage in {
        "bad_config": ("config.toml", b"[search\x00"),
        "bad_log": ("evaluations.jsonl", b'{"eval_id": 0}\ngarbage\n{"eval_id": 2}\n'),
        "binary_log": ("evaluations.jsonl", b"\xff\xfe\x00\x01\n\x00\n"),
        "bad_hof": ("hall_of_fame.json", b"{not json"),
        "hof_not_list": ("hall_of_fame.json", b'{"a": 1}'),
        "hof_wrong_entries": ("hall_of_fame.json", b'[1, "x", {"hash": 3}]'),
        "log_wrong_records": ("evaluations.jsonl", b'{"eval_id": "zero", "fitness": 5}\n[1, 2]\n'),
        "bad_checkpoint": ("checkpoint.json", b'{"format": 1, "sha256": "00", "state": {}}'),
    }.items():
        rd = RunDir.create(tmp_path / name, "[search]\nseed = 1\n")
        (rd.path / damage[0]).write_bytes(damage[1])
        runs[name] = rd.path
    runs["empty_run"] = RunDir.create(tmp_path / "empty_run", "[search]\nseed = 1\n").path
    return runs


@pytest.mark.parametrize("command", ["show", "lineage", "report"])
def test_run_commands_on_damaged_run_directories(tmp_path, command):
    """Exit 0 (an empty or partly readable run) or 1 with one line; never a traceback."""
    for name, path in damaged_runs(tmp_path).items():
        args = {"show": ["show", str(path)], "lineage": ["lineage", str(path), "0123456789abcdef"],
                "report": ["report", str(path), "--out", str(tmp_path / f"report_{name}")]}[command]
        code, _, err = cli(*args)
        if name in ("missing", "a_file", "foreign", "bad_log", "binary_log"):
            assert_one_line_failure(code, err)
        elif code != 0:
            assert_one_line_failure(code, err)

"""``symopt search --resume`` checks the run before it writes: a configuration that no longer matches the
log is refused, a damaged log is refused without a byte of it changed, and a candidate whose log line was
torn after the final checkpoint is evaluated again (no gap in ``eval_id``).

Runs are made and resumed in this process (``ray.workers = 0``: the test funnel trains in the driver).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import warnings

import pytest

from symopt.cli import main
from symopt.config import load_config
from symopt.rundir import RunDir
from symopt.search import run_search

BUDGET = 8


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A run that reached its budget (its last checkpoint written after its last candidate)."""
    run = tmp_path_factory.mktemp("resume") / "run"
    run_search(load_config(overrides={
        "search": {"budget": BUDGET, "run_dir": str(run), "seed": 4},
        "funnel": {"name": "test", "meta_every": 0, "meta_top": 0},
        "evolution": {"population": 6, "tournament": 2, "islands": 1},
        "ray": {"workers": 0, "batch_size": 3}, "run": {"checkpoint_every": 3}}))
    return run


@pytest.fixture
def run(finished, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(finished, copy)
    return copy


def _main(*args) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main([str(a) for a in args])
    return code, err.getvalue()


def _files(run) -> dict:
    """Every file of the run with its bytes and time of change (the writer lock takes its holder's pid)."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(run.iterdir())
            if p.is_file() and p.name != "writer.lock"}


def _ids(run) -> list[int]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [r["eval_id"] for r in RunDir.open(run).evaluations()]


EDITS = [
    ('name = "test"', 'name = "default"', "key 'funnel.name' is 'default' but the run was started with 'test'"),
    ('space = "compact"', 'space = "hero"', "key 'search.space' is 'hero' but the run was started with 'compact'"),
    ("seed = 4", "seed = 3", "key 'search.seed' is 3 but the run was started with 4"),
    ('seed_program = "adamw"', 'seed_program = "sgd"', "key 'search.seed_program' is 'sgd'"),
    ("population = 6", "population = 12", "key 'evolution.population' is 12 but the run was started with 6"),
]


@pytest.mark.parametrize("old, new, needle", EDITS, ids=[e[1] for e in EDITS])
def test_a_config_that_no_longer_matches_the_log_is_refused_and_nothing_is_written(run, old, new, needle):
    config = run / "config.toml"
    text = config.read_text()
    assert text.count(old) == 1
    config.write_text(text.replace(old, new))
    before = _files(run)
    code, err = _main("search", "--resume", run, "--budget", BUDGET + 5)
    assert code == 1
    assert err.count("\n") == 1 and err.startswith(f"symopt search: error: {config}: {needle}"), err
    assert _files(run) == before


def test_a_run_without_identity_is_checked_against_the_seed_its_log_starts_from(run):
    """A run written before identity.json existed: its log's first candidate is its seed program."""
    (run / "identity.json").unlink()
    config = run / "config.toml"
    config.write_text(config.read_text().replace('seed_program = "adamw"', 'seed_program = "lion"'))
    before = _files(run)
    code, err = _main("search", "--resume", run)
    assert code == 1 and "key 'search.seed_program' (lion) is not the program the log starts from" in err
    assert _files(run) == before


def test_a_torn_last_line_after_the_final_checkpoint_is_evaluated_again(run):
    log = run / "evaluations.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    assert len(lines) == BUDGET
    last = json.loads(lines[-1])
    log.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])      # torn in the middle
    assert RunDir.open(run).checkpoint()["counters"]["candidates"] == BUDGET   # the checkpoint counted it
    code, err = _main("search", "--resume", run)
    assert code == 0, err
    records = RunDir.open(run).evaluations()
    assert [r["eval_id"] for r in records] == list(range(BUDGET))            # no gap, none twice
    assert records[:-1] == [json.loads(line) for line in lines[:-1]]          # the others kept as they were
    assert records[-1]["eval_id"] == last["eval_id"]
    assert log.read_text().endswith("\n")


GARBAGE = {
    "binary, no newline": bytes(range(256)) * 2,
    "binary with newlines": b"\x00\xff\n\xfe\x01garbage\n\x80\x81",
    "text that is not a record": b"hello world",
    "a foreign last line": None,        # the run's log, then a line of foreign bytes
}


@pytest.mark.parametrize("kind", list(GARBAGE))
def test_a_damaged_log_is_refused_and_not_a_byte_of_the_run_changes(run, kind):
    log = run / "evaluations.jsonl"
    data = GARBAGE[kind]
    log.write_bytes(log.read_bytes() + b"\x93\x00\xffpartial" if data is None else data)
    before = _files(run)
    code, err = _main("search", "--resume", run, "--budget", BUDGET + 5)
    assert code == 1
    assert err.count("\n") == 1 and f"{log}:" in err and "damaged log line" in err, err
    assert _files(run) == before


def test_a_log_cut_short_of_its_checkpoint_without_a_torn_line_is_refused(run):
    log = run / "evaluations.jsonl"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:-3]))
    before = _files(run)
    code, err = _main("search", "--resume", run)
    assert code == 1 and f"holds {BUDGET - 3} of the {BUDGET} candidates the checkpoint counts" in err, err
    assert _files(run) == before


def test_rediscover_resume_continues_an_interrupted_main_job(tmp_path):
    """A main job stopped during its search (its run directory holds part of the log): ``rediscover --resume``
    continues the search to its budget, every eval_id once, then simplifies and exports into the run."""
    run, cfg = tmp_path / "run", tmp_path / "c.toml"
    cfg.write_text('[ray]\nworkers = 0\n[funnel]\nmeta_top = 1\n[evolution]\npopulation = 6\ntournament = 2\n'
                   'islands = 1\n')
    code, err = _main("search", "--config", cfg, "--funnel", "test", "--budget", 5, "--run-dir", run)
    assert code == 0, err
    logged = RunDir.open(run).evaluations()
    code, err = _main("rediscover", "--resume", run, "--budget", 12, "--no-measure")
    assert code == 0, err
    records = RunDir.open(run).evaluations()
    assert [r["eval_id"] for r in records] == list(range(12)) and records[:5] == logged
    assert any((run / "export").glob("*.program")) and (run / "derivation.json").exists()
    code, err = _main("rediscover", "--resume", run, "--seed", 3)
    assert code == 1 and "cannot change --seed" in err

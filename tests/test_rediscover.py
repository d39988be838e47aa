"""`symopt rediscover` end to end on the millisecond funnel, with a real local Ray worker."""

import json
import os
import subprocess
import sys

import pytest

from search_space.parser import parse
from symopt.inspect.families import family_of_text
from symopt.rundir import RunDir

KEYS = {"run_dir", "family", "program", "fitness_vs_seed", "meta_validation_vs_seed", "export_dir"}


def rediscover(tmp_path, *args):
    env = {**os.environ, "SYMOPT_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "symopt", "rediscover", "--funnel", "test", "--budget", "30",
                           "--workers", "1", "--json", *args], capture_output=True, text=True, timeout=600,
                          cwd=tmp_path, env=env, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rediscover")
    r = rediscover(tmp, "--run-dir", str(tmp / "run"), "--export-to", str(tmp / "shipped"))
    assert r.returncode == 0, r.stderr[-3000:]
    return tmp, r


def test_json_summary_is_the_last_line_and_complete(job):
    tmp, r = job
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert KEYS <= set(summary)
    assert set(summary["fitness_vs_seed"]) == {"A", "B", "C"}
    assert all(v is None or v > 0 for v in summary["fitness_vs_seed"].values())
    assert summary["meta_validation_vs_seed"] is None or summary["meta_validation_vs_seed"] > 0
    parse(summary["program"])                         # the printed program is a valid program
    assert summary["run_dir"] == str(tmp / "run")


def test_search_is_logged_and_export_carries_provenance(job):
    tmp, r = job
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    rd = RunDir.open(summary["run_dir"])
    assert len(rd.evaluations()) == 30
    assert rd.meta_validation(), "the hall of fame was meta-validated"
    export = summary["export_dir"]
    files = sorted(os.listdir(export))
    assert any(f.endswith(".provenance.json") for f in files) and any(f.endswith("_optax.py") for f in files)
    prov = json.load(open(os.path.join(export, [f for f in files if f.endswith(".provenance.json")][0])))
    assert prov["source"] == "search" and prov["run"] == summary["run_dir"]
    assert "symopt rediscover" in prov["command"]
    # enough to replay the run: its resolved config (the seed, the budget, the funnel) and the seed's lineage
    from symopt.config import Config

    cfg = Config.from_dict(prov["config"], "provenance")
    assert cfg.search.seed == prov["seed"] and cfg.search.budget == 30
    assert prov["lineage"] and prov["stage_fitness"].keys() >= {"A", "meta"}
    # --export-to wrote the same files, as a package of its own name (the torch example imports from it)
    assert sorted(os.listdir(tmp / "shipped")) == files
    torch_module = [f for f in files if f.endswith("_torch.py")][0]
    assert "from shipped.torch import" in (tmp / "shipped" / torch_module).read_text()
    # the progress and the summary went to stderr, so stdout is only the JSON object
    assert len(r.stdout.strip().splitlines()) == 1 and "fitness vs AdamW" in r.stderr


def test_result_names_the_returned_program_for_show_family(job):
    tmp, r = job
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    result = json.loads((tmp / "run" / "result.json").read_text())
    assert {k: result[k] for k in KEYS} == {k: summary[k] for k in KEYS}
    hof = [e["hash"] for e in RunDir.open(tmp / "run").hall_of_fame()]
    assert result["hash"] in hof[:2]                 # the better on meta-validation of the top 2
    logged = {e["hash"]: e for e in RunDir.open(tmp / "run").evaluations()}
    family = family_of_text(logged[result["hash"]]["program"])
    if family is not None:                           # the test funnel may return a program no family names
        shown = subprocess.run([sys.executable, "-m", "symopt", "show", str(tmp / "run"), "--family", family,
                                "--json"], capture_output=True, text=True, timeout=120, check=True)
        rows = json.loads(shown.stdout)["rows"]
        assert [row["fate"] for row in rows if row["hash"] == result["hash"]] == ["returned"]


def test_bad_flag_is_one_line_error(tmp_path):
    r = subprocess.run([sys.executable, "-m", "symopt", "rediscover", "--budget", "-3"], capture_output=True,
                       text=True, timeout=120, cwd=tmp_path)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_a_result_the_exporters_cannot_express_keeps_its_program_and_provenance(tmp_path):
    """A found program whose update reads lr other than as a factor: no optax/torch module, but the
    program and its provenance are written, the job goes on, and --export-to leaves the target alone."""
    from search_space.parser import parse
    from symopt.export.provenance import provenance
    from symopt.recognise import recognise
    from symopt.rediscover import Options, _export

    program = parse("def train(w, g, m, v, lr):\n    t = lr * lr\n    u = sign(g)\n    update = u * t\n"
                    "    return update, m, v\n")
    target = tmp_path / "shipped"
    target.mkdir()
    (target / "keep.txt").write_text("unchanged")
    lines = []
    prov = provenance("search", "symopt rediscover", derivation=[])
    export_dir, exported = _export(program, "found", tmp_path, prov, recognise(program),
                                   Options(export_to=str(target)), lines.append)
    assert not exported
    assert sorted(p.name for p in export_dir.iterdir()) == ["found.program", "found.provenance.json"]
    assert "not_exported_because" in (export_dir / "found.provenance.json").read_text()
    assert parse((export_dir / "found.program").read_text()) == program
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert any("not exported" in line for line in lines)

"""One config schema: defaults, file overrides, and one-line errors naming the file and key."""

import dataclasses
import pickle

import pytest

from symopt.config import Config, default_config, dumps, load_config
from symopt.errors import UserError


def write(tmp_path, text):
    p = tmp_path / "c.toml"
    p.write_text(text)
    return p


def test_defaults_and_overrides(tmp_path):
    cfg = load_config(write(tmp_path, "[evolution]\npopulation = 50\n[ray]\ngpus_per_worker = 1\n"),
                      {"search": {"budget": 7}})
    assert cfg.evolution.population == 50 and cfg.search.budget == 7
    assert cfg.ray.gpus_per_worker == 1.0 and isinstance(cfg.ray.gpus_per_worker, float)
    assert cfg.evolution.tournament == default_config().evolution.tournament


def test_resolved_config_roundtrips_as_toml(tmp_path):
    cfg = load_config()
    assert load_config(write(tmp_path, dumps(cfg))) == cfg
    assert Config.from_dict(cfg.to_dict(), "dict") == cfg


def test_config_is_frozen_picklable_and_overridden_by_copy():
    cfg = load_config(overrides={"funnel": {"lr_grid": [1, 3]}})
    assert cfg.funnel.lr_grid == (1.0, 3.0) and all(type(x) is float for x in cfg.funnel.lr_grid)
    assert cfg.to_dict()["funnel"]["lr_grid"] == [1.0, 3.0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.search.budget = 3
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    small = cfg.override({"search": {"budget": 3}, "run": {"hall_of_fame": 4}}, "test")
    assert (small.search.budget, small.run.hall_of_fame) == (3, 4) and cfg.search.budget != 3
    assert small.evolution == cfg.evolution
    with pytest.raises(UserError, match="^test: key 'run.hall_of_fame' must be > 0, got 0$"):
        cfg.override({"run": {"hall_of_fame": 0}}, "test")


def test_from_dict_needs_every_key():
    data = default_config().to_dict()
    del data["ray"]["workers"]
    with pytest.raises(UserError, match="^d: missing key 'ray.workers'$"):
        Config.from_dict(data, "d")


@pytest.mark.parametrize("text, match", [
    ("[search]\nbudgett = 3\n", "unknown key 'search.budgett'"),
    ("[nosuch]\nx = 1\n", "unknown section 'nosuch'"),
    ("[search]\nbudget = 'ten'\n", "key 'search.budget' must be int"),
    ("[search]\nbudget = -5\n", "'search.budget' must be >= 0"),
    ("[search]\ntime = -1.0\n", "'search.time' must be >= 0"),
    ("[evolution]\npopulation = 0\n", "'evolution.population' must be > 0"),
    ("[evolution]\ntournament = 500\n", "'evolution.tournament' exceeds"),
    ("[funnel]\nrank = 'best'\n", "'funnel.rank' must be one of"),
    ("[search]\nlr_linear = 1\n", "'search.lr_linear' must be bool"),
    ("[search\n", r"c.toml:1:8: invalid TOML: "),           # the line and column of the error
])
def test_config_errors_name_file_and_key(tmp_path, text, match):
    path = write(tmp_path, text)
    with pytest.raises(UserError, match=match) as info:
        load_config(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="cannot read config"):
        load_config(tmp_path / "none.toml")


def test_cli_reports_config_errors_in_one_line(tmp_path, capsys):
    from symopt.cli import main

    assert main(["search", "--budget", "-1", "--run-dir", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "symopt search: error: --budget: key 'search.budget' must be >= 0, got -1"
    assert not (tmp_path / "r").exists()

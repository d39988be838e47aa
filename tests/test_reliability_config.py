"""Config fuzzing: malformed TOML, unknown keys, wrong types, negative budgets and missing files for the
search config (``symopt search --config``), search spaces (``load_space``) and proxy funnels/tasks.

Guarantee: each gives a result or ONE error line of the documented type (``UserError`` for the search
config, ``InputError`` for spaces, ``ValueError`` for ``proxies``, which imports nothing of symopt), and the
CLI exits 1 with that line and no traceback.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proxies.config import TASKS_TOML, load_task_configs
from proxies.funnel import FUNNELS_TOML, load_funnel
from search_space.errors import InputError
from search_space.spaces import Space, load_space
from symopt.config import default_config, load_config
from symopt.errors import UserError

FAST = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))
DEFAULTS = default_config().to_dict()
CONFIG_KEYS = {s: sorted(t) for s, t in DEFAULTS.items()}
SPACE_KEYS = ["name", "description", "seed", "max_statements", "functions", "mutation", "constants"]


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text, repr(text)
    return text


# -- value and document strategies -------------------------------------------------------------

scalars = st.one_of(
    st.integers(-10**6, 10**6), st.integers(-2**63, 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.text(max_size=12), st.sampled_from(["compact", "hero", "adamw", "test", "ratio", "stage", "../x", ""]),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                      max_leaves=6)
names = st.one_of(st.sampled_from(sorted({k for t in CONFIG_KEYS.values() for k in t})), st.text(max_size=8))


@st.composite
def config_docs(draw):
    """A TOML document shaped like a search config: known/unknown sections and keys, any value types."""
    doc = {}
    for section in draw(st.lists(st.one_of(st.sampled_from(sorted(CONFIG_KEYS)), st.text(max_size=6)),
                                 max_size=4)):
        table = doc.setdefault(section, {})
        if draw(st.booleans()) and section in CONFIG_KEYS:
            for key in draw(st.lists(st.sampled_from(CONFIG_KEYS[section]), max_size=4)):
                table[key] = draw(values)
        else:
            for key in draw(st.lists(names, max_size=3)):
                table[key] = draw(values)
    if draw(st.integers(0, 9)) == 0:
        doc[draw(st.sampled_from(sorted(CONFIG_KEYS)))] = draw(scalars)   # a section that is not a table
    return doc


@st.composite
def space_docs(draw):
    doc = {"name": "fuzz", "seed": "adamw", "max_statements": 12,
           "functions": ["interp", "sign", "add", "sub", "mul", "div", "sqrt", "square"]}
    for key in draw(st.lists(st.sampled_from(SPACE_KEYS + ["bogus"]), max_size=3)):
        if draw(st.booleans()):
            doc.pop(key, None)
        else:
            doc[key] = draw(values)
    return doc


def malformed(text: str, draw_bytes: bytes) -> bytes:
    return text.encode("utf-8", "surrogatepass") + draw_bytes


def written(factory, name: str, doc: dict) -> str | None:
    """``doc`` as a TOML file in a fresh folder; None when TOML cannot express it."""
    try:
        data = tomli_w.dumps(doc).encode("utf-8", "surrogatepass")
    except (TypeError, ValueError):
        return None
    return _toml(factory.mktemp("doc"), name, data)


def _toml(tmp, name, data: bytes) -> str:
    path = tmp / name
    path.write_bytes(data)
    return str(path)


# -- search config ---------------------------------------------------------------------------------

def _load_config(path):
    try:
        cfg = load_config(path)
    except UserError as exc:
        assert str(path) in one_line(exc) or "command line" in str(exc)
        return None
    data = cfg.to_dict()
    assert set(data) == set(DEFAULTS)
    for section, table in data.items():
        assert set(table) == set(DEFAULTS[section])
        for key, value in table.items():
            assert type(value) is type(DEFAULTS[section][key]), (section, key, value)
    assert cfg.search.budget >= 0 and cfg.evolution.population > 0
    return cfg


@settings(max_examples=120, **FAST)
@given(config_docs())
def test_fuzzed_search_configs_load_or_give_one_line(tmp_path_factory, doc):
    path = written(tmp_path_factory, "fuzz.toml", doc)
    if path is None:
        return
    _load_config(path)


@settings(max_examples=60, **FAST)
@given(st.text(max_size=80), st.binary(max_size=20))
def test_malformed_toml_search_config_is_one_line(tmp_path_factory, text, tail):
    path = tmp_path_factory.mktemp("cfg") / "bad.toml"
    path.write_bytes(malformed("[search]\nbudget = " + text, tail))
    _load_config(path)


@pytest.mark.parametrize("text, needle", [
    ("[search]\nbudget = -1\n", "'search.budget' must be >= 0"),
    ("[evolution]\npopulation = 0\n", "'evolution.population' must be > 0"),
    ("[search]\nbudget = \"many\"\n", "'search.budget' must be int"),
    ("[search]\nbudget = 1.5\n", "'search.budget' must be int"),
    ("[search]\nbugdet = 10\n", "unknown key 'search.bugdet'"),
    ("[nonsense]\nx = 1\n", "unknown section 'nonsense'"),
    ("search = 3\n", "'search' must be a table"),
    ("[search\n", "invalid TOML"),
    ("[evolution]\ntournament = 500\npopulation = 10\n", "exceeds"),
    ("[funnel]\nrank = \"best\"\n", "must be one of"),
    ("[ray]\nbatch_deadline = -5.0\n", "'ray.batch_deadline' must be > 0"),
    ("[funnel]\nlr_grid = []\n", "'funnel.lr_grid' must be a non-empty list of positive numbers"),
    ("[funnel]\nlr_grid = [1.0, -3.0]\n", "'funnel.lr_grid' must be a non-empty list of positive numbers"),
    ("[funnel]\nlr_grid = [0.0]\n", "'funnel.lr_grid' must be a non-empty list of positive numbers"),
    ("[funnel]\nlr_grid = 3.0\n", "'funnel.lr_grid' must be list"),
    ("[evolution]\nislands = 200\n", "'evolution.islands' exceeds 'evolution.population'"),
])
def test_search_config_errors_name_file_and_key(tmp_path, text, needle):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(UserError) as info:
        load_config(path)
    assert needle in one_line(info.value) and str(path) in str(info.value)


def _symopt(*args, cwd):
    return subprocess.run([sys.executable, "-m", "symopt", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd)


def _main(*args) -> tuple[int, str]:
    """``symopt.cli.main`` in this process (the same code path as the console script, minus start-up)."""
    from symopt.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(list(args))
    return code, err.getvalue()


def test_symopt_search_bad_configs_exit_1_with_one_line(tmp_path):
    """``symopt search --config`` on bad files: nothing is created, one line on stderr, exit 1."""
    cases = {
        "missing.toml": None,
        "garbage.toml": b"\x00\xff\xfe not toml",
        "negative.toml": b"[search]\nbudget = -10\n",
        "unknown.toml": b"[search]\nbudget = 5\nfoo = 1\n",
        "wrongtype.toml": b"[ray]\nworkers = \"two\"\n",
    }
    for name, data in cases.items():
        if data is not None:
            (tmp_path / name).write_bytes(data)
    cases["a_directory"] = None
    (tmp_path / "a_directory").mkdir()
    for name in cases:
        path = str(tmp_path / name)
        code, err = _main("search", "--config", path, "--run-dir", str(tmp_path / "run"))
        lines = err.strip().splitlines()
        assert code == 1, (name, err)
        assert len(lines) == 1 and "Traceback" not in err and path in lines[0], (name, err)
        assert not (tmp_path / "run").exists()
    code, err = _main("search", "--budget", "-3", "--run-dir", str(tmp_path / "run"))
    assert code == 1 and len(err.strip().splitlines()) == 1 and "search.budget" in err
    code, err = _main("search", "--resume", str(tmp_path / "no_such_run"))
    assert code == 1 and len(err.strip().splitlines()) == 1 and "no_such_run" in err
    # and one real process: the console entry point prints the same single line
    r = _symopt("search", "--config", str(tmp_path / "garbage.toml"), cwd=tmp_path)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


# -- search spaces ---------------------------------------------------------------------------------

@settings(max_examples=100, **FAST)
@given(space_docs())
def test_fuzzed_space_files_load_or_give_one_line(tmp_path_factory, doc):
    path = written(tmp_path_factory, "fuzz.toml", doc)
    if path is None:
        return
    try:
        space = load_space(path)
    except InputError as exc:
        assert str(path) in one_line(exc)
    else:
        assert isinstance(space, Space) and space.max_statements >= 1 and space.functions


@settings(max_examples=40, **FAST)
@given(st.binary(max_size=120))
def test_binary_space_file_is_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("space") / "bin.toml"
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        load_space(path)
    one_line(info.value)


def test_space_missing_file_directory_and_unknown_name(tmp_path):
    for arg in (tmp_path / "missing.toml", tmp_path, "no_such_space"):
        with pytest.raises(InputError) as info:
            load_space(arg)
        one_line(info.value)


# -- proxies: funnels and tasks (ValueError, one line) --------------------------------------------------

@settings(max_examples=80, **FAST)
@given(st.dictionaries(st.sampled_from(["test", "x"]),
                       st.dictionaries(st.sampled_from(["A", "B", "C", "meta", "heldout_seeds", "description",
                                                        "bogus"]), values, max_size=6), max_size=2))
def test_fuzzed_funnel_files_load_or_give_one_line(tmp_path_factory, doc):
    path = written(tmp_path_factory, "funnels.toml", doc)
    if path is None:
        return
    try:
        funnel = load_funnel("test", path=path)
    except ValueError as exc:
        one_line(exc)
    else:
        assert [s.name for s in funnel.stages] == ["A", "B", "C"]


@settings(max_examples=60, **FAST)
@given(st.dictionaries(st.sampled_from(["tasks", "corpora", "other"]),
                       st.dictionaries(st.text(max_size=5), values, max_size=3), max_size=3))
def test_fuzzed_task_files_load_or_give_one_line(tmp_path_factory, doc):
    path = written(tmp_path_factory, "tasks.toml", doc)
    if path is None:
        return
    try:
        load_task_configs(path)
    except ValueError as exc:
        one_line(exc)


@pytest.mark.parametrize("data", [b"\xff\xfe\x00garbage", b"[tasks\n", b"tasks = 5\n", b"[corpora]\nx = 3\n",
                                  b"[tasks.t]\nfamily = \"synthetic\"\nmodel = \"linear\"\nsteps = -1\n"
                                  b"batch_size = 8\n"])
def test_bad_task_and_funnel_files_are_one_line_value_errors(tmp_path, data):
    path = _toml(tmp_path, "tasks.toml", data)
    with pytest.raises(ValueError) as info:
        load_task_configs(path)
    one_line(info.value)
    with pytest.raises(ValueError) as info:
        load_funnel("test", path=path)
    one_line(info.value)


def test_missing_or_directory_proxy_configs_are_one_line(tmp_path):
    for path in (str(tmp_path / "missing.toml"), str(tmp_path)):
        with pytest.raises(ValueError) as info:
            load_funnel("test", path=path)
        one_line(info.value)
        with pytest.raises(ValueError) as info:
            load_funnel("test", tasks_path=path)
        one_line(info.value)
    with pytest.raises(ValueError):
        load_funnel("no_such_funnel", path=FUNNELS_TOML, tasks_path=TASKS_TOML)

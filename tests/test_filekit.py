"""The file helpers every package shares (``filekit``): TOML input with located errors, atomic file writes,
inf <-> null in JSON, per-machine cache files."""

from __future__ import annotations

import json
import math
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filekit import machine_cache
from filekit.atomic import write_atomic
from filekit.nonfinite import inf_to_none, none_to_inf
from filekit.toml import load_toml, parse_toml
from search_space.errors import InputError


@pytest.mark.parametrize("data, where", [
    (b"a = \n", "x.toml:1:5: invalid TOML: "),
    (b"a = 1\nb = [1,\n", "x.toml:3:1: invalid TOML: "),            # end of document: its line and column
    (b"[t]\nk = 1\n[t]\n", "x.toml:3:"),                             # a table defined twice
    (b"k = 1\nj = '\xc3\xa9\xff'", "x.toml:2:8: not UTF-8 text"),  # column in bytes
])
def test_toml_errors_are_one_located_line(data, where):
    with pytest.raises(InputError) as info:
        parse_toml(data, "x.toml", error=InputError)
    msg = str(info.value)
    assert msg.startswith(where) and "\n" not in msg, msg


def test_load_toml_names_the_file_and_takes_the_callers_error(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('[search]\nbudget = "x\n')
    with pytest.raises(ValueError, match=rf"^{f}:2:\d+: invalid TOML: "):
        load_toml(f, error=ValueError)
    for missing in (tmp_path / "missing.toml", tmp_path):
        with pytest.raises(InputError, match=rf"^{missing}: cannot read space \("):
            load_toml(missing, what="space", error=InputError)
    f.write_text("[a]\nb = 1\n")
    assert load_toml(f) == {"a": {"b": 1}}


def test_atomic_write_replaces_whole_files_and_leaves_the_old_one_on_failure(tmp_path):
    f = tmp_path / "state.json"
    write_atomic(f, "old\n")
    write_atomic(f, b"new\n")
    assert f.read_text() == "new\n" and os.listdir(tmp_path) == ["state.json"]
    (tmp_path / "dir").mkdir()
    with pytest.raises(InputError, match="cannot write .* the previous version is intact"):
        write_atomic(tmp_path / "dir", "x", error=InputError)         # os.replace onto a folder fails
    assert sorted(os.listdir(tmp_path)) == ["dir", "state.json"]      # no temporary file left
    with pytest.raises(OSError):
        write_atomic(tmp_path / "dir", "x")


@settings(max_examples=60, deadline=None)
@given(st.recursive(st.floats() | st.integers() | st.none() | st.text(max_size=3),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                   max_size=3), max_leaves=8))
def test_inf_to_none_always_gives_strict_json(value):
    text = json.dumps(inf_to_none(value), allow_nan=False)
    assert "Infinity" not in text and "NaN" not in text


def test_none_to_inf_is_the_inverse_for_fitness_values():
    for v in (0.5, 0.0, 3, math.inf, None):
        assert none_to_inf(inf_to_none(v)) == (math.inf if v is None else float(v))
    assert none_to_inf(float("nan")) == math.inf


def test_machine_cache_reads_damage_as_empty_and_skips_writes_it_cannot_make(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMOPT_CACHE_DIR", str(tmp_path))
    machine_cache.write("s.json", {"k": [1, None]})
    store = tmp_path / "jax" / "s.json"
    assert json.loads(store.read_text()) == {"k": [1, None]} and machine_cache.read("s.json") == {"k": [1, None]}
    assert (store.parent.stat().st_mode & 0o777) == 0o700                 # private: created mode 0700
    for damaged in ('{"k": ', "[1, 2]", "\xff"):                           # truncated, not an object, not text
        store.write_text(damaged, encoding="latin-1")
        assert machine_cache.read("s.json") == {}
    monkeypatch.setenv("SYMOPT_CACHE_DIR", str(tmp_path / "file"))
    (tmp_path / "file").write_text("a file where the directory should be")
    machine_cache.write("s.json", {"k": 1})                                # skipped, no error
    assert machine_cache.read("s.json") == {}

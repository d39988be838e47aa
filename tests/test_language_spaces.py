"""Search spaces: the shipped TOML files and every kind of bad space file."""

from __future__ import annotations

import pytest

from search_space.errors import InputError
from search_space.ops import OPS
from search_space.spaces import load_space, space_names

GOOD = """name = "mine"
seed = "lion"
max_statements = 8
functions = ["interp", "sign", "add", "mul"]
[mutation]
insert = 2
delete = 1
[constants]
normal_probability = 0.25
"""


def test_shipped_spaces():
    assert {"hero", "compact"} <= set(space_names())
    hero = load_space("hero")
    assert set(hero.functions) == set(OPS) and hero.max_statements == 16 and hero.seed == "adamw"
    assert hero.mutation_weights == {"insert": 1.0, "delete": 1.0, "modify": 1.0, "duplicate": 0.0, "wrap": 1.0,
                                     "moving_average": 1.0}
    assert hero.one_minus_probability == 0.5 and hero.small_step_probability == 0.3
    compact = load_space("compact")
    assert {"interp", "sign", "add", "sub", "mul", "div", "sqrt", "square", "abs", "clip"} <= set(compact.functions)
    assert compact.max_statements == 12 and compact.problem(compact.seed_program()) is None


def test_space_from_path_with_defaults(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text(GOOD)
    s = load_space(str(f))
    assert s.name == "mine" and s.mutation_weights == {"insert": 2.0, "delete": 1.0, "modify": 0.0, "duplicate": 0.0,
                                                       "wrap": 0.0, "moving_average": 0.0}
    assert s.normal_probability == 0.25 and s.new_constant == 1.0
    assert s.problem(s.seed_program()) is None


@pytest.mark.parametrize(
    "edit, key",
    [
        (lambda t: "colour = 'red'\n" + t, "colour"),
        (lambda t: t.replace("max_statements = 8", "max_statements = 'eight'"), "max_statements"),
        (lambda t: t.replace("max_statements = 8", "max_statements = 0"), "max_statements"),
        (lambda t: t.replace('"mul"]', '"mul", "frobnicate"]'), "functions"),
        (lambda t: t.replace('functions = ["interp", "sign", "add", "mul"]', "functions = 3"), "functions"),
        (lambda t: t.replace("insert = 2", "insert = -1"), "mutation.insert"),
        (lambda t: t.replace("insert = 2", "insret = 2"), "mutation.insret"),
        (lambda t: t.replace("normal_probability = 0.25", "normal_probability = 2"), "constants.normal_probability"),
        (lambda t: t.replace('seed = "lion"', 'seed = "nosuchseed"'), "seed"),
        (lambda t: t.replace('seed = "lion"', 'seed = "adamw"'), "seed"),  # needs sqrt, square, div
        (lambda t: t.replace('name = "mine"\n', ""), "name"),
    ],
)
def test_bad_space_names_file_and_key(tmp_path, edit, key):
    f = tmp_path / "bad.toml"
    f.write_text(edit(GOOD))
    with pytest.raises(InputError) as exc:
        load_space(str(f))
    msg = str(exc.value)
    assert msg.startswith(f"{f}: key {key!r}") and "\n" not in msg


def test_unreadable_and_malformed_space(tmp_path):
    with pytest.raises(InputError, match="no search space named 'nope'"):
        load_space("nope")
    f = tmp_path / "x.toml"
    f.write_bytes(b"name = [\x00\xff")
    with pytest.raises(InputError, match=f"^{f}:1:10: not UTF-8 text$"):
        load_space(str(f))
    f.write_bytes(b'name = "x"\nseed = [\n')
    with pytest.raises(InputError, match=f"^{f}:3:1: invalid TOML: "):
        load_space(str(f))
    with pytest.raises(InputError, match="cannot read"):
        load_space(str(tmp_path / "missing.toml"))

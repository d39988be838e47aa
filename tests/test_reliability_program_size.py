"""The language's size limit: at most 128 live statements (what the interpreter encodes).  A program beyond
it is one located line in every command that reads programs; a program at the limit goes through every
command (``symopt bench programs`` measures how their time grows with the size)."""

from __future__ import annotations

import ast
import contextlib
import io

import pytest

from search_space.errors import ProgramError
from search_space.parser import MAX_LIVE_STATEMENTS, parse
from symopt.cli import main

HEADER = "def train(w, g, m, v, lr):\n"


def chain(live: int, dead: int = 0) -> str:
    """``u = u + g`` repeated: ``live`` live statements, then ``dead`` statements nothing reads."""
    body = ["    u = g * 1.0\n"] + ["    u = u + g\n"] * (live - 2) + ["    u = u * lr\n"]
    body += [f"    t{k} = w * {k}.5\n" for k in range(dead)]
    return HEADER + "".join(body) + "    return u, m, v\n"


def _main(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def test_the_limit_is_the_interpreters():
    from symopt.evaluation.encoding import LENGTH_BUCKETS

    assert MAX_LIVE_STATEMENTS == max(LENGTH_BUCKETS) == 128


@pytest.mark.parametrize("live", [MAX_LIVE_STATEMENTS + 1, 1000, 3000])
def test_a_program_beyond_the_limit_is_one_located_line_in_every_command(tmp_path, live):
    path = tmp_path / "big.program"
    path.write_text(chain(live))
    where = f"{path}:{MAX_LIVE_STATEMENTS + 2}:5: the program has {live} live statements; a program may have " \
            f"at most {MAX_LIVE_STATEMENTS}"
    for command in (["program", path], ["simplify", path], ["equiv", path, "lion"],
                    ["export", path, "--name", "big", "--out", tmp_path / "out"]):
        code, out, err = _main(*command)
        assert code == 1 and out == "", command
        assert err == f"symopt {command[0]}: error: {where}\n", err
    assert not (tmp_path / "out").exists()
    with pytest.raises(ProgramError) as info:
        parse(chain(live))
    assert (info.value.line, info.value.col) == (MAX_LIVE_STATEMENTS + 2, 5)


def test_dead_statements_do_not_count(tmp_path):
    path = tmp_path / "dead.program"
    path.write_text(chain(MAX_LIVE_STATEMENTS, dead=400))
    code, out, _ = _main("program", path)
    assert code == 0 and f"live statements ({MAX_LIVE_STATEMENTS})" in out and "dead statements (400)" in out


def test_a_program_at_the_limit_goes_through_every_command(tmp_path):
    """simplify, export and equiv of 128 live statements: ``u = g + 126 g`` in the end, equivalent."""
    path = tmp_path / "limit.program"
    path.write_text(chain(MAX_LIVE_STATEMENTS, dead=50))
    code, out, err = _main("simplify", path, "--export", "limit", "--out", tmp_path / "pkg")
    assert code == 0, err
    simplified = tmp_path / "pkg" / "limit.program"
    assert len(parse(simplified.read_text()).statements) <= 3
    for module in ("limit_optax.py", "limit_torch.py"):
        ast.parse((tmp_path / "pkg" / module).read_text())
    code, out, err = _main("equiv", path, simplified)
    assert code == 0 and out.startswith("equivalent"), out + err
    code, out, err = _main("export", path, "--name", "limit", "--out", tmp_path / "again")
    assert code == 0, err
    assert (tmp_path / "again" / "limit.program").read_text() == simplified.read_text()

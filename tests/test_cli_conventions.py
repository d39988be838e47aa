"""The command-line conventions of docs/cli.md, checked on the parser of every command."""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest

from symopt.cli import COMMANDS, build_parser, main
from symopt.commands.arguments import seed_list


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _option(sub: argparse.ArgumentParser, flag: str) -> argparse.Action | None:
    return next((a for a in sub._actions if flag in a.option_strings), None)


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_every_command_is_registered():
    assert set(_subparsers()) == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_seeds_is_a_list_and_out_is_a_folder(command):
    sub = _subparsers()[command]
    seeds = _option(sub, "--seeds")
    if seeds is not None:
        assert seeds.type is seed_list, command
    out = _option(sub, "--out")
    if out is not None:
        assert out.metavar == "DIR" or "folder" in (out.help or ""), (command, out.help)
    js = _option(sub, "--json")
    if js is not None:
        assert js.nargs == 0, command          # a switch (stdout), never a file name


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_usage_errors_are_one_prefixed_line(command):
    code, out, err = _cli(command, "--no-such-flag")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"symopt {command}: error: "), err


def test_input_errors_are_one_prefixed_line(tmp_path):
    missing = str(tmp_path / "missing.program")
    for command, args in {"program": [missing], "simplify": [missing], "equiv": [missing, missing],
                          "show": [str(tmp_path)], "lineage": [str(tmp_path), "abc"], "report": [str(tmp_path)],
                          "compare": [missing, "--task", "synth_linear_tiny"],
                          "export": [missing, "--name", "x", "--out", str(tmp_path / "o")]}.items():
        code, _, err = _cli(command, *args)
        assert code == 1 and err.count("\n") == 1 and err.startswith(f"symopt {command}: error: "), (command, err)


def test_bad_seed_lists_are_usage_errors():
    for text in ("", "three", "1,-2", "0,,x"):
        with pytest.raises(argparse.ArgumentTypeError):
            seed_list(text)
    code, _, err = _cli("simplify", "lion", "--seeds", "4x")
    assert code == 2 and err.startswith("symopt simplify: error: argument --seeds: ")

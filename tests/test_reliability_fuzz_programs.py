"""Program fuzzing: random valid programs, mutated text, random tokens and random bytes through the parser,
the analyser, the ``symopt program`` command line and (when it exists) the exporter.

Guarantee: any input gives either a Program (that round-trips and analyses without raising) or a
``ProgramError`` whose message is one line; the CLI exits 0/1 and never prints a traceback.
The default suite runs ~600 cases (cheap: parser and analyser only); ``-m slow`` runs > 10,000.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_space.analysis import analyze, prune
from search_space.errors import InputError, ProgramError
from search_space.hashing import functional_hash
from search_space.parser import decode, parse, parse_file
from search_space.program import Program, format_program
from search_space.sampling import random_program
from search_space.seeds import seed_names, seed_text
from search_space.spaces import load_space
from search_space.validity import check

SPACES = {name: load_space(name) for name in ("compact", "hero")}
SEED_TEXTS = [seed_text(n) for n in seed_names()]
FAST = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))

# Tokens for the random-token generator: the grammar's own words, Python keywords an attacker would try,
# numbers at the edge of float range and layout characters.
TOKENS = [
    "def", "train", "(", ")", ":", ",", "=", "return", "\n", "    ", " ", "\t", "w", "g", "m", "v", "lr",
    "update", "x", "interp", "sign", "sqrt", "log", "exp", "clip", "global_norm", "power", "+", "-", "*", "/",
    "**", "%", "@", "0.9", "1e30", "1e308", "1e309", "-1e400", "nan", "inf", "0", "0.0", "True", "None", "'s'",
    "lambda", "import", "os", "__import__", "eval", "exec", "open", ".", "[", "]", "{", "}", "if", "for", "#",
    '"""', "\\", "\x00", "é", "\r", "yield", "async", "global", "del", "pass", "...", ";",
]
# Characters inserted by the text mutator.
EDIT_CHARS = "()[]{}:,=+-*/%@.#'\"\\\n\t 0123456789eEwgmvlrxyz_\x00é\r"


def assert_one_line(exc: BaseException) -> None:
    text = str(exc)
    assert text and "\n" not in text and "\r" not in text, repr(text)
    assert "Traceback" not in text


def check_text(text: str) -> Program | None:
    """Parse ``text``; a result must round-trip and analyse without raising, a failure must be one line."""
    try:
        program = parse(text, file="fuzz.program")
    except ProgramError as exc:
        assert_one_line(exc)
        assert str(exc).startswith("fuzz.program")
        return None
    check_program(program)
    return program


def check_program(program: Program) -> None:
    assert parse(format_program(program)) == program
    assert Program.from_json(program.to_json()) == program
    a = analyze(program)                       # never raises, valid or not
    assert isinstance(a.valid, bool) and len(a.types) == len(program.statements) == len(a.live)
    for lr_linear in (False, True):
        try:
            check(program, lr_linear=lr_linear)
        except ProgramError as exc:
            assert_one_line(exc)
            assert not (a.valid and not lr_linear), "check rejected a program analyze calls valid"
        else:
            assert a.valid
    if a.valid:
        assert len(functional_hash(program)) == 16
        assert functional_hash(prune(program)) == functional_hash(program)


# -- strategies ----------------------------------------------------------------------------------

@st.composite
def valid_programs(draw):
    space = SPACES[draw(st.sampled_from(sorted(SPACES)))]
    n = draw(st.integers(1, space.max_statements))
    seed = draw(st.integers(0, 2**32 - 1))
    return random_program(space, np.random.default_rng(seed), n)


@st.composite
def mutated_texts(draw):
    """A valid program's text with 1-4 random character edits (insert, delete, replace, swap lines)."""
    base = draw(st.one_of(st.sampled_from(SEED_TEXTS), valid_programs().map(format_program)))
    chars = list(base)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "swap"]))
        i = draw(st.integers(0, max(0, len(chars) - 1)))
        if kind == "insert":
            chars.insert(i, draw(st.sampled_from(EDIT_CHARS)))
        elif kind == "delete" and chars:
            del chars[i]
        elif kind == "replace" and chars:
            chars[i] = draw(st.sampled_from(EDIT_CHARS))
        else:
            lines = "".join(chars).split("\n")
            a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            chars = list("\n".join(lines))
    return "".join(chars)


token_texts = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)
prefixed_token_texts = st.lists(st.sampled_from(TOKENS), max_size=40).map(
    lambda ts: "def train(w, g, m, v, lr):\n    " + "".join(ts) + "\n    return update, m, v\n")
any_text = st.one_of(mutated_texts(), token_texts, prefixed_token_texts, st.text(max_size=200))


# -- default suite (~600 cases, a few seconds) -----------------------------------------------------

@settings(max_examples=150, **FAST)
@given(valid_programs())
def test_valid_random_programs_parse_analyse_and_hash(program):
    check_program(program)
    assert analyze(program).valid
    assert check_text(format_program(program)) == program


@settings(max_examples=200, **FAST)
@given(mutated_texts())
def test_mutated_program_text_is_a_program_or_a_one_line_error(text):
    check_text(text)


@settings(max_examples=150, **FAST)
@given(st.one_of(token_texts, prefixed_token_texts))
def test_random_tokens_are_a_program_or_a_one_line_error(text):
    check_text(text)


@settings(max_examples=100, **FAST)
@given(st.binary(max_size=300))
def test_random_bytes_through_parse_file(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "fuzz.program"
    path.write_bytes(data)
    try:
        program = parse_file(path)
    except ProgramError as exc:
        assert_one_line(exc)
        assert str(exc).startswith(str(path))
    else:
        check_program(program)


def test_adversarial_programs_are_rejected_with_one_line():
    """Code an attacker would try is refused by the parser, never run."""
    h = "def train(w, g, m, v, lr):\n"
    bad = [
        "import os\n" + h + "    update = g\n    return update, m, v\n",
        h + "    update = __import__('os')\n    return update, m, v\n",
        h + "    update = eval('g')\n    return update, m, v\n",
        h + "    update = g.__class__\n    return update, m, v\n",
        h + "    update = (lambda: g)()\n    return update, m, v\n",
        h + "    update = open('/etc/passwd')\n    return update, m, v\n",
        h + "    update = sign(g)\n    os = g\n    return update, m, v\n" + "os.system('true')\n",
        h + "    update = g ** 2\n    return update, m, v\n",
        h + "    update = 1e400 * g\n    return update, m, v\n",
        h + "    update = sign(sign(g))\n    return update, m, v\n",
        "@decorator\n" + h + "    update = g\n    return update, m, v\n",
        h + "    global g\n    update = g\n    return update, m, v\n",
        "(" * 200 + ")" * 200,
        h + "    update = " + "-" * 5000 + "1.0\n    return update, m, v\n",
        h + "    x = g\n" * 1 + "    update = x\n" + "    return update, m, v, w\n",
    ]
    for text in bad:
        with pytest.raises(ProgramError) as info:
            parse(text, file="evil.program")
        assert_one_line(info.value)


def test_huge_and_deep_inputs_are_one_line_errors(tmp_path):
    deep = "def train(w, g, m, v, lr):\n    update = " + "(" * 100_000 + "g" + ")" * 100_000 + "\n"
    with pytest.raises(ProgramError) as info:
        parse(deep)
    assert_one_line(info.value)
    big = tmp_path / "big.program"
    big.write_bytes(b"#" * 2_000_000)
    with pytest.raises(ProgramError) as info:
        parse_file(big)
    assert_one_line(info.value)
    with pytest.raises(ProgramError):
        decode(b"\xff\xfe" * 10, "x.program")


# -- the command line ----------------------------------------------------------------------------

def _cli(path: str) -> tuple[int, str, str]:
    from symopt.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["program", path])
    return code, out.getvalue(), err.getvalue()


@settings(max_examples=80, **FAST)
@given(st.one_of(any_text.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=200)))
def test_cli_program_on_fuzzed_files_exits_0_or_1_with_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("cli") / "fuzz.program"
    path.write_bytes(data)
    code, out, err = _cli(str(path))
    assert code in (0, 1)
    assert "Traceback" not in err + out
    if code == 1:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0], err
    else:
        assert "hash: " in out


def test_cli_program_subprocess_never_shows_a_traceback(tmp_path):
    """A real ``python -m symopt program`` on garbage, a directory, a missing file and a random program."""
    files = {"garbage.program": bytes(range(256)), "tokens.program": b"def train(w, g, m, v, lr):\n    ** ::\n"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    good = tmp_path / "good.program"
    good.write_text(format_program(random_program(SPACES["hero"], np.random.default_rng(7), 8)))
    cases = [(str(tmp_path / "garbage.program"), 1), (str(tmp_path), 1), (str(good), 0)]
    for path, want in cases:
        r = subprocess.run([sys.executable, "-m", "symopt", "program", path], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == want, (path, r.stderr)
        assert "Traceback" not in r.stderr
        if want == 1:
            assert len(r.stderr.strip().splitlines()) == 1 and path in r.stderr


# -- the exporter -----------------------------------------------------------------------------------

@settings(max_examples=30, **FAST)
@given(valid_programs())
def test_export_of_random_valid_programs_gives_parseable_python(tmp_path_factory, program):
    import ast

    from symopt import export

    out = tmp_path_factory.mktemp("export")
    try:
        paths = export.export_program(program, "fuzzed", out, {"source": "fuzz"})
    except InputError as exc:
        assert_one_line(exc)
        return
    for p in paths:
        if str(p).endswith(".py"):
            ast.parse(p.read_text(encoding="utf-8"))


# -- nightly (> 10,000 cases) ------------------------------------------------------------------------

@pytest.mark.slow
@settings(max_examples=4000, **FAST)
@given(valid_programs())
def test_slow_valid_random_programs(program):
    check_program(program)
    assert analyze(program).valid


@pytest.mark.slow
@settings(max_examples=4000, **FAST)
@given(mutated_texts())
def test_slow_mutated_texts(text):
    check_text(text)


@pytest.mark.slow
@settings(max_examples=3000, **FAST)
@given(st.one_of(token_texts, prefixed_token_texts, st.text(max_size=400)))
def test_slow_random_tokens_and_text(text):
    check_text(text)


@pytest.mark.slow
@settings(max_examples=1000, **FAST)
@given(st.binary(max_size=500))
def test_slow_random_bytes(data):
    try:
        text = decode(data, "fuzz.program")
    except ProgramError as exc:
        assert_one_line(exc)
        return
    check_text(text)

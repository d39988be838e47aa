"""How the commands that read programs scale with program size, up to the language's limit.

``symopt bench programs``: for programs of 16, 32, 64 and 128 live statements (the limit:
``search_space.parser.MAX_LIVE_STATEMENTS``) of four shapes, the seconds of what ``symopt program``
(parse + analysis + hash), ``symopt simplify`` (exact), ``symopt export`` (simplify + optax and torch
modules) and ``symopt equiv`` (the program against itself) take, each the median of ``repeats`` runs
in this process.  Keys:

* ``seconds_at_limit_<command>``: the slowest shape at 128 statements;
* ``growth_64_to_128_<command>``: that time at 128 over the same shape's at 64 (2 is linear, 4 quadratic);
* ``refused_beyond_limit``: a program of 129 live statements is refused (True).

Shapes: ``chain`` (``u = u + g`` repeated), ``ema`` (``u = interp(u, g, 0.9)``), ``fan`` (independent
terms summed), ``mixed`` (eight functions in turn).
"""

from __future__ import annotations

import statistics
import tempfile
import time

from search_space import analysis, hashing
from search_space.analysis import analyze
from search_space.errors import ProgramError
from search_space.hashing import functional_hash
from search_space.parser import MAX_LIVE_STATEMENTS, parse
from symopt.equiv import equivalent
from symopt.export import export_program
from symopt.simplify import simplify_exact

SIZES = (16, 32, 64, 128)
MIXED = ("u = u + g", "u = u * 0.9", "u = tanh(u)", "u = u - m", "u = interp(u, g, 0.5)", "u = sign(u)",
         "u = abs(u)", "u = u / 2.0")


def _body(shape: str, n: int) -> list[str]:
    """``n`` live statements of ``shape``, ending with the update scaled by ``lr``."""
    if shape == "fan":
        k = (n - 1) // 2                 # k terms, summed in k statements, then the lr: 2k + 1 <= n
        body = [f"t{i} = g * {1 + i / 100}" for i in range(k)]
        body += ["u = t0 + 0.0"] + [f"u = u + t{i}" for i in range(1, k)] + ["u = u + g"] * (n - 2 * k - 1)
    else:
        step = {"chain": lambda i: "u = u + g", "ema": lambda i: "u = interp(u, g, 0.9)",
                "mixed": lambda i: MIXED[i % len(MIXED)]}[shape]
        body = ["u = g + 0.0"] + [step(i) for i in range(n - 2)]
    return body + ["u = u * lr"]


def program_text(shape: str, n: int) -> str:
    """A program of ``n`` live statements of ``shape`` (see the module docstring).

    >>> from search_space.analysis import analyze
    >>> from search_space.parser import parse
    >>> [sum(analyze(parse(program_text(s, 40))).live) for s in ("chain", "ema", "fan", "mixed")]
    [40, 40, 40, 40]
    """
    return "def train(w, g, m, v, lr):\n" + "".join(f"    {line}\n" for line in _body(shape, n)) + \
        "    return u, m, v\n"


def _commands(out: str) -> dict:

    def program(text):
        p = parse(text)
        analyze(p)
        functional_hash(p)

    return {"program": program,
            "simplify": lambda text: simplify_exact(parse(text)),
            "export": lambda text: export_program(simplify_exact(parse(text)).program, "bench", out),
            "equiv": lambda text: equivalent(parse(text), parse(text))}


def _seconds(fn, text: str, repeats: int) -> float:

    times = []
    for _ in range(repeats):
        analysis._analyze_cached.cache_clear()      # every run analyses and hashes the program anew
        hashing.functional_hash.cache_clear()
        t0 = time.perf_counter()
        fn(text)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(quick: bool = False, log=print) -> dict:

    sizes, shapes = ((64, 128), ("chain", "mixed")) if quick else (SIZES, ("chain", "ema", "fan", "mixed"))
    repeats = 1 if quick else 3
    commands = _commands(tempfile.mkdtemp(prefix="symopt-bench-programs-"))
    commands["equiv"](program_text("chain", 4))          # warm-up: JAX's first dispatch is not the program's
    table: dict[tuple, float] = {}
    for shape in shapes:
        for n in sizes:
            text = program_text(shape, n)
            for name, fn in commands.items():
                table[name, shape, n] = _seconds(fn, text, repeats)
            if log:
                log(f"{shape:>5} {n:>3} statements: " + ", ".join(f"{c} {table[c, shape, n]:.2f} s" for c in commands))
    top = max(sizes)
    figures: dict = {}
    for name in commands:
        worst = max(shapes, key=lambda s: table[name, s, top])
        figures[f"seconds_at_limit_{name}"] = round(table[name, worst, top], 3)
        figures[f"growth_64_to_128_{name}"] = round(max(table[name, s, top] / table[name, s, 64] for s in shapes), 2)
    try:
        parse(program_text("chain", MAX_LIVE_STATEMENTS + 1))
        figures["refused_beyond_limit"] = False
    except ProgramError:
        figures["refused_beyond_limit"] = True
    return figures

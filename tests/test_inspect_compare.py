"""``symopt compare``: real JAX training of programs on a proxy, PNG plot, summary table."""

from __future__ import annotations

import re

import numpy as np
import optax
import pytest
from PIL import Image

import proxies
from search_space.seeds import load_seed, seed_text
from symopt.cli import main
from symopt.inspect.compare import train_curve

TASK = "synth_linear_tiny"


def test_lion_program_trains_exactly_like_optax_lion():
    task = proxies.get_task(TASK)
    steps, losses, valid = train_curve(load_seed("lion"), task, seed=1)
    _, ref, ref_valid = proxies.train_optax_curve(task, optax.lion(0.0003, b1=0.9, b2=0.99, weight_decay=0.01),
                                                  seed=1, every=1)
    np.testing.assert_allclose(losses, ref, rtol=1e-5)
    assert abs(valid - ref_valid) <= 1e-5 * abs(ref_valid)
    assert len(steps) == task.steps


def test_cli_writes_plot_and_summary(tmp_path, capsys):
    prog = tmp_path / "mine.program"
    prog.write_text(seed_text("signum"))
    out = tmp_path / "plots"
    assert main(["compare", "lion", str(prog), "--task", TASK, "--seeds", "0,1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"plot: {out / 'compare.png'}" in text
    rows = {m[0]: (float(m[1]), float(m[2])) for m in re.findall(r"^(\S+)\s+(\S+) ± (\S+)", text, re.M)}
    assert set(rows) == {"lion", "mine"}
    task = proxies.get_task(TASK)
    lion = [train_curve(load_seed("lion"), task, s)[2] for s in range(2)]
    assert rows["lion"] == pytest.approx((np.mean(lion), np.std(lion)), rel=5e-3)
    means = [v[0] for v in rows.values()]
    assert means == sorted(means)                     # best first
    img = np.asarray(Image.open(out / "compare.png").convert("L"))
    assert img.shape[0] > 100 and img.std() > 5       # a real, non-blank picture


def test_bad_inputs_are_one_line_errors(tmp_path, capsys):
    bad = tmp_path / "bad.program"
    bad.write_text("def train(w, g, m, v, lr):\n    u = nosuch(g)\n    return u, m, v\n")
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    for argv in (["compare", "adamw", "--task", "nosuch"], ["compare", "nosuch", "--task", TASK],
                 ["compare", str(bad), "--task", TASK], ["compare", "adamw", "--task", TASK, "--out", str(a_file)]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and err.startswith("symopt compare: error: "), argv
    for seeds in ("", "x", "-1", "0,a"):               # --seeds is a list; a bad one is a usage error
        with pytest.raises(SystemExit) as exc:
            main(["compare", "adamw", "--task", TASK, "--seeds", seeds])
        err = capsys.readouterr().err
        assert exc.value.code == 2 and err.startswith("symopt compare: error: argument --seeds: "), seeds
        assert len(err.strip().splitlines()) == 1

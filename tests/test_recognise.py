"""Recognition of known families on exact canonical forms, with fitted constants."""

from __future__ import annotations

import pytest

from search_space.parser import parse
from search_space.seeds import load_seed
from symopt.recognise import recognise

EXPECTED = {
    "lion": ("lion", {"b1": 0.9, "b2": 0.99, "weight_decay": 0.01, "lr_scale": 0.0003}),
    "signum": ("signum", {"b": 0.9, "lr_scale": 0.0003}),
    "adam": ("adam", {"b1": 0.9, "b2": 0.999, "eps": 2e-08}),
    "adamw": ("adam", {"b1": 0.9, "b2": 0.999, "weight_decay": 0.01, "lr_scale": 0.001}),
    "sgd": ("sgd", {"lr_scale": 0.01}),
    "sgd_momentum": ("sgd_momentum", {"b": 0.9}),
    "signsgd": ("signsgd", {"lr_scale": 0.0003}),
    "rmsprop": ("rmsprop", {"b": 0.99}),
    "addsign": ("addsign", {"b": 0.9, "alpha": 1.0}),
    "powersign": ("powersign", {"b": 0.9}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_families(name):
    r = recognise(load_seed(name))
    family, constants = EXPECTED[name]
    assert r.family == family
    for k, v in constants.items():
        assert r.constants[k] == pytest.approx(v)


def _p(body: str):
    lines = "\n".join("    " + x for x in body.strip().split("\n"))
    return parse(f"def train(w, g, m, v, lr):\n{lines}\n    return update, m, v\n")


def test_lion_with_equal_betas_is_signum():
    r = recognise(_p("update = interp(g, m, 0.95)\nupdate = sign(update)\nm = interp(g, m, 0.95)\n"
                     "update = update * lr"))
    assert r.family == "signum" and r.constants["b"] == 0.95


def test_lion_in_disguise():
    # commuted arguments, a scaled sign argument, an lr scale split in two, renamed states
    r = recognise(_p("""
a = interp(g, v, 0.8)
a = a * 3.0
s = sign(a)
s = sign(s)
v = interp(g, v, 0.98)
d = 0.1 * w
u = d + s
k = 0.5 * lr
k = k * 0.002
update = k * u
"""))
    assert r.family == "lion"
    assert r.constants["b1"] == 0.8 and r.constants["b2"] == 0.98
    assert r.constants["weight_decay"] == 0.1
    assert r.constants["lr_scale"] == pytest.approx(0.001)


def test_program2_exact_is_new_and_new_programs_are_none():
    assert recognise(load_seed("program2")).family is None     # clip and arcsin remain without measurement
    assert recognise(_p("t = tanh(g)\nupdate = t * lr")).family is None
    assert recognise(_p("m = interp(g, m, 0.9)\nt = cos(m)\nupdate = t * lr")).family is None


def test_lion_like_names_a_sign_of_the_gradient_and_its_average_that_no_exact_family_matches():
    # Lion with a state-dependent b2 (found by a search on the default funnel)
    r = recognise(_p("t1 = interp(m, v, 0.992)\nm = interp(g, m, t1)\nupdate = interp(g, m, 0.815)\n"
                     "v = sqrt(t1)\nupdate = sign(update)\nupdate = update * lr\nupdate = update * 0.0005"))
    assert r.family == "lion_like" and r.constants["lr_scale"] == pytest.approx(0.0005)
    # a sign of a mix of the momentum and a function of the gradient, with weight decay
    r = recognise(_p("m = interp(g, m, 0.99)\nt = sqrt(m)\nt = m / t\nu = tanh(g)\nt = t + u\n"
                     "update = interp(m, t, 0.9615)\nupdate = sign(update)\nd = w * 0.01\n"
                     "update = update + d\nupdate = update * lr"))
    assert r.family == "lion_like" and r.constants["b2"] == 0.99 and r.constants["weight_decay"] == 0.01


def test_lion_like_is_not_signum_signsgd_or_a_sign_without_an_average():
    # the sign of the average alone (Signum's shape, here with a state-dependent b)
    assert recognise(_p("t1 = interp(m, v, 0.992)\nm = interp(g, m, t1)\nupdate = sign(m)\nv = sqrt(t1)\n"
                        "update = update * lr")).family is None
    assert recognise(_p("t = tanh(g)\nupdate = sign(t)\nupdate = update * lr")).family == "signsgd"
    # a state that is not a moving average of the gradient
    assert recognise(_p("m = interp(w, m, 0.9)\nt = m + g\nupdate = sign(t)\nupdate = update * lr")).family is None
    # the exact families keep their names
    assert recognise(load_seed("lion")).family == "lion" and recognise(load_seed("signum")).family == "signum"

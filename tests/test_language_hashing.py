"""Functional hash: invariances and distinctions."""

from __future__ import annotations

from search_space import parse
from search_space.analysis import prune
from search_space.hashing import canonical_constant, functional_hash, structural_key
from search_space.seeds import load_seed, seed_names

LION_RENAMED = """def train(w, g, m, v, lr):
    decay = w * 0.01
    t = interp(g, m, 0.9)
    m = interp(g, m, 0.99)
    s = sign(t)
    junk = cosh(s)
    u = s + decay
    lr = 0.0003 * lr
    u = lr * u
    return u, m, v
"""


def test_hash_is_16_hex_chars():
    h = functional_hash(load_seed("adamw"))
    assert len(h) == 16 and int(h, 16) >= 0


def test_adamw_and_lion_differ_and_seeds_are_distinct():
    assert functional_hash(load_seed("adamw")) != functional_hash(load_seed("lion"))
    hashes = {functional_hash(load_seed(n)) for n in seed_names()}
    assert len(hashes) == len(seed_names())


def test_lion_renamed_reordered_dead_code_commuted_is_lion():
    assert functional_hash(parse(LION_RENAMED)) == functional_hash(load_seed("lion"))


def test_state_names_and_roles_do_not_matter():
    swapped = parse(
        "def train(w, g, a, b, lr):\n    update = interp(g, b, 0.9)\n    update = sign(update)\n"
        "    b = interp(g, b, 0.99)\n    wd = w * 0.01\n    update = update + wd\n    lr = lr * 0.0003\n"
        "    update = update * lr\n"
        "    return update, a, b\n"
    )
    assert functional_hash(swapped) == functional_hash(load_seed("lion"))


def test_dead_code_and_prune_do_not_change_hash():
    p = load_seed("program2")
    assert functional_hash(p) == functional_hash(prune(p))


def test_constant_noise_does_not_split_but_real_changes_do():
    lion = load_seed("lion").to_json()
    text = str(load_seed("lion"))
    assert functional_hash(parse(text.replace("0.99)", "0.9900000001)"))) == functional_hash(load_seed("lion"))
    assert functional_hash(parse(text.replace("0.99)", "0.98)"))) != functional_hash(load_seed("lion"))
    assert lion["format"]
    assert canonical_constant(-0.0) == canonical_constant(0.0) == "0"


def test_non_commutative_argument_order_matters():
    a = parse("def train(w, g, m, v, lr):\n    update = g - w\n    update = update * lr\n    return update, m, v\n")
    b = parse("def train(w, g, m, v, lr):\n    update = w - g\n    update = update * lr\n    return update, m, v\n")
    c = parse("def train(w, g, m, v, lr):\n    update = w + g\n    update = lr * update\n    return update, m, v\n")
    d = parse("def train(w, g, m, v, lr):\n    update = g + w\n    update = update * lr\n    return update, m, v\n")
    assert functional_hash(a) != functional_hash(b)
    assert functional_hash(c) == functional_hash(d)


def test_a_live_state_output_counts():
    # same update at step 1, but m feeds the next step differently
    text = ("def train(w, g, m, v, lr):\n    update = g + m\n    m = g * {}\n    update = update * lr\n"
            "    return update, m, v\n")
    a, b = parse(text.format(0.5)), parse(text.format(0.6))
    assert functional_hash(a) != functional_hash(b)


def test_structural_key_is_pruned_one_line():
    assert "cosh" not in structural_key(load_seed("program2"))

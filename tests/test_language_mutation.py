"""Mutation: validity, hash change, reproducibility, limits, constant mutation."""

from __future__ import annotations

import numpy as np
import pytest

from search_space import parse
from search_space.analysis import analyze
from search_space.hashing import functional_hash
from search_space.mutation import Mutator
from search_space.program import format_program
from search_space.sampling import random_program
from search_space.seeds import load_seed
from search_space.spaces import load_space
from search_space.validity import check


def test_ten_thousand_mutations_from_adamw_parse_back_and_are_valid():
    """A random walk from AdamW (restarting now and then): every child parses back from its text and is valid."""
    for space_name, n in (("hero", 6000), ("compact", 4000)):
        space = load_space(space_name)
        mutator = Mutator(space)
        rng = np.random.default_rng(7)
        seed = load_seed("adamw")
        parent, kinds = seed, set()
        for _ in range(n):
            child, mutation = mutator.mutate(parent, rng)
            assert parse(format_program(child)) == child
            assert analyze(child).valid
            assert functional_hash(child) != functional_hash(parent)
            assert len(child) <= space.max_statements
            assert {s.op for s in child.statements} <= set(space.functions) | {s.op for s in seed.statements}
            kinds.update(s.kind for s in mutation.steps)
            parent = child if rng.random() < 0.9 else seed
        expected = {k for k, w in space.mutation_weights.items() if w > 0}
        assert kinds == expected


def test_mutation_is_reproducible_from_seed():
    mutator = Mutator(load_space("compact"))

    def walk(seed):
        rng, p, out = np.random.default_rng(seed), load_seed("adamw"), []
        for _ in range(50):
            p, m = mutator.mutate(p, rng)
            out.append((format_program(p), str(m)))
        return out

    assert walk(3) == walk(3)
    assert walk(3) != walk(4)


def test_mutation_descriptions():
    mutator = Mutator(load_space("compact"))
    rng = np.random.default_rng(0)
    seen = {}
    for _ in range(300):
        _, m = mutator.mutate(load_seed("lion"), rng)
        seen.setdefault(m.kind, str(m).split("; ")[-1])
    assert seen["modify"].startswith("modify ") and " -> " in seen["modify"]
    assert seen["insert"].startswith("insert ")
    assert seen["delete"].startswith("delete ")
    assert seen["duplicate"].startswith("duplicate ")


def test_constant_mutation_forms():
    space = load_space("compact")
    mutator = Mutator(space)
    rng = np.random.default_rng(1)
    values = [mutator.mutate_constant(0.9, rng) for _ in range(2000)]
    ratios = [v / 0.9 for v in values]
    scaled = [r for r in ratios if r > 0 and abs(np.log2(r) - round(np.log2(r), 2)) < 0.01]
    assert 0.3 < len(scaled) / len(values) < 0.8   # about half multiply by 2^N(0,1)
    assert min(values) < -1.0 < 1.0 < max(values)   # the others are N(0, 1) draws (can change sign)


def test_max_statements_respected_and_lr_linear_option():
    space = load_space("compact")
    mutator = Mutator(space, lr_linear=True)
    rng = np.random.default_rng(5)
    p = load_seed("lion")
    for _ in range(200):
        p, _ = mutator.mutate(p, rng)
        assert len(p) <= space.max_statements
        check(p, lr_linear=True)


def test_delete_only_when_the_program_stays_well_formed():
    from search_space.spaces import Space

    p = parse("def train(w, g, m, v, lr):\n    x = sign(g)\n    update = x * lr\n    update = update + w\n"
              "    return update, m, v\n")
    only_delete = Space("d", ("sign",), 8, "sgd", {"insert": 0.0, "delete": 1.0, "modify": 0.0, "duplicate": 0.0})
    rng = np.random.default_rng(2)
    for _ in range(20):  # deleting x or the first update leaves an undefined read: only the last can go
        child, m = Mutator(only_delete).mutate(p, rng)
        assert str(m) == "delete 3: update = update + w" and len(child) == 2


def test_impossible_mutation_raises_program_error():
    from search_space.errors import ProgramError
    from search_space.spaces import Space

    tiny = Space("tiny", ("sign",), 0, "sgd", {"insert": 1.0, "delete": 0.0, "modify": 0.0, "duplicate": 0.0})
    with pytest.raises(ProgramError, match="no valid mutation"):
        Mutator(tiny, max_tries=20).mutate(load_seed("sgd"), np.random.default_rng(0))


@pytest.mark.parametrize("n", [0, 1, 3, 8])
def test_random_program_has_n_valid_statements(n):
    p = random_program(load_space("compact"), np.random.default_rng(n), n)
    assert len(p) == n and analyze(p).valid

"""One dispatcher for the function table (``search_space.dispatch``), bit for bit what each executor computed
with its own per-kind dispatch before.

The per-kind code that ``search_space.execute.apply_op`` and ``search_space.rows`` held is kept below as
the oracle; every function of the table, with every mix of scalar and tensor arguments, on a parameter
tree of leaves of different shapes, gives the very same bits through the dispatcher."""

from __future__ import annotations

import itertools

import jax.numpy as jnp
import numpy as np
import pytest

from search_space import dispatch, execute
from search_space.leafwise import LeafwiseModule, Leaves
from search_space.ops import OPS
from search_space.rows import _op as row_function

SHAPES = [(3, 2), ()]


def _old_apply_op(name, args, shapes):
    """``execute.apply_op`` as it was written before the dispatcher (per leaf, per kind)."""
    op, n, f32 = OPS[name], len(shapes), jnp.float32
    per_leaf = [[a[i] if isinstance(a, list) else a for a in args] for i in range(n)]
    if op.kind == "constant":
        return jnp.asarray(op.fn(), f32)
    if op.kind == "elementwise":
        if not any(isinstance(a, list) for a in args):
            return op.fn(*args)
        return [jnp.broadcast_to(op.fn(*per_leaf[i]), s).astype(f32) for i, s in enumerate(shapes)]
    terms = [tuple(jnp.broadcast_to(t, s) for t in op.terms(*per_leaf[i])) for i, s in enumerate(shapes)]
    if op.kind == "leaf_reduce":
        return [jnp.broadcast_to(op.finish(tuple(jnp.sum(t) for t in terms[i]), *per_leaf[i]), s).astype(f32)
                for i, s in enumerate(shapes)]
    sums = tuple(sum(jnp.sum(t[k]) for t in terms) for k in range(len(terms[0])))
    if op.kind == "reduce":
        return jnp.asarray(op.finish(sums, *args), f32)
    return [jnp.broadcast_to(op.finish(sums, *per_leaf[i]), s).astype(f32) for i, s in enumerate(shapes)]


def _old_row_function(name):
    """``rows._op`` as it was written before the dispatcher."""
    op = OPS[name]
    if op.kind == "constant":
        value = np.float32(op.np_fn())
        return lambda: value
    if op.kind == "elementwise":
        return op.np_fn

    def reduced(*args):
        sums = tuple(np.sum(t, axis=-1, keepdims=True, dtype=np.float32) for t in op.np_terms(*args))
        return op.np_finish(sums, *args)

    return reduced


def _bits(value) -> list:
    leaves = value if isinstance(value, list) else [value]
    return [(np.asarray(x).dtype, np.shape(x), np.asarray(x).tobytes()) for x in leaves]


def _argument_mixes(arity):
    """Every assignment of scalar / tensor to the arguments."""
    return list(itertools.product((False, True), repeat=arity))


@pytest.mark.parametrize("name", sorted(OPS))
def test_reference_executor_gives_the_old_bits(name):
    rng = np.random.default_rng(sorted(OPS).index(name))
    for tensors in _argument_mixes(OPS[name].arity):
        args = [[jnp.asarray(rng.standard_normal(s) * 2, jnp.float32) for s in SHAPES] if is_tensor
                else jnp.asarray(rng.standard_normal() * 2, jnp.float32) for is_tensor in tensors]
        with np.errstate(all="ignore"):
            assert _bits(execute.apply_op(name, args, SHAPES)) == _bits(_old_apply_op(name, args, SHAPES)), tensors


@pytest.mark.parametrize("name", sorted(OPS))
def test_row_executor_gives_the_old_bits(name):
    rng = np.random.default_rng(100 + sorted(OPS).index(name))
    new, old = row_function(name), _old_row_function(name)
    for tensors in _argument_mixes(OPS[name].arity):
        args = [(rng.standard_normal((3, 5)) * 2).astype(np.float32) if is_tensor
                else (rng.standard_normal((3, 1)) * 2).astype(np.float32) for is_tensor in tensors]
        with np.errstate(all="ignore"):
            assert _bits(new(*args)) == _bits(old(*args)), tensors


def test_flat_vector_executor_reduces_per_leaf_and_over_the_tree():
    """The dispatcher on flat vectors (the layout of a JAX interpreter): ``leaf_sum`` by leaf id, broadcast back."""
    segments = jnp.asarray([0, 0, 1, 1, 1])
    x = jnp.asarray([3.0, 4.0, 0.0, 0.0, 2.0])

    def leaf_sum(t):
        return jnp.zeros(2).at[segments].add(t)[segments]

    norm = dispatch.bind(OPS["norm"], jnp, jnp.sum, leaf_sum)
    global_norm = dispatch.bind(OPS["global_norm"], jnp, jnp.sum, leaf_sum)
    assert norm(x).tolist() == [5.0, 5.0, 2.0, 2.0, 2.0]
    assert float(global_norm(x)) == pytest.approx(29 ** 0.5)
    clipped = dispatch.apply(OPS["clip_by_global_norm"], [x, jnp.float32(1.0)], jnp, jnp.sum, leaf_sum)
    assert float(jnp.sqrt(jnp.sum(clipped ** 2))) == pytest.approx(1.0, rel=1e-6)


def test_leaves_apply_operators_and_functions_leaf_by_leaf_with_scalars_on_either_side():
    xp = LeafwiseModule(np)
    x = Leaves([np.array([1.0, -2.0], np.float32), np.array(4.0, np.float32)])
    s = np.float32(2.0)
    for got, want in [(s - x, [[1.0, 4.0], -2.0]), (x / s, [[0.5, -1.0], 2.0]), (-x * s, [[-2.0, 4.0], -8.0]),
                      (xp.maximum(x, 0.0) + 1.0, [[2.0, 1.0], 5.0]), (xp.clip(x, -s, s), [[1.0, -2.0], 2.0])]:
        assert isinstance(got, Leaves) and [a.tolist() for a in got.arrays] == want
    assert xp.sqrt(s) == np.sqrt(s)                   # no tensor argument: the array module's own result
    with pytest.raises(ValueError, match="unknown kind 'odd'"):
        dispatch.bind(OPS["add"].__class__("f", 1, "odd"), np, np.sum, np.sum)

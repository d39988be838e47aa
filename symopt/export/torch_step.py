r"""The step of an exported torch optimizer: the leaf's statements scheduled onto in-place tensor operations.

Each statement of :attr:`Leaf.steps <symopt.export.leaf.Leaf.steps>` becomes one or a few torch
primitives (``interp`` is one ``lerp``, ``sub`` of a list from a scalar is ``neg`` then ``add``,
...).  A primitive writes into an argument's storage when that value is read by nothing later: a
temporary of the step, or a state when the statement computes that state's new value (such a
statement is scheduled after every other reader of the old state).  What is left is copied into
the states at the end, then the parameters are decayed and updated in place.

One schedule, two renderings that compute bit-identical results:

* ``foreach``: every variable is a list of tensors (one device and dtype) and each primitive is a
  ``torch._foreach_<op>`` (in place: ``torch._foreach_<op>_``) call;
* ``single``: one tensor at a time, each primitive ``torch.<op>(...)`` (in place: ``out=``).

A function with no multi-tensor form (``cbrt``, ``arcsinh``, a division of a scalar by a tensor,
...) runs per tensor from the :data:`~symopt.export.leaf.TORCH` template, out of place, in both.

>>> from symopt.export.leaf import Leaf
>>> leaf = Leaf(("g", "m", "b1", "b2"), ("m",), {}, (("t1", "interp", ("g", "m", "b1")),
...     ("t2", "interp", ("g", "m", "b2")), ("t3", "sign", ("t1",))), ("t3", "t2"), {"b1": 0.9, "b2": 0.99}, False)
>>> print("\n".join(render(schedule(leaf), "foreach")))
t1 = torch._foreach_lerp(g, m, b1)
torch._foreach_lerp_(m, g, 1.0 - (b2))
torch._foreach_sign_(t1)
if wd != 0.0:
    torch._foreach_mul_(w, 1.0 - lr * wd)
torch._foreach_add_(w, t1, alpha=-lr)
"""

from __future__ import annotations

import dataclasses

from search_space.ops import OPS
from symopt.export.leaf import TORCH, Leaf

RUNNING = "_"          # in a recipe: the value computed by the recipe's previous primitive

# torch primitives of one elementwise function, by argument kinds ("L" a tensor, "S" a scalar).
# Each recipe is a list of (primitive, arguments); argument i of the statement is written "{i}".
# Several recipes: the same value, written into a different argument's storage when that one dies.
_UNARY = {"abs": "abs", "sign": "sign", "exp": "exp", "expm1": "expm1", "log1p": "log1p", "negative": "neg",
          "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "asin", "arccos": "acos", "arctan": "atan",
          "sinh": "sinh", "cosh": "cosh", "tanh": "tanh"}
_ABS_THEN = {"log": "log", "log2": "log2", "log10": "log10", "sqrt": "sqrt"}   # protected: |x| first
_COMMUTATIVE = {"add": "add", "mul": "mul", "max": "maximum", "min": "minimum"}


def _recipes(op: str, kinds: str) -> list[list[tuple[str, tuple]]] | None:
    if op in _UNARY and kinds == "L":
        return [[(_UNARY[op], ("{0}",))]]
    if op in _ABS_THEN and kinds == "L":
        return [[("abs", ("{0}",)), (_ABS_THEN[op], (RUNNING,))]]
    if kinds == "L":
        return {"square": [[("mul", ("{0}", "{0}"))]],
                "cube": [[("mul", ("{0}", "{0}")), ("mul", (RUNNING, "{0}"))]],
                "invert": [[("neg", ("{0}",)), ("add", (RUNNING, "1.0"))]],
                "reciprocal": [[("add", ("{0}", "EPS")), ("reciprocal", (RUNNING,))]]}.get(op)
    if op in _COMMUTATIVE:
        fn = _COMMUTATIVE[op]
        if kinds == "LL":
            return [[(fn, ("{0}", "{1}"))], [(fn, ("{1}", "{0}"))]]
        if fn in ("maximum", "minimum"):
            fn = "clamp_min" if fn == "maximum" else "clamp_max"
        return {"LS": [[(fn, ("{0}", "{1}"))]], "SL": [[(fn, ("{1}", "{0}"))]]}.get(kinds)
    if op == "sub":
        return {"LL": [[("sub", ("{0}", "{1}"))], [("neg", ("{1}",)), ("add", (RUNNING, "{0}"))]],
                "LS": [[("sub", ("{0}", "{1}"))]], "SL": [[("neg", ("{1}",)), ("add", (RUNNING, "{0}"))]]}.get(kinds)
    if op == "div":
        return {"LL": [[("add", ("{1}", "EPS")), ("div", ("{0}", RUNNING))]],
                "LS": [[("div", ("{0}", "({1}) + EPS"))]]}.get(kinds)
    if op == "interp":
        return {"LLS": [[("lerp", ("{0}", "{1}", "{2}"))], [("lerp", ("{1}", "{0}", "1.0 - ({2})"))]],
                "LLL": [[("lerp", ("{0}", "{1}", "{2}"))]]}.get(kinds)
    if op == "power" and kinds in ("LS", "LL", "SL"):
        return [[("pow", ("{0}", "{1}"))]]
    if op == "clip" and kinds == "LS":
        return [[("clamp_min", ("{0}", "-abs({1})")), ("clamp_max", (RUNNING, "abs({1})"))]]
    return None


@dataclasses.dataclass(frozen=True)
class Call:
    """One line of the step: ``target = fn(args)``, or ``fn(args)`` into ``args[0]`` when ``inplace``."""

    target: str
    fn: str                 # a torch primitive, or "" for a TORCH template / a scalar statement
    args: tuple = ()
    inplace: bool = False
    template: str = ""      # the per-tensor TORCH template (fn == "")
    tensors: tuple = ()     # which args are tensors (fn == "")
    scalar: bool = False    # a statement over scalars only


@dataclasses.dataclass(frozen=True)
class Schedule:
    """The in-place torch step of a :class:`~symopt.export.leaf.Leaf` (see :func:`schedule`)."""

    calls: tuple            # Call, in order
    copies: tuple           # (state, source): states whose new value is left elsewhere
    clones: tuple           # (name, source): values saved before the copies and the update overwrite them
    update: str             # the direction (a variable, or a scalar expression)
    update_is_tensor: bool
    scalar_states: tuple    # (state, scalar expression)


def _order(leaf: Leaf, writer: dict) -> list[int]:
    """Statement indices in dependency order.

    The statement writing a state's new value from the old state comes after every other reader of
    that state, when the dependencies allow it.
    """
    defined = {name: i for i, (name, _op, _args) in enumerate(leaf.steps)}
    deps = [{defined[a] for a in args if a in defined} for _n, _op, args in leaf.steps]
    readers = {s: {i for i, (_n, _op, args) in enumerate(leaf.steps) if s in args} for s in leaf.states}
    done: list[int] = []
    left = list(range(len(leaf.steps)))
    while left:
        ready = [i for i in left if deps[i] <= set(done)]
        waiting = {i for s, i in writer.items() if readers[s] - {i} - set(done)}
        i = next((i for i in ready if i not in waiting), ready[0])
        done.append(i)
        left.remove(i)
    return done


def _tensors(leaf: Leaf) -> set[str]:
    """The variables of ``leaf`` that hold tensors (the others are scalars)."""
    tensors = {"g", "w", *leaf.states}
    for name, op, args in leaf.steps:
        if OPS[op].kind == "elementwise" and any(a in tensors for a in args):
            tensors.add(name)
    return tensors


def schedule(leaf: Leaf) -> Schedule:
    """The in-place torch step of ``leaf``.

    Each statement becomes primitive calls that write into the storage of a value that dies there (a
    state's own storage first), so the step allocates as little as it can.

    Args:
      leaf: the program's per-tensor direction (:class:`~symopt.export.leaf.Leaf`).

    Returns:
      The :class:`Schedule` of calls.
    """
    update, news = leaf.returns[0], dict(zip(leaf.states, leaf.returns[1:]))
    tensors = _tensors(leaf)
    index = {name: i for i, (name, _op, _args) in enumerate(leaf.steps)}
    writer = {s: index[v] for s, v in news.items() if v in index and s in leaf.steps[index[v]][2]}
    order = _order(leaf, writer)
    outputs = {update, *news.values()}
    last = {}
    for pos, i in enumerate(order):
        for a in leaf.steps[i][2]:
            last[a] = pos
    where = {t: t for t in tensors}       # variable -> the variable whose storage holds it
    owned: set[str] = set()               # storages made by the step (writable once dead)
    calls = []

    def dies(var: str, pos: int, name: str) -> bool:
        """May the statement at ``pos`` (computing ``name``) write into ``var``'s storage?"""
        if var not in tensors or var in outputs or last.get(var, -1) > pos:
            return False
        if where[var] in owned:
            return True
        return var in news and news[var] == name and writer.get(var) == index[name]

    for pos, i in enumerate(order):
        name, op, args = leaf.steps[i]
        kinds = "".join("L" if a in tensors else "S" for a in args)
        if "L" not in kinds:
            calls.append(Call(name, "", args, template=TORCH[op], scalar=True))
            continue
        options = _recipes(op, kinds) or []
        if not options:
            calls.append(Call(name, "", tuple(where.get(a, a) for a in args), template=TORCH[op],
                              tensors=tuple(a in tensors for a in args)))
            where[name] = name
            owned.add(name)
            continue
        recipe, target = options[0], None
        for option in options:
            first = option[0][1][0]
            var = args[int(first[1])] if first.startswith("{") else None
            later = [a for _fn, fargs in option[1:] for a in fargs]
            if var is not None and not any(first in a for a in later) and dies(var, pos, name) \
                    and (target is None or where[var] not in owned):     # a state's own storage first
                recipe, target = option, var
        for k, (fn, fargs) in enumerate(recipe):
            rendered = tuple(where[name] if a == RUNNING else _fill(a, args, where) for a in fargs)
            if k == 0 and target is not None:
                calls.append(Call(where[target], fn, rendered, inplace=True))
                where[name] = where[target]
            elif fargs[0] == RUNNING:
                calls.append(Call(where[name], fn, rendered, inplace=True))
            else:
                calls.append(Call(name, fn, rendered))
                where[name] = name
                owned.add(name)
    return _schedule_of(calls, news, update, tensors, where)


def _schedule_of(calls: list, news: dict, update: str, tensors: set, where: dict) -> Schedule:
    """The :class:`Schedule` of ``calls``.

    New state values left in other storage are copied into their states, after clones of the values
    those copies (and the update of ``w``) would overwrite.
    """
    copies = tuple((s, where.get(v, v)) for s, v in news.items() if v in tensors and where[v] != s)
    written = {s for s, _src in copies} | {"w"}
    clones = tuple(sorted({src for _s, src in copies if src in written - {"w"}}
                          | ({where[update]} if update in tensors and where[update] in written else set())))
    saved = {src: f"_saved_{src}" for src in clones}
    copies = tuple((s, saved.get(src, src)) for s, src in copies)
    scalar_states = tuple((s, v) for s, v in news.items() if v not in tensors)
    direction = saved.get(where.get(update, update), where.get(update, update))
    return Schedule(tuple(calls), copies, tuple((saved[s], s) for s in clones), direction, update in tensors,
                    scalar_states)


def _fill(arg: str, args: tuple, where: dict) -> str:
    """A recipe argument with the statement's arguments put in ("{1}" -> the storage of argument 1)."""
    out = arg
    for j, a in enumerate(args):
        out = out.replace(f"{{{j}}}", where.get(a, a))
    return out


def render(s: Schedule, how: str) -> list[str]:
    """The code lines of the step ``s`` (no indentation).

    Args:
      s: the schedule.
      how: "foreach" (the arguments are lists of tensors, multi-tensor kernels) or "single" (one tensor each).

    Returns:
      Lines of Python; the generated module defines the names they use.
    """
    fe = how == "foreach"
    lines = []
    for c in s.calls:
        if c.scalar:
            lines.append(f"{c.target} = float({c.template.format(*(f'_s({a})' for a in c.args))})")
        elif not c.fn:
            lists = [a for a, t in zip(c.args, c.tensors) if t]
            each = {a: f"_x{k}" for k, a in enumerate(dict.fromkeys(lists))}
            expr = c.template.format(*(each.get(a, a) if fe else a for a in c.args))
            source = f"zip({', '.join(each)})" if len(each) > 1 else next(iter(each))
            lines.append(f"{c.target} = [{expr} for {', '.join(each.values())} in {source}]" if fe
                         else f"{c.target} = {expr}")
        elif fe:
            lines.append(f"torch._foreach_{c.fn}_({', '.join(c.args)})" if c.inplace
                         else f"{c.target} = torch._foreach_{c.fn}({', '.join(c.args)})")
        else:
            lines.append(f"torch.{c.fn}({', '.join(c.args)}, out={c.args[0]})" if c.inplace
                         else f"{c.target} = torch.{c.fn}({', '.join(c.args)})")
    for name, src in s.clones:
        lines.append(f"{name} = [x.clone() for x in {src}]" if fe else f"{name} = {src}.clone()")
    for state, src in s.copies:
        lines.append(f"torch._foreach_copy_({state}, {src})" if fe else f"{state}.copy_({src})")
    for state, value in s.scalar_states:
        lines.append(f"for x in {state}:\n    x.fill_({value})" if fe else f"{state}.fill_({value})")
    lines.append("if wd != 0.0:")
    lines.append("    torch._foreach_mul_(w, 1.0 - lr * wd)" if fe else "    w.mul_(1.0 - lr * wd)")
    if s.update_is_tensor:
        lines.append(f"torch._foreach_add_(w, {s.update}, alpha=-lr)" if fe else f"w.add_({s.update}, alpha=-lr)")
    else:
        lines.append(f"torch._foreach_add_(w, -lr * ({s.update}))" if fe else f"w.add_(-lr * ({s.update}))")
    return lines

"""A program as a value graph (one optimizer step), for rewriting.

Each statement becomes a node ``Node(op, args, name, order)``; an argument is
a node id (``int``) or a constant (``float``).  Inputs are nodes with
``op=None``.  ``outputs`` holds the node of each returned value.  Rewrites
redirect uses from one node to another, so copies never need a statement
(copy propagation is part of every rewrite).  :meth:`Graph.to_program`
schedules the statements back, in ``order``, renaming a target only when
writing it would clobber a value that is still needed.
"""

from __future__ import annotations

import bisect
import dataclasses

from search_space.ops import OPS
from search_space.program import Program, Statement

SCALAR, TENSOR = "scalar", "tensor"


@dataclasses.dataclass
class Node:
    """A statement (or, with ``op=None``, an input) of the graph."""

    op: str | None          # None for an input
    args: tuple             # node ids (int) and constants (float)
    name: str               # preferred variable name
    order: float            # position among the statements


class Graph:
    """The value graph of a program, for rewriting.

    Attributes:
      nodes: node id -> :class:`Node`.
      inputs: input name -> node id.
      outputs: the node id or constant of each returned value.
      states: the program's state names.

    Args:
      program: the program.

    >>> from search_space.seeds import load_seed
    >>> g = Graph(load_seed("sgd"))
    >>> [g.nodes[i].op for i in g.statements()], g.to_program() == load_seed("sgd")
    (['mul', 'mul'], True)
    """

    def __init__(self, program: Program):
        self.states = program.states
        self.nodes: dict[int, Node] = {}
        self.inputs: dict[str, int] = {}
        env = {}
        for name in program.inputs:
            env[name] = self.inputs[name] = self._new(Node(None, (), name, -1.0))
        for i, st in enumerate(program.statements):
            args = tuple(env[a] if isinstance(a, str) else float(a) for a in st.args)
            env[st.target] = self._new(Node(st.op, args, st.target, float(i)))
        self.outputs = [env[r] for r in program.returns]

    def _new(self, node: Node) -> int:
        nid = len(self.nodes) and max(self.nodes) + 1
        self.nodes[nid] = node
        return nid

    def copy(self) -> Graph:
        """A deep copy (rules rewrite a copy and return it); it is not frozen.

        Returns:
          The copy.
        """
        h = Graph.__new__(Graph)
        h.states, h.inputs, h.outputs = self.states, dict(self.inputs), list(self.outputs)
        h.nodes = {i: dataclasses.replace(n) for i, n in self.nodes.items()}
        return h

    def freeze(self) -> Graph:
        """Promise that this graph will not change any more, so that :meth:`types` is computed once.

        The rules only read a graph and rewrite copies.

        Returns:
          The graph itself.
        """
        self._types = self.types()
        return self

    # -- queries -------------------------------------------------------------
    def statements(self) -> list[int]:
        """The statement nodes, by ``order``.

        Returns:
          Their ids.
        """
        return sorted((i for i, n in self.nodes.items() if n.op is not None),
                      key=lambda i: (self.nodes[i].order, i))

    def users(self, nid: int) -> list[int]:
        """The nodes that read node ``nid``.

        Args:
          nid: a node id.

        Returns:
          Their ids.
        """
        return [i for i, n in self.nodes.items() if nid in node_ids(n.args)]

    def types(self) -> dict[int, str]:
        """``SCALAR`` or ``TENSOR`` per node (``lr`` is the only scalar input).

        Returns:
          node id -> type.
        """
        frozen = getattr(self, "_types", None)
        if frozen is not None:
            return frozen
        out = {}
        for name, nid in self.inputs.items():
            out[nid] = SCALAR if name == "lr" else TENSOR
        pending = self.statements()
        while pending:  # statements may be out of topological order after rewrites
            rest = []
            for i in pending:
                n = self.nodes[i]
                if any(a not in out for a in node_ids(n.args)):
                    rest.append(i)
                    continue
                kind = OPS[n.op].kind
                if kind in ("constant", "reduce"):
                    out[i] = SCALAR
                elif kind in ("leaf_reduce", "tree_scale"):
                    out[i] = TENSOR
                else:
                    out[i] = TENSOR if any(out[a] == TENSOR for a in node_ids(n.args)) else SCALAR
            if len(rest) == len(pending):
                raise AssertionError("cycle in value graph")
            pending = rest
        return out

    # -- edits ---------------------------------------------------------------
    def add(self, op: str, args: tuple, name: str, order: float) -> int:
        """Add the statement ``name = op(*args)`` at position ``order``.

        Args:
          op: the function's name.
          args: node ids and constants.
          name: the preferred variable name.
          order: the position among the statements (between two others: a fraction).

        Returns:
          The new node's id.
        """
        return self._new(Node(op, tuple(args), name, order))

    def replace(self, old: int, new) -> None:
        """Redirect every use of node ``old`` (and outputs) to ``new``; drop ``old``.

        Args:
          old: the node id replaced.
          new: a node id or a constant.
        """
        for n in self.nodes.values():
            n.args = tuple(new if (isinstance(a, int) and a == old) else a for a in n.args)
        self.outputs = [new if o == old else o for o in self.outputs]
        del self.nodes[old]

    # -- back to a program -----------------------------------------------------
    def to_program(self, names: dict[int, str] | None = None) -> Program:
        """The graph as a program.

        Statements are scheduled stably by ``order`` and renamed ``name_1``, ... only where writing a name
        would clobber a value still needed.

        Args:
          names: a variable name per node id (default: each node's own name).

        Returns:
          The program.
        """
        names = names or {}
        pending = self.statements()
        uses: dict[int, int] = {}
        for i in pending:
            for a in node_ids(self.nodes[i].args):
                uses[a] = uses.get(a, 0) + 1
        outputs = set(self.outputs)
        holder: dict[str, int] = {}
        where: dict[int, str] = {}
        taken = set(self.inputs) | {self.nodes[i].name for i in pending} | set(names.values())
        for name, nid in self.inputs.items():
            holder[name], where[nid] = nid, name
        done = set(self.inputs.values())
        stmts = []

        def clobbers(i: int, name: str) -> bool:
            h = holder.get(name)
            if h is None or h == i:
                return False
            own = sum(1 for a in node_ids(self.nodes[i].args) if a == h)
            return h in outputs or uses.get(h, 0) - own > 0

        position = {i: k for k, i in enumerate(pending)}
        waiting = {i: len({a for a in node_ids(self.nodes[i].args) if a not in done}) for i in pending}
        readers: dict[int, list[int]] = {}
        for i in pending:
            for a in {a for a in node_ids(self.nodes[i].args) if a not in done}:
                readers.setdefault(a, []).append(i)
        ready = [position[i] for i in pending if waiting[i] == 0]     # positions, in order
        while ready:
            # keep the order; only a returned value waits for the slot its name holds
            at = next((k for k, p in enumerate(ready) if pending[p] not in outputs
                       or not clobbers(pending[p], names.get(pending[p], self.nodes[pending[p]].name))), 0)
            pick = pending[ready.pop(at)]
            name = names.get(pick, self.nodes[pick].name)
            if clobbers(pick, name):
                k = 1
                while f"{name}_{k}" in taken:
                    k += 1
                name = f"{name}_{k}"
                taken.add(name)
            n = self.nodes[pick]
            stmts.append(Statement(name, n.op, tuple(where[a] if isinstance(a, int) else a for a in n.args)))
            for a in node_ids(n.args):
                uses[a] -= 1
            old = holder.get(name)
            if old is not None and where.get(old) == name:
                del where[old]
            holder[name], where[pick] = pick, name
            done.add(pick)
            for r in readers.get(pick, ()):
                waiting[r] -= 1
                if waiting[r] == 0:
                    bisect.insort(ready, position[r])
        if len(stmts) != len(pending):
            raise AssertionError("cycle in value graph")
        return Program(tuple(stmts), tuple(where[o] for o in self.outputs), self.states)


def node_ids(args) -> list[int]:
    """The node ids among ``args`` (the others are constants).

    Args:
      args: a node's arguments.

    Returns:
      The ids, in order.

    >>> node_ids((3, 0.5, 7))
    [3, 7]
    """
    return [a for a in args if isinstance(a, int) and not isinstance(a, bool)]



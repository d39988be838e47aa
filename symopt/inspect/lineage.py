"""``symopt lineage``: the ancestry of a program, from the log's parent hashes.

The graph has one node per functional hash (attributes: program text, fitness, mutation,
eval_id of its FIRST appearance, and that appearance's parent) and an edge parent -> child for
every logged mutation. A hash can be found again later from another parent; its ancestry
follows the first appearance, whose parent was necessarily logged before it, so the path
always ends at the seed (or at a record whose parent is unknown, e.g. a log cut short).
"""

from __future__ import annotations

import difflib

import networkx as nx

from filekit.nonfinite import none_to_inf
from search_space.program import format_statement
from symopt.errors import UserError
from symopt.inspect.rundata import evaluations, find_hash, program_of
from symopt.rundir import RunDir


def build_graph(records: list[dict]) -> nx.DiGraph:
    g = nx.DiGraph()
    for r in records:
        h = r["hash"]
        if h not in g or "eval_id" not in g.nodes[h]:
            g.add_node(h, program=r.get("program", ""), fitness=r.get("fitness") or {},
                       mutation=r.get("mutation") or "", eval_id=r.get("eval_id"), parent=r.get("parent"))
        if r.get("parent"):
            g.add_edge(r["parent"], h)
    return g


def ancestry(graph: nx.DiGraph, hash_: str) -> list[str]:
    """Hashes from the seed (first) to ``hash_`` (last)."""
    if hash_ not in graph or "eval_id" not in graph.nodes[hash_]:
        raise UserError(f"no program with hash {hash_!r} in the log")
    path, seen = [hash_], {hash_}
    while True:
        parent = graph.nodes[path[-1]].get("parent")
        if not parent or parent not in graph or "eval_id" not in graph.nodes[parent] or parent in seen:
            break
        path.append(parent)
        seen.add(parent)
    return path[::-1]


def lineage(rd: RunDir, prefix: str) -> list[dict]:
    """``{"hash", "mutation", "fitness", "program"}`` from the seed to the program ``prefix``."""
    h = find_hash(rd, prefix)
    g = build_graph(evaluations(rd))
    return [{"hash": n, "mutation": g.nodes[n]["mutation"], "fitness": g.nodes[n]["fitness"],
             "program": g.nodes[n]["program"]} for n in ancestry(g, h)]


def statement_diff(before: str, after: str, where: str = "log") -> list[str]:
    """Statement-level diff lines (``-``/``+``) between two program texts."""
    a = [format_statement(s) for s in program_of(before, where).statements]
    b = [format_statement(s) for s in program_of(after, where).statements]
    return [line for line in difflib.unified_diff(a, b, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def fitness_change(before: dict, after: dict) -> str:
    parts = []
    for s in after:
        new = none_to_inf(after[s])
        if s in before:
            old = none_to_inf(before[s])
            delta = new - old if new != old else 0.0
            change = f" ({delta:+.4g})" if delta == delta else ""      # inf - inf: no change to show
            parts.append(f"{s} {old:.4g} -> {new:.4g}{change}")
        else:
            parts.append(f"{s} {new:.4g} (new stage)")
    return ", ".join(parts) or "(no fitness)"


def text(path: list[dict], where: str = "log") -> str:
    """The path printed as a numbered list of mutations with diffs and fitness changes."""
    out = []
    for i, node in enumerate(path):
        if i == 0:
            out.append(f"[0] {node['hash']}  {node['mutation'] or 'seed'}  "
                       f"{fitness_change({}, node['fitness']).replace(' (new stage)', '')}")
            continue
        prev = path[i - 1]
        out.append(f"[{i}] {node['hash']}  {node['mutation']}")
        out.append(f"    fitness: {fitness_change(prev['fitness'], node['fitness'])}")
        out.extend(f"    {line}" for line in statement_diff(prev["program"], node["program"], where))
    return "\n".join(out)


def _dot_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot(path: list[dict]) -> str:
    """Graphviz dot of the path (nodes labelled with hash and fitness, edges with the mutation)."""
    lines = ["digraph lineage {", "  rankdir=TB;", "  node [shape=box, fontname=monospace];"]
    for node in path:
        label = f"{node['hash']}\n{fitness_change({}, node['fitness']).replace(' (new stage)', '')}"
        lines.append(f"  {_dot_quote(node['hash'])} [label={_dot_quote(label)}];")
    for a, b in zip(path, path[1:]):
        lines.append(f"  {_dot_quote(a['hash'])} -> {_dot_quote(b['hash'])} [label={_dot_quote(b['mutation'])}];")
    lines.append("}")
    return "\n".join(lines) + "\n"

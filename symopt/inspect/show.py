"""``symopt show``: the hall of fame as a table, or one program with its live part highlighted.

>>> from search_space.seeds import load_seed
>>> print(listing(load_seed("program2"), color=False).splitlines()[-2])
    update = update * lr
"""

from __future__ import annotations

from search_space.analysis import analyze
from search_space.program import Program, format_return, format_signature, format_statement, one_line
from symopt.inspect.rundata import fitness_text, hall_of_fame, program_of
from symopt.recognise import recognise
from symopt.rundir import RunDir

BOLD, DIM, RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def family_of(program: Program) -> str:
    """The recognised family (:func:`symopt.recognise.recognise`), ``new`` if none, ``-`` if it fails."""
    try:
        fam = recognise(program).family
    except Exception:  # noqa: BLE001 - a recogniser failure must not hide the table
        return "-"
    return fam or "new"


def rows(rd: RunDir, top: int | None = None) -> list[dict]:
    """``{"rank", "hash", "fitness", "family", "program"}`` per hall-of-fame entry, best first."""
    out = []
    for i, e in enumerate(hall_of_fame(rd)[:top] if top else hall_of_fame(rd)):
        prog = program_of(e["program"], f"{rd.path}/hall_of_fame.json entry {i + 1}")
        out.append({"rank": i + 1, "hash": e["hash"], "fitness": e.get("fitness") or {},
                    "family": family_of(prog), "program": one_line(prog)})
    return out


def table(entries: list[dict], width: int = 100) -> str:
    """A fixed-width text table of :func:`rows` (programs cut to fit ``width``)."""
    if not entries:
        return "(hall of fame is empty: no program evaluated yet)"
    head = ("rank", "hash", "fitness", "len", "family", "program")
    body = [(str(r["rank"]), r["hash"], fitness_text(r["fitness"]), str(r["program"].count(";")),
             r["family"], r["program"]) for r in entries]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(5)]
    room = max(20, width - sum(widths) - 2 * 5)
    lines = []
    for cols in [head, *body]:
        prog = cols[5] if len(cols[5]) <= room else cols[5][: room - 3] + "..."
        lines.append("  ".join(c.ljust(w) for c, w in zip(cols[:5], widths)) + "  " + prog)
    return "\n".join(lines)


def listing(program: Program, color: bool) -> str:
    """The program in full; dead statements dimmed (``color``) or marked ``# dead``."""
    live = analyze(program).live
    lines = [format_signature(program)]
    for st, alive in zip(program.statements, live):
        text = f"    {format_statement(st)}"
        if color:
            lines.append(f"{BOLD}{text}{RESET}" if alive else f"{DIM}{text}{RESET}")
        else:
            lines.append(text if alive else f"{text}  # dead")
    lines.append(f"    {format_return(program)}")
    return "\n".join(lines) + "\n"

"""The derivation log: every simplification step, with its rule, kind and reason."""

from __future__ import annotations

import dataclasses

from search_space.program import Program, format_program

KINDS = ("exact", "measured")


@dataclasses.dataclass(frozen=True)
class Step:
    """One rewrite: ``rule`` took ``before`` to ``after`` for the reason ``why``.

    Attributes:
      rule: the rule's name.
      kind: ``"exact"`` or ``"measured"``.
      before: the program before the step.
      after: the program after it.
      why: the reason, one line.
    """

    rule: str
    kind: str            # "exact" | "measured"
    before: Program
    after: Program
    why: str

    def to_json(self) -> dict:
        """The step as JSON.

        Returns:
          ``{"rule", "kind", "before", "after", "why"}`` with the programs as text.
        """
        return {"rule": self.rule, "kind": self.kind, "before": format_program(self.before),
                "after": format_program(self.after), "why": self.why}


@dataclasses.dataclass(frozen=True)
class Derivation:
    """The simplified ``program`` and the ``steps`` that led to it from ``source``.

    Attributes:
      source: the program simplified.
      program: the result.
      steps: every step, in order.
    """

    source: Program
    program: Program
    steps: tuple[Step, ...] = ()

    def to_json(self) -> list[dict]:
        """The steps as JSON (:meth:`Step.to_json`), in order.

        Returns:
          One dict per step.
        """
        return [s.to_json() for s in self.steps]

    def text(self) -> str:
        """The derivation step by step, for people.

        Returns:
          One line per step: ``step N: rule (kind): why``.
        """
        lines = []
        for i, s in enumerate(self.steps, 1):
            lines.append(f"step {i}: {s.rule} ({s.kind}): {s.why}")
        return "\n".join(lines)


class Log:
    """Collects steps while a program is rewritten.

    Args:
      program: the program to rewrite (``source`` and, until a step, ``program``).
    """

    def __init__(self, program: Program):
        self.source = program
        self.program = program
        self.steps: list[Step] = []

    def record(self, rule: str, kind: str, after: Program, why: str) -> None:
        """Log the step to ``after`` (ignored when it prints the same as the current program).

        Args:
          rule: the rule's name.
          kind: ``"exact"`` or ``"measured"``.
          after: the program after the step (the new current program).
          why: the reason, one line.
        """
        assert kind in KINDS
        if format_program(after) == format_program(self.program):
            return
        self.steps.append(Step(rule, kind, self.program, after, why))
        self.program = after

    def derivation(self) -> Derivation:
        """The steps so far as a :class:`Derivation`.

        Returns:
          The derivation from ``source`` to the current program.
        """
        return Derivation(self.source, self.program, tuple(self.steps))

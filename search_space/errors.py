"""Errors for bad input: each prints as one line that names where the problem is."""

from __future__ import annotations


class InputError(Exception):
    """A user-facing error: bad file, bad program, bad configuration.

    ``str(error)`` is a single line suitable for a command-line tool.
    """


class ProgramError(InputError):
    """A program text that cannot be parsed or is not valid.

    Args:
      reason: what is wrong, in a few words.
      file: the file of the program text, if any.
      line: the 1-based line of the problem, if known.
      col: the 1-based column, if known.

    >>> str(ProgramError("bad", file="x.program", line=2, col=5))
    'x.program:2:5: bad'
    """

    def __init__(self, reason: str, file: str | None = None, line: int | None = None, col: int | None = None):
        self.reason = reason
        self.file = file
        self.line = line
        self.col = col
        super().__init__(self._render())

    def _render(self) -> str:
        where = self.file or "<program>"
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        return f"{where}: {self.reason}"

    def with_file(self, file: str) -> ProgramError:
        """The same error, located in ``file``.

        Args:
          file: the file the program text came from.

        Returns:
          A new :class:`ProgramError` with the same reason, line and column.

        >>> str(ProgramError("unknown function 'f'", line=3).with_file("a.program"))
        "a.program:3: unknown function 'f'"
        """
        return ProgramError(self.reason, file, self.line, self.col)

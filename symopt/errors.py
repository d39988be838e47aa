"""User-facing errors of the engine (one line, no traceback from the CLI)."""

from search_space.errors import InputError


class UserError(InputError):
    """Bad configuration, missing or damaged run directory, bad command-line value."""

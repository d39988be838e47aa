"""What a test needs beyond Python and pip, and what happens where it is missing.

A fresh machine has only Python and pip. A test that needs more (a browser, a GPU, one exact CPython
build) calls :func:`need` first: where the thing is missing the test is skipped with one line that
says how to get it and run the test. With ``SYMOPT_REQUIRE_EXTERNAL=1`` (``.ci/run`` sets it after
installing what the suite needs) a missing requirement is a failure with the same line instead, so
CI never passes a browser check by skipping it. A GPU cannot be installed: ``gpu`` stays a skip in
every mode.

Every other skip is a failure (``tests/conftest.py``): a test cannot silently not run.
"""

from __future__ import annotations

import os

import pytest

ENV = "SYMOPT_REQUIRE_EXTERNAL"
PREFIX = "needs "               # conftest.py lets a skip through only when its reason starts so
NEVER_REQUIRED = ("gpu",)       # no CI machine has one; GPU checks are run on a lent device


def required() -> bool:
    """Whether a missing requirement fails instead of skipping (``SYMOPT_REQUIRE_EXTERNAL=1``)."""
    return os.environ.get(ENV, "") not in ("", "0")


def need(what: str, present: bool, how: str) -> None:
    """Skip the calling test (or fail it, when required) unless ``present``.

    Args:
      what: the requirement's short name (``"chromium"``, ``"gpu"``, ``"cpython-3.11.7"``).
      present: whether this machine has it.
      how: how to get it and run the test, one line.
    """
    if present:
        return
    line = f"{PREFIX}{what}: {how}"
    if required() and what not in NEVER_REQUIRED:
        pytest.fail(f"{line} ({ENV}=1: a missing requirement is a failure)", pytrace=False)
    pytest.skip(line)


def is_allowed_skip(reason: str) -> bool:
    """Whether a skip with ``reason`` came from :func:`need` (and may stay a skip)."""
    return reason.startswith(PREFIX)

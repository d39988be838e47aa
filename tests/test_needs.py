"""The skip mechanism for tests that need more than Python and pip (``tests/needs.py``), checked on the real
browser test: with no browser on PATH it skips with its one-line reason, and with
``SYMOPT_REQUIRE_EXTERNAL=1`` (what ``.ci/run`` sets) it fails with the same line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from needs import ENV, is_allowed_skip

ROOT = Path(__file__).resolve().parents[1]
BROWSER_TEST = "tests/test_inspect_report.py::test_renders_in_headless_chromium_without_broken_images"
LINE = "needs chromium: apt-get install -y chromium"


def _run_without_browser(tmp_path, **env) -> subprocess.CompletedProcess:
    empty = tmp_path / "bin"
    empty.mkdir(exist_ok=True)
    clean = {k: v for k, v in os.environ.items() if k != ENV}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:randomly", BROWSER_TEST],
                          cwd=ROOT, env={**clean, "PATH": str(empty), **env}, capture_output=True, text=True,
                          timeout=300)


def test_missing_browser_is_a_skip_with_how_to_run_it(tmp_path):
    proc = _run_without_browser(tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "1 skipped" in proc.stdout and LINE in proc.stdout
    assert "pytest tests/test_inspect_report.py" in proc.stdout


def test_missing_browser_is_a_failure_when_required(tmp_path):
    proc = _run_without_browser(tmp_path, **{ENV: "1"})
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert ("1 failed" in proc.stdout or "1 error" in proc.stdout) and "skipped" not in proc.stdout
    assert LINE in proc.stdout and f"{ENV}=1" in proc.stdout


@pytest.mark.parametrize("reason, allowed", [("needs chromium: apt-get install -y chromium", True),
                                             ("could not import 'torch'", False), ("", False)])
def test_only_skips_from_need_are_allowed(reason, allowed):
    assert is_allowed_skip(reason) is allowed

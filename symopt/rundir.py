"""Run directory: :class:`RunFiles` reads one, :class:`RunDir` (a RunFiles) also creates, locks and writes it.

::

    runs/NAME/config.toml          resolved configuration, written first
    runs/NAME/identity.json        the configuration keys that define the run's results (resume checks them)
    runs/NAME/evaluations.jsonl    one JSON object per candidate (append-only, flushed per batch)
    runs/NAME/meta_validation.jsonl  meta-validation / held-out re-scores of the hall of fame
    runs/NAME/checkpoint.json      evolution state, RNG, counters, cache (atomic: temp file + os.replace)
    runs/NAME/hall_of_fame.json    best unique programs, best first
    runs/NAME/report/              written by ``symopt report``
    runs/NAME/result.json          what ``symopt rediscover`` returned (its summary and the program's hash)
    runs/NAME/writer.lock          flock held by the one process writing the run; holds its pid

One process writes a run directory at a time: ``symopt search`` and ``symopt rediscover`` hold an
exclusive ``flock`` on ``writer.lock`` while they run (:meth:`RunDir.lock`); another writer is
refused with one line naming the holder's pid.  The kernel drops the lock with its process, so the
lock of a killed writer is taken over by the next one.

Fitness values are floats or ``null`` (invalid / diverged = ``math.inf``).
A truncated last log line (a killed writer) is skipped with a warning; a
damaged line elsewhere or a damaged checkpoint raises a one-line UserError.

>>> import tempfile
>>> rd = RunDir.create(tempfile.mkdtemp() + "/r", "[search]\\n")
>>> rd.append_evaluations([{"eval_id": 0, "fitness": {"A": float("inf")}}])
>>> RunDir.open(rd.path).evaluations()[0]["fitness"]
{'A': None}
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

from filekit.atomic import write_atomic
from filekit.nonfinite import inf_to_none
from filekit.toml import load_toml
from symopt.errors import UserError

CONFIG, EVALS, META, CHECKPOINT, HOF, REPORT, LOCK, IDENTITY, RESULT = (
    "config.toml", "evaluations.jsonl", "meta_validation.jsonl", "checkpoint.json", "hall_of_fame.json", "report",
    "writer.lock", "identity.json", "result.json")
CHECKPOINT_FORMAT = 1
_HELD: dict[Path, list[int]] = {}    # run directory (resolved) -> [lock file descriptor, holds] of this process
_MADE: set[Path] = set()             # run directories (resolved) this process created


def _dumps(x: Any) -> str:
    return json.dumps(inf_to_none(x), sort_keys=True, allow_nan=False)


def _holder(fd: int) -> str:
    """The pid written in a lock file held by another process (it writes it just after locking)."""
    for _ in range(40):
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit():
            return text
        time.sleep(0.025)
    return "unknown"


class RunFiles:
    """A run directory, read-only: its paths and readers (what ``symopt show``, ``lineage`` and ``report``
    need).  :class:`RunDir` adds creating, locking and writing."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    # -- paths --------------------------------------------------------------
    def child(self, name: str) -> Path:
        """``path/name``, refusing names that would escape the run directory."""
        root = self.path.resolve()
        target = (self.path / name).resolve()
        if target != root and root not in target.parents:
            raise UserError(f"{self.path}: path {name!r} escapes the run directory")
        return target

    @classmethod
    def open(cls, path: str | os.PathLike):
        """An existing run directory (it holds ``config.toml``); one-line UserError otherwise."""
        p = Path(path)
        if not p.is_dir():
            raise UserError(f"{p}: no such run directory")
        if not (p / CONFIG).is_file():
            raise UserError(f"{p}: not a run directory (no {CONFIG})")
        return cls(p)

    # -- reading ------------------------------------------------------------
    def config(self) -> dict:
        """The resolved configuration the run was started with (``config.toml``)."""
        return load_toml(self.child(CONFIG), what="run config", error=UserError)

    def _jsonl(self, name: str) -> list[dict]:
        f = self.child(name)
        if not f.exists():
            return []
        lines = f.read_text(encoding="utf-8", errors="replace").split("\n")
        last = len(lines) - 1  # index of the text after the final newline ("" when complete)
        out = []
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                if i == last:
                    warnings.warn(f"{f}:{i + 1}: skipped a truncated last line", stacklevel=3)
                    continue
                raise UserError(f"{f}:{i + 1}: damaged log line ({exc})") from None
            out.append(rec)
        return out

    def evaluations(self) -> list[dict]:
        """Every logged candidate, in log order (a truncated last line is skipped with a warning)."""
        return self._jsonl(EVALS)

    def meta_validation(self) -> list[dict]:
        """Every logged meta-validation / held-out re-score, in log order."""
        return self._jsonl(META)

    def hall_of_fame(self) -> list[dict]:
        """``hall_of_fame.json``: the best unique programs, best first ([] before the first checkpoint)."""
        f = self.child(HOF)
        if not f.exists():
            return []
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UserError(f"{f}: damaged hall of fame ({exc})") from None
        if not isinstance(data, list):
            raise UserError(f"{f}: damaged hall of fame (not a list)")
        return data

    def identity(self) -> dict | None:
        """The keys ``identity.json`` holds (None for a run without one); UserError if it is damaged."""
        f = self.child(IDENTITY)
        if not f.exists():
            return None
        try:
            keys = json.loads(f.read_text(encoding="utf-8"))["keys"]
            if not isinstance(keys, dict):
                raise ValueError("not an object")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UserError(f"{f}: damaged ({type(exc).__name__}: {exc})") from None
        return keys

    def torn_tail(self) -> bytes:
        """The bytes after the last newline of ``evaluations.jsonl`` (a line a killed writer did not finish;
        empty when the log ends with a complete line)."""
        f = self.child(EVALS)
        if not f.exists():
            return b""
        data = f.read_bytes()
        return data[data.rfind(b"\n") + 1:]

    def checkpoint(self) -> dict | None:
        """The last checkpoint's state, None if there is none; UserError if it is damaged."""
        f = self.child(CHECKPOINT)
        if not f.exists():
            return None
        try:
            raw = f.read_text(encoding="utf-8")
            outer = json.loads(raw)
            start = raw.index('"state": ') + len('"state": ')
            body = raw[start:].rstrip().removesuffix("}")
            ok = (outer.get("format") == CHECKPOINT_FORMAT
                  and hashlib.sha256(body.encode()).hexdigest() == outer.get("sha256"))
        except (OSError, ValueError, AttributeError) as exc:
            raise UserError(f"{f}: damaged checkpoint ({exc}); cannot resume from it") from None
        if not ok:
            raise UserError(f"{f}: damaged checkpoint (checksum mismatch); cannot resume from it")
        return outer["state"]


class RunDir(RunFiles):
    """A run directory that this process creates, locks and writes (one writer at a time)."""

    # -- creation / opening -------------------------------------------------
    def _refuse_used(self) -> None:
        p = self.path
        if p.exists() and (not p.is_dir() or any(f.name != LOCK for f in p.iterdir())):
            raise UserError(f"{p}: run directory exists and is not empty (use --resume {p} to continue it)")

    @classmethod
    def check_new(cls, path: str | os.PathLike) -> None:
        """Refuse (one-line UserError) a ``path`` that :meth:`create` would refuse, writing nothing."""
        cls(path)._refuse_used()

    @classmethod
    def _empty(cls, path: str | os.PathLike) -> RunDir:
        """An empty directory at ``path`` (made if missing); refuses a used one."""
        rd = cls(path)
        rd._refuse_used()
        existed = rd.path.exists()
        try:
            rd.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"{rd.path}: cannot create run directory ({exc.strerror or exc})") from None
        if not existed:
            _MADE.add(rd.path.resolve())
        return rd

    def discard(self) -> bool:
        """Undo a start that logged nothing: remove ``config.toml``, ``identity.json`` and the writer lock (held
        by this process), and the directory itself if this process made it and it is empty now, so that the
        same command can be run again.  A run with a logged candidate is left as it is; False then."""
        log = self.child(EVALS)
        if log.exists() and log.stat().st_size > 0:
            return False
        key = self.path.resolve()
        for name in (CONFIG, IDENTITY, EVALS, LOCK):
            try:
                self.child(name).unlink()
            except FileNotFoundError:
                pass
        while self.locked():
            self.unlock()
        if key in _MADE:
            _MADE.discard(key)
            try:
                self.path.rmdir()
            except OSError:        # something else was put there meanwhile: leave it
                pass
        return True

    @classmethod
    def reserve(cls, path: str | os.PathLike) -> RunDir:
        """An empty run directory (made if missing), locked for this process (see :meth:`lock`)."""
        rd = cls._empty(path)
        rd.lock()
        try:
            rd._refuse_used()     # filled by another process before this one held the lock?
        except UserError:
            rd.unlock()
            raise
        return rd

    @classmethod
    def create(cls, path: str | os.PathLike, config_text: str, *, lock: bool = False) -> RunDir:
        """A new run directory with ``config.toml`` written first; refuses a non-empty directory.
        With ``lock``, it is locked for this process before anything is written (see :meth:`lock`)."""
        rd = cls.reserve(path) if lock else cls._empty(path)
        try:
            rd.write_config(config_text)
        except UserError:
            if lock:
                rd.unlock()
            raise
        return rd

    # -- the writer lock --------------------------------------------------------
    def lock(self) -> RunDir:
        """Hold the exclusive writer lock of this run directory (re-entrant within a process).

        Another process holding it: one-line UserError naming its pid.  The lock lives until as
        many :meth:`unlock` calls as ``lock`` calls, or until this process exits."""
        key = self.path.resolve()
        if key in _HELD:
            _HELD[key][1] += 1
            return self
        f = self.child(LOCK)
        try:
            fd = os.open(f, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise UserError(f"{f}: cannot open the writer lock ({exc.strerror or exc})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise UserError(f"{self.path} is in use by pid {holder} (one process writes a run directory at a "
                            "time)") from None
        except OSError as exc:          # a file system without locks
            os.close(fd)
            raise UserError(f"{f}: cannot lock the run directory ({exc.strerror or exc})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _HELD[key] = [fd, 1]
        return self

    def unlock(self) -> None:
        """Release one hold of the writer lock (the lock itself goes with the last one)."""
        key = self.path.resolve()
        held = _HELD.get(key)
        if held is None:
            return
        held[1] -= 1
        if held[1] <= 0:
            del _HELD[key]
            os.close(held[0])     # the lock file stays: removing it would race with a process opening it

    def locked(self) -> bool:
        """Whether this process holds the writer lock."""
        return self.path.resolve() in _HELD

    # -- writing ------------------------------------------------------------
    def _replace(self, name: str, text: str) -> None:
        """Replace ``name`` atomically; disk full, read-only, ...: UserError, the previous file intact."""
        write_atomic(self.child(name), text, error=UserError)


    def write_config(self, text: str) -> None:
        """Replace ``config.toml`` (atomically) with ``text``, a resolved configuration as TOML."""
        self._replace(CONFIG, text)

    def write_identity(self, keys: dict) -> None:
        """Write ``identity.json``: the configuration keys that define the run's results."""
        self._replace(IDENTITY, json.dumps({"format": 1, "keys": keys}, indent=1, sort_keys=True) + "\n")

    def _append(self, name: str, records: list[dict], fsync: bool = False) -> None:
        if not records:
            return
        try:
            with open(self.child(name), "a", encoding="utf-8") as fh:
                fh.write("".join(_dumps(r) + "\n" for r in records))
                fh.flush()
                if fsync:
                    os.fsync(fh.fileno())
        except OSError as exc:  # disk full: a cut last line is skipped on reading and repaired on resume
            raise UserError(f"{self.child(name)}: cannot append ({exc.strerror or exc}); "
                            "resume the run when there is space") from None

    def append_evaluations(self, records: list[dict]) -> None:
        """Append candidate records to ``evaluations.jsonl`` (non-finite fitness as null)."""
        self._append(EVALS, records)

    def append_meta(self, records: list[dict]) -> None:
        """Append meta-validation records to ``meta_validation.jsonl``."""
        self._append(META, records)

    def write_hall_of_fame(self, entries: list[dict]) -> None:
        """Replace ``hall_of_fame.json`` atomically with ``entries`` (best first)."""
        self._replace(HOF, json.dumps(inf_to_none(entries), indent=1, allow_nan=False) + "\n")

    def write_checkpoint(self, state: dict) -> None:
        """Fsync the logs, then replace ``checkpoint.json`` atomically (with a checksum of its body)."""
        for name in (EVALS, META):
            if self.child(name).exists():
                with open(self.child(name), "a", encoding="utf-8") as fh:
                    os.fsync(fh.fileno())
        body = _dumps(state)
        digest = hashlib.sha256(body.encode()).hexdigest()
        self._replace(CHECKPOINT, f'{{"format": {CHECKPOINT_FORMAT}, "sha256": "{digest}", "state": {body}}}\n')

    def repair_log(self) -> int:
        """Cut a truncated last line off ``evaluations.jsonl`` (before appending on resume); bytes removed."""
        f = self.child(EVALS)
        if not f.exists():
            return 0
        data = f.read_bytes()
        if not data or data.endswith(b"\n"):
            return 0
        keep = data.rfind(b"\n") + 1
        with open(f, "r+b") as fh:
            fh.truncate(keep)
        warnings.warn(f"{f}: removed a truncated last line ({len(data) - keep} bytes)", stacklevel=2)
        return len(data) - keep

r"""Replacing a file atomically: readers see the old file or the new one, never a mix.

:func:`write_atomic` writes to a temporary file in the same folder, flushes and fsyncs it, then renames
it over the target (``os.replace``, atomic on POSIX).  A failure (disk full, read-only folder) leaves
the previous file as it was and removes the temporary one.  Every file symopt replaces in place
(checkpoints, hall of fame, run config, exported modules, report pages, the per-machine caches) is written
this way.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "state.json")
>>> write_atomic(path, '{"step": 1}\n')
>>> write_atomic(path, '{"step": 2}\n')
>>> open(path).read(), os.listdir(os.path.dirname(path))
('{"step": 2}\n', ['state.json'])
"""

from __future__ import annotations

import os
import secrets


def write_atomic(path: str | os.PathLike, data: str | bytes, *, error: type[Exception] | None = None) -> None:
    """Replace the file at ``path`` with ``data`` atomically (temp file + fsync + ``os.replace``).

    Args:
      path: the file to write; its folder must exist.
      data: text (written as UTF-8) or bytes.
      error: if given, an ``OSError`` is raised as this class with one line
        ``PATH: cannot write (reason); the previous version is intact``; otherwise the OSError propagates.

    >>> write_atomic("/no/such/folder/x.txt", "x", error=ValueError)
    Traceback (most recent call last):
    ...
    ValueError: /no/such/folder/x.txt: cannot write (No such file or directory); the previous version is intact
    """
    target = os.fspath(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:    # mode 0o666 less the umask, as a plain open() would create the file
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        if error is None:
            raise
        raise error(f"{target}: cannot write ({exc.strerror or exc}); the previous version is intact") from None

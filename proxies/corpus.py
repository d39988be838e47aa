"""The shipped character-level corpus: loading, checksum verification, encoding."""
from __future__ import annotations

import functools
import gzip
import hashlib
import os

import numpy as np

from .config import DATA_DIR

VOCAB_SIZE = 96  # id 0 = newline, ids 1..95 = ASCII 32..126


def encode(text: bytes) -> np.ndarray:
    r"""Map ASCII bytes to ids in [0, 96): newline -> 0, byte b in 32..126 -> b - 31.

    Args:
      text: newline and printable ASCII only.

    Returns:
      uint8 ids.

    Raises:
      ValueError: a byte outside that alphabet.

    >>> encode(b"a\n ").tolist()
    [66, 0, 1]
    """
    a = np.frombuffer(text, dtype=np.uint8)
    bad = (a != 10) & ((a < 32) | (a > 126))
    if bad.any():
        raise ValueError(f"corpus has {int(bad.sum())} bytes outside newline + printable ASCII")
    return np.where(a == 10, 0, a - 31).astype(np.uint8)


def decode(ids) -> str:
    r"""The text of ids made by :func:`encode`.

    Args:
      ids: ids in [0, 96).

    Returns:
      The text.

    >>> decode(encode(b"Hi!\n"))
    'Hi!\n'
    """
    a = np.asarray(ids).astype(np.int64)
    return "".join("\n" if i == 0 else chr(int(i) + 31) for i in a)


@functools.lru_cache(maxsize=4)
def load_corpus(path: str, expected_sha256: str) -> np.ndarray:
    """Read a (gzipped) corpus file and verify the sha256 of its uncompressed text.

    Args:
      path: the file, absolute or relative to ``proxies/data``.
      expected_sha256: the checksum recorded in tasks.toml.

    Returns:
      The text as uint8 ids (:func:`encode`).

    Raises:
      ValueError: the file is missing or its checksum differs.
    """
    full = path if os.path.isabs(path) else os.path.join(DATA_DIR, path)
    try:
        with open(full, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise ValueError(f"corpus file not found: {full} (rebuild it with proxies/data/build_corpus.py)") from None
    text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    got = hashlib.sha256(text).hexdigest()
    if got != expected_sha256:
        raise ValueError(f"corpus checksum mismatch for {full}: sha256 {got} != expected {expected_sha256} "
                         f"(the shipped file changed; rebuild with proxies/data/build_corpus.py and update tasks.toml)")
    return encode(text)

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
    """Map ASCII bytes to ids in [0, 96): newline -> 0, byte b in 32..126 -> b - 31."""
    a = np.frombuffer(text, dtype=np.uint8)
    bad = (a != 10) & ((a < 32) | (a > 126))
    if bad.any():
        raise ValueError(f"corpus has {int(bad.sum())} bytes outside newline + printable ASCII")
    return np.where(a == 10, 0, a - 31).astype(np.uint8)


def decode(ids) -> str:
    a = np.asarray(ids).astype(np.int64)
    return "".join("\n" if i == 0 else chr(int(i) + 31) for i in a)


@functools.lru_cache(maxsize=4)
def load_corpus(path: str, expected_sha256: str) -> np.ndarray:
    """Read a (gzipped) corpus file, verify the sha256 of its uncompressed text, return uint8 ids.

    ``path`` is absolute or relative to ``proxies/data``. Raises ``ValueError`` if the file is
    missing or its checksum differs from ``expected_sha256`` (the value in tasks.toml).
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

"""Build the character-level LM corpus shipped as ``pydoc_topics.txt.gz``.

The text is CPython's own reference documentation as bundled in ``pydoc_data.topics``
(it ships with every CPython; licence: PSF License Agreement). This script is run ONCE, by
hand, to (re)create the shipped file; at run time ``proxies`` only reads the shipped file and
checks its sha256 against ``proxies/configs/tasks.toml`` ([corpora.pydoc_topics]).

Cleaning (deterministic, documented so the file can be rebuilt):
  * topics in sorted key order, separated by one blank line;
  * typographic quotes/dashes/ellipsis mapped to ASCII; tabs -> 4 spaces; other non-ASCII dropped;
  * lines made only of ``* = - ~ ^ #`` (reST heading underlines) removed;
  * runs of more than one blank line collapsed to one; trailing spaces stripped.
The result uses 96 symbols: newline and printable ASCII 32..126.

Usage:  python proxies/data/build_corpus.py [--out proxies/data/pydoc_topics.txt.gz]
Prints the sha256 of the uncompressed text (the value recorded in tasks.toml).
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import re
import sys
from pydoc_data import topics

_MAP = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2013": "-", "\u2014": "--", "\u2026": "...", "\u00a0": " ", "\t": "    ",
}
_UNDERLINE = re.compile(r"^[*=\-~^#]+$")


def clean(text: str) -> str:
    r"""One topic's text made plain ASCII (see the module docstring for the rules).

    Args:
      text: a topic of ``pydoc_data.topics``.

    Returns:
      The cleaned text, ending with one newline.

    >>> clean("Title\n=====\n\n\n\u201cquoted\u201d\tand more  \n")
    'Title\n\n"quoted"    and more\n'
    """
    text = "".join(_MAP.get(c, c) for c in text)
    text = "".join(c for c in text if c == "\n" or 32 <= ord(c) <= 126)
    out: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip()
        if _UNDERLINE.match(line):
            continue
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def build() -> str:
    """The corpus text: every topic cleaned, in sorted key order, separated by one blank line.

    Returns:
      The text.
    """
    parts = [clean(topics.topics[k]) for k in sorted(topics.topics)]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Write the gzipped corpus and print its sha256 (``python proxies/data/build_corpus.py --out FILE``).

    Args:
      argv: the command-line arguments (default: ``sys.argv[1:]``).

    Returns:
      The exit status, 0.
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "pydoc_topics.txt.gz"))
    args = ap.parse_args(argv)
    data = build().encode("ascii")
    buf = io.BytesIO()
    # mtime=0 and no file name: the gzip bytes are reproducible too.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as f:
        f.write(data)
    with open(args.out, "wb") as f:
        f.write(buf.getvalue())
    print(f"wrote {args.out}: {len(data)} chars, {len(buf.getvalue())} bytes gzip, python {sys.version.split()[0]}")
    print(f"sha256 (uncompressed) {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

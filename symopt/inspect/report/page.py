"""The report's HTML: one self-contained page built with ``html.escape`` (no network assets;
images are PNG files next to ``index.html``, referenced by relative name)."""

from __future__ import annotations

import datetime as _dt
from html import escape

STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; border-bottom: 1px solid #eee; text-align: left; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; }
.dead { color: #999; } .add { color: #065f06; } .del { color: #9b0b0b; }
img { max-width: 100%; border: 1px solid #ddd; }
.note { color: #666; font-size: 0.9em; }
"""


def table(head: list[str], rows: list[list[str]]) -> str:
    h = "".join(f"<th>{escape(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{h}</tr>{body}</table>"


def image(name: str, alt: str) -> str:
    return f'<p><img src="{escape(name)}" alt="{escape(alt)}"></p>'


def code(lines: list[tuple[str, str]]) -> str:
    """``<pre>`` of (css class or "", text) lines."""
    out = [f'<span class="{c}">{escape(t)}</span>' if c else escape(t) for c, t in lines]
    return "<pre>" + "\n".join(out) + "</pre>"


def note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def section(title: str, *parts: str) -> str:
    return f"<h2>{escape(title)}</h2>\n" + "\n".join(parts)


def page(title: str, sections: list[str]) -> str:
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n<body>\n"
            f"<h1>{escape(title)}</h1>\n<p class=\"note\">written {stamp} by symopt report</p>\n"
            + "\n".join(sections) + "\n</body></html>\n")
